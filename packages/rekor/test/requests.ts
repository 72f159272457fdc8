// Fresh keys and the Rekor requests clients build with them, for round trips and rejections.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { type SubjectAltNames, selfSignedCertificate } from './certificates.js';
import { toPem } from './vector-bundles.js';

export type KeyKind =
  | 'p256'
  | 'p384'
  | 'p521'
  | 'rsa2048'
  | 'rsa3072'
  | 'ed25519'
  | 'p224'
  | 'secp256k1'
  | 'rsa1024';

export interface TestKey {
  readonly kind: KeyKind;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
}

const cache = new Map<KeyKind, TestKey>();

/** A key of `kind`; the same one on every call unless `fresh` (RSA generation is slow). */
export function testKey(kind: KeyKind, fresh = false): TestKey {
  const cached = cache.get(kind);
  if (cached !== undefined && !fresh) return cached;
  const pair = (() => {
    switch (kind) {
      case 'p256':
        return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      case 'p384':
        return generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      case 'p521':
        return generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
      case 'p224':
        return generateKeyPairSync('ec', { namedCurve: 'secp224r1' });
      case 'secp256k1':
        return generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      case 'rsa1024':
        return generateKeyPairSync('rsa', { modulusLength: 1024 });
      case 'rsa2048':
        return generateKeyPairSync('rsa', { modulusLength: 2048 });
      case 'rsa3072':
        return generateKeyPairSync('rsa', { modulusLength: 3072 });
      case 'ed25519':
        return generateKeyPairSync('ed25519');
    }
  })();
  const key: TestKey = {
    kind,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki: pair.publicKey.export({ format: 'der', type: 'spki' }),
  };
  if (!fresh) cache.set(kind, key);
  return key;
}

export function publicKeyPem(key: TestKey): Buffer {
  return toPem(key.spki, 'PUBLIC KEY', 'go');
}

export function certificateDer(key: TestKey, names: SubjectAltNames = {}): Buffer {
  return selfSignedCertificate(key.privateKey, key.publicKey, names);
}

export function sha(algorithm: string, data: Uint8Array | string): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** What a client signs with `key`: node hashes `message` with `digestAlgorithm` and signs that. */
export function signMessage(
  key: TestKey,
  digestAlgorithm: string | null,
  message: Uint8Array,
): Buffer {
  return sign(digestAlgorithm, message, key.privateKey);
}

export const ARTIFACT = Buffer.from('an artifact the log never sees\n');

export function hashedRekordV1(options: {
  readonly pem: Uint8Array;
  readonly algorithm?: string;
  readonly digestHex: string;
  readonly signature: Uint8Array;
}): Record<string, unknown> {
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    spec: {
      data: { hash: { algorithm: options.algorithm ?? 'sha256', value: options.digestHex } },
      signature: {
        content: Buffer.from(options.signature).toString('base64'),
        publicKey: { content: Buffer.from(options.pem).toString('base64') },
      },
    },
  };
}

/** A valid hashedrekord 0.0.1 request for ARTIFACT signed by a P-256 key. */
export function validHashedRekordV1(key = testKey('p256')): Record<string, unknown> {
  return hashedRekordV1({
    pem: publicKeyPem(key),
    digestHex: sha('sha256', ARTIFACT).toString('hex'),
    signature: signMessage(key, 'sha256', ARTIFACT),
  });
}

export const IN_TOTO = 'application/vnd.in-toto+json';

export function statement(subjectDigest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact', digest: { sha256: subjectDigest } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {},
    }),
  );
}

export interface Envelope {
  payload: string;
  payloadType: string;
  signatures: { keyid?: string; sig: string }[];
}

