// Rebuilds a log's hash tiles from its leaf hashes, one level-0 tile at a time, and compares every
// node it completes with the tile the log stored for it. Holds only the right edge of each tile
// level (at most 256 hashes per level), so a tree of any size is rebuilt in constant memory.
import {
  EMPTY_ROOT,
  HASH_SIZE,
  hashChildren,
  rangeNodes,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileId,
  tileLevelExtent,
} from '@airlock/merkle';
import { NodeHasher } from './hashing.js';

const TILE_BYTES = TILE_WIDTH * HASH_SIZE;

/** Where a rebuilt node disagrees with what the log stored, or what the log failed to store. */
export type TileMismatch =
  | { readonly kind: 'missing'; readonly tile: TileId }
  | { readonly kind: 'malformed'; readonly tile: TileId; readonly message: string }
  | {
      readonly kind: 'hash';
      readonly tile: TileId;
      readonly position: number;
      readonly stored: Uint8Array;
      readonly rebuilt: Uint8Array;
    };

/** Reads the stored tile (level ≥ 1) a rebuilt node is compared with; null if it is missing. */
export type StoredTileReader = (tile: TileId) => Promise<Uint8Array | null>;

/** The rebuilder's state at a level-0 tile boundary, enough to continue from there. */
export interface RebuilderSnapshot {
  /** Leaves appended; a multiple of 256. */
  readonly size: bigint;
  /** levels[k-1]: the hashes of tile level k completed so far in its right-most tile. */
  readonly levels: readonly Uint8Array[];
}

const nodeHasher = new NodeHasher();

/** The hash of the perfect subtree over `count` consecutive hashes (a power of two) in `bytes`. */
function hashUp(bytes: Uint8Array, offset: number, count: number): Uint8Array {
  if (count === 1) return bytes.slice(offset * HASH_SIZE, (offset + 1) * HASH_SIZE);
  // Pairs are hashed level by level in one buffer, each level overwriting the start of the last.
  const work = bytes.slice(offset * HASH_SIZE, (offset + count) * HASH_SIZE);
  for (let width = count; width > 1; width >>= 1) {
    for (let i = 0; i < width; i += 2)
      work.set(nodeHasher.hash(work, i * HASH_SIZE), (i / 2) * HASH_SIZE);
  }
  return work.slice(0, HASH_SIZE);
}

interface EdgeLevel {
  /** The right-most tile of this level: its first `count` hashes. */
  readonly bytes: Uint8Array;
  count: number;
  tileIndex: bigint;
  /** The stored tile it is compared with, loaded when the first hash of the tile is rebuilt. */
  stored: { index: bigint; hashes: Uint8Array } | null;
}

export class TreeRebuilder {
  readonly #treeSize: bigint;
  readonly #readStored: StoredTileReader;
  readonly #levels: EdgeLevel[] = [];
  #size = 0n;
  /** Hash tiles of level ≥ 1 compared so far. */
  storedTilesCompared = 0;

  /**
   * `treeSize` is the size of the checkpoint being checked: it decides which stored tiles are full
   * and how wide the partial ones are.
   */
  constructor(treeSize: bigint, readStored: StoredTileReader) {
    this.#treeSize = treeSize;
    this.#readStored = readStored;
  }

  get size(): bigint {
    return this.#size;
  }

