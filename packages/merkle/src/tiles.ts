// C2SP tlog-tiles: tile coordinates and paths, tile and entry-bundle bodies, and a HashReader that
// computes any perfect node (and so any proof) from tiles fetched by the caller.
import { checkUint64, MerkleError } from './errors.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import type { NodeId } from './nodes.js';
import type { HashReader } from './store.js';

/** Levels of the tree one tile spans: a tile holds 2^8 nodes of one level. */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile. */
export const TILE_WIDTH = 256;
/** The largest entry a bundle can hold: its length is a uint16. */
export const MAX_BUNDLED_ENTRY = 0xffff;

/**
 * A hash tile: hashes [index·256, index·256 + width) of tree level `level`·8. `width` is 256 for a full
 * tile and 1..255 for the partial tile at the right edge of a tree.
 */
export interface TileId {
  readonly level: number;
  readonly index: bigint;
  readonly width: number;
}

/** What a tlog-tiles path names: a hash tile, or the bundle of the entries under level-0 tile `index`. */
export type TilePath =
  | { readonly kind: 'hashes'; readonly tile: TileId }
  | { readonly kind: 'entries'; readonly index: bigint; readonly width: number };

/** `<N>` of a tile path: 3-digit groups, all but the last prefixed with `x` (1234067 → x001/x234/067). */
export function formatTileIndex(index: bigint): string {
  checkUint64('tile index', index);
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift((rest % 1000n).toString().padStart(3, '0'));
    rest /= 1000n;
  } while (rest > 0n);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

function widthSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new MerkleError('INVALID_TILE', `tile width must be 1..${TILE_WIDTH}, got ${width}`);
  }
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]`. */
export function tilePath(tile: TileId): string {
  if (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > 63) {
    throw new MerkleError('INVALID_TILE', `tile level must be 0..63, got ${tile.level}`);
  }
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(tile.width)}`;
}

/** `tile/entries/<N>[.p/<W>]`. */
export function entryBundlePath(index: bigint, width: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a path below the tiles prefix (`tile/0/x001/234`, `tile/entries/005.p/17`); only canonical
 * spellings are accepted, so every tile has exactly one path.
 */
export function parseTilePath(path: string): TilePath {
  const bad = (why: string) => new MerkleError('INVALID_TILE', `not a tile path (${why}): ${path}`);
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) throw bad('want tile/<L>/<N>');
  const levelPart = parts[1]!;
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  if (rest.length >= 2 && rest[rest.length - 2]!.endsWith('.p')) {
    const widthPart = rest[rest.length - 1]!;
    if (!DECIMAL.test(widthPart)) throw bad('width');
    width = Number(widthPart);
    if (width < 1 || width >= TILE_WIDTH) throw bad('partial width must be 1..255');
    rest = [...rest.slice(0, -2), rest[rest.length - 2]!.slice(0, -2)];
  }
  let index = 0n;
  rest.forEach((group, i) => {
    const last = i === rest.length - 1;
    const digits = last ? group : group.startsWith('x') ? group.slice(1) : '';
    if (!/^[0-9]{3}$/.test(digits)) throw bad('index groups are 3 digits, x-prefixed but the last');
    if (i === 0 && rest.length > 1 && digits === '000') throw bad('leading zero group');
    index = index * 1000n + BigInt(digits);
  });
  if (index > (1n << 64n) - 1n) throw bad('index too large');
  if (levelPart === 'entries') return { kind: 'entries', index, width };
  if (!DECIMAL.test(levelPart) || Number(levelPart) > 63) throw bad('level must be 0..63');
  return { kind: 'hashes', tile: { level: Number(levelPart), index, width } };
}

/** How many nodes of tree level `nodeLevel` are complete in a tree of `treeSize` leaves. */
function nodesAtLevel(treeSize: bigint, nodeLevel: number): bigint {
  return treeSize >> BigInt(nodeLevel);
}

/**
 * The tiles of a tree of `treeSize` at tile level `level` that exist: all full tiles and, at the
 * right edge, the partial tile (if any). Returns the count of full tiles and the partial width (0 if none).
 */
export function tileLevelExtent(
  treeSize: bigint,
  level: number,
): { fullTiles: bigint; partialWidth: number } {
  const nodes = nodesAtLevel(treeSize, level * TILE_HEIGHT);
  return {
    fullTiles: nodes / BigInt(TILE_WIDTH),
    partialWidth: Number(nodes % BigInt(TILE_WIDTH)),
  };
}

/**
 * Every tile that a tree of `newSize` has and a tree of `oldSize` did not have in that form: the new
 * full tiles and the new partial tiles, lowest level first. These are what a log publishes when it
 * grows from `oldSize` to `newSize`.
 */
