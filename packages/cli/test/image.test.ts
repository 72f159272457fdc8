// `airlock sign | attest | verify | verify-attestation | attach sbom | download | tree | triangulate`
// against real parts: Debian's docker-registry on loopback (no referrers API, so bundles go through
// the tag-schema index), images loaded by skopeo, and the development stack started in this process.
// Each attack a registry or a copier can mount has a test that shows it refused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { formatPkcs11Uri, generateKey, readPublicKey } from '@airlock/keys';
import {
  attachmentTag,
  buildSimpleSigningPayload,
  bundleReferrerManifest,
  CosignClient,
  digestOf,
  EMPTY_JSON,
  type LegacySignature,
  RegistryClient,
  referrersTag,
  SIGSTORE_BUNDLE_V03,
} from '@airlock/oci';
import { type RunningStack, STACK_TOKEN_LABEL, startStack } from '@airlock/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../test/support/registry.js';
import {
  type BuiltImage,
  pushTestImage,
  type RunningProxy,
  startProxy,
} from '../../oci/test/support.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-image-'));
const stackDir = join(work, '.airlock');
const COSIGN_SIGN_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const CYCLONEDX_TYPE = 'https://cyclonedx.org/bom';
const SLSA_TYPE = 'https://slsa.dev/provenance/v0.2';
let stack: RunningStack;
let registry: RunningRegistry;
let cosign: CosignClient;
let client: RegistryClient;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  delete process.env.SIGSTORE_ID_TOKEN;
  delete process.env.COSIGN_PASSWORD;
  stack = await startStack({
    dir: stackDir,
    ports: { oidc: 0, ca: 0, ctlog: 0, tlog: 0, tsa: 0, tuf: 0 },
  });
  registry = await startRegistry();
  client = new RegistryClient({ allowHttp: true, retryDelayMs: 5 });
  cosign = new CosignClient(client);
});
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await registry?.stop();
  await stack?.close();
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Exit 1 and exactly one line on stderr, as every failed check must look. */
function expectCheckFailed(result: { code: number; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(EXIT.checkFailed);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

const token = (email: string) => stack.idp!.tokenFor(email);
const issuer = () => stack.idp!.issuer;
const file = (name: string, content: string) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

async function keylessSign(ref: string, email: string, ...extra: string[]) {
  return run(
    'sign',
    ref,
    '--identity-token',
    await token(email),
    '--stack-dir',
    stackDir,
    '--allow-http-registry',
    '--yes',
    ...extra,
  );
}

async function keylessAttest(
  ref: string,
  email: string,
  type: string,
  predicate: string,
  ...extra: string[]
) {
  return run(
    'attest',
    ref,
    '--type',
    type,
    '--predicate',
    predicate,
    '--identity-token',
    await token(email),
    '--stack-dir',
    stackDir,
    '--allow-http-registry',
    ...extra,
  );
}

function policy(identity: string) {
  return [
    '--trusted-root',
    stack.description.trustedRoot,
    '--certificate-identity',
    identity,
    '--certificate-oidc-issuer',
    issuer(),
    '--allow-http-registry',
  ];
}

interface TestImage {
  readonly repo: string;
  readonly ref: string;
  readonly digestRef: string;
  readonly image: BuiltImage;
  readonly hex: string;
}

async function imageIn(repository: string, tag = 'v1', host = registry.host): Promise<TestImage> {
  const image = await pushTestImage(registry.host, repository, tag);
  return {
    repo: `${host}/${repository}`,
    ref: `${host}/${repository}:${tag}`,
    digestRef: `${host}/${repository}@${image.digest}`,
    image,
    hex: image.digest.slice('sha256:'.length),
  };
}

async function proxy(hooks: Parameters<typeof startProxy>[1]): Promise<RunningProxy> {
  const running = await startProxy(registry.url, hooks);
  closers.push(() => running.close());
  return running;
}

/**
 * Pushes a bundle as a referrer of `image` the way attachBundleReferrer would, minus its check that
 * the bundle names the image: what an attacker with push access can do.
 */
async function pushReferrer(image: TestImage, bundle: Uint8Array, predicateType: string) {
  const referrer = bundleReferrerManifest({
    subject: {
      mediaType: image.image.mediaType,
      digest: image.image.digest,
      size: image.image.size,
    },
    bundle,
    content: 'dsse-envelope',
    predicateType,
    created: new Date(),
  });
  await client.pushBlob(image.repo, EMPTY_JSON);
  await client.pushBlob(image.repo, bundle);
  await client.putManifest(`${image.repo}@${digestOf(referrer.manifest)}`, referrer.manifest);
}

const SBOM = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  components: [{ type: 'library', name: 'left-pad', version: '1.3.0' }],
});
const PROVENANCE = JSON.stringify({
  builder: { id: 'https://ci.airlock.test/builder' },
  buildType: 'https://ci.airlock.test/build/v1',
  invocation: { configSource: { uri: 'git+https://git.airlock.test/app' } },
});

