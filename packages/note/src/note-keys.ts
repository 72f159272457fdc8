// Note signers and verifiers over @airlock/keys: any Signer (software or HSM) can sign notes.
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { algorithmOf, type Signer, spkiDer, verifySignature } from '@airlock/keys';
import { NoteError } from './errors.js';
import { c2spKeyId, noteKeyKind, rekorV1KeyId } from './key-id.js';
import type { NoteVerifier } from './open-note.js';
import type { NoteSigner } from './sign-note.js';
import { isValidKeyName } from './signed-note.js';

/**
 * Which key ID a note line carries:
 * - 'c2sp' (default): the C2SP/Rekor v2 rule (Ed25519 name-bound, ECDSA SPKI hash, RSA 0xFF);
 * - 'rekor-v1': SHA-256(DER SPKI)[0:4] for every key type, as Rekor v1 checkpoints write it.
 */
export type KeyIdRule = 'c2sp' | 'rekor-v1';

export interface NoteKeyOptions {
  readonly keyIdRule?: KeyIdRule;
}

/** Smallest RSA modulus we verify with; smaller log keys are refused, not trusted. */
export const MIN_RSA_MODULUS_BITS = 2048;

function keyIdFor(name: string, key: KeyObject, rule: KeyIdRule): number {
  return rule === 'rekor-v1' ? rekorV1KeyId(spkiDer(key)) : c2spKeyId(name, key);
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new NoteError('INVALID_KEY', `invalid key name ${name}`);
}

/**
 * A verifier for signatures by `publicKey` under key name `name`. Ed25519 and ECDSA P-256/P-384
 * (DER signatures over SHA-256/SHA-384 of the text) verify as @airlock/keys does; RSA PKCS#1
 * v1.5 with SHA-256 (Sigstore's "PKIX-RSA-PKCS#1v1.5", at least 2048 bits) is verify-only.
 */
export function noteVerifierFromPublicKey(
  name: string,
  publicKey: KeyObject,
  options: NoteKeyOptions = {},
): NoteVerifier {
  checkName(name);
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const keyId = keyIdFor(name, key, options.keyIdRule ?? 'c2sp');
  if (noteKeyKind(key) === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS)
      throw new NoteError('INVALID_KEY', `RSA keys below ${MIN_RSA_MODULUS_BITS} bits are refused`);
    return {
      name,
      keyId,
      verify(message, signature) {
        try {
          return verify(
            'sha256',
            message,
            { key, padding: constants.RSA_PKCS1_PADDING },
            signature,
          );
        } catch {
          return false;
        }
      },
    };
  }
  let algorithm: ReturnType<typeof algorithmOf>;
  try {
    algorithm = algorithmOf(key);
  } catch (cause) {
    throw new NoteError('INVALID_KEY', 'unsupported note verification key', { cause });
  }
  return {
    name,
    keyId,
    verify: (message, signature) => verifySignature(key, algorithm, message, signature),
  };
}

/** A note signer that signs through `signer` under key name `name` (Ed25519 or ECDSA). */
export function noteSignerFromSigner(
  name: string,
  signer: Signer,
  options: NoteKeyOptions = {},
): NoteSigner {
  checkName(name);
  return {
    name,
    keyId: keyIdFor(name, signer.publicKey, options.keyIdRule ?? 'c2sp'),
    sign: (message) => signer.sign(message),
  };
}
