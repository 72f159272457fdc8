// c2sp.org/tlog-cosignature, Ed25519 (signature type 0x04): what a witness signs and checks.
//
// A cosignature line is an ordinary note signature line whose payload after the key ID is
// uint64 big-endian timestamp (POSIX seconds) || 64-byte Ed25519 signature over
//   "cosignature/v1\n" "time " <decimal timestamp> "\n" <checkpoint note text>
// and whose key ID is SHA-256(name || 0x0A || 0x04 || 32-byte public key)[0:4].
import { createPublicKey, type KeyObject } from 'node:crypto';
import { type Signer, verifySignature } from '@airlock/keys';
import { concatBytes, MAX_UINT64, readUint64BigEndian, uint64BigEndian, utf8 } from './encoding.js';
import { NoteError } from './errors.js';
import { ed25519PublicKeyBytes, keyIdOf, noteKeyHash, SIGNATURE_TYPE } from './key-id.js';
import type { NoteVerifier } from './open-note.js';
import type { NoteSigner } from './sign-note.js';
import { isValidKeyName } from './signed-note.js';

const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
const ED25519_SIGNATURE_BYTES = 64;

export interface Cosignature {
  /** When the witness cosigned, in POSIX seconds. */
  readonly timestamp: bigint;
  readonly signature: Uint8Array;
}

/** The bytes an Ed25519 cosigner signs for `checkpointText` (the note text, final newline included). */
export function cosignatureMessage(checkpointText: string, timestamp: bigint): Uint8Array {
  return cosignedBytes(utf8(checkpointText), timestamp);
}

function cosignedBytes(checkpointText: Uint8Array, timestamp: bigint): Uint8Array {
  if (timestamp < 0n || timestamp > MAX_UINT64)
    throw new NoteError('MALFORMED_COSIGNATURE', 'a cosignature timestamp is a uint64');
  return concatBytes(utf8(`${COSIGNATURE_V1_HEADER}time ${timestamp}\n`), checkpointText);
}

/** Splits a cosignature line's payload (after the key ID) into timestamp and signature. */
export function parseCosignature(payload: Uint8Array): Cosignature {
  if (payload.length !== 8 + ED25519_SIGNATURE_BYTES)
    throw new NoteError(
      'MALFORMED_COSIGNATURE',
      `an Ed25519 cosignature has ${8 + ED25519_SIGNATURE_BYTES} bytes`,
    );
  return { timestamp: readUint64BigEndian(payload), signature: payload.slice(8) };
}

/** The cosignature/v1 key ID of an Ed25519 key under `name`. */
export function cosignatureKeyId(name: string, key: KeyObject): number {
  return keyIdOf(
    noteKeyHash(
      name,
      concatBytes(Uint8Array.of(SIGNATURE_TYPE.cosignatureV1), ed25519PublicKeyBytes(key)),
    ),
  );
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new NoteError('INVALID_KEY', `invalid key name ${name}`);
}

/**
 * A note verifier for a witness's Ed25519 cosignatures. It checks the signature only; how old
 * a cosignature may be is the caller's policy (read the time with parseCosignature).
 */
export function cosignatureVerifierFromPublicKey(name: string, publicKey: KeyObject): NoteVerifier {
  checkName(name);
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const keyId = cosignatureKeyId(name, key);
  return {
    name,
    keyId,
    verify(message, payload) {
      if (payload.length !== 8 + ED25519_SIGNATURE_BYTES) return false;
      const { timestamp, signature } = parseCosignature(payload);
      return verifySignature(key, 'ed25519', cosignedBytes(message, timestamp), signature);
    },
  };
}

export interface CosignerOptions {
  /** The clock, in POSIX seconds; defaults to the system clock. */
  readonly now?: () => bigint;
}

/** A note signer that cosigns checkpoints with an Ed25519 `signer` (a witness key). */
export function cosignatureSignerFromSigner(
  name: string,
  signer: Signer,
  options: CosignerOptions = {},
): NoteSigner {
  checkName(name);
  if (signer.algorithm !== 'ed25519')
    throw new NoteError('INVALID_KEY', 'cosignature/v1 signers are Ed25519');
  const now = options.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  return {
    name,
    keyId: cosignatureKeyId(name, signer.publicKey),
    async sign(message) {
      const timestamp = now();
      const signature = await signer.sign(cosignedBytes(message, timestamp));
      return concatBytes(uint64BigEndian(timestamp), signature);
    },
  };
}
