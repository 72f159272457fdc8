// SCTs end to end: a CT log key signs an SCT for a precertificate, the CA embeds it, and sigstore-js's
// own code verifies it; and the world's SCTs (Sigstore's public good CT log, a static-ct-api log)
// verify with our signature input, which proves our bytes are the ones logs sign.
import { createPublicKey, X509Certificate as NodeX509, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SoftwareSigner, spkiDer } from '@airlock/keys';
import {
  buildLeafTbs,
  certificateExtensions,
  ctLogId,
  embeddedScts,
  finalCertificateTbs,
  issuerKeyHash,
  pemEncode,
  precertificateTbs,
  precertTbsFromPrecert,
  type SignedCertificateTimestamp,
  sctSignatureInput,
  signSct,
  signTbs,
  tbsForSct,
  verifySct,
} from '@airlock/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import {
  ByteStream,
  EXTENSION_OID_SCT,
  X509Certificate as SigstoreX509,
  crypto as sigstoreCrypto,
  X509SCTExtension,
} from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { verifyCertificate } from '@sigstore/verify/dist/key/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import {
  asyncX509ErrorCode,
  clientKey,
  extensionBlock,
  makeChain,
  opensslText,
  opensslVerify,
  type TestChain,
  x509ErrorCode,
} from './support.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

let chain: TestChain;
const ctLog = SoftwareSigner.generate('ecdsa-p256-sha256');
let leafTbs: Uint8Array;
let precert: Uint8Array;
let sct: SignedCertificateTimestamp;
let final: Uint8Array;
const issuedAt = Date.now();

/** What a CT log does on add-pre-chain: strip the poison, hash the issuer key, sign. */
async function logPrecert(precertificate: Uint8Array, issuer: Uint8Array, extensions?: Uint8Array) {
  return signSct({
    signer: ctLog,
    timestamp: issuedAt,
    entry: {
      type: 'precert',
      issuerKeyHash: issuerKeyHash(issuer),
      tbsCertificate: precertTbsFromPrecert(precertificate),
    },
    ...(extensions === undefined ? {} : { extensions }),
  });
}

beforeAll(async () => {
  chain = await makeChain();
  leafTbs = buildLeafTbs({
    issuerCert: chain.intermediate,
    publicKey: clientKey().publicKey,
    notBefore: new Date(issuedAt),
    subjectAlternativeName: { type: 'email', value: 'dev@airlock.test' },
    extensions: { issuer: 'https://idp.airlock.test', subject: 'dev-123' },
  });
  precert = await signTbs(precertificateTbs(leafTbs), chain.intermediateSigner);
  sct = await logPrecert(precert, chain.intermediate);
  final = await signTbs(
    finalCertificateTbs(precertificateTbs(leafTbs), [sct]),
    chain.intermediateSigner,
  );
});

/** A trusted_root with our CA chain and CT log, as sigstore-js loads one. */
function trustedRoot(logKeyDer: Uint8Array, logId: Uint8Array) {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    timestampAuthorities: [],
    certificateAuthorities: [
      {
        subject: { organization: 'airlock.test', commonName: 'airlock-root' },
        uri: 'https://ca.airlock.test',
        certChain: {
          certificates: [{ rawBytes: b64(chain.intermediate) }, { rawBytes: b64(chain.root) }],
        },
        validFor: { start: chain.notBefore.toISOString() },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctlog.airlock.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(logKeyDer),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: chain.notBefore.toISOString() },
        },
        logId: { keyId: b64(logId) },
      },
    ],
  });
}

/** sigstore-js's SCT check, step for step as @sigstore/verify's verifySCTs does it. */
function sigstoreJsVerifiesEmbeddedSct(certificate: Uint8Array, issuer: Uint8Array): boolean[] {
  const clone = SigstoreX509.parse(pemEncode(certificate)).clone();
  const index = clone.extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);
  expect(index).toBeGreaterThanOrEqual(0);
  const extension = new X509SCTExtension(clone.extensions[index]!);
  clone.extensions.splice(index, 1);
  const preCert = new ByteStream();
  preCert.appendView(
    sigstoreCrypto.digest('sha256', SigstoreX509.parse(pemEncode(issuer)).publicKey),
  );
  const tbs = clone.tbsCertificate.toDER();
  preCert.appendUint24(tbs.length);
  preCert.appendView(tbs);
  return extension.signedCertificateTimestamps.map((embedded) =>
    embedded.verify(preCert.buffer, ctLog.publicKey),
  );
}

