// The auditor's questions as whole flows: "is this entry in the log?" and "has the log been rewritten
// since I last looked?". Each asks the log, then decides with the trusted key alone.
import { proveConsistency, TileHashReader, tilePath } from '@airlock/merkle';
import { parseRekorV1Origin } from '@airlock/note';
import type { BundleTlogEntry } from './bundle.js';
import {
  defaultCheckpointFile,
  type RememberedCheckpoint,
  readRememberedCheckpoint,
  rememberCheckpoint,
} from './checkpoint-store.js';
import { toHex } from './encoding.js';
import { AuditError } from './errors.js';
import { type LogKey, openLogCheckpoint, type VerifiedCheckpoint } from './log-key.js';
import type { LogEntry, LogInfo, RekorClient } from './rekor-client.js';
import type { TileSource } from './tile-source.js';
import {
  checkConsistency,
  type VerifiedInclusion,
  verifyEntryInclusion,
  verifySignedEntryTimestamp,
} from './verify.js';

export interface VerifiedLogEntry {
  readonly entry: LogEntry;
  readonly inclusion: VerifiedInclusion;
  /** Whether the entry carried a signed entry timestamp (it verified if so). */
  readonly setVerified: boolean;
}

/** Verifies a log entry's inclusion proof against its signed checkpoint, and its SET if it has one. */
export function verifyLogEntry(entry: LogEntry, logKey: LogKey): VerifiedLogEntry {
  const proof = entry.inclusionProof;
  if (!proof)
    throw new AuditError('INCLUSION_FAILED', `entry ${entry.logIndex} carries no inclusion proof`);
  const inclusion = verifyEntryInclusion(
    {
      body: entry.body,
      leafIndex: proof.logIndex,
      hashes: proof.hashes,
      logId: entry.logId,
      treeSize: proof.treeSize,
      rootHash: proof.rootHash,
    },
    proof.checkpoint,
    logKey,
  );
  checkEntryIdTree(entry, inclusion.checkpoint);
  if (entry.signedEntryTimestamp) {
    verifySignedEntryTimestamp(
      {
        body: entry.body,
        integratedTime: entry.integratedTime,
        logId: entry.logId,
        logIndex: entry.logIndex,
        signedEntryTimestamp: entry.signedEntryTimestamp,
      },
      logKey,
    );
  }
  return { entry, inclusion, setVerified: entry.signedEntryTimestamp !== undefined };
}

export interface VerifiedBundleEntry {
  /** Absent only if the bundle carries no inclusion proof and none was required. */
  readonly inclusion?: VerifiedInclusion;
  readonly setVerified: boolean;
}

/**
 * Verifies a bundle's transparency log entry offline: its inclusion proof against the signed
 * checkpoint it carries, and its SET if it has one. A proof without a checkpoint proves nothing (its
 * root is signed by no one) and is refused; `requireProof` refuses a bundle without any proof.
 */
export function verifyBundleEntry(
  entry: BundleTlogEntry,
  logKey: LogKey,
  options: { requireProof?: boolean } = {},
): VerifiedBundleEntry {
  const proof = entry.inclusionProof;
  let inclusion: VerifiedInclusion | undefined;
  if (proof) {
    if (proof.checkpoint === undefined) {
      throw new AuditError(
        'INCLUSION_FAILED',
        'the bundle’s inclusion proof has no checkpoint: its root is signed by no one',
      );
    }
    inclusion = verifyEntryInclusion(
      {
        body: entry.body,
        leafIndex: proof.logIndex,
        hashes: proof.hashes,
        logId: entry.logId,
        treeSize: proof.treeSize,
        rootHash: proof.rootHash,
      },
      proof.checkpoint,
      logKey,
    );
  } else if (options.requireProof) {
    throw new AuditError('INCLUSION_FAILED', 'the bundle carries no inclusion proof');
  }
  if (entry.signedEntryTimestamp) {
    verifySignedEntryTimestamp(
      { ...entry, signedEntryTimestamp: entry.signedEntryTimestamp },
      logKey,
    );
  }
  return {
    ...(inclusion ? { inclusion } : {}),
    setVerified: entry.signedEntryTimestamp !== undefined,
  };
}

/** An 80-hex EntryID names its tree: it must be the tree of the v1 checkpoint. */
function checkEntryIdTree(entry: LogEntry, checkpoint: VerifiedCheckpoint): void {
  const v1 = parseRekorV1Origin(checkpoint.origin);
  if (entry.uuid.length !== 80 || !v1) return;
  const treeId = BigInt(`0x${entry.uuid.slice(0, 16)}`);
  if (treeId !== v1.treeId) {
    throw new AuditError(
      'MALFORMED_RESPONSE',
      `entry ID ${entry.uuid} names tree ${treeId}, the checkpoint is of tree ${v1.treeId}`,
    );
  }
}

export interface VerifiedLogInfo {
  readonly info: LogInfo;
  readonly checkpoint: VerifiedCheckpoint;
}

