// Node hashes read from hash tiles, with every interior node of a tile computed once and kept: a proof
// needs up to 8 levels inside each tile, and rehashing 255 nodes per proof would cap reads at ~2k/s.
import {
  HASH_SIZE,
  hashChildren,
  MerkleError,
  type NodeId,
  TILE_HEIGHT,
  TILE_WIDTH,
} from '@airlock/merkle';

/** All perfect nodes inside one tile: levels[h][i] covers tile hashes [i·2^h, (i+1)·2^h). */
export class TileTree {
  readonly levels: Uint8Array[][];

  constructor(hashes: Uint8Array) {
    const width = hashes.length / HASH_SIZE;
    if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
      throw new MerkleError(
        'INVALID_TILE',
        `a tile of ${hashes.length} bytes is not 1..256 hashes`,
      );
    }
    const bottom: Uint8Array[] = [];
    for (let i = 0; i < width; i++)
      bottom.push(hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    this.levels = [bottom];
    for (let h = 1; h < TILE_HEIGHT; h++) {
      const below = this.levels[h - 1]!;
      const level: Uint8Array[] = [];
      for (let i = 0; i + 1 < below.length; i += 2)
        level.push(hashChildren(below[i]!, below[i + 1]!));
      this.levels.push(level);
    }
  }

  get width(): number {
    return this.levels[0]!.length;
  }

  node(height: number, index: number): Uint8Array | undefined {
    return this.levels[height]?.[index];
  }
}

/** Which tile holds a node, and where inside it. */
export function locateNode(id: NodeId): {
  tileLevel: number;
  tileIndex: bigint;
  height: number;
  offset: number;
} {
  const tileLevel = Math.floor(id.level / TILE_HEIGHT);
  const height = id.level % TILE_HEIGHT;
  const first = id.index << BigInt(height);
  return {
    tileLevel,
    tileIndex: first / BigInt(TILE_WIDTH),
    height,
    offset: Number(first % BigInt(TILE_WIDTH)) >> height,
  };
}

/** A bounded least-recently-used map. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as K);
  }

  clear(): void {
    this.#map.clear();
  }
}