export function tilesAddedBetween(oldSize: bigint, newSize: bigint): TileId[] {
  checkUint64('old size', oldSize);
  checkUint64('new size', newSize);
  if (newSize < oldSize)
    throw new MerkleError('INVALID_SIZE', `tree shrank from ${oldSize} to ${newSize}`);
  const tiles: TileId[] = [];
  for (let level = 0; nodesAtLevel(newSize, level * TILE_HEIGHT) > 0n; level++) {
    const before = nodesAtLevel(oldSize, level * TILE_HEIGHT);
    const after = nodesAtLevel(newSize, level * TILE_HEIGHT);
    if (after === before) continue;
    const width = BigInt(TILE_WIDTH);
    // The tile holding node `before` changed (it was partial, or did not exist), and so did every one after it.
    for (let index = before / width; index * width < after; index++) {
      const end = (index + 1n) * width;
      tiles.push({
        level,
        index,
        width: end <= after ? TILE_WIDTH : Number(after - index * width),
      });
    }
  }
  return tiles;
}

/** Splits a tile body into its hashes, checking it holds exactly `width` of them. */
export function tileHashes(body: Uint8Array, width: number): Uint8Array[] {
  if (body.length !== width * HASH_SIZE) {
    throw new MerkleError(
      'INVALID_TILE',
      `tile of width ${width} must be ${width * HASH_SIZE} bytes, got ${body.length}`,
    );
  }
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < width; i++) hashes.push(body.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return hashes;
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function formatEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const entry of entries) {
    if (entry.length > MAX_BUNDLED_ENTRY) {
      throw new MerkleError(
        'INVALID_TILE',
        `entry of ${entry.length} bytes does not fit an entry bundle`,
      );
    }
    total += 2 + entry.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const entry of entries) {
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 0xff;
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

export function parseEntryBundle(body: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 2 > body.length)
      throw new MerkleError('INVALID_TILE', 'entry bundle ends inside a length');
    const length = (body[offset]! << 8) | body[offset + 1]!;
    if (offset + 2 + length > body.length)
      throw new MerkleError('INVALID_TILE', 'entry bundle ends inside an entry');
    entries.push(body.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (entries.length > TILE_WIDTH)
    throw new MerkleError('INVALID_TILE', 'entry bundle holds more than 256 entries');
  return entries;
}

/** Fetches a tile's body; it may throw if the tile is not there. */
export type TileFetcher = (tile: TileId) => Promise<Uint8Array>;

/**
 * Reads perfect nodes of the tree of `treeSize` from its tiles: a node at level 8k is read directly
 * from a level-k tile; one at level 8k+1..8k+7 is hashed up from the level-8k nodes it covers, which
 * lie in one tile. Tiles are fetched once per `readNodes` call and their size checked.
 */
export class TileHashReader implements HashReader {
  constructor(
    readonly treeSize: bigint,
    private readonly fetchTile: TileFetcher,
  ) {
    checkUint64('tree size', treeSize);
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const tiles = new Map<string, Promise<Uint8Array[]>>();
    const loadTile = (tile: TileId): Promise<Uint8Array[]> => {
      const key = tilePath(tile);
      let hashes = tiles.get(key);
      if (!hashes) {
        hashes = this.fetchTile(tile).then((body) => tileHashes(body, tile.width));
        tiles.set(key, hashes);
      }
      return hashes;
    };
    return Promise.all(ids.map((id) => this.#readNode(id, loadTile)));
  }

  async #readNode(
    id: NodeId,
    loadTile: (tile: TileId) => Promise<Uint8Array[]>,
  ): Promise<Uint8Array> {
    const tileLevel = Math.floor(id.level / TILE_HEIGHT);
    const height = id.level % TILE_HEIGHT;
    const first = id.index << BigInt(height);
    const count = 1 << height;
    const tileIndex = first / BigInt(TILE_WIDTH);
    const offset = Number(first % BigInt(TILE_WIDTH));
    const { fullTiles, partialWidth } = tileLevelExtent(this.treeSize, tileLevel);
    const width = tileIndex < fullTiles ? TILE_WIDTH : tileIndex === fullTiles ? partialWidth : 0;
    if (offset + count > width) {
      throw new MerkleError(
        'MISSING_NODE',
        `node (${id.level}, ${id.index}) is not complete in a tree of ${this.treeSize}`,
      );
    }
    let level = (await loadTile({ level: tileLevel, index: tileIndex, width })).slice(
      offset,
      offset + count,
    );
    while (level.length > 1) {
      const up: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) up.push(hashChildren(level[i]!, level[i + 1]!));
      level = up;
    }
    return level[0]!;
  }
}
