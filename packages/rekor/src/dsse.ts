// DSSE verification as Rekor v1's dsse and intoto kinds do it: every signature must be verified by
// some offered verifier, and every offered verifier must verify some signature.
import { dsse } from '@sigstore/core';
import { RekorError } from './errors.js';
import { verifyMessageSignature } from './signatures.js';
import type { VerificationMaterial } from './verification-material.js';

/** DSSE pre-authentication encoding: the bytes a DSSE signature signs. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  return dsse.preAuthEncoding(payloadType, Buffer.from(payload));
}

/**
 * For each signature, the index of a verifier that verifies it over PAE(payloadType, payload).
 * When several do, the last one offered wins, as in Rekor (a Go map overwritten in offer order).
 * Key IDs are not consulted: Rekor's verifiers carry none, so go-securesystemslib ignores them.
 */
export function verifyDsseSignatures(
  payloadType: string,
  payload: Uint8Array,
  signatures: readonly Uint8Array[],
  verifiers: readonly VerificationMaterial[],
): number[] {
  const pae = preAuthEncoding(payloadType, payload);
  const verified = verifiers.map((verifier) =>
    signatures.map((signature) => verifyMessageSignature(verifier, pae, signature)),
  );
  const verifierOf = signatures.map((_, signatureIndex) => {
    const verifierIndex = verified.findLastIndex((row) => row[signatureIndex] === true);
    if (verifierIndex === -1) {
      throw new RekorError(
        'INVALID_SIGNATURE',
        `envelope signature ${signatureIndex} is not verified by any of the given keys`,
      );
    }
    return verifierIndex;
  });
  // go-securesystemslib fails an envelope verifier that accepts no signature, and Rekor runs one
  // per offered key, so a key that signed nothing fails the whole entry.
  const idle = verified.findIndex((row) => !row.includes(true));
  if (idle !== -1) {
    throw new RekorError(
      'INVALID_SIGNATURE',
      `verifier ${idle} does not verify any signature of the envelope`,
    );
  }
  return verifierOf;
}
