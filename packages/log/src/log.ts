// The log engine: sequences submissions in batches, commits each batch durably with its tiles and a
// newly signed checkpoint, and answers proofs, entries and tiles from what is committed.
import {
  bytesEqual,
  CompactRange,
  consistencyProofNodes,
  EMPTY_ROOT,
  formatEntryBundle,
  HASH_SIZE,
  hashChildren,
  hashLeaf,
  inclusionProofNodes,
  MerkleError,
  type NodeId,
  type ProofNodes,
  rangeNodes,
  TILE_HEIGHT,
  TILE_WIDTH,
} from '@airlock/merkle';
import { type NoteSigner, signCheckpoint } from '@airlock/note';
import {
  DEFAULT_BATCH_MAX_AGE_MS,
  DEFAULT_BATCH_MAX_SIZE,
  DEFAULT_MAX_PENDING,
  MAX_ENTRY_SIZE,
} from './defaults.js';
import { LogError } from './errors.js';
import type { LogStore, NewEntry, StoredEntry, TileWrite, TreeState } from './store.js';
import { LruCache, locateNode, TileTree } from './tile-cache.js';

export interface TransparencyLogOptions {
  readonly store: LogStore;
  /** The checkpoint origin line (c2sp.org/tlog-checkpoint), e.g. `log.example - 1234` for Rekor v1 style. */
  readonly origin: string;
  /** Signs every checkpoint; its key name and ID go on the signature line. */
  readonly checkpointSigner: NoteSigner;
  readonly batchMaxSize?: number;
  readonly batchMaxAgeMs?: number;
  readonly maxPending?: number;
  /** Full tiles whose interior nodes are kept in memory for proofs. */
  readonly tileCacheSize?: number;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  readonly now?: () => number;
}

/** What one sequenced batch did, for metrics. */
export interface BatchReport {
  readonly added: number;
  readonly duplicates: number;
  readonly treeSize: bigint;
  /** From taking the batch off the queue to its commit. */
  readonly durationMs: number;
}

/** How a log batches submissions (defaults in defaults.ts). */
export type BatchOptions = Pick<
  TransparencyLogOptions,
  'batchMaxSize' | 'batchMaxAgeMs' | 'maxPending'
>;

export interface Submission {
  /** The leaf: the canonical entry body. */
  readonly body: Uint8Array;
  readonly searchKeys?: readonly string[];
  /** Kept with the entry, not hashed into the tree. */
  readonly extraData?: Uint8Array;
}

/** The outcome of a submission: a new entry (durable, under `state`) or the existing identical one. */
export type Sequenced =
  | { readonly kind: 'added'; readonly entry: StoredEntry; readonly state: TreeState }
  | { readonly kind: 'duplicate'; readonly index: bigint; readonly leafHash: Uint8Array };

interface Pending {
  readonly submission: Submission;
  readonly leafHash: Uint8Array;
  resolve(result: Sequenced): void;
  reject(error: unknown): void;
}

/** The right-most tile of each tile level, the only ones that change when the tree grows. */
interface EdgeTile {
  index: bigint;
  bytes: Uint8Array;
  width: number;
}

