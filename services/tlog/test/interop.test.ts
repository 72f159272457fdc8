// sigstore-js against the running log: @sigstore/sign logs through RekorWitness (Rekor v1 and v2 APIs),
// and @sigstore/verify accepts the bundles with a trusted root that lists the log — and rejects them
// when the artifact, the log key or the entry is wrong.
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTNAME, startTestTlog, type TestTlog } from './support.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

let tlog: TestTlog;
let url: string;

beforeAll(async () => {
  tlog = await startTestTlog();
  await tlog.app.listen({ host: HOSTNAME, port: 0 });
  const address = tlog.app.server.address();
  url = `http://${HOSTNAME}:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await tlog.app.close();
});

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' }).toString('base64');
const VALID_FOR = { start: '2020-01-01T00:00:00Z' };

/** A trusted root listing this service's two logs (and a CA, for certificate bundles). */
function trustedRoot(options: { caDer?: Buffer; v1Key?: KeyObject } = {}) {
  const tlogEntry = (key: KeyObject, logId: Uint8Array) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: spki(key), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: VALID_FOR },
    logId: { keyId: Buffer.from(logId).toString('base64') },
  });
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      tlogEntry(options.v1Key ?? tlog.v1Signer.publicKey, tlog.logs.v1.logId),
      tlogEntry(tlog.v2Signer.publicKey, tlog.logs.v2.logId),
    ],
    certificateAuthorities: options.caDer
      ? [
          {
            subject: { organization: 'Airlock test', commonName: 'test CA' },
            certChain: { certificates: [{ rawBytes: options.caDer.toString('base64') }] },
            validFor: VALID_FOR,
          },
        ]
      : [],
    ctlogs: [],
    timestampAuthorities: [],
  });
}

function keySigner(privateKey: KeyObject, publicKey: KeyObject): Signer {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    sign: async (data) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: pem, hint: 'test-key' },
    }),
  };
}

function verifyBundle(
  json: unknown,
  artifact: Buffer,
  root: TrustedRoot,
  keys: Record<string, { rawBytes: Buffer; keyDetails: number }> | undefined,
  thresholds: { timestampThreshold: number; tlogThreshold?: number },
) {
  const material = toTrustMaterial(root, keys as never);
  const verifier = new Verifier(material, { tlogThreshold: 1, ctlogThreshold: 0, ...thresholds });
  return verifier.verify(toSignedEntity(bundleFromJSON(json), artifact));
}

describe('sigstore-js with a key (Rekor v1 API)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keys = {
    'test-key': {
      rawBytes: publicKey.export({ type: 'spki', format: 'der' }),
      keyDetails: 5 /* PKIX_ECDSA_P256_SHA_256 */,
    },
  };
  let bundle: unknown;
  const artifact = Buffer.from('airlock interop artifact v1');

  beforeAll(async () => {
    const builder = new MessageSignatureBundleBuilder({
      signer: keySigner(privateKey, publicKey),
      witnesses: [new RekorWitness({ rekorBaseURL: url, retry: 0 })],
    });
    bundle = bundleToJSON(await builder.create({ data: artifact }));
  });

  it('produces a bundle that @sigstore/verify accepts (SET, checkpoint and inclusion proof)', () => {
    const entry = (bundle as any).verificationMaterial.tlogEntries[0];
    expect(entry.inclusionPromise.signedEntryTimestamp).toBeTruthy();
    expect(entry.inclusionProof.checkpoint.envelope).toContain(
      `${HOSTNAME} - ${tlog.logs.v1.treeId}`,
    );
    expect(() =>
      verifyBundle(bundle, artifact, trustedRoot(), keys, { timestampThreshold: 1 }),
    ).not.toThrow();
  });

  it('is rejected for another artifact', () => {
    expect(() =>
      verifyBundle(bundle, Buffer.from('tampered'), trustedRoot(), keys, { timestampThreshold: 1 }),
    ).toThrow();
  });

  it('is rejected when the trusted root names another log key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(() =>
      verifyBundle(bundle, artifact, trustedRoot({ v1Key: other }), keys, {
        timestampThreshold: 1,
      }),
    ).toThrow();
  });

  it('is rejected when the inclusion proof is altered', () => {
    const tampered = structuredClone(bundle) as any;
    const proof = tampered.verificationMaterial.tlogEntries[0].inclusionProof;
    proof.logIndex = String(Number(proof.logIndex) + 1);
    expect(() =>
      verifyBundle(tampered, artifact, trustedRoot(), keys, { timestampThreshold: 1 }),
    ).toThrow();
  });
});

describe('sigstore-js with a certificate (Rekor v2 API)', () => {
  it('logs through /api/v2/log/entries and verifies against the v2 checkpoint', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(Date.now() + 10 * 60_000);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=test CA, O=Airlock test',
      notBefore,
      notAfter: new Date(Date.now() + 3600_000),
      keys: caKeys,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    const leaf = await x509.X509CertificateGenerator.create({
      subject: '',
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3']),
        new x509.SubjectAlternativeNameExtension(
          [{ type: 'email', value: 'alice@airlock.test' }],
          true,
        ),
      ],
    });
    const leafPrivate = keyObjectFromPkcs8(
      await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey),
    );
    const artifact = Buffer.from('airlock interop artifact v2');
    const builder = new MessageSignatureBundleBuilder({
      signer: {
        sign: async (data) => ({
          signature: sign('sha256', data, leafPrivate),
          key: { $case: 'x509Certificate', certificate: leaf.toString('pem') },
        }),
      },
      // Rekor v2 entries carry no signed time, and sigstore-js checks certificates only at verified
      // times; until the TSA exists, the v1 entry's SET supplies that time.
      witnesses: [
        new RekorWitness({ rekorBaseURL: url, majorApiVersion: 2, retry: 0 }),
        new RekorWitness({ rekorBaseURL: url, retry: 0 }),
      ],
    });
    const bundle = bundleToJSON(await builder.create({ data: artifact })) as any;
    const entry = bundle.verificationMaterial.tlogEntries[0];
    expect(entry.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    expect(entry.inclusionProof.checkpoint.envelope.startsWith(`${HOSTNAME}\n`)).toBe(true);
    expect(entry.logId.keyId).toBe(Buffer.from(tlog.logs.v2.logId).toString('base64'));
    expect(createHash('sha256').update(artifact).digest('base64')).toBe(
      bundle.messageSignature.messageDigest.digest,
    );

    const root = trustedRoot({ caDer: Buffer.from(ca.rawData) });
    // Rekor v2 entries carry no signed time; the TSA (a later service) provides it. Here the
    // certificate is checked at the current time.
    const signer = verifyBundle(bundle, artifact, root, undefined, { timestampThreshold: 0 });
    expect(signer.identity?.subjectAlternativeName).toBe('alice@airlock.test');
    expect(() =>
      verifyBundle(bundle, Buffer.from('tampered'), root, undefined, { timestampThreshold: 0 }),
    ).toThrow();
  });
});

function keyObjectFromPkcs8(pkcs8: ArrayBuffer): KeyObject {
  // node:crypto signs for sigstore-js's Signer; the key was made with WebCrypto for @peculiar/x509.
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}