describe('an SCT embedded by the precertificate flow', () => {
  it('keeps precert TBS minus poison == final TBS minus SCTs == the leaf template', () => {
    expect(hex(precertTbsFromPrecert(precert))).toBe(hex(leafTbs));
    expect(hex(tbsForSct(final))).toBe(hex(leafTbs));
  });

  it('verifies with sigstore-js X509SCTExtension, as @sigstore/verify computes the preCert', () => {
    expect(sigstoreJsVerifiesEmbeddedSct(final, chain.intermediate)).toEqual([true]);
  });

  it('passes @sigstore/verify verifyCertificate: chain, SCT and signer identity', () => {
    const material = toTrustMaterial(
      trustedRoot(spkiDer(ctLog.publicKey), ctLogId(ctLog.publicKey)),
    );
    const result = verifyCertificate(
      SigstoreX509.parse(pemEncode(final)),
      [new Date(issuedAt + 1000)],
      material,
    );
    expect(result.scts.map((logId) => hex(logId))).toEqual([hex(ctLogId(ctLog.publicKey))]);
    expect(result.signer.identity?.extensions?.issuer).toBe('https://idp.airlock.test');
    expect(result.signer.identity?.subjectAlternativeName).toBe('dev@airlock.test');
  });

  it('is refused by sigstore-js when the SCT signs another certificate', async () => {
    // An SCT for a different precertificate (another serial), embedded in this one's final cert.
    const otherTbs = buildLeafTbs({
      issuerCert: chain.intermediate,
      publicKey: clientKey().publicKey,
      notBefore: new Date(issuedAt),
      subjectAlternativeName: { type: 'email', value: 'dev@airlock.test' },
      extensions: { issuer: 'https://idp.airlock.test', subject: 'dev-123' },
    });
    const otherPrecert = await signTbs(precertificateTbs(otherTbs), chain.intermediateSigner);
    const foreign = await logPrecert(otherPrecert, chain.intermediate);
    const mixed = await signTbs(finalCertificateTbs(leafTbs, [foreign]), chain.intermediateSigner);
    expect((await opensslVerify(chain.root, [chain.intermediate], mixed)).ok).toBe(true);
    expect(sigstoreJsVerifiesEmbeddedSct(mixed, chain.intermediate)).toEqual([false]);
    const material = toTrustMaterial(
      trustedRoot(spkiDer(ctLog.publicKey), ctLogId(ctLog.publicKey)),
    );
    expect(() =>
      verifyCertificate(
        SigstoreX509.parse(pemEncode(mixed)),
        [new Date(issuedAt + 1000)],
        material,
      ),
    ).toThrow(/SCT verification failed/);
    const entry = { type: 'precert', issuerKeyHash: issuerKeyHash(chain.intermediate) } as const;
    expect(
      verifySct(foreign, { ...entry, tbsCertificate: tbsForSct(mixed) }, ctLog.publicKey),
    ).toBe(false);
  });

  it('verifies with our verifySct, and not after tampering', () => {
    const entry = {
      type: 'precert',
      issuerKeyHash: issuerKeyHash(chain.intermediate),
      tbsCertificate: tbsForSct(final),
    } as const;
    expect(verifySct(sct, entry, ctLog.publicKey)).toBe(true);
    expect(verifySct({ ...sct, timestamp: sct.timestamp + 1 }, entry, ctLog.publicKey)).toBe(false);
    expect(verifySct({ ...sct, extensions: Uint8Array.of(0) }, entry, ctLog.publicKey)).toBe(false);
    expect(
      verifySct(sct, { ...entry, issuerKeyHash: issuerKeyHash(chain.root) }, ctLog.publicKey),
    ).toBe(false);
    expect(verifySct(sct, { type: 'x509', certificate: final }, ctLog.publicKey)).toBe(false);
  });

  it('shows in openssl as the SCT list (final) and the critical poison (precert)', async () => {
    const finalText = await opensslText(final);
    const block = extensionBlock(finalText, 'CT Precertificate SCTs');
    expect(block).not.toContain('critical');
    expect(block.replace(/[\s:]/g, '').toLowerCase()).toContain(hex(ctLogId(ctLog.publicKey)));
    expect(block).toContain('ecdsa-with-SHA256');
    expect(finalText).not.toContain('Poison');
    expect(extensionBlock(await opensslText(precert), 'CT Precertificate Poison')).toBe(
      'CT Precertificate Poison: critical\nNULL',
    );
    expect((await opensslVerify(chain.root, [chain.intermediate], final)).ok).toBe(true);
  });

  it('embeds the SCT list last, once, and reads it back', () => {
    const read = certificateExtensions(final);
    expect(read.all.at(-1)?.oid).toBe(EXTENSION_OID_SCT);
    expect(read.precertificatePoison).toBe(false);
    expect(read.scts).toHaveLength(1);
    expect(hex(read.scts[0]!.signature.signature)).toBe(hex(sct.signature.signature));
    expect(certificateExtensions(precert).precertificatePoison).toBe(true);
    expect(certificateExtensions(precert).all.at(-1)).toMatchObject({ critical: true });
  });

  it('embeds several SCTs, every one verifying with sigstore-js', async () => {
    const withExtension = await logPrecert(
      precert,
      chain.intermediate,
      Uint8Array.of(0, 0, 5, 0, 0, 0, 0, 9),
    );
    const two = await signTbs(
      finalCertificateTbs(leafTbs, [sct, withExtension]),
      chain.intermediateSigner,
    );
    expect(sigstoreJsVerifiesEmbeddedSct(two, chain.intermediate)).toEqual([true, true]);
    expect(embeddedScts(two).map((read) => hex(read.extensions))).toEqual(['', '0000050000000009']);
  });

  it('refuses to poison twice, to embed SCTs twice or none, and to unpoison a non-precert', async () => {
    expect(x509ErrorCode(() => precertificateTbs(precertificateTbs(leafTbs)))).toBe(
      'INVALID_INPUT',
    );
    expect(
      x509ErrorCode(() => finalCertificateTbs(finalCertificateTbs(leafTbs, [sct]), [sct])),
    ).toBe('INVALID_INPUT');
    expect(x509ErrorCode(() => finalCertificateTbs(leafTbs, []))).toBe('INVALID_INPUT');
    expect(x509ErrorCode(() => precertTbsFromPrecert(final))).toBe('MISSING_EXTENSION');
    expect(x509ErrorCode(() => tbsForSct(precert))).toBe('MISSING_EXTENSION');
    expect(x509ErrorCode(() => tbsForSct(chain.root))).toBe('MISSING_EXTENSION');
  });

  it('reports a malformed embedded SCT list as MALFORMED_SCT', () => {
    const parsed = AsnConvert.parse(final, Certificate);
    const extensions = parsed.tbsCertificate.extensions!;
    // An OCTET STRING whose TLS list claims five bytes and holds none.
    extensions[extensions.length - 1]!.extnValue = new OctetString(
      Uint8Array.of(0x04, 0x02, 0x00, 0x05),
    );
    const broken = new Uint8Array(AsnConvert.serialize(parsed));
    expect(x509ErrorCode(() => embeddedScts(broken))).toBe('MALFORMED_SCT');
    expect(x509ErrorCode(() => certificateExtensions(broken))).toBe('MALFORMED_SCT');
    expect(hex(tbsForSct(broken)).length).toBeGreaterThan(0);
  });

  it('refuses a CT log key that is not ECDSA P-256', async () => {
    const code = await asyncX509ErrorCode(() =>
      signSct({
        signer: SoftwareSigner.generate('ed25519'),
        timestamp: issuedAt,
        entry: { type: 'x509', certificate: final },
      }),
    );
    expect(code).toBe('UNSUPPORTED_ALGORITHM');
  });
});

