// Client public keys as Fulcio takes them: content that is PEM or DER, and the goodkey policy that
// decides which keys may be certified (ECDSA P-256/384/521, RSA 2048–4096, Ed25519; nothing else).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readSingle, TAG } from './der.js';
import { parsingAs, X509Error } from './errors.js';
import { derFromPemOrDer } from './pem.js';

/** A client key's default signature algorithm: the one proof of possession is checked with. */
export type ClientKeyAlgorithm =
  | 'ecdsa-p256-sha256'
  | 'ecdsa-p384-sha384'
  | 'ecdsa-p521-sha512'
  | 'rsa-pkcs1v15-sha256'
  | 'ed25519';

/** Fulcio's RSA bounds (goodkey): the modulus size in bits. */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

const CURVES: Record<string, ClientKeyAlgorithm> = {
  prime256v1: 'ecdsa-p256-sha256',
  secp384r1: 'ecdsa-p384-sha384',
  secp521r1: 'ecdsa-p521-sha512',
};

/** A public key from DER SubjectPublicKeyInfo; one DER element, nothing after it. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  return parsingAs('MALFORMED_KEY', 'not a DER SubjectPublicKeyInfo', () => {
    readSingle(spki, TAG.SEQUENCE);
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  });
}

/**
 * The public key in Fulcio's `publicKey.content`: a PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY`
 * (PKCS#1) block, or DER SPKI. Private keys are refused, never turned into their public half.
 */
export function parsePublicKeyContent(content: string | Uint8Array): KeyObject {
  const { der, label } = parsingAs('MALFORMED_KEY', 'public key content is not PEM or DER', () =>
    derFromPemOrDer(content, ['PUBLIC KEY', 'RSA PUBLIC KEY']),
  );
  if (label !== 'RSA PUBLIC KEY') return publicKeyFromSpki(der);
  return parsingAs('MALFORMED_KEY', 'not a PKCS#1 RSA public key', () => {
    readSingle(der, TAG.SEQUENCE);
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
  });
}

/** The product of the primes below 1000: a modulus sharing a factor with it is broken. */
const SMALL_PRIMES_PRODUCT = (() => {
  let product = 1n;
  for (let n = 3; n < 1000; n += 2) {
    let prime = true;
    for (let d = 3; d * d <= n; d += 2) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) product *= BigInt(n);
  }
  return product * 2n;
})();

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * Fulcio's goodkey check: returns the key's default signature algorithm, or throws
 * UNSUPPORTED_KEY (a type or curve Fulcio refuses) or WEAK_KEY (a refused RSA size, exponent or
 * modulus). Fulcio's default algorithm registry narrows RSA further to 2048, 3072 and 4096 bits.
 */
export function validatePublicKey(key: KeyObject): ClientKeyAlgorithm {
  if (key.type !== 'public') {
    throw new X509Error('UNSUPPORTED_KEY', `expected a public key, got a ${key.type} key`);
  }
  const type = key.asymmetricKeyType;
  switch (type) {
    case 'ed25519':
      return 'ed25519';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const algorithm = curve === undefined ? undefined : CURVES[curve];
      if (algorithm === undefined) {
        throw new X509Error(
          'UNSUPPORTED_KEY',
          `ECDSA curve ${curve ?? '(explicit parameters)'} is not allowed; use P-256, P-384 or P-521`,
        );
      }
      return algorithm;
    }
    case 'rsa': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || bits % 8 !== 0) {
        throw new X509Error(
          'WEAK_KEY',
          `RSA keys must have ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits in whole bytes, not ${bits}`,
        );
      }
      if (key.asymmetricKeyDetails?.publicExponent !== 65537n) {
        throw new X509Error('WEAK_KEY', 'RSA public exponent must be 65537');
      }
      const n = key.export({ format: 'jwk' }).n;
      const modulus = BigInt(`0x${Buffer.from(n ?? '', 'base64url').toString('hex') || '0'}`);
      if (gcd(modulus, SMALL_PRIMES_PRODUCT) !== 1n) {
        throw new X509Error('WEAK_KEY', 'RSA modulus has a small prime factor');
      }
      return 'rsa-pkcs1v15-sha256';
    }
    default:
      throw new X509Error(
        'UNSUPPORTED_KEY',
        `${type ?? 'unknown'} keys are not allowed; use ECDSA P-256/P-384/P-521, RSA 2048-4096 or Ed25519`,
      );
  }
}

/** The node:crypto digest a client key's default algorithm hashes with (null: Ed25519). */
export function digestOfClientAlgorithm(
  algorithm: ClientKeyAlgorithm,
): 'sha256' | 'sha384' | 'sha512' | null {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
    case 'rsa-pkcs1v15-sha256':
      return 'sha256';
    case 'ecdsa-p384-sha384':
      return 'sha384';
    case 'ecdsa-p521-sha512':
      return 'sha512';
    case 'ed25519':
      return null;
  }
}
