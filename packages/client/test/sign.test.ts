// @airlock/client against the real development stack (dev IdP, CA, CT log, transparency log, SoftHSM
// key ceremony), started in this process: every bundle made here is checked by @sigstore/verify with
// the stack's trusted_root.json and its DEFAULT thresholds, and must fail for the wrong artifact,
// identity or key.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attestBlob,
  ClientError,
  discoverServices,
  generateSigningKeyPair,
  IN_TOTO_PAYLOAD_TYPE,
  keyHint,
  openSigningSetup,
  type SignOptions,
  signBlob,
} from '@airlock/client';
import { approveDeviceCode, declineDeviceCode } from '@airlock/dev-idp';
import { formatPkcs11Uri, generateKey, KeysError, readPublicKey } from '@airlock/keys';
import { type RunningStack, STACK_TOKEN_LABEL, startStack } from '@airlock/stack';
import { parseTrustedRoot, type TrustedRootJson } from '@airlock/trust';
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  toSignedEntity,
  toTrustMaterial,
  type VerificationPolicy,
  type Signer as VerifiedSigner,
  Verifier,
} from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'airlock-client-'));
const stackDir = join(work, '.airlock');
let stack: RunningStack;
let trustedRoot: TrustedRootJson;

beforeAll(async () => {
  delete process.env.SIGSTORE_ID_TOKEN;
  stack = await startStack({
    dir: stackDir,
    ports: { oidc: 0, ca: 0, ctlog: 0, tlog: 0, tsa: 0, tuf: 0 },
  });
  trustedRoot = parseTrustedRoot(readFileSync(stack.description.trustedRoot, 'utf8'));
});
afterAll(async () => {
  await stack?.close();
});

/** The services and trusted root `airlock up` publishes, as a client finds them. */
function stackServices(): Omit<SignOptions, 'identityToken' | 'keySigner'> {
  const found = discoverServices({ stackDir });
  return { ...found.services, ...(found.trustedRoot ? { trustedRoot: found.trustedRoot } : {}) };
}

function verify(
  bundle: SerializedBundle,
  options: {
    artifact?: Uint8Array;
    policy?: VerificationPolicy;
    key?: { hint: string; key: KeyObject };
    root?: TrustedRootJson;
  },
): VerifiedSigner {
  const { key } = options;
  const material = toTrustMaterial(
    TrustedRoot.fromJSON(options.root ?? trustedRoot),
    key
      ? (hint: string) => {
          if (hint !== key.hint) throw new Error(`unknown key hint ${hint}`);
          return { publicKey: key.key, validFor: () => true };
        }
      : undefined,
  );
  // DEFAULT thresholds, except that a key-signed bundle has no certificate and so no SCT.
  const verifier = new Verifier(material, key ? { ctlogThreshold: 0 } : {});
  const artifact = options.artifact ? Buffer.from(options.artifact) : undefined;
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle), artifact), options.policy);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

