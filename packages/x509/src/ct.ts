// What a Certificate Transparency log signs and hashes (RFC 6962 §3.2, §3.4, §3.5): the SCT's
// digitally-signed struct, the MerkleTreeLeaf, the tree head; and signing or checking SCTs with them.
import { createHash, type KeyObject, verify } from 'node:crypto';
import { type Signer, spkiDer, verifySignature } from '@airlock/keys';
import { certificateParts, tbsFields } from './certificate.js';
import { X509Error } from './errors.js';
import {
  type DigitallySigned,
  LOG_ID_BYTES,
  SCT_VERSION_V1,
  type SignedCertificateTimestamp,
  TLS_HASH_SHA256,
  TLS_SIGNATURE_ECDSA,
  TLS_SIGNATURE_RSA,
} from './sct.js';
import { TlsWriter } from './tls.js';

/** RFC 6962 LogEntryType. */
export const LOG_ENTRY_TYPE = { x509: 0, precert: 1 } as const;

/** The certificate an SCT or log entry is about: a whole certificate, or a precertificate's TBS. */
export type CtEntry =
  | { readonly type: 'x509'; readonly certificate: Uint8Array }
  | {
      readonly type: 'precert';
      /** SHA-256 of the issuing CA's DER SubjectPublicKeyInfo. */
      readonly issuerKeyHash: Uint8Array;
      /** The precertificate's TBSCertificate without the poison extension (the final TBS minus SCTs). */
      readonly tbsCertificate: Uint8Array;
    };

export interface TimestampedEntryInput {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly entry: CtEntry;
  /** CtExtensions; empty unless the log adds some (static-ct-api: leaf_index). */
  readonly extensions?: Uint8Array;
}

/** timestamp || entry_type || signed_entry || extensions: the tail both structs below share. */
function timestampedEntry(writer: TlsWriter, input: TimestampedEntryInput): TlsWriter {
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new X509Error(
      'INVALID_INPUT',
      'a CT timestamp is a non-negative integer of milliseconds',
    );
  }
  writer.uint(input.timestamp, 8).uint(LOG_ENTRY_TYPE[input.entry.type], 2);
  if (input.entry.type === 'x509') {
    writer.vector(input.entry.certificate, 3);
  } else {
    if (input.entry.issuerKeyHash.length !== 32) {
      throw new X509Error('INVALID_INPUT', 'an issuer key hash has 32 bytes');
    }
    writer.bytes(input.entry.issuerKeyHash).vector(input.entry.tbsCertificate, 3);
  }
  return writer.vector(input.extensions ?? new Uint8Array(0), 2);
}

/**
 * The bytes an SCT signature covers (RFC 6962 §3.2 `digitally-signed struct`): version 0,
 * signature_type certificate_timestamp (0), timestamp, entry type, the entry, extensions.
 */
export function sctSignatureInput(input: TimestampedEntryInput): Uint8Array {
  return timestampedEntry(new TlsWriter().uint(SCT_VERSION_V1, 1).uint(0, 1), input).finish();
}

/**
 * A log's MerkleTreeLeaf (RFC 6962 §3.4): version 0, leaf_type timestamped_entry (0), then the
 * TimestampedEntry. Its leaf hash is SHA-256(0x00 || leaf).
 */
export function merkleTreeLeaf(input: TimestampedEntryInput): Uint8Array {
  return timestampedEntry(new TlsWriter().uint(0, 1).uint(0, 1), input).finish();
}

export interface TreeHeadInput {
  readonly timestamp: number;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
}

/** The bytes a get-sth tree_head_signature covers (RFC 6962 §3.5): v1, tree_hash (1), timestamp, size, root. */
export function treeHeadSignatureInput(input: TreeHeadInput): Uint8Array {
  if (input.rootHash.length !== 32)
    throw new X509Error('INVALID_INPUT', 'a root hash has 32 bytes');
  if (!Number.isSafeInteger(input.treeSize) || input.treeSize < 0) {
    throw new X509Error('INVALID_INPUT', 'a tree size is a non-negative integer');
  }
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new X509Error(
      'INVALID_INPUT',
      'a CT timestamp is a non-negative integer of milliseconds',
    );
  }
  return new TlsWriter()
    .uint(SCT_VERSION_V1, 1)
    .uint(1, 1)
    .uint(input.timestamp, 8)
    .uint(input.treeSize, 8)
    .bytes(input.rootHash)
    .finish();
}

