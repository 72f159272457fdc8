// Key IDs and log IDs exactly as Sigstore clients compute them for note signatures.
//
// The C2SP recommendation is key ID = SHA-256(name || 0x0A || type || public key)[0:4], but
// Sigstore deviates per key type, and the log ID in trusted roots and bundles is the full hash:
//   - Ed25519 (type 0x01): name-bound, SHA-256(name || 0x0A || 0x01 || 32-byte key).
//   - ECDSA (type 0x02): SHA-256(DER SPKI); the name is NOT included, so the same 4-byte hint
//     identifies a Rekor ECDSA key in v1 and v2 checkpoints alike.
//   - RSA (0xFF, "no assigned byte"): SHA-256(name || 0x0A || 0xFF || "PKIX-RSA-PKCS#1v1.5" ||
//     DER SPKI), as rekor-tiles' note package writes it.
//   - Rekor v1 ignores all of this: its hint is SHA-256(DER SPKI)[0:4] for every key type.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { spkiDer } from '@airlock/keys';
import { concatBytes, readUint32BigEndian, utf8 } from './encoding.js';
import { NoteError } from './errors.js';
import { isValidKeyName } from './signed-note.js';

/** Signature type bytes from c2sp.org/signed-note that Airlock reads or writes. */
export const SIGNATURE_TYPE = {
  ed25519: 0x01,
  ecdsa: 0x02,
  cosignatureV1: 0x04,
  unassigned: 0xff,
} as const;

/** The long identifier Sigstore puts after 0xFF for RSA PKCS#1 v1.5 log keys. */
export const RSA_PKIX_IDENTIFIER = 'PKIX-RSA-PKCS#1v1.5';

export type NoteKeyKind = 'ed25519' | 'ecdsa' | 'rsa';

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** The key ID of a full key hash: its first 4 bytes, big-endian. */
export function keyIdOf(keyHash: Uint8Array): number {
  if (keyHash.length < 4) throw new NoteError('INVALID_KEY', 'a key hash has at least 4 bytes');
  return readUint32BigEndian(keyHash);
}

/** SHA-256(name || 0x0A || typed key): the generic C2SP key hash, before truncation. */
export function noteKeyHash(name: string, typedKey: Uint8Array): Uint8Array {
  if (!isValidKeyName(name)) throw new NoteError('INVALID_KEY', `invalid key name ${name}`);
  return sha256(concatBytes(utf8(name), Uint8Array.of(0x0a), typedKey));
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** Which note signature family a key belongs to; throws INVALID_KEY for anything else. */
export function noteKeyKind(key: KeyObject): NoteKeyKind {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'ed25519';
    case 'ec':
      return 'ecdsa';
    case 'rsa':
      return 'rsa';
    default:
      throw new NoteError(
        'INVALID_KEY',
        `no note signature type for ${key.asymmetricKeyType ?? 'unknown'} keys`,
      );
  }
}

/** The 32 raw bytes of an Ed25519 public key (the key of a private key is derived). */
export function ed25519PublicKeyBytes(key: KeyObject): Uint8Array {
  const publicKey = publicOf(key);
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new NoteError('INVALID_KEY', 'not an Ed25519 key');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new NoteError('INVALID_KEY', 'Ed25519 key without x');
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

/** A node:crypto key for 32 raw Ed25519 public key bytes. */
export function ed25519PublicKeyFromBytes(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new NoteError('INVALID_KEY', 'an Ed25519 public key has 32 bytes');
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    });
  } catch (cause) {
    throw new NoteError('INVALID_KEY', 'not an Ed25519 public key', { cause });
  }
}

/**
 * The full 32-byte C2SP key hash of a log key under `name`: what Rekor v2 puts in
 * `logId.keyId` and trusted roots carry as the log ID. Its first 4 bytes are the note key ID.
 */
export function c2spLogId(name: string, key: KeyObject): Uint8Array {
  const kind = noteKeyKind(key);
  switch (kind) {
    case 'ed25519':
      return noteKeyHash(
        name,
        concatBytes(Uint8Array.of(SIGNATURE_TYPE.ed25519), ed25519PublicKeyBytes(key)),
      );
    case 'ecdsa':
      if (!isValidKeyName(name)) throw new NoteError('INVALID_KEY', `invalid key name ${name}`);
      return sha256(spkiDer(key));
    case 'rsa':
      return noteKeyHash(
        name,
        concatBytes(
          Uint8Array.of(SIGNATURE_TYPE.unassigned),
          utf8(RSA_PKIX_IDENTIFIER),
          spkiDer(key),
        ),
      );
  }
}

/** The 4-byte C2SP/Rekor v2 note key ID of a log key under `name`. */
export function c2spKeyId(name: string, key: KeyObject): number {
  return keyIdOf(c2spLogId(name, key));
}

/** Rekor v1's log ID: SHA-256 of the log key's DER SubjectPublicKeyInfo, for every key type. */
export function rekorV1LogId(spki: Uint8Array): Uint8Array {
  return sha256(spki);
}

/** Rekor v1's checkpoint key hint: the first 4 bytes of the v1 log ID. */
export function rekorV1KeyId(spki: Uint8Array): number {
  return keyIdOf(rekorV1LogId(spki));
}