/** A bundle's leaf certificate and a trusted root from the shared conformance vectors. */
function worldCase(bundlePath: string[], rootPath: string[]) {
  const bundle = JSON.parse(readFileSync(sharedVectorsPath(...bundlePath), 'utf8'));
  const material = bundle.verificationMaterial;
  const leafB64: string =
    material.certificate?.rawBytes ?? material.x509CertificateChain.certificates[0].rawBytes;
  const root = JSON.parse(readFileSync(sharedVectorsPath(...rootPath), 'utf8'));
  const leaf = new Uint8Array(Buffer.from(leafB64, 'base64'));
  const leafNode = new NodeX509(leaf);
  const issuers = (
    root.certificateAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[]
  )
    .flatMap((ca) => ca.certChain.certificates)
    .map((cert) => new Uint8Array(Buffer.from(cert.rawBytes, 'base64')))
    .filter(
      (der) =>
        leafNode.checkIssued(new NodeX509(der)) && leafNode.verify(new NodeX509(der).publicKey),
    );
  expect(issuers.length).toBeGreaterThan(0);
  const ctlogs = root.ctlogs as { publicKey: { rawBytes: string }; logId: { keyId: string } }[];
  return { leaf, issuer: issuers[0]!, ctlogs };
}

describe.each([
  [
    'happy-path-v0.3 (Sigstore public good)',
    ['conformance', 'bundle-verify', 'happy-path-v0.3', 'bundle.sigstore.json'],
    ['npm-provenance', 'trusted_root.json'],
    '',
  ],
  [
    'bundle-with-sct-with-extensions (static-ct-api)',
    ['conformance', 'bundle-verify', 'bundle-with-sct-with-extensions', 'bundle.sigstore.json'],
    ['conformance', 'bundle-verify', 'bundle-with-sct-with-extensions', 'trusted_root.json'],
    '0000050000000070',
  ],
  [
    'rekor2-happy-path (Sigstore public good, 2025)',
    ['conformance', 'bundle-verify', 'rekor2-happy-path', 'bundle.sigstore.json'],
    ['conformance', 'bundle-verify', 'rekor2-happy-path', 'trusted_root.json'],
    '',
  ],
])('the real SCT of %s', (_, bundlePath, rootPath, expectedExtensions) => {
  it('decodes, and verifies against the trusted root ctlog with our sctSignatureInput', () => {
    const { leaf, issuer, ctlogs } = worldCase(bundlePath, rootPath);
    const scts = embeddedScts(leaf);
    expect(scts).toHaveLength(1);
    const [real] = scts as [SignedCertificateTimestamp];
    expect(hex(real.extensions)).toBe(expectedExtensions);
    expect(real.signature).toMatchObject({ hashAlgorithm: 4, signatureAlgorithm: 3 });
    const log = ctlogs.find((candidate) => candidate.logId.keyId === b64(real.logId));
    expect(log).toBeDefined();
    const logKey = createPublicKey({
      key: Buffer.from(log!.publicKey.rawBytes, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(hex(ctLogId(logKey))).toBe(hex(real.logId));
    const entry = {
      type: 'precert',
      issuerKeyHash: issuerKeyHash(issuer),
      tbsCertificate: tbsForSct(leaf),
    } as const;
    // node:crypto over our bytes, independent of verifySct.
    const input = sctSignatureInput({
      timestamp: real.timestamp,
      entry,
      extensions: real.extensions,
    });
    expect(verify('sha256', input, logKey, real.signature.signature)).toBe(true);
    expect(verifySct(real, entry, logKey)).toBe(true);
    const tampered = new Uint8Array(entry.tbsCertificate);
    tampered[tampered.length - 1]! ^= 1;
    expect(verifySct(real, { ...entry, tbsCertificate: tampered }, logKey)).toBe(false);
  });

  it('yields the same TBS as sigstore-js rebuilds, and openssl shows the same SCT', async () => {
    const { leaf } = worldCase(bundlePath, rootPath);
    const clone = SigstoreX509.parse(pemEncode(leaf)).clone();
    const index = clone.extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);
    clone.extensions.splice(index, 1);
    expect(hex(tbsForSct(leaf))).toBe(hex(clone.tbsCertificate.toDER()));
    const [real] = embeddedScts(leaf) as [SignedCertificateTimestamp];
    const block = extensionBlock(await opensslText(leaf), 'CT Precertificate SCTs');
    expect(block.replace(/[\s:]/g, '').toLowerCase()).toContain(hex(real.logId));
    const when = new Date(real.timestamp);
    expect(block).toContain(
      `${String(when.getUTCSeconds()).padStart(2, '0')}.${String(when.getUTCMilliseconds()).padStart(3, '0')} ${when.getUTCFullYear()} GMT`,
    );
  });
});

describe('the real SCT of invalid-ct-key_fail', () => {
  it('verifies against none of the ctlog keys its trusted root offers', () => {
    const dir = ['conformance', 'bundle-verify', 'invalid-ct-key_fail'];
    const { leaf, issuer, ctlogs } = worldCase(
      [...dir, 'bundle.sigstore.json'],
      [...dir, 'trusted_root.json'],
    );
    const [real] = embeddedScts(leaf) as [SignedCertificateTimestamp];
    const entry = {
      type: 'precert',
      issuerKeyHash: issuerKeyHash(issuer),
      tbsCertificate: tbsForSct(leaf),
    } as const;
    expect(ctlogs.length).toBeGreaterThan(0);
    for (const log of ctlogs) {
      const raw = Buffer.from(log.publicKey.rawBytes, 'base64');
      // The trusted root mixes SPKI and PKCS#1 (RSA) encodings.
      const key = raw.subarray(0, 12).toString('base64').startsWith('MIICCgKCAgEA')
        ? createPublicKey({ key: raw, format: 'der', type: 'pkcs1' })
        : createPublicKey({ key: raw, format: 'der', type: 'spki' });
      expect(verifySct(real, entry, key)).toBe(false);
      expect(verifySct({ ...real, logId: ctLogId(key) }, entry, key)).toBe(false);
    }
  });
});