/** The log's current state: its signed tree head verified, and the rest of LogInfo agreeing with it. */
export async function fetchVerifiedLogInfo(
  client: RekorClient,
  logKey: LogKey,
): Promise<VerifiedLogInfo> {
  const info = await client.logInfo();
  const checkpoint = openLogCheckpoint(info.signedTreeHead, logKey);
  if (info.treeSize !== checkpoint.size || toHex(info.rootHash) !== toHex(checkpoint.rootHash)) {
    throw new AuditError(
      'MALFORMED_RESPONSE',
      `the log info says size ${info.treeSize} root ${toHex(info.rootHash)}, its signed tree head size ${checkpoint.size} root ${toHex(checkpoint.rootHash)}`,
    );
  }
  const v1 = parseRekorV1Origin(checkpoint.origin);
  if (v1 && v1.treeId !== info.treeId) {
    throw new AuditError(
      'MALFORMED_RESPONSE',
      `the log info names tree ${info.treeId}, its signed tree head tree ${v1.treeId}`,
    );
  }
  return { info, checkpoint };
}

/** Where the current checkpoint comes from and how a consistency proof is obtained. */
export type ConsistencySource =
  | { readonly kind: 'rekor-v1'; readonly client: RekorClient }
  | { readonly kind: 'tiles'; readonly tiles: TileSource };

export interface ConsistencyAudit {
  /** 'first-use': nothing was remembered, the checkpoint is now (trust on first use). */
  readonly status: 'first-use' | 'consistent';
  readonly file: string;
  readonly old?: VerifiedCheckpoint;
  readonly new: VerifiedCheckpoint;
  readonly remembered: RememberedCheckpoint;
}

/** A consistency proof computed from a log's tiles; what it proves is checked by the caller. */
export async function consistencyProofFromTiles(
  tiles: TileSource,
  size1: bigint,
  size2: bigint,
): Promise<Uint8Array[]> {
  const reader = new TileHashReader(size2, async (tile) => {
    const body = await tiles.readTile(tile);
    if (body === null)
      throw new AuditError('NOT_FOUND', `${tiles.location} has no ${tilePath(tile)}`);
    return body;
  });
  try {
    return await proveConsistency(reader, size1, size2);
  } catch (error) {
    if (error instanceof AuditError) throw error;
    throw new AuditError(
      'MALFORMED_RESPONSE',
      `the tiles of ${tiles.location} give no consistency proof: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Checks the log's current checkpoint against the one remembered in `checkpointFile` (default:
 * `~/.airlock/checkpoints/<origin>.json`), then remembers the current one. The first run has nothing
 * to compare with and only remembers. A rewritten or rolled-back log throws INCONSISTENT and the
 * remembered checkpoint is kept.
 */
export async function auditConsistency(options: {
  readonly source: ConsistencySource;
  readonly logKey: LogKey;
  readonly checkpointFile?: string;
  readonly logUrl?: string;
}): Promise<ConsistencyAudit> {
  const { source, logKey } = options;
  const current =
    source.kind === 'rekor-v1'
      ? (await fetchVerifiedLogInfo(source.client, logKey)).checkpoint
      : await (async () => {
          const note = await source.tiles.readCheckpoint();
          if (note === null)
            throw new AuditError('NOT_FOUND', `${source.tiles.location} has no checkpoint`);
          return openLogCheckpoint(note, logKey);
        })();
  const file = options.checkpointFile ?? defaultCheckpointFile(current.origin);
  const remembered = readRememberedCheckpoint(file);
  if (remembered === null) {
    return {
      status: 'first-use',
      file,
      new: current,
      remembered: rememberCheckpoint(file, current, options.logUrl),
    };
  }
  if (remembered.origin !== current.origin) {
    throw new AuditError(
      'ORIGIN_MISMATCH',
      `${file} remembers the log ${remembered.origin}, the log now signs as ${current.origin}`,
    );
  }
  const old = openLogCheckpoint(remembered.note, logKey, { origin: current.origin });
  let proof: readonly Uint8Array[] = [];
  if (old.size > 0n && old.size < current.size) {
    if (source.kind === 'rekor-v1') {
      const answer = await source.client.consistencyProof(old.size, current.size);
      if (toHex(answer.rootHash) !== toHex(current.rootHash)) {
        throw new AuditError(
          'INCONSISTENT',
          `the log's proof is for root ${toHex(answer.rootHash)} at size ${current.size}, its checkpoint signs ${toHex(current.rootHash)}`,
        );
      }
      proof = answer.hashes;
    } else {
      proof = await consistencyProofFromTiles(source.tiles, old.size, current.size);
    }
  }
  const verified = checkConsistency({ old: remembered.note, new: current.note, proof }, logKey);
  return {
    status: 'consistent',
    file,
    old: verified.old,
    new: verified.new,
    remembered: rememberCheckpoint(file, current, options.logUrl),
  };
}
