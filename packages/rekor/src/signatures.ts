// The two ways Rekor verifies a signature: over a digest the client computed (hashedrekord, and
// Rekor v2 for everything) and over a whole message with SHA-256 (Rekor v1 DSSE and in-toto).
import { constants, verify } from 'node:crypto';
import { verifyDigestSignature as verifyWithOpenSsl } from '@airlock/digest-verify';
import { RekorError } from './errors.js';
import type { VerificationMaterial } from './verification-material.js';

/** Digest algorithms a hashedrekord may name. */
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/**
 * Verifies `signature` over `digest`, a `algorithm` hash the client computed, as Rekor's
 * hashedrekord does: ECDSA (any digest, truncated to the curve order) and RSA PKCS#1 v1.5.
 * Rekor accepts Ed25519 keys here only as Ed25519ph, which node:crypto cannot verify, so they are
 * refused with UNSUPPORTED_KEY rather than checked as plain Ed25519 (which would accept a
 * signature Rekor rejects, and reject the Ed25519ph ones it accepts).
 */
export function verifyDigestSignature(
  material: VerificationMaterial,
  algorithm: DigestAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (digest.length !== DIGEST_LENGTH[algorithm]) return false;
  const key = material.algorithm;
  switch (key.type) {
    case 'ecdsa':
    case 'rsa':
      // node:crypto only verifies over a whole message; OpenSSL verifies over the digest itself.
      return verifyWithOpenSsl(material.spki, algorithm, digest, signature);
    case 'ed25519':
      throw new RekorError(
        'UNSUPPORTED_KEY',
        'Ed25519 keys can only sign a digest as Ed25519ph, which this log cannot verify; sign with ECDSA or RSA',
      );
  }
}

/**
 * Verifies `signature` over `message` as Rekor v1 checks DSSE signatures (sigstore's
 * LoadVerifier with SHA-256): ECDSA on any curve and RSA PKCS#1 v1.5 over SHA-256 of the message,
 * Ed25519 over the message itself. Malformed signatures verify false.
 */
export function verifyMessageSignature(
  material: VerificationMaterial,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    switch (material.algorithm.type) {
      case 'ecdsa':
        return verify(
          'sha256',
          message,
          { key: material.publicKey, dsaEncoding: 'der' },
          signature,
        );
      case 'rsa':
        return verify(
          'sha256',
          message,
          { key: material.publicKey, padding: constants.RSA_PKCS1_PADDING },
          signature,
        );
      case 'ed25519':
        return verify(null, message, material.publicKey, signature);
    }
  } catch {
    return false;
  }
}
