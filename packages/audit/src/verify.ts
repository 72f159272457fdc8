// The two proofs an auditor checks, offline, with nothing but the log's trusted key: an entry is in
// the tree a signed checkpoint commits to, and a newer checkpoint extends an older one.
import { algorithmOf, verifySignature } from '@airlock/keys';
import {
  assertConsistency,
  assertInclusion,
  bytesEqual,
  hashLeaf,
  MerkleError,
} from '@airlock/merkle';
import { toBase64, toHex } from './encoding.js';
import { AuditError } from './errors.js';
import { type LogKey, openLogCheckpoint, type VerifiedCheckpoint } from './log-key.js';

/** What an inclusion check needs of an entry: a Rekor v1 LogEntry or a bundle's tlog entry. */
export interface EntryToVerify {
  /** The canonical body: the leaf. */
  readonly body: Uint8Array;
  /** The leaf index in the tree the proof is for. */
  readonly leafIndex: bigint;
  /** Leaf to root. */
  readonly hashes: readonly Uint8Array[];
  /** The log ID the entry claims; it must be the key that signed the checkpoint. */
  readonly logId?: Uint8Array;
  /** The tree size and root the entry claims; they must be the checkpoint's. */
  readonly treeSize?: bigint;
  readonly rootHash?: Uint8Array;
}

export interface VerifiedInclusion {
  readonly checkpoint: VerifiedCheckpoint;
  readonly leafHash: Uint8Array;
  readonly leafIndex: bigint;
}

/**
 * Verifies that `entry` is leaf `leafIndex` of the tree `checkpointNote` signs: the checkpoint's
 * signature with the log's trusted key, the entry's log ID against that key, and the Merkle path to
 * the signed root (the size and root are taken from the checkpoint, never from the entry).
 */
export function verifyEntryInclusion(
  entry: EntryToVerify,
  checkpointNote: string,
  logKey: LogKey,
): VerifiedInclusion {
  const checkpoint = openLogCheckpoint(checkpointNote, logKey);
  if (entry.logId !== undefined && !bytesEqual(entry.logId, checkpoint.signedBy.logId)) {
    if (!bytesEqual(entry.logId, checkpoint.signedBy.spkiHash)) {
      throw new AuditError(
        'LOG_ID_MISMATCH',
        `the entry names log ${toHex(entry.logId)}, but the checkpoint is signed by log ${toHex(checkpoint.signedBy.logId)}`,
      );
    }
  }
  if (entry.treeSize !== undefined && entry.treeSize !== checkpoint.size) {
    throw new AuditError(
      'INCLUSION_FAILED',
      `the proof claims tree size ${entry.treeSize}, the checkpoint signs ${checkpoint.size}`,
    );
  }
  if (entry.rootHash !== undefined && !bytesEqual(entry.rootHash, checkpoint.rootHash)) {
    throw new AuditError(
      'INCLUSION_FAILED',
      `the proof claims root ${toHex(entry.rootHash)}, the checkpoint signs ${toHex(checkpoint.rootHash)}`,
    );
  }
  const leafHash = hashLeaf(entry.body);
  try {
    assertInclusion(leafHash, entry.leafIndex, checkpoint.size, entry.hashes, checkpoint.rootHash);
  } catch (error) {
    if (error instanceof MerkleError) {
      throw new AuditError(
        'INCLUSION_FAILED',
        `entry ${toHex(leafHash)} is not at index ${entry.leafIndex} of the tree of size ${checkpoint.size}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  return { checkpoint, leafHash, leafIndex: entry.leafIndex };
}

export interface ConsistencyInput {
  /** The checkpoint verified earlier (a remembered one). */
  readonly old: string;
  /** The log's current checkpoint. */
  readonly new: string;
  /** The consistency proof from the old size to the new one (RFC 9162 order). */
  readonly proof: readonly Uint8Array[];
}

export interface VerifiedConsistency {
  readonly old: VerifiedCheckpoint;
  readonly new: VerifiedCheckpoint;
}

/**
 * Verifies that the tree `input.new` signs extends the tree `input.old` signed: both signatures
 * with the log's trusted key, the same origin, no shrinking, and the consistency proof. A log that
 * rewrote, dropped or reordered any entry it had shown fails here with INCONSISTENT.
 */
export function checkConsistency(input: ConsistencyInput, logKey: LogKey): VerifiedConsistency {
  const old = openLogCheckpoint(input.old, logKey);
  const current = openLogCheckpoint(input.new, logKey);
  if (old.origin !== current.origin) {
    throw new AuditError(
      'ORIGIN_MISMATCH',
      `the checkpoints are of different logs: ${old.origin} and ${current.origin}`,
    );
  }
  if (current.size < old.size) {
    throw new AuditError(
      'INCONSISTENT',
      `the log shrank from ${old.size} to ${current.size} entries: it was rolled back`,
    );
  }
  if (old.size === 0n) {
    // The empty tree is a prefix of every tree; its signed root is checked like any other.
    if (input.proof.length !== 0)
      throw new AuditError('INCONSISTENT', 'a proof from the empty tree must be empty');
    return { old, new: current };
  }
  try {
    assertConsistency(old.size, current.size, input.proof, old.rootHash, current.rootHash);
  } catch (error) {
    if (error instanceof MerkleError) {
      throw new AuditError(
        'INCONSISTENT',
        old.size === current.size
          ? `two different roots are signed for size ${old.size}: ${toHex(old.rootHash)} and ${toHex(current.rootHash)}`
          : `the tree of size ${current.size} does not extend the remembered tree of size ${old.size}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  return { old, new: current };
}

/** What a Rekor v1 signed entry timestamp signs. */
export interface EntryTimestampInput {
  readonly body: Uint8Array;
  readonly integratedTime: bigint;
  readonly logId: Uint8Array;
  /** The global index (the one the log lists the entry under). */
  readonly logIndex: bigint;
  readonly signedEntryTimestamp: Uint8Array;
}

/**
 * Verifies a Rekor v1 SET: the log's signature over the JCS of {body, integratedTime, logID,
 * logIndex} (§2.4), with the trusted key whose log ID the entry names.
 */
export function verifySignedEntryTimestamp(entry: EntryTimestampInput, logKey: LogKey): void {
  const key = logKey.keys.find(
    (candidate) =>
      bytesEqual(candidate.logId, entry.logId) || bytesEqual(candidate.spkiHash, entry.logId),
  );
  if (!key) {
    throw new AuditError(
      'LOG_ID_MISMATCH',
      `no trusted key of this log has the log ID ${toHex(entry.logId)}`,
    );
  }
  // The keys are already in JCS order and every value has one JSON spelling.
  const payload = Buffer.from(
    `{"body":"${toBase64(entry.body)}","integratedTime":${entry.integratedTime},"logID":"${toHex(entry.logId)}","logIndex":${entry.logIndex}}`,
  );
  let algorithm: ReturnType<typeof algorithmOf>;
  try {
    algorithm = algorithmOf(key.publicKey);
  } catch (cause) {
    throw new AuditError('SET_INVALID', 'the log key cannot verify signed entry timestamps', {
      cause,
    });
  }
  if (!verifySignature(key.publicKey, algorithm, payload, entry.signedEntryTimestamp)) {
    throw new AuditError(
      'SET_INVALID',
      `the signed entry timestamp of entry ${entry.logIndex} does not verify`,
    );
  }
}