/** SHA-256 of the DER SubjectPublicKeyInfo in a DER CA certificate: a precert entry's issuer_key_hash. */
export function issuerKeyHash(issuerCert: Uint8Array): Uint8Array {
  const spki = tbsFields(certificateParts(issuerCert).tbs).subjectPublicKeyInfo.bytes;
  return new Uint8Array(createHash('sha256').update(spki).digest());
}

/** A CT log's ID: SHA-256 of its DER SubjectPublicKeyInfo (as trusted_root `ctlogs[].logId.keyId`). */
export function ctLogId(publicKey: KeyObject): Uint8Array {
  let id = logIds.get(publicKey);
  if (id === undefined) {
    id = new Uint8Array(createHash('sha256').update(spkiDer(publicKey)).digest());
    logIds.set(publicKey, id);
  }
  return Uint8Array.from(id);
}

/** Log IDs by key object: a CT log signs every SCT with the same key. */
const logIds = new WeakMap<KeyObject, Uint8Array>();

/** Signs `message` with a CT log key; RFC 6962 logs and sigstore-python need ECDSA P-256/SHA-256. */
async function signAsLog(signer: Signer, message: Uint8Array): Promise<DigitallySigned> {
  if (signer.algorithm !== 'ecdsa-p256-sha256') {
    throw new X509Error(
      'UNSUPPORTED_ALGORITHM',
      `a CT log signs with ECDSA P-256 and SHA-256, not ${signer.algorithm}`,
    );
  }
  let signature: Uint8Array;
  try {
    signature = await signer.sign(message);
  } catch (error) {
    throw new X509Error('SIGNING_FAILED', 'the CT log signer failed', { cause: error });
  }
  if (!verifySignature(signer.publicKey, signer.algorithm, message, signature)) {
    throw new X509Error(
      'SIGNING_FAILED',
      'the CT log signer returned a signature that does not verify',
    );
  }
  return { hashAlgorithm: TLS_HASH_SHA256, signatureAlgorithm: TLS_SIGNATURE_ECDSA, signature };
}

/** Issues an SCT for `entry` as the log `signer` holds the key of. */
export async function signSct(
  options: TimestampedEntryInput & { readonly signer: Signer },
): Promise<SignedCertificateTimestamp> {
  const extensions = options.extensions ?? new Uint8Array(0);
  const signature = await signAsLog(options.signer, sctSignatureInput({ ...options, extensions }));
  return {
    version: SCT_VERSION_V1,
    logId: ctLogId(options.signer.publicKey),
    timestamp: options.timestamp,
    extensions,
    signature,
  };
}

/** Signs a get-sth tree head; the result is what `tree_head_signature` carries (TLS-encoded). */
export async function signTreeHead(
  options: TreeHeadInput & { readonly signer: Signer },
): Promise<DigitallySigned> {
  return signAsLog(options.signer, treeHeadSignatureInput(options));
}

/** Checks a DigitallySigned over `message`: SHA-256 with ECDSA or RSA PKCS#1 v1.5, matching the key. */
export function verifyDigitallySigned(
  signed: DigitallySigned,
  message: Uint8Array,
  logPublicKey: KeyObject,
): boolean {
  if (signed.hashAlgorithm !== TLS_HASH_SHA256) return false;
  const keyType = logPublicKey.asymmetricKeyType;
  const fits =
    (signed.signatureAlgorithm === TLS_SIGNATURE_ECDSA && keyType === 'ec') ||
    (signed.signatureAlgorithm === TLS_SIGNATURE_RSA && keyType === 'rsa');
  if (!fits) return false;
  try {
    return verify('sha256', message, logPublicKey, signed.signature);
  } catch {
    return false;
  }
}

/** Whether `sct` is a valid signature by the log `logPublicKey` over `entry` (its log ID must match too). */
export function verifySct(
  sct: SignedCertificateTimestamp,
  entry: CtEntry,
  logPublicKey: KeyObject,
): boolean {
  if (sct.version !== SCT_VERSION_V1 || sct.logId.length !== LOG_ID_BYTES) return false;
  if (!Buffer.from(ctLogId(logPublicKey)).equals(sct.logId)) return false;
  const message = sctSignatureInput({
    timestamp: sct.timestamp,
    entry,
    extensions: sct.extensions,
  });
  return verifyDigitallySigned(sct.signature, message, logPublicKey);
}