describe('keyless sign-blob', () => {
  const email = 'signer@airlock.test';
  const artifact = Buffer.from('an artifact signed keyless through the development stack\n');

  it('makes a v0.3 bundle that verifies with the stack trust root, DEFAULT thresholds and the identity', async () => {
    const identityToken = await stack.idp!.tokenFor(email);
    const result = await signBlob({ ...stackServices(), identityToken, artifact });
    const { bundle } = result;

    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.certificate?.rawBytes).toBeTruthy();
    expect(bundle.verificationMaterial.x509CertificateChain).toBeUndefined();
    expect(bundle.messageSignature?.messageDigest).toEqual({
      algorithm: 'SHA2_256',
      digest: sha256(artifact).toString('base64'),
    });
    const [entry] = bundle.verificationMaterial.tlogEntries;
    expect(entry?.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.1' });
    expect(entry?.inclusionProof?.checkpoint.envelope).toContain('\n\n');
    expect(entry?.inclusionPromise?.signedEntryTimestamp).toBeTruthy();
    // The stack's signing config names its TSA, so the signature is also timestamped.
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(
      1,
    );

    const signer = verify(bundle, {
      artifact,
      policy: { subjectAlternativeName: email, extensions: { issuer: stack.idp!.issuer } },
    });
    expect(signer.identity?.subjectAlternativeName).toBe(email);

    // The outputs cosign writes beside the bundle are the bundle's own signature and certificate.
    expect(Buffer.from(result.signature).toString('base64')).toBe(
      bundle.messageSignature?.signature,
    );
    const certificateDer = Buffer.from(
      result.certificatePem!.replace(/-----[A-Z ]+-----|\s/g, ''),
      'base64',
    ).toString('base64');
    expect(certificateDer).toBe(bundle.verificationMaterial.certificate?.rawBytes);

    // And it proves nothing about other bytes or other people.
    expect(() =>
      verify(bundle, {
        artifact: Buffer.from('another artifact'),
        policy: { subjectAlternativeName: email },
      }),
    ).toThrow();
    expect(() =>
      verify(bundle, { artifact, policy: { subjectAlternativeName: 'mallory@airlock.test' } }),
    ).toThrow();
    expect(() =>
      verify(bundle, { artifact, policy: { extensions: { issuer: 'https://accounts.example' } } }),
    ).toThrow();
  });

  it('refuses to return a bundle that does not verify with the trusted root it was given', async () => {
    const identityToken = await stack.idp!.tokenFor(email);
    // Without the CT log the certificate's SCT cannot be checked, so DEFAULT thresholds fail.
    const withoutCtlog = { ...trustedRoot, ctlogs: [] };
    const error = await signBlob({
      ...stackServices(),
      trustedRoot: withoutCtlog,
      identityToken,
      artifact,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CHECK_FAILED');
  });

  it('reports a token the CA refuses without ever repeating the token', async () => {
    // Shaped like a dev IdP token but signed by nobody: only the CA can tell.
    const forged = [
      Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'nope' })).toString('base64url'),
      Buffer.from(
        JSON.stringify({
          iss: stack.idp!.issuer,
          aud: 'sigstore',
          sub: 'mallory',
          email: 'mallory@airlock.test',
          email_verified: true,
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      ).toString('base64url'),
      Buffer.from('not a signature').toString('base64url'),
    ].join('.');
    const error = await signBlob({ ...stackServices(), identityToken: forged, artifact }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('SERVICE_FAILED');
    expect((error as Error).message).toContain(stack.description.ca);
    expect((error as Error).message).not.toContain(forged);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses an expired token and one whose email the issuer has not verified, before any request', async () => {
    const token = (claims: object) =>
      [
        Buffer.from('{"alg":"ES256"}').toString('base64url'),
        Buffer.from(JSON.stringify(claims)).toString('base64url'),
        'c2ln',
      ].join('.');
    const expired = token({ iss: stack.idp!.issuer, sub: 'x', exp: 1_000_000 });
    const unverified = token({ iss: stack.idp!.issuer, email: 'bob@airlock.test' });
    for (const identityToken of [expired, unverified, 'not-a-jwt']) {
      const error = await signBlob({ ...stackServices(), identityToken, artifact }).catch(
        (e: unknown) => e,
      );
      expect((error as ClientError).code).toBe('INVALID_TOKEN');
      expect((error as Error).message).not.toContain(identityToken);
    }
  });
});

describe('keyed sign-blob', () => {
  const artifact = Buffer.from('an artifact signed with a managed key\n');

  it('signs with a key inside the SoftHSM token; the bundle verifies with that key only', async () => {
    const pinSource = stack.description.keys['rekor-v1'].match(/pin-source=([^&]+)/)![1]!;
    const uri = formatPkcs11Uri({
      token: STACK_TOKEN_LABEL,
      object: 'release-signing',
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinSource: decodeURIComponent(pinSource),
    });
    const publicKey = await generateKey(uri, 'ecdsa-p256-sha256');
    const setup = await openSigningSetup({ key: uri, stackDir });
    let bundle: SerializedBundle;
    try {
      ({ bundle } = await signBlob({ ...setup.signOptions, artifact }));
    } finally {
      await setup.close();
    }
    const hint = keyHint(publicKey);
    expect(bundle.verificationMaterial.publicKey).toEqual({ hint });
    expect(bundle.verificationMaterial.certificate).toBeUndefined();
    expect(verify(bundle, { artifact, key: { hint, key: publicKey } }).key).toBeTruthy();

    const otherKey = await readPublicKey(stack.description.keys.ctlog);
    expect(() => verify(bundle, { artifact, key: { hint, key: otherKey } })).toThrow();
    expect(() =>
      verify(bundle, { artifact: Buffer.from('other'), key: { hint, key: publicKey } }),
    ).toThrow();
  });

  it('signs with an encrypted key file (cosign generate-key-pair) opened with COSIGN_PASSWORD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-keypair-'));
    const env = { COSIGN_PASSWORD: 'correct horse battery staple' };
    const pair = await generateSigningKeyPair({
      outputKeyPrefix: join(dir, 'cosign'),
      env,
    });
    expect(readFileSync(pair.privateKeyPath!, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const publicKey = createPublicKey(readFileSync(pair.publicKeyPath, 'utf8'));

    const setup = await openSigningSetup({ key: pair.privateKeyPath!, stackDir, env });
    const { bundle } = await signBlob({ ...setup.signOptions, artifact });
    await setup.close();
    expect(
      verify(bundle, { artifact, key: { hint: keyHint(publicKey), key: publicKey } }).key,
    ).toBeTruthy();

    const wrong = await openSigningSetup({
      key: pair.privateKeyPath!,
      stackDir,
      env: { COSIGN_PASSWORD: 'not-the-password-42' },
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(KeysError);
    expect((wrong as KeysError).code).toBe('BAD_CREDENTIALS');
    expect((wrong as Error).message).not.toContain('not-the-password-42');

    // Nothing is overwritten, and a file key is never written without a password.
    await expect(
      generateSigningKeyPair({ outputKeyPrefix: join(dir, 'cosign'), env }),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    await expect(
      generateSigningKeyPair({ outputKeyPrefix: join(dir, 'other'), env: {} }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses a key it cannot log truthfully (not P-256)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-p384-'));
    const path = join(dir, 'p384.pem');
    await generateKey(`file:${path}`, 'ecdsa-p384-sha384', { password: 'pw' });
    const setup = await openSigningSetup({
      key: `file:${path}`,
      stackDir,
      env: { COSIGN_PASSWORD: 'pw' },
    });
    await expect(signBlob({ ...setup.signOptions, artifact })).rejects.toMatchObject({
      code: 'UNSUPPORTED_KEY',
    });
    await setup.close();
  });
});

describe('attest-blob', () => {
  const artifact = Buffer.from('a release tarball, say\n');

  it('signs an in-toto Statement v1 about the artifact in a DSSE bundle that verifies', async () => {
    const email = 'builder@airlock.test';
    const identityToken = await stack.idp!.tokenFor(email);
    const predicate = JSON.stringify({ buildDefinition: { buildType: 'https://airlock.test/b' } });
    const result = await attestBlob({
      ...stackServices(),
      identityToken,
      artifact,
      artifactName: 'release.tar.gz',
      predicate,
      type: 'slsaprovenance1',
    });
    const { bundle } = result;
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.dsseEnvelope?.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    const statement = JSON.parse(
      Buffer.from(bundle.dsseEnvelope!.payload, 'base64').toString('utf8'),
    );
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'release.tar.gz', digest: { sha256: sha256(artifact).toString('hex') } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: JSON.parse(predicate),
    });
    expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({
      kind: 'dsse',
      version: '0.0.1',
    });
    expect(result.envelope.signatures[0]?.sig).toBe(
      Buffer.from(result.signature).toString('base64'),
    );
    verify(bundle, {
      policy: { subjectAlternativeName: email, extensions: { issuer: stack.idp!.issuer } },
    });

    // A payload changed after signing no longer verifies.
    const tampered = structuredClone(bundle);
    tampered.dsseEnvelope!.payload = Buffer.from(
      JSON.stringify({ ...statement, subject: [{ name: 'x', digest: { sha256: '00' } }] }),
    ).toString('base64');
    expect(() => verify(tampered, {})).toThrow();
  });

  it('refuses predicates and predicate types it cannot sign as asked', async () => {
    const base = {
      ...stackServices(),
      identityToken: await stack.idp!.tokenFor('builder@airlock.test'),
      artifact,
      artifactName: 'a',
    };
    await expect(
      attestBlob({ ...base, predicate: '{}', type: 'slsaprovenance2' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      attestBlob({ ...base, predicate: 'not json', type: 'cyclonedx' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      attestBlob({ ...base, predicate: '[1]', type: 'https://example.test/p' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('service discovery and identity', () => {
  it('uses the stack signing config and trust root when nothing else is given, and never a public URL', () => {
    const found = discoverServices({ stackDir });
    expect(found.source).toBe('stack');
    expect(found.services.caUrl).toBe(stack.description.ca);
    expect(found.services.tlogs).toEqual([{ url: stack.description.tlog, majorApiVersion: 1 }]);
    expect(found.trustedRoot).toEqual(trustedRoot);
    // The OpenID provider the device login may use is the one the signing config names.
    expect(found.oidcUrl).toBe(stack.description.oidc);
    expect(JSON.stringify(found.services)).not.toMatch(/sigstore\.dev/);

    const nowhere = mkdtempSync(join(tmpdir(), 'airlock-nostack-'));
    expect(() => discoverServices({ baseDir: nowhere })).toThrow(
      expect.objectContaining({ code: 'NO_SERVICE' }),
    );
  });

  it('lets explicit URLs win over the stack, and refuses URLs mixed with a signing config', () => {
    const found = discoverServices({ stackDir, rekorUrl: 'http://127.0.0.1:1/' });
    expect(found.source).toBe('flags');
    expect(found.services).toEqual({
      tlogs: [{ url: 'http://127.0.0.1:1', majorApiVersion: 1 }],
      tsaUrls: [],
    });
    expect(found.trustedRoot).toBeUndefined();
    expect(found.oidcUrl).toBeUndefined();
    expect(() =>
      discoverServices({
        stackDir,
        rekorUrl: 'http://127.0.0.1:1',
        signingConfigPath: stack.description.signingConfig,
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFLICTING_OPTIONS' }));
    expect(() => discoverServices({ stackDir, caUrl: 'ftp://x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('takes the token from --identity-token, else SIGSTORE_ID_TOKEN, else --dev-email only when asked', async () => {
    const emailOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).email;
    const explicit = await stack.idp!.tokenFor('explicit@airlock.test');
    const fromEnv = await stack.idp!.tokenFor('env@airlock.test');
    const tokenFile = join(work, 'token.jwt');
    writeFileSync(tokenFile, `${explicit}\n`);

    const tokenOf = async (options: Parameters<typeof openSigningSetup>[0]) =>
      (await openSigningSetup({ stackDir, ...options })).signOptions.identityToken!;
    expect(
      emailOf(await tokenOf({ identityToken: explicit, env: { SIGSTORE_ID_TOKEN: fromEnv } })),
    ).toBe('explicit@airlock.test');
    expect(emailOf(await tokenOf({ identityToken: tokenFile, env: {} }))).toBe(
      'explicit@airlock.test',
    );
    expect(
      emailOf(await tokenOf({ env: { SIGSTORE_ID_TOKEN: fromEnv }, devEmail: 'dev@airlock.test' })),
    ).toBe('env@airlock.test');
    expect(emailOf(await tokenOf({ env: {}, devEmail: 'dev@airlock.test' }))).toBe(
      'dev@airlock.test',
    );
    // The dev IdP is never asked on its own, so without a token there is no identity.
    await expect(openSigningSetup({ stackDir, env: {} })).rejects.toMatchObject({
      code: 'NO_IDENTITY',
    });
    await expect(
      openSigningSetup({ stackDir, env: {}, identityToken: explicit, key: 'file:/nope' }),
    ).rejects.toMatchObject({ code: 'CONFLICTING_OPTIONS' });
  });
});

describe('device login (RFC 8628) as the last identity source', () => {
  const artifact = Buffer.from('an artifact signed after a device login\n');
  const emailOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).email;

  it('logs in at --oidc-issuer when no token is given; the bundle names the approved login', async () => {
    const issuer = stack.description.oidc;
    const prompts: string[] = [];
    const setup = await openSigningSetup({
      stackDir,
      env: {},
      oidcIssuer: issuer,
      deviceFlowPrompt: async ({ userCode, verificationUri }) => {
        prompts.push(verificationUri);
        await approveDeviceCode(issuer, userCode, 'device@airlock.test');
      },
    });
    expect(prompts).toEqual([`${issuer}/device`]);
    expect(emailOf(setup.signOptions.identityToken!)).toBe('device@airlock.test');
    const { bundle } = await signBlob({ ...setup.signOptions, artifact });
    const signer = verify(bundle, {
      artifact,
      policy: { subjectAlternativeName: 'device@airlock.test', extensions: { issuer } },
    });
    expect(signer.identity?.subjectAlternativeName).toBe('device@airlock.test');
  });

  it("uses the signing config's OpenID provider only at a terminal or with oidcDeviceFlow", async () => {
    const issuers: string[] = [];
    const decline = async ({
      userCode,
      verificationUri,
    }: {
      userCode: string;
      verificationUri: string;
    }) => {
      issuers.push(new URL(verificationUri).origin);
      await declineDeviceCode(stack.description.oidc, userCode);
    };
    for (const asked of [{ interactive: true }, { oidcDeviceFlow: true }]) {
      await expect(
        openSigningSetup({ stackDir, env: {}, deviceFlowPrompt: decline, ...asked }),
      ).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    }
    expect(issuers).toEqual([stack.description.oidc, stack.description.oidc]);

    // Without a terminal and without being asked, nobody is prompted: there is no identity.
    await expect(
      openSigningSetup({ stackDir, env: {}, deviceFlowPrompt: decline, interactive: false }),
    ).rejects.toMatchObject({ code: 'NO_IDENTITY' });
    expect(issuers).toHaveLength(2);
  });

  it('tries the device login last, refuses it with --key, and needs an issuer', async () => {
    const fromEnv = await stack.idp!.tokenFor('env@airlock.test');
    let prompted = false;
    const setup = await openSigningSetup({
      stackDir,
      env: { SIGSTORE_ID_TOKEN: fromEnv },
      oidcIssuer: stack.description.oidc,
      interactive: true,
      deviceFlowPrompt: () => {
        prompted = true;
      },
    });
    expect(emailOf(setup.signOptions.identityToken!)).toBe('env@airlock.test');
    expect(prompted).toBe(false);

    await expect(
      openSigningSetup({
        stackDir,
        env: {},
        key: 'file:/nope',
        oidcIssuer: stack.description.oidc,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICTING_OPTIONS' });
    await expect(
      openSigningSetup({ stackDir, env: {}, oidcIssuer: 'ftp://idp.test' }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    // Service URL flags carry no OpenID provider, so --oidc-device-flow has none to use.
    const error = await openSigningSetup({
      rekorUrl: stack.description.tlog,
      caUrl: stack.description.ca,
      env: {},
      oidcDeviceFlow: true,
      deviceFlowPrompt: () => {
        prompted = true;
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NO_IDENTITY' });
    expect((error as Error).message).toMatch(/--oidc-device-flow needs an OpenID provider/);
    expect(prompted).toBe(false);
  });
});
