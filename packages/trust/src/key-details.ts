// The `PublicKeyDetails` names Sigstore clients accept for log keys, and the one a given key has.
import type { KeyObject } from 'node:crypto';
import { TrustError, type TrustErrorCode } from './errors.js';

/**
 * The key details sigstore-go accepts in a trusted root (anything else fails parsing there). The
 * deprecated PKCS1_RSA_PKCS1V5 / PKIX_RSA_PKCS1V5 are left out: they carry no key size and
 * PKCS#1 raw bytes, and no Airlock service signs with RSA.
 */
export const SUPPORTED_KEY_DETAILS = [
  'PKIX_ECDSA_P256_SHA_256',
  'PKIX_ECDSA_P384_SHA_384',
  'PKIX_ECDSA_P521_SHA_512',
  'PKIX_ED25519',
  'PKIX_RSA_PKCS1V15_2048_SHA256',
  'PKIX_RSA_PKCS1V15_3072_SHA256',
  'PKIX_RSA_PKCS1V15_4096_SHA256',
] as const;

export type KeyDetails = (typeof SUPPORTED_KEY_DETAILS)[number];

export function isSupportedKeyDetails(value: unknown): value is KeyDetails {
  return (SUPPORTED_KEY_DETAILS as readonly unknown[]).includes(value);
}

const CURVE_DETAILS: Record<string, KeyDetails> = {
  prime256v1: 'PKIX_ECDSA_P256_SHA_256',
  secp384r1: 'PKIX_ECDSA_P384_SHA_384',
  secp521r1: 'PKIX_ECDSA_P521_SHA_512',
};

/** The key details of a public key; throws UNSUPPORTED_KEY (or `code`) for keys no client accepts. */
export function keyDetailsOf(
  key: KeyObject,
  field: string,
  code: TrustErrorCode = 'UNSUPPORTED_KEY',
): KeyDetails {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'PKIX_ED25519';
  if (type === 'ec') {
    const details = CURVE_DETAILS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (details) return details;
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `PKIX_RSA_PKCS1V15_${bits}_SHA256`;
  }
  const detail =
    type === 'ec'
      ? `curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`
      : type === 'rsa'
        ? `${key.asymmetricKeyDetails?.modulusLength ?? 0}-bit RSA`
        : (type ?? 'unknown');
  throw new TrustError(
    code,
    `${field}: ${detail} keys are not accepted by Sigstore clients (use P-256, P-384, P-521, Ed25519 or RSA 2048/3072/4096)`,
  );
}
