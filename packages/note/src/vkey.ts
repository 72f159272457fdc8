// The Go sumdb/note text forms of keys: "<name>+<hex key ID>+<base64(type || key)>" for
// verifiers and "PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>" for test signers.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import { cosignatureVerifierFromPublicKey } from './cosignature.js';
import { concatBytes, decodeBase64Strict, encodeBase64 } from './encoding.js';
import { NoteError } from './errors.js';
import {
  ed25519PublicKeyBytes,
  ed25519PublicKeyFromBytes,
  keyIdOf,
  noteKeyHash,
  SIGNATURE_TYPE,
} from './key-id.js';
import { noteSignerFromSigner, noteVerifierFromPublicKey } from './note-keys.js';
import type { NoteVerifier } from './open-note.js';
import type { NoteSigner } from './sign-note.js';
import { isValidKeyName } from './signed-note.js';

const PRIVATE_KEY_PREFIX = 'PRIVATE+KEY+';
// DER PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): all that precedes the seed.
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function invalid(reason: string): NoteError {
  return new NoteError('INVALID_KEY', reason);
}

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

interface KeyString {
  readonly name: string;
  readonly keyId: number;
  readonly typedKey: Uint8Array;
}

// name+hex8+base64: names cannot hold '+', but base64 can, so split at the first two only.
function splitKeyString(text: string, what: string): KeyString {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw invalid(`a ${what} has '+'-separated name, key ID and key`);
  const name = text.slice(0, first);
  const hex = text.slice(first + 1, second);
  const base64 = text.slice(second + 1);
  if (!isValidKeyName(name)) throw invalid(`invalid key name in ${what}`);
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw invalid(`the key ID of a ${what} is 8 hex digits`);
  const typedKey = decodeBase64Strict(base64);
  if (typedKey === null || typedKey.length < 2) throw invalid(`the key of a ${what} is not base64`);
  return { name, keyId: Number.parseInt(hex, 16), typedKey };
}

/**
 * Parses a verifier key. Type 0x01 gives an Ed25519 note verifier, type 0x04 an Ed25519
 * cosignature/v1 verifier. The key ID in the string must be the one the key hashes to.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, keyId, typedKey } = splitKeyString(vkey, 'verifier key');
  if (keyIdOf(noteKeyHash(name, typedKey)) !== keyId)
    throw invalid('the key ID of the verifier key does not match its key');
  const type = typedKey[0];
  if (
    typedKey.length !== 33 ||
    (type !== SIGNATURE_TYPE.ed25519 && type !== SIGNATURE_TYPE.cosignatureV1)
  )
    throw invalid('only Ed25519 (0x01) and cosignature/v1 (0x04) verifier keys are supported');
  const publicKey = ed25519PublicKeyFromBytes(typedKey.slice(1));
  return type === SIGNATURE_TYPE.ed25519
    ? noteVerifierFromPublicKey(name, publicKey)
    : cosignatureVerifierFromPublicKey(name, publicKey);
}

/** Writes the verifier key of an Ed25519 key, for note signatures (0x01) or cosignatures (0x04). */
export function formatVerifierKey(
  name: string,
  publicKey: KeyObject,
  type:
    | typeof SIGNATURE_TYPE.ed25519
    | typeof SIGNATURE_TYPE.cosignatureV1 = SIGNATURE_TYPE.ed25519,
): string {
  const typedKey = concatBytes(Uint8Array.of(type), ed25519PublicKeyBytes(publicKey));
  return `${name}+${hex8(keyIdOf(noteKeyHash(name, typedKey)))}+${encodeBase64(typedKey)}`;
}

/** A note signer parsed from a private signer key, with the software key behind it. */
export interface ParsedSignerKey extends NoteSigner {
  readonly signer: SoftwareSigner;
}

/**
 * Parses Go's private signer key form into an Ed25519 note signer. For tests and test vectors
 * only: it holds the private key in process memory, in clear. Its key ID (that of the public
 * key) must match.
 */
export function parseSignerKey(skey: string): ParsedSignerKey {
  if (!skey.startsWith(PRIVATE_KEY_PREFIX))
    throw invalid(`a signer key starts with ${PRIVATE_KEY_PREFIX}`);
  const { name, keyId, typedKey } = splitKeyString(
    skey.slice(PRIVATE_KEY_PREFIX.length),
    'signer key',
  );
  if (typedKey.length !== 33 || typedKey[0] !== SIGNATURE_TYPE.ed25519)
    throw invalid('only Ed25519 signer keys (0x01 || 32-byte seed) are supported');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: Buffer.from(concatBytes(ED25519_PKCS8_PREFIX, typedKey.slice(1))),
      format: 'der',
      type: 'pkcs8',
    });
  } catch (cause) {
    throw new NoteError('INVALID_KEY', 'not an Ed25519 seed', { cause });
  }
  const signer = new SoftwareSigner(privateKey);
  const noteSigner = noteSignerFromSigner(name, signer);
  if (noteSigner.keyId !== keyId)
    throw invalid('the key ID of the signer key does not match its key');
  return { ...noteSigner, signer };
}

/** Writes Go's private signer key form of an Ed25519 private key. Test keys only: never log it. */
export function formatSignerKey(name: string, privateKey: KeyObject): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw invalid('a signer key is an Ed25519 private key');
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw invalid('Ed25519 private key without a seed');
  const typedSeed = concatBytes(
    Uint8Array.of(SIGNATURE_TYPE.ed25519),
    new Uint8Array(Buffer.from(jwk.d, 'base64url')),
  );
  const publicKeyHash = noteKeyHash(
    name,
    concatBytes(Uint8Array.of(SIGNATURE_TYPE.ed25519), ed25519PublicKeyBytes(privateKey)),
  );
  return `${PRIVATE_KEY_PREFIX}${name}+${hex8(keyIdOf(publicKeyHash))}+${encodeBase64(typedSeed)}`;
}
