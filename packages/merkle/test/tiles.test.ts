// C2SP tlog-tiles: canonical paths (wire-formats §4.3), which tiles a log publishes as it grows,
// proofs computed from tiles, and entry bundles.
import {
  CompactRange,
  entryBundlePath,
  formatEntryBundle,
  formatTileIndex,
  hashLeaf,
  MAX_UINT64,
  MemoryHashStore,
  MerkleError,
  parseEntryBundle,
  parseTilePath,
  proveConsistency,
  proveInclusion,
  rangeNodes,
  type TileFetcher,
  TileHashReader,
  type TileId,
  tileHashes,
  tileLevelExtent,
  tilePath,
  tilesAddedBetween,
  verifyInclusion,
} from '@airlock/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hexes = (hashes: readonly Uint8Array[]) => hashes.map(hex);

/** 'ok', the MerkleError code, or 'not a MerkleError: ...' for anything else thrown. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof MerkleError ? error.code : `not a MerkleError: ${String(error)}`;
  }
}

async function asyncOutcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return error instanceof MerkleError ? error.code : `not a MerkleError: ${String(error)}`;
  }
}

describe('tile paths', () => {
  it('formats the §4.3 examples', () => {
    expect(formatTileIndex(1234067n)).toBe('x001/x234/067');
    expect(formatTileIndex(5n)).toBe('005');
    expect(formatTileIndex(1000n)).toBe('x001/000');
    expect(formatTileIndex(0n)).toBe('000');
    expect(formatTileIndex(999n)).toBe('999');
    expect(formatTileIndex(MAX_UINT64)).toBe('x018/x446/x744/x073/x709/x551/615');
    expect(tilePath({ level: 0, index: 1234067n, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 0n, width: 1 })).toBe('tile/2/000.p/1');
    expect(tilePath({ level: 0, index: 273n, width: 112 })).toBe('tile/0/273.p/112');
    expect(entryBundlePath(5n, 256)).toBe('tile/entries/005');
    expect(entryBundlePath(1000n, 17)).toBe('tile/entries/x001/000.p/17');
  });

  it('parses the §4.3 examples', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({
      kind: 'hashes',
      tile: { level: 0, index: 1234067n, width: 256 },
    });
    expect(parseTilePath('tile/1/005.p/17')).toEqual({
      kind: 'hashes',
      tile: { level: 1, index: 5n, width: 17 },
    });
    expect(parseTilePath('tile/entries/x001/000')).toEqual({
      kind: 'entries',
      index: 1000n,
      width: 256,
    });
    expect(parseTilePath('tile/entries/x018/x446/x744/x073/x709/x551/615.p/255')).toEqual({
      kind: 'entries',
      index: MAX_UINT64,
      width: 255,
    });
  });

  it('round-trips every tile and bundle path', () => {
    const index = fc.oneof(
      fc.bigInt({ min: 0n, max: MAX_UINT64 }),
      fc.bigInt({ min: 0n, max: 5000n }),
      fc.constantFrom(0n, 999n, 1000n, 999_999n, 1_000_000n, MAX_UINT64),
    );
    const width = fc.oneof(fc.integer({ min: 1, max: 256 }), fc.constantFrom(1, 255, 256));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), index, width, (level, tileIndex, tileWidth) => {
        const tile: TileId = { level, index: tileIndex, width: tileWidth };
        expect(parseTilePath(tilePath(tile))).toEqual({ kind: 'hashes', tile });
        expect(parseTilePath(entryBundlePath(tileIndex, tileWidth))).toEqual({
          kind: 'entries',
          index: tileIndex,
          width: tileWidth,
        });
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['leading zeros in a group', 'tile/0/0005'],
    ['a short group', 'tile/0/05'],
    ['x000 as the first group', 'tile/0/x000/005'],
    ['x000 as the first of three groups', 'tile/0/x000/x001/005'],
    ['no x on a leading group', 'tile/0/001/234'],
    ['an x on the last group', 'tile/0/x001'],
    ['an x without digits', 'tile/0/x/005'],
    ['partial width 0', 'tile/0/005.p/0'],
    ['partial width 256', 'tile/0/005.p/256'],
    ['partial width over 256', 'tile/0/005.p/1000'],
    ['partial width with a leading zero', 'tile/0/005.p/017'],
    ['partial width missing', 'tile/0/005.p/'],
    ['partial marker without width', 'tile/0/005.p'],
    ['partial width that is not a number', 'tile/0/005.p/1x'],
    ['level 64', 'tile/64/005'],
    ['level with a leading zero', 'tile/01/005'],
    ['negative level', 'tile/-1/005'],
    ['level that is not a number', 'tile/a/005'],
    ['index above 2^64-1', 'tile/0/x018/x446/x744/x073/x709/x551/616'],
    ['entries with x000 first', 'tile/entries/x000/005'],
    ['entries with width 256', 'tile/entries/005.p/256'],
    ['a trailing slash', 'tile/0/005/'],
    ['a leading slash', '/tile/0/005'],
    ['another prefix', 'tiles/0/005'],
    ['no index', 'tile/0'],
    ['letters for an index', 'tile/0/abc'],
    ['a sign in an index', 'tile/0/+05'],
    ['extra segments', 'tile/0/005.p/5/6'],
    ['the empty string', ''],
  ])('refuses %s: %j', (_why, path) => {
    expect(outcome(() => parseTilePath(path))).toBe('INVALID_TILE');
  });

  it('refuses to format impossible tiles', () => {
    expect(outcome(() => tilePath({ level: 64, index: 0n, width: 256 }))).toBe('INVALID_TILE');
    expect(outcome(() => tilePath({ level: -1, index: 0n, width: 256 }))).toBe('INVALID_TILE');
    expect(outcome(() => tilePath({ level: 1.5, index: 0n, width: 256 }))).toBe('INVALID_TILE');
    expect(outcome(() => tilePath({ level: 0, index: 0n, width: 0 }))).toBe('INVALID_TILE');
    expect(outcome(() => tilePath({ level: 0, index: 0n, width: 257 }))).toBe('INVALID_TILE');
    expect(outcome(() => entryBundlePath(0n, 2.5))).toBe('INVALID_TILE');
    expect(outcome(() => formatTileIndex(-1n))).toBe('INVALID_SIZE');
    expect(outcome(() => formatTileIndex(MAX_UINT64 + 1n))).toBe('INVALID_SIZE');
  });
});

describe('tilesAddedBetween', () => {
  it('matches the §4.3 example for a tree of 70,000', () => {
    const tiles = tilesAddedBetween(0n, 70000n);
    const levelZero = tiles.filter((tile) => tile.level === 0);
    expect(levelZero).toHaveLength(274);
    expect(levelZero.filter((tile) => tile.width === 256)).toHaveLength(273);
    expect(levelZero.at(-1)).toEqual({ level: 0, index: 273n, width: 112 });
    expect(levelZero.map((tile) => tile.index)).toEqual(
      Array.from({ length: 274 }, (_, i) => BigInt(i)),
    );
    expect(tiles.filter((tile) => tile.level > 0)).toEqual([
      { level: 1, index: 0n, width: 256 },
      { level: 1, index: 1n, width: 17 },
      { level: 2, index: 0n, width: 1 },
    ]);
    expect(tileLevelExtent(70000n, 0)).toEqual({ fullTiles: 273n, partialWidth: 112 });
    expect(tileLevelExtent(70000n, 1)).toEqual({ fullTiles: 1n, partialWidth: 17 });
    expect(tileLevelExtent(70000n, 2)).toEqual({ fullTiles: 0n, partialWidth: 1 });
    expect(tileLevelExtent(70000n, 3)).toEqual({ fullTiles: 0n, partialWidth: 0 });
  });

  /** Does the tree of `size` publish exactly this tile (same index and width)? */
  function publishes(size: bigint, tile: TileId): boolean {
    const nodes = size >> BigInt(8 * tile.level);
    const full = nodes / 256n;
    const partial = Number(nodes % 256n);
    return tile.width === 256 ? tile.index < full : tile.index === full && tile.width === partial;
  }

  /** How many tiles the tree of `b` publishes that the tree of `a` does not. */
  function changedCount(a: bigint, b: bigint): bigint {
    let count = 0n;
    for (let level = 0; b >> BigInt(8 * level) > 0n; level++) {
      const [nodesA, nodesB] = [a >> BigInt(8 * level), b >> BigInt(8 * level)];
      count += nodesB / 256n - nodesA / 256n;
      if (nodesB % 256n !== 0n && nodesA !== nodesB) count++;
    }
    return count;
  }

  function checkChanged(a: bigint, b: bigint): void {
    const tiles = tilesAddedBetween(a, b);
    expect(BigInt(tiles.length)).toBe(changedCount(a, b));
    const seen = new Set<string>();
    tiles.forEach((tile, i) => {
      expect(publishes(b, tile), `${tilePath(tile)} is in the tree of ${b}`).toBe(true);
      expect(publishes(a, tile), `${tilePath(tile)} was already in the tree of ${a}`).toBe(false);
      const previous = tiles[i - 1];
      if (previous) {
        expect(tile.level).toBeGreaterThanOrEqual(previous.level);
        if (tile.level === previous.level) expect(tile.index).toBe(previous.index + 1n);
      }
      seen.add(tilePath(tile));
    });
    expect(seen.size).toBe(tiles.length);
  }

  it('lists exactly the tiles that changed, for small trees (exhaustively compared)', () => {
    const allTiles = (size: bigint): Set<string> => {
      const paths = new Set<string>();
      for (let level = 0; size >> BigInt(8 * level) > 0n; level++) {
        const nodes = size >> BigInt(8 * level);
        for (let index = 0n; index < nodes / 256n; index++)
          paths.add(tilePath({ level, index, width: 256 }));
        const partial = Number(nodes % 256n);
        if (partial > 0) paths.add(tilePath({ level, index: nodes / 256n, width: partial }));
      }
      return paths;
    };
    const size = fc.oneof(fc.integer({ min: 0, max: 1 << 18 }), fc.integer({ min: 0, max: 2000 }));
    fc.assert(
      fc.property(size, size, (x, y) => {
        const [a, b] = x <= y ? [BigInt(x), BigInt(y)] : [BigInt(y), BigInt(x)];
        const before = allTiles(a);
        const want = [...allTiles(b)].filter((path) => !before.has(path)).sort();
        expect(tilesAddedBetween(a, b).map(tilePath).sort()).toEqual(want);
        checkChanged(a, b);
      }),
      { numRuns: 150 },
    );
  });

  it('lists exactly the tiles that changed, for huge trees growing a little', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: MAX_UINT64 - (1n << 16n) }),
        fc.bigInt({ min: 0n, max: 1n << 16n }),
        (a, growth) => checkChanged(a, a + growth),
      ),
      { numRuns: 300 },
    );
    checkChanged(MAX_UINT64 - 1n, MAX_UINT64);
    checkChanged(0n, 0n);
  });

  it('refuses a tree that shrinks or sizes out of range', () => {
    expect(outcome(() => tilesAddedBetween(10n, 9n))).toBe('INVALID_SIZE');
    expect(outcome(() => tilesAddedBetween(-1n, 9n))).toBe('INVALID_SIZE');
    expect(outcome(() => tilesAddedBetween(0n, MAX_UINT64 + 1n))).toBe('INVALID_SIZE');
  });
});