const key = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export class TransparencyLog {
  readonly origin: string;
  readonly #store: LogStore;
  readonly #signer: NoteSigner;
  readonly #batchMaxSize: number;
  readonly #batchMaxAgeMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;

  #state: TreeState;
  #range: CompactRange;
  #edges: EdgeTile[];
  readonly #fullTiles: LruCache<string, TileTree>;
  #edgeTrees = new Map<string, TileTree>();

  readonly #batchListeners: ((batch: BatchReport) => void)[] = [];
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sequencing: Promise<void> | null = null;
  #closed = false;
  #fatal: LogError | null = null;

  private constructor(
    options: TransparencyLogOptions,
    state: TreeState,
    range: CompactRange,
    edges: EdgeTile[],
  ) {
    this.origin = options.origin;
    this.#store = options.store;
    this.#signer = options.checkpointSigner;
    this.#batchMaxSize = options.batchMaxSize ?? DEFAULT_BATCH_MAX_SIZE;
    this.#batchMaxAgeMs = options.batchMaxAgeMs ?? DEFAULT_BATCH_MAX_AGE_MS;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#now = options.now ?? Date.now;
    this.#fullTiles = new LruCache(options.tileCacheSize ?? 8192);
    this.#state = state;
    this.#range = range;
    this.#edges = edges;
  }

  /**
   * Opens a log on a store: restores the tree from its newest checkpoint, or signs the checkpoint of
   * the empty tree for a new store. Refuses a store whose tree state contradicts its tiles.
   */
  static async open(options: TransparencyLogOptions): Promise<TransparencyLog> {
    const { store } = options;
    let state = await store.latestTreeState();
    if (!state) {
      const empty = CompactRange.empty();
      state = {
        size: 0n,
        rootHash: empty.root(),
        peaks: [],
        checkpoint: await signCheckpoint(
          { origin: options.origin, size: 0n, rootHash: empty.root() },
          [options.checkpointSigner],
        ),
      };
      await store.commitBatch({ fromSize: 0n, entries: [], tiles: [], state });
    }
    let range: CompactRange;
    try {
      range = CompactRange.fromPeaks(state.size, state.peaks);
    } catch (error) {
      throw new LogError('CORRUPT', `stored tree state of size ${state.size} is inconsistent`, {
        cause: error,
      });
    }
    if (!bytesEqual(range.root(), state.rootHash)) {
      throw new LogError(
        'CORRUPT',
        `stored peaks do not hash to the stored root at size ${state.size}`,
      );
    }
    const edges: EdgeTile[] = [];
    for (let level = 0; level * TILE_HEIGHT < 64; level++) {
      const nodes = state.size >> BigInt(level * TILE_HEIGHT);
      if (nodes === 0n && level > 0) break;
      const index = nodes / BigInt(TILE_WIDTH);
      const width = Number(nodes % BigInt(TILE_WIDTH));
      const bytes = new Uint8Array(TILE_WIDTH * HASH_SIZE);
      if (width > 0) {
        const stored = await store.readTile(level, index);
        if (!stored || stored.length !== width * HASH_SIZE) {
          throw new LogError(
            'CORRUPT',
            `tile ${level}/${index} does not hold the ${width} hashes the tree needs`,
          );
        }
        bytes.set(stored);
      }
      edges.push({ index, bytes, width });
    }
    return new TransparencyLog(options, state, range, edges);
  }

  /** The newest durable tree state and its signed checkpoint. */
  get treeState(): TreeState {
    return this.#state;
  }

  /** Calls `listener` after every batch (metrics); it must not throw. */
  onBatch(listener: (batch: BatchReport) => void): void {
    this.#batchListeners.push(listener);
  }

  /** Throws unless the log can take entries: not closed, no fatal store error, the store answers. */
  async checkReady(): Promise<void> {
    if (this.#closed) throw new LogError('CLOSED', 'the log is closed');
    if (this.#fatal) throw this.#fatal;
    await this.#store.latestTreeState();
  }

  /** Entries waiting to be sequenced. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Submits an entry. Resolves once the batch holding it is durable (or with the index of an identical
   * entry already in the log); rejects with PUSHBACK when too many entries wait already.
   */
  add(submission: Submission): Promise<Sequenced> {
    if (this.#closed) return Promise.reject(new LogError('CLOSED', 'the log is closed'));
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (submission.body.length > MAX_ENTRY_SIZE) {
      return Promise.reject(
        new LogError(
          'ENTRY_TOO_LARGE',
          `entry of ${submission.body.length} bytes exceeds ${MAX_ENTRY_SIZE}`,
        ),
      );
    }
    if (this.#pending.length >= this.#maxPending) {
      return Promise.reject(
        new LogError('PUSHBACK', `${this.#pending.length} entries are waiting; retry later`),
      );
    }
    return new Promise<Sequenced>((resolve, reject) => {
      this.#pending.push({ submission, leafHash: hashLeaf(submission.body), resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#sequencing) return; // the running loop picks new entries up when its batch is durable
    if (this.#pending.length >= this.#batchMaxSize) {
      this.#startSequencing();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#startSequencing(), this.#batchMaxAgeMs);
    }
  }

  #startSequencing(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#sequencing) return;
    this.#sequencing = (async () => {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#batchMaxSize);
        await this.#sequence(batch);
      }
    })().finally(() => {
      this.#sequencing = null;
      // Entries added while the last batch was committing, after the loop's final check.
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  async #sequence(batch: Pending[]): Promise<void> {
    const began = performance.now();
    try {
      if (this.#fatal) throw this.#fatal;
      const existing = await this.#store.findByLeafHashes(batch.map((p) => p.leafHash));
      const range = this.#range.clone();
      const edges = this.#edges.map((edge) => ({ ...edge, bytes: Uint8Array.from(edge.bytes) }));
      const changed = new Set<number>();
      const visit = (node: NodeId, hash: Uint8Array) => {
        if (node.level % TILE_HEIGHT !== 0) return;
        const level = node.level / TILE_HEIGHT;
        const tileIndex = node.index / BigInt(TILE_WIDTH);
        const offset = Number(node.index % BigInt(TILE_WIDTH));
        let edge = edges[level];
        if (!edge) {
          edge = { index: tileIndex, bytes: new Uint8Array(TILE_WIDTH * HASH_SIZE), width: 0 };
          edges[level] = edge;
        }
        if (edge.index !== tileIndex) {
          // The previous tile is full and already recorded; start the next one.
          edge.index = tileIndex;
          edge.bytes = new Uint8Array(TILE_WIDTH * HASH_SIZE);
          edge.width = 0;
        }
        edge.bytes.set(hash, offset * HASH_SIZE);
        edge.width = offset + 1;
        changed.add(level);
        // A tile that fills up is written now, before the next node moves the edge on.
        if (edge.width === TILE_WIDTH)
          fullTiles.push({ level, index: tileIndex, hashes: Uint8Array.from(edge.bytes) });
      };
      const fullTiles: TileWrite[] = [];

      const fromSize = range.size;
      const integratedTime = Math.floor(this.#now() / 1000);
      const added: { pending: Pending; entry: StoredEntry }[] = [];
      const duplicates: { pending: Pending; index: bigint }[] = [];
      const inBatch = new Map<string, bigint>();
      const entries: NewEntry[] = [];
      batch.forEach((pending, i) => {
        const known = existing[i] ?? inBatch.get(key(pending.leafHash));
        if (known !== undefined && known !== null) {
          duplicates.push({ pending, index: known });
          return;
        }
        const index = range.size;
        range.append(pending.leafHash, visit);
        inBatch.set(key(pending.leafHash), index);
        const { extraData } = pending.submission;
        const entry = {
          leafHash: pending.leafHash,
          body: pending.submission.body,
          integratedTime,
          ...(extraData ? { extraData } : {}),
        };
        entries.push({ ...entry, searchKeys: pending.submission.searchKeys ?? [] });
        added.push({ pending, entry: { index, ...entry } });
      });

      let state = this.#state;
      if (entries.length > 0) {
        const rootHash = range.root();
        state = {
          size: range.size,
          rootHash,
          peaks: range.peaks().map((peak) => peak.hash),
          checkpoint: await signCheckpoint({ origin: this.origin, size: range.size, rootHash }, [
            this.#signer,
          ]),
        };
        const partialTiles: TileWrite[] = [];
        for (const level of changed) {
          const edge = edges[level]!;
          if (edge.width > 0 && edge.width < TILE_WIDTH) {
            partialTiles.push({
              level,
              index: edge.index,
              hashes: edge.bytes.slice(0, edge.width * HASH_SIZE),
            });
          }
        }
        await this.#store.commitBatch({
          fromSize,
          entries,
          tiles: [...fullTiles, ...partialTiles],
          state,
        });
        // Durable: only now does this process believe in the new tree.
        this.#state = state;
        this.#range = range;
        this.#edges = edges;
        this.#edgeTrees = new Map();
      }
      const report: BatchReport = {
        added: added.length,
        duplicates: duplicates.length,
        treeSize: state.size,
        durationMs: performance.now() - began,
      };
      for (const listener of this.#batchListeners) listener(report);
      for (const { pending, entry } of added) pending.resolve({ kind: 'added', entry, state });
      for (const { pending, index } of duplicates) {
        pending.resolve({ kind: 'duplicate', index, leafHash: pending.leafHash });
      }
    } catch (error) {
      const logError =
        error instanceof LogError
          ? error
          : new LogError('STORAGE', `batch not sequenced: ${(error as Error).message}`, {
              cause: error,
            });
      // A second writer means this process's view of the tree is wrong: stop accepting entries.
      if (logError.code === 'CONFLICT' || logError.code === 'CORRUPT') this.#fatal = logError;
      for (const pending of batch) pending.reject(logError);
    }
  }

  /** Node hashes of the committed tree, from tiles (the edge tiles in memory, the rest from the store). */
  async #readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const id of ids) {
      const where = locateNode(id);
      const tree = await this.#tileTree(where.tileLevel, where.tileIndex);
      const hash = tree?.node(where.height, where.offset);
      if (!hash)
        throw new LogError('NOT_FOUND', `node (${id.level}, ${id.index}) is not in the log`);
      out.push(hash);
    }
    return out;
  }

  async #tileTree(level: number, index: bigint): Promise<TileTree | null> {
    const edge = this.#edges[level];
    const cacheKey = `${level}/${index}`;
    if (edge && edge.index === index && edge.width < TILE_WIDTH) {
      let tree = this.#edgeTrees.get(cacheKey);
      if (!tree && edge.width > 0) {
        tree = new TileTree(edge.bytes.subarray(0, edge.width * HASH_SIZE));
        this.#edgeTrees.set(cacheKey, tree);
      }
      return tree ?? null;
    }
    let tree = this.#fullTiles.get(cacheKey);
    if (!tree) {
      const bytes = await this.#store.readTile(level, index);
      if (!bytes) return null;
      tree = new TileTree(bytes);
      if (tree.width === TILE_WIDTH) this.#fullTiles.set(cacheKey, tree);
    }
    return tree;
  }

  async #prove(nodes: ProofNodes): Promise<Uint8Array[]> {
    if (nodes.ids.length === 0) return [];
    return nodes.assemble(await this.#readNodes(nodes.ids));
  }

  #checkSize(size: bigint): void {
    if (size > this.#state.size) {
      throw new LogError(
        'INVALID_RANGE',
        `tree size ${size} is beyond the log's size ${this.#state.size}`,
      );
    }
  }

  /** Inclusion proof for entry `index` in the tree of `size` (default: the current tree). */
  async inclusionProof(index: bigint, size: bigint = this.#state.size): Promise<Uint8Array[]> {
    this.#checkSize(size);
    try {
      return await this.#prove(inclusionProofNodes(index, size));
    } catch (error) {
      throw asRangeError(error);
    }
  }

  /** Consistency proof from the tree of `size1` to the tree of `size2`. */
  async consistencyProof(size1: bigint, size2: bigint): Promise<Uint8Array[]> {
    this.#checkSize(size2);
    try {
      return await this.#prove(consistencyProofNodes(size1, size2));
    } catch (error) {
      throw asRangeError(error);
    }
  }

  /** The root hash of the tree of `size` (any size up to the current one). */
  async rootAt(size: bigint): Promise<Uint8Array> {
    this.#checkSize(size);
    if (size === this.#state.size) return this.#state.rootHash;
    const peaks = await this.#readNodes(rangeNodes(0n, size));
    if (peaks.length === 0) return EMPTY_ROOT;
    let root = peaks[peaks.length - 1]!;
    for (let i = peaks.length - 2; i >= 0; i--) root = hashChildren(peaks[i]!, root);
    return root;
  }

  async entry(index: bigint): Promise<StoredEntry | null> {
    if (index < 0n || index >= this.#state.size) return null;
    return (await this.#store.readEntries(index, index + 1n))[0] ?? null;
  }

  async entries(begin: bigint, end: bigint): Promise<StoredEntry[]> {
    return this.#store.readEntries(begin, end < this.#state.size ? end : this.#state.size);
  }

  async indexOfLeafHash(leafHash: Uint8Array): Promise<bigint | null> {
    return (await this.#store.findByLeafHashes([leafHash]))[0] ?? null;
  }

  async search(searchKey: string, limit: number): Promise<bigint[]> {
    return this.#store.search(searchKey, limit);
  }

  async checkpoints(fromSize: bigint, limit: number): Promise<{ size: bigint; note: string }[]> {
    return this.#store.checkpoints(fromSize, limit);
  }

  /**
   * The hash tile `level`/`index` of width `width` (256 = full) as of the current tree, or null if the
   * tree has no such tile. A partial tile is the prefix of the tile as it grows.
   */
  async readTile(level: number, index: bigint, width: number): Promise<Uint8Array | null> {
    const nodes = this.#state.size >> BigInt(level * TILE_HEIGHT);
    const available = nodes - index * BigInt(TILE_WIDTH);
    if (level < 0 || level > 63 || index < 0n || available < BigInt(width)) return null;
    const edge = this.#edges[level];
    const bytes =
      edge && edge.index === index ? edge.bytes : await this.#store.readTile(level, index);
    if (!bytes || bytes.length < width * HASH_SIZE) return null;
    return bytes.slice(0, width * HASH_SIZE);
  }

  /** The entry bundle for level-0 tile `index` with `width` entries, or null beyond the tree. */
  async readEntryBundle(index: bigint, width: number): Promise<Uint8Array | null> {
    const begin = index * BigInt(TILE_WIDTH);
    if (index < 0n || begin + BigInt(width) > this.#state.size) return null;
    const entries = await this.#store.readEntries(begin, begin + BigInt(width));
    if (entries.length !== width) return null;
    return formatEntryBundle(entries.map((entry) => entry.body));
  }

  /** Stops accepting entries, sequences what is already queued, and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.length > 0) this.#startSequencing();
    await this.#sequencing;
    await this.#store.close();
  }
}

function asRangeError(error: unknown): unknown {
  if (error instanceof MerkleError)
    return new LogError('INVALID_RANGE', error.message, { cause: error });
  return error;
}