/** A DSSE envelope over `payload`, signed as Rekor v1 verifies (SHA-256, or pure Ed25519). */
export function envelope(
  payloadType: string,
  payload: Uint8Array,
  keys: readonly TestKey[],
): Envelope {
  const pae = dsse.preAuthEncoding(payloadType, Buffer.from(payload));
  return {
    payload: Buffer.from(payload).toString('base64'),
    payloadType,
    signatures: keys.map((key) => ({
      sig: signMessage(key, key.kind === 'ed25519' ? null : 'sha256', pae).toString('base64'),
    })),
  };
}

export function dsseV1(
  envelopeText: string,
  verifierPems: readonly Uint8Array[],
): Record<string, unknown> {
  return {
    kind: 'dsse',
    apiVersion: '0.0.1',
    spec: {
      proposedContent: {
        envelope: envelopeText,
        verifiers: verifierPems.map((pem) => Buffer.from(pem).toString('base64')),
      },
    },
  };
}

export function intotoV1(
  envelopeValue: Envelope,
  pems: readonly Uint8Array[],
  envelopeHashHex = sha('sha256', JSON.stringify(envelopeValue)).toString('hex'),
): Record<string, unknown> {
  return {
    kind: 'intoto',
    apiVersion: '0.0.2',
    spec: {
      content: {
        envelope: {
          payloadType: envelopeValue.payloadType,
          payload: Buffer.from(envelopeValue.payload).toString('base64'),
          signatures: envelopeValue.signatures.map((signature, index) => ({
            ...(signature.keyid === undefined ? {} : { keyid: signature.keyid }),
            sig: Buffer.from(signature.sig).toString('base64'),
            publicKey: Buffer.from(pems[index] as Uint8Array).toString('base64'),
          })),
        },
        hash: { algorithm: 'sha256', value: envelopeHashHex },
      },
    },
  };
}

export type VerifierV2 = Record<string, unknown>;

export function certificateVerifier(der: Uint8Array, keyDetails: string): VerifierV2 {
  return { x509Certificate: { rawBytes: Buffer.from(der).toString('base64') }, keyDetails };
}

export function publicKeyVerifier(spki: Uint8Array, keyDetails: string): VerifierV2 {
  return { publicKey: { rawBytes: Buffer.from(spki).toString('base64') }, keyDetails };
}

export function hashedRekordV2(
  digest: Uint8Array,
  signature: Uint8Array,
  verifier: VerifierV2,
): Record<string, unknown> {
  return {
    hashedRekordRequestV002: {
      digest: Buffer.from(digest).toString('base64'),
      signature: { content: Buffer.from(signature).toString('base64'), verifier },
    },
  };
}

/** A valid Rekor v2 hashedrekord request for ARTIFACT signed by a P-256 key. */
export function validHashedRekordV2(key = testKey('p256')): Record<string, unknown> {
  return hashedRekordV2(
    sha('sha256', ARTIFACT),
    signMessage(key, 'sha256', ARTIFACT),
    publicKeyVerifier(key.spki, 'PKIX_ECDSA_P256_SHA_256'),
  );
}

/** A Rekor v2 DSSE request; the signature is over PAE with `digestAlgorithm`. */
export function dsseV2(
  key: TestKey,
  digestAlgorithm: string,
  verifier: VerifierV2,
  payload: Uint8Array = statement(sha('sha256', ARTIFACT).toString('hex')),
): Record<string, unknown> {
  const pae = dsse.preAuthEncoding(IN_TOTO, Buffer.from(payload));
  return {
    dsseRequestV002: {
      envelope: {
        payload: Buffer.from(payload).toString('base64'),
        payloadType: IN_TOTO,
        signatures: [{ sig: signMessage(key, digestAlgorithm, pae).toString('base64'), keyid: '' }],
      },
      verifiers: [verifier],
    },
  };
}

/** Deep copy with the value at `path` (dot-separated) replaced, or removed when `value` is omitted. */
export function withField(
  object: unknown,
  path: string,
  ...value: unknown[]
): Record<string, unknown> {
  const copy = structuredClone(object) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value.length === 0) delete target[last];
  else target[last] = value[0];
  return copy;
}