  #level(k: number): EdgeLevel {
    let level = this.#levels[k];
    if (!level) {
      level = { bytes: new Uint8Array(TILE_BYTES), count: 0, tileIndex: 0n, stored: null };
      this.#levels[k] = level;
    }
    return level;
  }

  /** Continues from a snapshot; returns false (and changes nothing) if it cannot be a tree state. */
  restore(snapshot: RebuilderSnapshot): boolean {
    if (snapshot.size % BigInt(TILE_WIDTH) !== 0n || snapshot.size > this.#treeSize) return false;
    for (let k = 1; k <= snapshot.levels.length; k++) {
      const nodes = snapshot.size >> BigInt(k * TILE_HEIGHT);
      if (snapshot.levels[k - 1]!.length !== Number(nodes % BigInt(TILE_WIDTH)) * HASH_SIZE)
        return false;
    }
    if (snapshot.size >> BigInt((snapshot.levels.length + 1) * TILE_HEIGHT) !== 0n) return false;
    this.#size = snapshot.size;
    this.#levels.length = 0;
    this.#level(0).tileIndex = snapshot.size / BigInt(TILE_WIDTH);
    snapshot.levels.forEach((hashes, i) => {
      const level = this.#level(i + 1);
      level.bytes.set(hashes);
      level.count = hashes.length / HASH_SIZE;
      level.tileIndex = (snapshot.size >> BigInt((i + 1) * TILE_HEIGHT)) / BigInt(TILE_WIDTH);
    });
    return true;
  }

  /** The state to resume from; only meaningful at a level-0 tile boundary. */
  snapshot(): RebuilderSnapshot {
    const levels: Uint8Array[] = [];
    for (let k = 1; k < this.#levels.length; k++) {
      const level = this.#levels[k]!;
      levels.push(level.bytes.slice(0, level.count * HASH_SIZE));
    }
    while (levels.length > 0 && levels[levels.length - 1]!.length === 0) levels.pop();
    return { size: this.#size, levels };
  }

  /**
   * Appends leaf hashes (already compared with the stored level-0 tile) and compares every node of
   * a level 8k (k ≥ 1) that they complete with its stored tile. Returns the first mismatch, if any.
   */
  async appendLeaves(leafHashes: Uint8Array): Promise<TileMismatch | null> {
    const level0 = this.#level(0);
    let offset = 0;
    const total = leafHashes.length / HASH_SIZE;
    while (offset < total) {
      const take = Math.min(TILE_WIDTH - level0.count, total - offset);
      level0.bytes.set(
        leafHashes.subarray(offset * HASH_SIZE, (offset + take) * HASH_SIZE),
        level0.count * HASH_SIZE,
      );
      level0.count += take;
      offset += take;
      this.#size += BigInt(take);
      if (level0.count === TILE_WIDTH) {
        const mismatch = await this.#completeTile(0);
        if (mismatch) return mismatch;
      }
    }
    return null;
  }

  /** Level k's tile is full: hash it into level k+1, compare, and cascade. */
  async #completeTile(k: number): Promise<TileMismatch | null> {
    const level = this.#level(k);
    const root = hashUp(level.bytes, 0, TILE_WIDTH);
    level.count = 0;
    level.tileIndex++;
    level.stored = null;
    const up = this.#level(k + 1);
    const position = up.count;
    const mismatch = await this.#compare(k + 1, up.tileIndex, position, root);
    if (mismatch) return mismatch;
    up.bytes.set(root, position * HASH_SIZE);
    up.count++;
    if (up.count === TILE_WIDTH) return this.#completeTile(k + 1);
    return null;
  }

  async #compare(
    k: number,
    tileIndex: bigint,
    position: number,
    rebuilt: Uint8Array,
  ): Promise<TileMismatch | null> {
    const level = this.#level(k);
    if (!level.stored || level.stored.index !== tileIndex) {
      const { fullTiles, partialWidth } = tileLevelExtent(this.#treeSize, k);
      const width = tileIndex < fullTiles ? TILE_WIDTH : partialWidth;
      const tile: TileId = { level: k, index: tileIndex, width };
      const hashes = await this.#readStored(tile);
      if (hashes === null) return { kind: 'missing', tile };
      if (hashes.length !== width * HASH_SIZE) {
        return {
          kind: 'malformed',
          tile,
          message: `holds ${hashes.length} bytes, a tile of width ${width} has ${width * HASH_SIZE}`,
        };
      }
      level.stored = { index: tileIndex, hashes };
      this.storedTilesCompared++;
    }
    const stored = level.stored.hashes.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE);
    if (Buffer.compare(stored, rebuilt) !== 0) {
      const width = level.stored.hashes.length / HASH_SIZE;
      return {
        kind: 'hash',
        tile: { level: k, index: tileIndex, width },
        position,
        stored: Uint8Array.from(stored),
        rebuilt,
      };
    }
    return null;
  }

  /** The root of the tree of the leaves appended so far (RFC 6962 MTH), from the right edges. */
  root(): Uint8Array {
    const peaks = rangeNodes(0n, this.#size).map((node) => {
      const k = Math.floor(node.level / TILE_HEIGHT);
      const height = node.level % TILE_HEIGHT;
      const level = this.#level(k);
      const first = node.index << BigInt(height);
      const offset = Number(first - level.tileIndex * BigInt(TILE_WIDTH));
      const count = 1 << height;
      // A peak below a full tile would be covered by that tile's node above it; so every peak of
      // level 8k..8k+7 lies in the right-most tile of level k.
      if (offset < 0 || offset + count > level.count)
        throw new Error(`internal: peak (${node.level}, ${node.index}) is not on the right edge`);
      return hashUp(level.bytes, offset, count);
    });
    if (peaks.length === 0) return EMPTY_ROOT;
    let root = peaks[peaks.length - 1]!;
    for (let i = peaks.length - 2; i >= 0; i--) root = hashChildren(peaks[i]!, root);
    return root;
  }
}
