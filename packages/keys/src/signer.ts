// The one interface every key in Airlock signs through: CA, CT log, transparency log, TSA, TUF and
// the client's --key. Backends (software keys, PKCS#11 tokens) implement it; callers never see which.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { KeysError } from './errors.js';

/** Signature schemes Airlock signs with. ECDSA signatures are DER (X9.62); Ed25519 are 64 raw bytes. */
export type SignatureAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ed25519';

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** The public half, as a node:crypto key (export it as SPKI DER for key IDs and certificates). */
  readonly publicKey: KeyObject;
  /** Signs `message` itself (the signer hashes it as its algorithm says). Safe to call concurrently. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The node:crypto digest name of an algorithm, or null for Ed25519, which hashes internally. */
export function digestOf(algorithm: SignatureAlgorithm): 'sha256' | 'sha384' | null {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
      return 'sha256';
    case 'ecdsa-p384-sha384':
      return 'sha384';
    case 'ed25519':
      return null;
  }
}

/** The algorithm a public (or private) key signs with; throws for keys Airlock does not sign with. */
export function algorithmOf(key: KeyObject): SignatureAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256-sha256';
    if (curve === 'secp384r1') return 'ecdsa-p384-sha384';
    throw new KeysError('UNSUPPORTED_KEY', `unsupported elliptic curve ${curve ?? 'unknown'}`);
  }
  throw new KeysError('UNSUPPORTED_KEY', `unsupported key type ${type ?? 'unknown'}`);
}

/** DER SubjectPublicKeyInfo of a key. */
export function spkiDer(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ format: 'der', type: 'spki' });
}

/** Verifies a signature as a Signer of `algorithm` makes it. Malformed signatures verify false. */
export function verifySignature(
  publicKey: KeyObject,
  algorithm: SignatureAlgorithm,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (algorithmOf(publicKey) !== algorithm) return false;
  try {
    return verify(digestOf(algorithm), message, publicKey, signature);
  } catch {
    return false;
  }
}
