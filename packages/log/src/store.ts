// The storage contract of a transparency log: what a store must keep, and what is durable when.

/** A leaf of the log as stored. `leafHash` is the RFC 6962 leaf hash of `body`. */
export interface StoredEntry {
  readonly index: bigint;
  readonly leafHash: Uint8Array;
  readonly body: Uint8Array;
  /** Unix seconds at which the entry was sequenced. */
  readonly integratedTime: number;
  /** Bytes kept with the entry but not part of its leaf (a CT log's certificate chain). */
  readonly extraData?: Uint8Array;
}

/** A tree size, its root, the peaks that let the sequencer continue, and the checkpoint that signs it. */
export interface TreeState {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** CompactRange peaks of the tree, largest first. */
  readonly peaks: readonly Uint8Array[];
  /** The signed checkpoint (a C2SP signed note) for this size and root. */
  readonly checkpoint: string;
}

export interface NewEntry {
  readonly leafHash: Uint8Array;
  readonly body: Uint8Array;
  readonly integratedTime: number;
  /** Search keys (e.g. `sha256:<hex>`) under which the entry can be found. */
  readonly searchKeys: readonly string[];
  readonly extraData?: Uint8Array;
}

/** The newest content of one hash tile: `hashes` holds its first width·32 bytes. */
export interface TileWrite {
  readonly level: number;
  readonly index: bigint;
  readonly hashes: Uint8Array;
}

/** Everything one sequenced batch changes. Entries take indices fromSize, fromSize+1, … in order. */
export interface Batch {
  readonly fromSize: bigint;
  readonly entries: readonly NewEntry[];
  readonly tiles: readonly TileWrite[];
  readonly state: TreeState;
}

/**
 * Where a log keeps its entries, tiles and tree state.
 *
 * Contract:
 * - `commitBatch` is atomic and durable: when its promise resolves, the entries, tiles, tree state and
 *   checkpoint of the batch survive a crash or power loss; if it rejects or the process dies before it
 *   resolves, none of the batch is visible afterwards.
 * - It rejects with LogError('CONFLICT') when `fromSize` is not the stored tree size: there is one
 *   sequencer per store, and a second writer must never extend a tree it did not read.
 * - The tree state never goes back: a committed size and its checkpoint are never replaced by a smaller
 *   one or a different root for the same size.
 * - Entries and full tiles are immutable once committed; a partial tile is only ever extended. Reads of
 *   them may be served from any replica or cache.
 */
export interface LogStore {
  /** The newest committed tree state, or null for a log with no checkpoint yet. */
  latestTreeState(): Promise<TreeState | null>;
  commitBatch(batch: Batch): Promise<void>;
  /** For each leaf hash, the index of the entry that has it, or null. */
  findByLeafHashes(leafHashes: readonly Uint8Array[]): Promise<(bigint | null)[]>;
  /** Entries [begin, end), fewer if the tree ends earlier. */
  readEntries(begin: bigint, end: bigint): Promise<StoredEntry[]>;
  /** The stored (newest) content of a hash tile, or null. */
  readTile(level: number, index: bigint): Promise<Uint8Array | null>;
  /** Indices of entries with this search key, oldest first, at most `limit`. */
  search(key: string, limit: number): Promise<bigint[]>;
  /** Published checkpoints with tree size >= `fromSize`, oldest first, at most `limit`. */
  checkpoints(fromSize: bigint, limit: number): Promise<{ size: bigint; note: string }[]>;
  close(): Promise<void>;
}