describe('sign and verify', () => {
  it('signs a tag keyless into the legacy .sig tag, by its digest; verify checks the digest the tag names', async () => {
    const { ref, digestRef, repo, image, hex } = await imageIn('keyless/app');
    const signed = await keylessSign(ref, 'alice@airlock.test');
    expect(signed.code).toBe(EXIT.ok);
    expect(signed.stdout).toContain(`${repo}:sha256-${hex}.sig`);
    expect(signed.stdout).toContain(`for ${repo}@${image.digest} (${ref} names it now)`);

    // What is stored is cosign's layout: a payload naming the digest, certificate, SET and timestamp.
    const listing = await cosign.listSignatures(digestRef);
    expect(listing.rejected).toEqual([]);
    expect(listing.found).toHaveLength(1);
    const [found] = listing.found as [LegacySignature];
    expect(found.layout).toBe('legacy-tag');
    expect(found.simpleSigning).toEqual({
      dockerReference: repo,
      dockerManifestDigest: image.digest,
      optional: null,
    });
    expect(found.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(found.rekorBundle?.Payload.integratedTime).toBeGreaterThan(0);
    expect(found.rfc3161Timestamp?.length).toBeGreaterThan(0);

    for (const target of [ref, digestRef]) {
      const verified = await run('verify', target, ...policy('alice@airlock.test'));
      expect(verified.code).toBe(EXIT.ok);
      expect(verified.stdout).toContain('Verified OK: 1 of 1 signatures checked on');
      expect(verified.stdout).toContain(digestRef);
      expect(verified.stdout).toContain(`signed by alice@airlock.test (issuer ${issuer()})`);
    }
    // Someone else's identity, or another issuer, is not this signature's.
    expectCheckFailed(
      await run('verify', ref, ...policy('mallory@airlock.test')),
      /none of the 1 signatures .* IDENTITY/,
    );
    expectCheckFailed(
      await run(
        'verify',
        ref,
        '--trusted-root',
        stack.description.trustedRoot,
        '--certificate-identity-regexp',
        '.*@airlock\\.test',
        '--certificate-oidc-issuer',
        'https://accounts.example',
        '--allow-http-registry',
      ),
      /ISSUER/,
    );
  });

  it('with --new-bundle-format stores a v0.3 bundle referrer through the tag-schema index; verify reads it', async () => {
    const { ref, digestRef, repo, hex } = await imageIn('bundle/app');
    const signed = await keylessSign(ref, 'alice@airlock.test', '--new-bundle-format');
    expect(signed.code).toBe(EXIT.ok);
    expect(signed.stdout).toContain(`listed in ${repo}:sha256-${hex}`);

    const referrers = await client.referrers(digestRef);
    expect(referrers.source).toBe('tag-schema');
    expect(referrers.descriptors).toHaveLength(1);
    expect(referrers.descriptors[0]?.artifactType).toBe(SIGSTORE_BUNDLE_V03);
    const bundles = await cosign.listBundles(digestRef);
    expect(bundles.found[0]?.predicateType).toBe(COSIGN_SIGN_TYPE);
    expect(bundles.found[0]?.bundle.mediaType).toBe(SIGSTORE_BUNDLE_V03);
    expect(await client.listTags(repo)).not.toContain(`sha256-${hex}.sig`);

    const verified = await run('verify', ref, ...policy('alice@airlock.test'));
    expect(verified.code).toBe(EXIT.ok);
    expect(verified.stdout).toMatch(/OK referrer sha256:[0-9a-f]{64} \(referrers tag\)/);
    expect(verified.stdout).toContain('Verified OK: 1 of 1 signatures');
  });

  it('finds two signatures on one image, one per layout; tree, triangulate and download show them', async () => {
    const { ref, digestRef, repo, image, hex } = await imageIn('two/app');
    expect((await keylessSign(ref, 'alice@airlock.test')).code).toBe(EXIT.ok);
    expect((await keylessSign(ref, 'bob@airlock.test', '--new-bundle-format')).code).toBe(EXIT.ok);

    const both = await run(
      'verify',
      ref,
      '--trusted-root',
      stack.description.trustedRoot,
      '--certificate-identity-regexp',
      '(alice|bob)@airlock\\.test',
      '--certificate-oidc-issuer',
      issuer(),
      '--allow-http-registry',
    );
    expect(both.code).toBe(EXIT.ok);
    expect(both.stdout).toContain('Verified OK: 2 of 2 signatures');
    // Alice's policy accepts hers and says why it refused Bob's.
    const alice = await run('verify', ref, ...policy('alice@airlock.test'));
    expect(alice.code).toBe(EXIT.ok);
    expect(alice.stdout).toContain('Verified OK: 1 of 2 signatures');
    expect(alice.stderr).toMatch(/refused referrer .*IDENTITY/);

    const tree = await run('tree', ref, '--allow-http-registry');
    expect(tree.code).toBe(EXIT.ok);
    expect(tree.stdout).toContain(`Artifacts attached to ${digestRef}`);
    expect(tree.stdout).toContain(`Signatures (${repo}:sha256-${hex}.sig)`);
    expect(tree.stdout).toMatch(/└── sha256:[0-9a-f]{64} keyless/);
    expect(tree.stdout).toContain(`Referrers (${repo}:sha256-${hex})`);
    expect(tree.stdout).toContain(`${SIGSTORE_BUNDLE_V03} ${COSIGN_SIGN_TYPE}`);

    const where = async (type?: string) =>
      (await run('triangulate', ref, '--allow-http-registry', ...(type ? ['--type', type] : [])))
        .stdout;
    expect(await where()).toBe(`${repo}:${attachmentTag(image.digest, 'sig')}\n`);
    expect(await where('attestation')).toBe(`${repo}:sha256-${hex}.att\n`);
    expect(await where('sbom')).toBe(`${repo}:sha256-${hex}.sbom\n`);
    expect(await where('digest')).toBe(`${digestRef}\n`);
    expect(await where('referrers')).toBe(`${repo}:${referrersTag(image.digest)}\n`);

    const download = await run('download', 'signature', ref, '--allow-http-registry');
    expect(download.code).toBe(EXIT.ok);
    const [legacy, bundle] = download.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(Buffer.from(legacy.Payload, 'base64').toString()).toContain(image.digest);
    expect(legacy.Base64Signature).toBeTruthy();
    expect(legacy.Cert).toMatch(/BEGIN CERTIFICATE/);
    expect(legacy.Bundle.Payload.logIndex).toBeGreaterThanOrEqual(0);
    expect(bundle.mediaType).toBe(SIGSTORE_BUNDLE_V03);
  });

  it('signs with a key inside the SoftHSM token; verify --key accepts its public key only', async () => {
    const { ref } = await imageIn('keyed/app');
    const pinSource = stack.description.keys['rekor-v1'].match(/pin-source=([^&]+)/)![1]!;
    const keyUri = formatPkcs11Uri({
      token: STACK_TOKEN_LABEL,
      object: 'image-signing',
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinSource: decodeURIComponent(pinSource),
    });
    const publicKey = await generateKey(keyUri, 'ecdsa-p256-sha256');
    const publicKeyPath = file(
      'image-signing.pub',
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const otherKey = await readPublicKey(stack.description.keys.ctlog);
    const otherKeyPath = file(
      'other.pub',
      otherKey.export({ type: 'spki', format: 'pem' }).toString(),
    );

    for (const layout of [[], ['--new-bundle-format']]) {
      const signed = await run(
        'sign',
        ref,
        '--key',
        keyUri,
        '--stack-dir',
        stackDir,
        '--allow-http-registry',
        ...layout,
      );
      expect(signed).toMatchObject({ code: EXIT.ok });
    }
    const trust = ['--trusted-root', stack.description.trustedRoot, '--allow-http-registry'];
    for (const key of [publicKeyPath, keyUri]) {
      const verified = await run('verify', ref, '--key', key, ...trust);
      expect(verified.code).toBe(EXIT.ok);
      expect(verified.stdout).toContain('Verified OK: 2 of 2 signatures');
      expect(verified.stdout).toContain('signed by the given key');
    }
    expectCheckFailed(
      await run('verify', ref, '--key', otherKeyPath, ...trust),
      /none of the 2 signatures/,
    );
    // A key signature has no certificate, so no identity can vouch for it.
    expectCheckFailed(await run('verify', ref, ...policy('alice@airlock.test')), /none of the 2/);
  });

  it('attests a CycloneDX SBOM and an SLSA provenance; verify-attestation selects them by --type', async () => {
    const { ref, digestRef, repo, image, hex } = await imageIn('attest/app');
    const sbomPath = file('sbom.cdx.json', SBOM);
    const provenancePath = file('provenance.json', PROVENANCE);
    expect(
      (await keylessAttest(ref, 'alice@airlock.test', 'cyclonedx', sbomPath)).stdout,
    ).toContain(
      `${CYCLONEDX_TYPE} attestation for ${digestRef} (${ref} names it now) to ${repo}:sha256-${hex}.att`,
    );
    expect(
      (
        await keylessAttest(
          ref,
          'alice@airlock.test',
          'slsaprovenance',
          provenancePath,
          '--new-bundle-format',
        )
      ).code,
    ).toBe(EXIT.ok);

    const verifyAttestation = (...extra: string[]) =>
      run('verify-attestation', ref, ...policy('alice@airlock.test'), ...extra);
    const cyclonedx = await verifyAttestation('--type', 'cyclonedx');
    expect(cyclonedx.code).toBe(EXIT.ok);
    expect(cyclonedx.stdout).toContain(`OK sha256-${hex}.att layer`);
    expect(cyclonedx.stdout).toContain(
      `Verified OK: 1 of 1 ${CYCLONEDX_TYPE} attestations checked on ${digestRef} (${ref} names it now) (1 of other types not checked)`,
    );
    const slsa = await verifyAttestation('--type', 'slsaprovenance');
    expect(slsa.code).toBe(EXIT.ok);
    expect(slsa.stdout).toMatch(new RegExp(`OK referrer .* ${SLSA_TYPE.replace(/\./g, '\\.')}:`));
    const all = await verifyAttestation();
    expect(all.stdout).toContain('Verified OK: 2 of 2 attestations');
    expectCheckFailed(
      await verifyAttestation('--type', 'spdx'),
      /no https:\/\/spdx\.dev\/Document attestations attached/,
    );
    // Attestations are not signatures: the image has none.
    expectCheckFailed(
      await run('verify', ref, ...policy('alice@airlock.test')),
      /no signatures attached to/,
    );

    const downloaded = await run('download', 'attestation', ref, '--allow-http-registry');
    const [envelope, bundle] = downloaded.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    expect(statement.subject).toEqual([{ name: repo, digest: { sha256: hex } }]);
    expect(statement.predicateType).toBe(CYCLONEDX_TYPE);
    expect(statement.predicate).toEqual(JSON.parse(SBOM));
    expect(bundle.dsseEnvelope).toBeTruthy();

    // An SBOM attached as is (unsigned), read back, and shown by tree beside the attestations.
    const attached = await run(
      'attach',
      'sbom',
      ref,
      '--sbom',
      sbomPath,
      '--type',
      'cyclonedx',
      '--allow-http-registry',
    );
    expect(attached.stdout).toContain(
      `application/vnd.cyclonedx+json SBOM for ${digestRef} (${ref} names it now) to ${repo}:sha256-${hex}.sbom`,
    );
    const sbom = await run('download', 'sbom', ref, '--allow-http-registry');
    expect(sbom.stdout).toBe(`${SBOM}\n`);
    expect(sbom.stderr).toContain('not signed');
    const tree = (await run('tree', digestRef, '--allow-http-registry')).stdout;
    expect(tree).toContain(`Attestations (${repo}:sha256-${hex}.att)`);
    expect(tree).toContain(` ${CYCLONEDX_TYPE}\n`);
    expect(tree).toContain(`SBOMs (${repo}:sha256-${hex}.sbom)`);
    expect(tree).toContain(`${SIGSTORE_BUNDLE_V03} ${SLSA_TYPE}`);
    expect(image.digest).toBe(`sha256:${hex}`);
  });

  it('refuses what cannot be done as asked, with exit 2 and one line', async () => {
    const { ref } = await imageIn('usage/app');
    const usage = async (...argv: string[]) => {
      const result = await run(...argv);
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      return result.stderr;
    };
    expect(await usage('verify', ref, '--trusted-root', stack.description.trustedRoot)).toMatch(
      /needs --certificate-identity/,
    );
    expect(await usage('verify', 'Not A Reference', ...policy('a@airlock.test'))).toMatch(
      /INVALID_REFERENCE/,
    );
    expect(
      await usage('sign', ref, '--registry-referrers-mode', 'sideways', '--allow-http-registry'),
    ).toMatch(/legacy or oci-1-1/);
    expect(
      await usage(
        'attach',
        'sbom',
        ref,
        '--sbom',
        file('x.txt', 'not json'),
        '--type',
        'cyclonedx',
      ),
    ).toMatch(/cannot be text/);
    // Plain HTTP is never used unless asked for: this registry speaks nothing else.
    expect(
      await usage(
        'verify',
        ref,
        '--trusted-root',
        stack.description.trustedRoot,
        '--certificate-identity',
        'a@airlock.test',
        '--certificate-oidc-issuer',
        issuer(),
      ),
    ).toMatch(/NETWORK/);
  });
});

describe('attacks', () => {
  it('a tag moved to another image: verifying the tag fails, the signed digest still verifies', async () => {
    const signedImage = await imageIn('moved/app');
    expect((await keylessSign(signedImage.ref, 'alice@airlock.test')).code).toBe(EXIT.ok);
    const other = await imageIn('moved/app'); // pushed to the same tag
    expect(other.image.digest).not.toBe(signedImage.image.digest);

    expectCheckFailed(
      await run('verify', signedImage.ref, ...policy('alice@airlock.test')),
      new RegExp(`no signatures attached to ${other.digestRef.replace(/[.]/g, '\\.')}`),
    );
    expect((await run('verify', signedImage.digestRef, ...policy('alice@airlock.test'))).code).toBe(
      EXIT.ok,
    );
  });

  it('signatures copied onto another image (its .sig tag, a referrer naming it) are refused', async () => {
    const signedImage = await imageIn('copied/app', 'signed');
    const victim = await imageIn('copied/app', 'victim');
    expect((await keylessSign(signedImage.ref, 'alice@airlock.test')).code).toBe(EXIT.ok);
    expect(
      (await keylessSign(signedImage.ref, 'alice@airlock.test', '--new-bundle-format')).code,
    ).toBe(EXIT.ok);
    const sig = await client.getManifest(
      `${signedImage.repo}:${attachmentTag(signedImage.image.digest, 'sig')}`,
    );
    await client.putManifest(
      `${victim.repo}:${attachmentTag(victim.image.digest, 'sig')}`,
      sig.bytes,
    );
    const [bundle] = (await cosign.listBundles(signedImage.digestRef)).found;
    await pushReferrer(victim, bundle!.bundleBytes, COSIGN_SIGN_TYPE);

    const refusal = `names ${signedImage.image.digest}, not ${victim.image.digest}`;
    const result = await run('verify', victim.ref, ...policy('alice@airlock.test'));
    expectCheckFailed(result, /none of the 2 signatures checked/);
    expect(result.stderr.split(refusal)).toHaveLength(3);
    // download shows what is stored, and says it is not this image's.
    const downloaded = await run('download', 'signature', victim.ref, '--allow-http-registry');
    expect(downloaded.stderr).toContain(`names another image: ${signedImage.image.digest}`);
    // The image they were made for still verifies with both.
    const own = await run('verify', signedImage.ref, ...policy('alice@airlock.test'));
    expect(own.stdout).toContain('Verified OK: 2 of 2 signatures');
  });

  it('a payload rewritten to name another digest, beside the original signature, is refused', async () => {
    const signedImage = await imageIn('tampered/app', 'signed');
    const victim = await imageIn('tampered/app', 'victim');
    expect((await keylessSign(signedImage.ref, 'alice@airlock.test')).code).toBe(EXIT.ok);
    const [original] = (await cosign.listSignatures(signedImage.digestRef)).found as [
      LegacySignature,
    ];
    const payload = buildSimpleSigningPayload({
      dockerReference: original.simpleSigning.dockerReference,
      digest: victim.image.digest,
    });
    await cosign.attachSignature({
      ref: victim.digestRef,
      payload,
      signature: original.signature,
      certificatePem: original.certificatePem!,
      bundle: original.rekorBundle!,
      rfc3161Timestamp: original.rfc3161Timestamp!,
    });
    expectCheckFailed(
      await run('verify', victim.ref, ...policy('alice@airlock.test')),
      /none of the 1 signatures .*(SIGNATURE|TLOG|ARTIFACT)/,
    );
  });

  it('an attestation whose subject is another image is refused, in both layouts', async () => {
    const attested = await imageIn('subject/app', 'attested');
    const victim = await imageIn('subject/app', 'victim');
    const sbomPath = file('subject-sbom.json', SBOM);
    expect(
      (await keylessAttest(attested.ref, 'alice@airlock.test', 'cyclonedx', sbomPath)).code,
    ).toBe(EXIT.ok);
    expect(
      (
        await keylessAttest(
          attested.ref,
          'alice@airlock.test',
          'cyclonedx',
          sbomPath,
          '--new-bundle-format',
        )
      ).code,
    ).toBe(EXIT.ok);

    // The .att manifest copied onto the victim's tag.
    const att = await client.getManifest(
      `${attested.repo}:${attachmentTag(attested.image.digest, 'att')}`,
    );
    await client.putManifest(
      `${victim.repo}:${attachmentTag(victim.image.digest, 'att')}`,
      att.bytes,
    );
    // The bundle pushed again as a referrer whose subject is the victim.
    const [bundle] = (await cosign.listBundles(attested.digestRef)).found;
    await pushReferrer(victim, bundle!.bundleBytes, CYCLONEDX_TYPE);

    const result = await run(
      'verify-attestation',
      victim.ref,
      ...policy('alice@airlock.test'),
      '--type',
      'cyclonedx',
    );
    expectCheckFailed(result, /none of the 2 https:\/\/cyclonedx\.org\/bom attestations/);
    expect(result.stderr).toContain(`.att layer sha256:`);
    expect(result.stderr).toContain('referrer sha256:');
    expect(
      result.stderr.split(`names ${attested.image.digest}, not ${victim.image.digest}`),
    ).toHaveLength(3);
    // The attested image itself still verifies: both are valid for it.
    const own = await run('verify-attestation', attested.ref, ...policy('alice@airlock.test'));
    expect(own.stdout).toContain('Verified OK: 2 of 2 attestations');
  });

  it('a registry answering with a manifest that does not hash to the digest is an error', async () => {
    const signedImage = await imageIn('lying/app', 'v1');
    const other = await imageIn('lying/app', 'other');
    expect((await keylessSign(signedImage.ref, 'alice@airlock.test')).code).toBe(EXIT.ok);
    // The proxy serves the other image's manifest wherever this one was asked for, keeping the headers.
    const lying = await proxy({
      transform: (request, reply) =>
        request.method === 'GET' &&
        (request.url.endsWith('/manifests/v1') ||
          request.url.endsWith(`/manifests/${signedImage.image.digest}`))
          ? { ...reply, body: other.image.manifestBytes }
          : reply,
    });
    const viaProxy = `${lying.host}/lying/app`;
    for (const target of [`${viaProxy}:v1`, `${viaProxy}@${signedImage.image.digest}`]) {
      expectCheckFailed(
        await run('verify', target, ...policy('alice@airlock.test')),
        /DIGEST_MISMATCH/,
      );
    }
    // Nothing gets signed through it either.
    expectCheckFailed(await keylessSign(`${viaProxy}:v1`, 'bob@airlock.test'), /DIGEST_MISMATCH/);
    const listing = await cosign.listSignatures(signedImage.digestRef);
    expect(listing.found).toHaveLength(1);
  });
});
