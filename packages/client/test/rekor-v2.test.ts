// Signing through the stack's Rekor v2 (tiles) log and its RFC 3161 timestamp authority, selected by
// a signing config: v2 entries carry no signed time, so the TSA's timestamp is what verifiers count.
// Every bundle verifies with @sigstore/verify's DEFAULT thresholds against the stack's trusted root,
// and fails without the TSA in it.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attestBlob,
  discoverServices,
  generateSigningKeyPair,
  keyHint,
  openSigningSetup,
  signBlob,
  signedEntityOf,
} from '@airlock/client';
import { type RunningStack, STACK_OPERATOR, startStack } from '@airlock/stack';
import { buildSigningConfig, parseTrustedRoot, type TrustedRootJson } from '@airlock/trust';
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-client-v2-'));
const stackDir = join(work, '.airlock');
let stack: RunningStack;
let trustedRoot: TrustedRootJson;
let signingConfigPath: string;

beforeAll(async () => {
  delete process.env.SIGSTORE_ID_TOKEN;
  stack = await startStack({
    dir: stackDir,
    ports: { oidc: 0, ca: 0, ctlog: 0, tlog: 0, tsa: 0, tuf: 0 },
  });
  trustedRoot = parseTrustedRoot(readFileSync(stack.description.trustedRoot, 'utf8'));
  expect(trustedRoot.timestampAuthorities).toHaveLength(1);

  // The stack's signing config names its v1 log; this one offers the same log's v2 API as well.
  const validFor = { start: new Date(Date.now() - 3_600_000) };
  const signingConfig = buildSigningConfig({
    caUrls: [{ url: stack.description.ca, validFor, operator: STACK_OPERATOR }],
    rekorTlogUrls: [
      { url: stack.description.tlog, majorApiVersion: 1, validFor, operator: STACK_OPERATOR },
      { url: stack.description.tlog, majorApiVersion: 2, validFor, operator: STACK_OPERATOR },
    ],
    tsaUrls: [{ url: stack.description.tsa, validFor, operator: STACK_OPERATOR }],
  });
  signingConfigPath = join(work, 'signing_config.json');
  writeFileSync(signingConfigPath, JSON.stringify(signingConfig));
});
afterAll(async () => {
  await stack?.close();
});

function verify(
  bundle: SerializedBundle,
  root: TrustedRootJson,
  options: { artifact?: Buffer; key?: { hint: string; key: KeyObject } } = {},
) {
  const { key } = options;
  const material = toTrustMaterial(
    TrustedRoot.fromJSON(root),
    key ? () => ({ publicKey: key.key, validFor: () => true }) : undefined,
  );
  // DEFAULT thresholds (one tlog entry, one verified time, one SCT), no SCT for a key.
  return new Verifier(material, key ? { ctlogThreshold: 0 } : {}).verify(
    signedEntityOf(bundleFromJSON(bundle), options.artifact),
  );
}

