// Fulcio's proof of possession: the client signs the identity it asks a certificate for (the
// email or the token's `sub`) with the key to be certified, using that key's default algorithm.
import { type KeyObject, verify } from 'node:crypto';
import { X509Error } from './errors.js';
import { digestOfClientAlgorithm, validatePublicKey } from './public-key.js';

/**
 * Checks `signature` over the UTF-8 bytes of `challenge` (or the bytes given) with `publicKey`:
 * ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 (DER signatures), RSA PKCS#1 v1.5/SHA-256 or
 * pure Ed25519. Refuses keys goodkey refuses first; throws INVALID_PROOF_OF_POSSESSION otherwise.
 */
export function verifyProofOfPossession(
  publicKey: KeyObject,
  signature: Uint8Array,
  challenge: string | Uint8Array,
): void {
  const algorithm = validatePublicKey(publicKey);
  const message = typeof challenge === 'string' ? Buffer.from(challenge, 'utf8') : challenge;
  let valid = false;
  try {
    valid =
      signature.length > 0 &&
      verify(digestOfClientAlgorithm(algorithm), message, publicKey, signature);
  } catch {
    // node:crypto throws on signatures it cannot even parse; they are simply not proofs.
    valid = false;
  }
  if (!valid) {
    throw new X509Error(
      'INVALID_PROOF_OF_POSSESSION',
      'the proof of possession is not a signature of the challenge by the submitted key',
    );
  }
}