/** Big enough for level-2 tiles and for nodes above level 16 (which need 2^17 leaves). */
const TREE_SIZE = 140_000;
const entries = Array.from({ length: TREE_SIZE }, (_, i) => new TextEncoder().encode(`entry ${i}`));
const store = new MemoryHashStore();
for (const entry of entries) store.append(hashLeaf(entry));

/**
 * Serves the tiles a log of `size` would publish, built from the store's nodes (level-k tile hashes
 * are the nodes at tree level 8k). A tile the log would not publish, at that width, is a 404.
 */
function tileServer(size: bigint, fetched?: TileId[]): TileFetcher {
  return async (tile) => {
    fetched?.push(tile);
    const nodes = size >> BigInt(8 * tile.level);
    const full = nodes / 256n;
    const published =
      tile.width === 256
        ? tile.index < full
        : tile.index === full && tile.width === Number(nodes % 256n);
    if (!published) throw new Error(`404 ${tilePath(tile)} in a tree of ${size}`);
    const ids = Array.from({ length: tile.width }, (_, i) => ({
      level: 8 * tile.level,
      index: tile.index * 256n + BigInt(i),
    }));
    return Buffer.concat(store.readNodes(ids));
  };
}

describe('TileHashReader', () => {
  const size = fc.oneof(
    fc.integer({ min: 1, max: TREE_SIZE }),
    fc.integer({ min: 65_537, max: TREE_SIZE }),
    fc.integer({ min: 131_073, max: TREE_SIZE }),
    fc.integer({ min: 1, max: 600 }),
  );

  it('gives the same inclusion proofs as the store, with full and partial tiles at levels 0-2', async () => {
    const fetched: TileId[] = [];
    await fc.assert(
      fc.asyncProperty(
        size.chain((s) => fc.tuple(fc.integer({ min: 0, max: s - 1 }), fc.constant(s))),
        async ([index, treeSize]) => {
          const reader = new TileHashReader(
            BigInt(treeSize),
            tileServer(BigInt(treeSize), fetched),
          );
          const proof = await proveInclusion(reader, BigInt(index), BigInt(treeSize));
          expect(hexes(proof)).toEqual(
            hexes(store.inclusionProof(BigInt(index), BigInt(treeSize))),
          );
        },
      ),
      { numRuns: 150 },
    );
    for (const level of [0, 1, 2]) {
      const atLevel = fetched.filter((tile) => tile.level === level);
      expect(atLevel.some((tile) => tile.width === 256) || level === 2).toBe(true);
      expect(atLevel.some((tile) => tile.width < 256)).toBe(true);
    }
  });

  it('gives the same consistency proofs as the store', async () => {
    await fc.assert(
      fc.asyncProperty(
        size.chain((s) => fc.tuple(fc.integer({ min: 0, max: s }), fc.constant(s))),
        async ([size1, size2]) => {
          const reader = new TileHashReader(BigInt(size2), tileServer(BigInt(size2)));
          const proof = await proveConsistency(reader, BigInt(size1), BigInt(size2));
          expect(hexes(proof)).toEqual(hexes(store.consistencyProof(BigInt(size1), BigInt(size2))));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads nodes across all three tile levels for a tree above 2^17', async () => {
    const treeSize = BigInt(TREE_SIZE);
    const reader = new TileHashReader(treeSize, tileServer(treeSize));
    const ids = [
      { level: 16, index: 0n },
      { level: 17, index: 0n },
      { level: 16, index: 1n },
      { level: 9, index: 272n },
      { level: 3, index: 17_000n },
      { level: 0, index: treeSize - 1n },
    ];
    expect(hexes(await reader.readNodes(ids))).toEqual(hexes(store.readNodes(ids)));
  });

  it('refuses a tile of the wrong length', async () => {
    const treeSize = 70_000n;
    const serve = tileServer(treeSize);
    for (const change of [-1, 1, -32, 32]) {
      const reader = new TileHashReader(treeSize, async (tile) => {
        const body = await serve(tile);
        return change < 0
          ? body.subarray(0, body.length + change)
          : Buffer.concat([body, Buffer.alloc(change)]);
      });
      expect(await asyncOutcome(() => proveInclusion(reader, 12_345n, treeSize))).toBe(
        'INVALID_TILE',
      );
    }
    // A full tile where the tree has only a partial one (a server serving a newer tree).
    const newer = tileServer(70_144n);
    const reader = new TileHashReader(treeSize, (tile) =>
      newer(tile.level === 0 && tile.width < 256 ? { ...tile, width: 256 } : tile),
    );
    expect(await asyncOutcome(() => proveInclusion(reader, 69_999n, treeSize))).toBe(
      'INVALID_TILE',
    );
  });

  it('refuses nodes that are not complete in its tree', async () => {
    const reader = new TileHashReader(70_001n, tileServer(70_001n));
    for (const id of [
      { level: 0, index: 70_001n },
      { level: 1, index: 35_000n },
      { level: 8, index: 273n },
      { level: 16, index: 1n },
      { level: 17, index: 0n },
    ]) {
      expect(await asyncOutcome(() => reader.readNodes([id]))).toBe('MISSING_NODE');
    }
    expect(outcome(() => new TileHashReader(-1n, tileServer(1n)))).toBe('INVALID_SIZE');
  });

  it('lets a verifier catch a tile with a changed hash', async () => {
    const treeSize = 70_000n;
    const serve = tileServer(treeSize);
    const reader = new TileHashReader(treeSize, async (tile) => {
      const body = Uint8Array.from(await serve(tile));
      if (tile.level === 1) body[40] = body[40]! ^ 1;
      return body;
    });
    const proof = await proveInclusion(reader, 3n, treeSize);
    const honest = store.inclusionProof(3n, treeSize);
    expect(hexes(proof)).not.toEqual(hexes(honest));
    const leaf = hashLeaf(entries[3]!);
    const honestRoot = CompactRange.fromPeaks(
      treeSize,
      store.readNodes(rangeNodes(0n, treeSize)),
    ).root();
    expect(verifyInclusion(leaf, 3n, treeSize, honest, honestRoot)).toBe(true);
    expect(verifyInclusion(leaf, 3n, treeSize, proof, honestRoot)).toBe(false);
  });
});

describe('tileHashes', () => {
  it('splits a body of exactly width hashes and refuses any other length', () => {
    const body = new Uint8Array(3 * 32).map((_, i) => i);
    expect(tileHashes(body, 3).map((hash) => hash[0])).toEqual([0, 32, 64]);
    expect(outcome(() => tileHashes(body, 2))).toBe('INVALID_TILE');
    expect(outcome(() => tileHashes(body.subarray(1), 3))).toBe('INVALID_TILE');
    expect(outcome(() => tileHashes(new Uint8Array(0), 1))).toBe('INVALID_TILE');
  });
});

describe('entry bundles', () => {
  const entry = fc.oneof(
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0xffff).fill(7)) },
  );
  const bundle = fc.array(entry, { maxLength: 256 });

  it('round-trip', () => {
    fc.assert(
      fc.property(bundle, (items) => {
        expect(parseEntryBundle(formatEntryBundle(items)).map(hex)).toEqual(items.map(hex));
      }),
      { numRuns: 200 },
    );
  });

  it('refuse a bundle cut inside a length or an entry; a cut between entries leaves a prefix', () => {
    // The format cannot tell a bundle cut between entries from a shorter one: the reader must
    // compare the entry count with the tile width it asked for.
    fc.assert(
      fc.property(
        bundle.filter((items) => items.length > 0),
        fc.nat(),
        (items, pick) => {
          const body = formatEntryBundle(items);
          const cut = pick % body.length;
          const boundaries = [0];
          for (const item of items) boundaries.push(boundaries.at(-1)! + 2 + item.length);
          const kept = boundaries.indexOf(cut);
          if (kept >= 0) {
            expect(parseEntryBundle(body.subarray(0, cut)).map(hex)).toEqual(
              items.slice(0, kept).map(hex),
            );
          } else {
            expect(outcome(() => parseEntryBundle(body.subarray(0, cut)))).toBe('INVALID_TILE');
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(outcome(() => parseEntryBundle(Uint8Array.of(0)))).toBe('INVALID_TILE');
    expect(outcome(() => parseEntryBundle(Uint8Array.of(0, 2, 9)))).toBe('INVALID_TILE');
  });

  it('refuse more than 256 entries and entries over 65535 bytes', () => {
    const many = Array.from({ length: 257 }, () => Uint8Array.of(1));
    expect(outcome(() => parseEntryBundle(formatEntryBundle(many)))).toBe('INVALID_TILE');
    expect(parseEntryBundle(formatEntryBundle(many.slice(1)))).toHaveLength(256);
    expect(outcome(() => formatEntryBundle([new Uint8Array(0x10000)]))).toBe('INVALID_TILE');
  });

  it('hold entries whose leaf hashes are the level-0 tile', async () => {
    const body = formatEntryBundle(entries.slice(256, 512));
    expect(entryBundlePath(1n, 256)).toBe('tile/entries/001');
    const tile = await tileServer(BigInt(TREE_SIZE))({ level: 0, index: 1n, width: 256 });
    expect(parseEntryBundle(body).map((item) => hex(hashLeaf(item)))).toEqual(
      hexes(tileHashes(tile, 256)),
    );
  });
});