describe('Rekor v2 with the timestamp authority, chosen by a signing config', () => {
  const artifact = Buffer.from('an artifact logged in the tiles log\n');

  it('selects the v2 log (the newest API) and the TSA', () => {
    const found = discoverServices({
      stackDir,
      signingConfigPath,
      trustedRootPath: stack.description.trustedRoot,
    });
    expect(found.source).toBe('signing-config');
    expect(found.services.tlogs).toEqual([{ url: stack.description.tlog, majorApiVersion: 2 }]);
    expect(found.services.tsaUrls).toEqual([stack.description.tsa]);
    expect(found.trustedRoot).toEqual(trustedRoot);
  });

  it('signs keyless: a hashedrekord 0.0.2 entry and an RFC 3161 timestamp that verify at DEFAULT thresholds', async () => {
    const email = 'tiles@airlock.test';
    const setup = await openSigningSetup({
      stackDir,
      signingConfigPath,
      trustedRootPath: stack.description.trustedRoot,
      identityToken: await stack.idp!.tokenFor(email),
    });
    const { bundle } = await signBlob({ ...setup.signOptions, artifact });
    const [entry] = bundle.verificationMaterial.tlogEntries;
    expect(entry?.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    expect(entry?.inclusionPromise).toBeUndefined();
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(
      1,
    );
    const signer = verify(bundle, trustedRoot, { artifact });
    expect(signer.identity?.subjectAlternativeName).toBe(email);
    // The log gives no signed time, so without the TSA in the root there is no verified time at all.
    const withoutTsa = { ...trustedRoot, timestampAuthorities: [] };
    expect(() => verify(bundle, withoutTsa, { artifact })).toThrow(/timestamp/i);
    expect(() => verify(bundle, trustedRoot, { artifact: Buffer.from('other') })).toThrow();
  });

  it('logs a DSSE attestation as hashedrekord 0.0.2 over SHA-256(PAE), and it verifies', async () => {
    const setup = await openSigningSetup({
      stackDir,
      signingConfigPath,
      trustedRootPath: stack.description.trustedRoot,
      identityToken: await stack.idp!.tokenFor('tiles@airlock.test'),
    });
    const { bundle } = await attestBlob({
      ...setup.signOptions,
      artifact,
      artifactName: 'artifact.txt',
      predicate: '{"scanner":{"uri":"https://scanner.test"}}',
      type: 'https://airlock.test/scan/v1',
    });
    expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({
      kind: 'hashedrekord',
      version: '0.0.2',
    });
    const body = JSON.parse(
      Buffer.from(
        bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody,
        'base64',
      ).toString(),
    );
    const envelope = bundle.dsseEnvelope!;
    const payload = Buffer.from(envelope.payload, 'base64');
    const pae = Buffer.concat([
      Buffer.from(
        `DSSEv1 ${envelope.payloadType.length} ${envelope.payloadType} ${payload.length} `,
      ),
      payload,
    ]);
    expect(body.spec.hashedRekordV002.data.digest).toBe(
      createHash('sha256').update(pae).digest('base64'),
    );
    verify(bundle, trustedRoot);

    // The same form as production Rekor v2 DSSE entries (sigstore-conformance rekor2-dsse-*).
    const upstream = JSON.parse(
      readFileSync(
        sharedVectorsPath(
          'conformance',
          'bundle-verify',
          'rekor2-dsse-mismatch-sig_fail',
          'bundle.sigstore.json',
        ),
        'utf8',
      ),
    );
    const upstreamBody = JSON.parse(
      Buffer.from(
        upstream.verificationMaterial.tlogEntries[0].canonicalizedBody,
        'base64',
      ).toString(),
    );
    const upstreamEnvelope = upstream.dsseEnvelope;
    const upstreamPayload = Buffer.from(upstreamEnvelope.payload, 'base64');
    expect(upstreamBody.spec.hashedRekordV002.data.digest).toBe(
      createHash('sha256')
        .update(
          Buffer.concat([
            Buffer.from(
              `DSSEv1 ${upstreamEnvelope.payloadType.length} ${upstreamEnvelope.payloadType} ${upstreamPayload.length} `,
            ),
            upstreamPayload,
          ]),
        )
        .digest('base64'),
    );
    // Stock @sigstore/verify 3.1 compares SHA-256(payload) here, hence signedEntityOf.
    expect(() =>
      new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot))).verify(
        toSignedEntity(bundleFromJSON(bundle)),
      ),
    ).toThrow(/digest mismatch/);
    // A payload swapped after logging no longer matches the logged digest.
    const swapped = structuredClone(bundle);
    swapped.dsseEnvelope!.payload = Buffer.from('{"_type":"other"}').toString('base64');
    expect(() => verify(swapped, trustedRoot)).toThrow();
  });

  it('signs with a key: the entry names the public key, and the bundle verifies with it', async () => {
    const env = { COSIGN_PASSWORD: 'tiles-password' };
    const pair = await generateSigningKeyPair({ outputKeyPrefix: join(work, 'tiles'), env });
    const setup = await openSigningSetup({
      stackDir,
      signingConfigPath,
      trustedRootPath: stack.description.trustedRoot,
      key: pair.privateKeyPath!,
      env,
    });
    const { bundle } = await signBlob({ ...setup.signOptions, artifact });
    await setup.close();
    const publicKey = createPublicKey(pair.publicKeyPem);
    const body = JSON.parse(
      Buffer.from(
        bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody,
        'base64',
      ).toString(),
    );
    expect(body.spec.hashedRekordV002.signature.verifier.publicKey).toBeDefined();
    verify(bundle, trustedRoot, { artifact, key: { hint: keyHint(publicKey), key: publicKey } });
  });

  it('refuses a v2 log without a timestamp authority before signing anything', async () => {
    await expect(
      signBlob({
        identityToken: await stack.idp!.tokenFor('tiles@airlock.test'),
        caUrl: stack.description.ca,
        tlogs: [{ url: stack.description.tlog, majorApiVersion: 2 }],
        artifact,
      }),
    ).rejects.toMatchObject({ code: 'NO_SERVICE' });
  });
});
