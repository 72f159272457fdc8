// mirror and fsck over a log with tiles on three levels (70,000 entries: 273 full level-0 tiles and a
// partial one, a full and a partial level-1 tile, a partial level-2 tile): an honest log passes, and
// every kind of damage is reported at its exact place, first one first.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  DirTileSource,
  type FsckProblem,
  type FsckProgress,
  fsck,
  mirror,
  readFsckState,
  type TileSource,
} from '@airlock/audit';
import { SoftwareSigner } from '@airlock/keys';
import {
  entryBundlePath,
  formatEntryBundle,
  parseEntryBundle,
  TILE_WIDTH,
  tilePath,
  tilesAddedBetween,
} from '@airlock/merkle';
import { noteSignerFromSigner, signCheckpoint } from '@airlock/note';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_HOST, type EngineLog, openEngineLog } from './engine-log.js';

const SIZE = 70_000;
let engine: EngineLog;
let pristine: string;
const scratch = mkdtempSync(join(tmpdir(), 'airlock-fsck-'));

beforeAll(async () => {
  engine = await openEngineLog(SIZE);
  pristine = join(scratch, 'pristine');
  const report = await mirror(engine.source, pristine, { logKey: engine.logKey });
  expect(report.ok).toBe(true);
}, 120_000);
afterAll(async () => {
  await engine.log.close();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(engine.dataDir, { recursive: true, force: true });
});

/** A fresh copy of the mirrored folder to damage. */
function copy(name: string): string {
  const dir = join(scratch, name);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

async function problemIn(dir: string): Promise<FsckProblem | undefined> {
  const report = await fsck(new DirTileSource(dir), { logKey: engine.logKey });
  expect(report.ok).toBe(report.problem === undefined);
  return report.problem;
}

function flipHashByte(dir: string, path: string, position: number): void {
  const file = join(dir, path);
  const bytes = readFileSync(file);
  bytes[position * 32 + 5]! ^= 0x01;
  writeFileSync(file, bytes);
}

describe('mirror', () => {
  it('copies every tile and entry bundle, then the checkpoint, and fsck of the copy passes', async () => {
    const expectedFiles = tilesAddedBetween(0n, BigInt(SIZE));
    const bundles = expectedFiles.filter((tile) => tile.level === 0);
    for (const tile of expectedFiles) expect(existsSync(join(pristine, tilePath(tile)))).toBe(true);
    for (const tile of bundles)
      expect(existsSync(join(pristine, entryBundlePath(tile.index, tile.width)))).toBe(true);
    expect(readFileSync(join(pristine, 'checkpoint'), 'utf8')).toBe(
      engine.log.treeState.checkpoint,
    );
    expect(existsSync(join(pristine, 'checkpoints', String(SIZE)))).toBe(true);

    const report = await fsck(new DirTileSource(pristine), { logKey: engine.logKey });
    expect(report).toMatchObject({ ok: true, entriesChecked: BigInt(SIZE), resumedFrom: 0n });
    expect(report.tilesCompared).toBe(expectedFiles.length);
    expect(report.checkpoint?.size).toBe(BigInt(SIZE));
    expect(report.checkpointsChecked.map((c) => c.location)).toEqual([
      `checkpoints/${SIZE}`,
      'checkpoint',
    ]);
  });

  it('resumes: a second run fetches nothing; after growth it fetches only the new files', async () => {
    const dir = copy('resume-mirror');
    const again = await mirror(engine.source, dir, { logKey: engine.logKey });
    expect(again).toMatchObject({ ok: true, fetched: { files: 0 }, previousSize: BigInt(SIZE) });

    const grown = await openEngineLog(0, engine.signer);
    try {
      // The same entries as the shared log, then 500 more: a log that grew honestly.
      await grown.grow(SIZE + 500);
      const report = await mirror(grown.source, dir, { logKey: grown.logKey });
      const newTiles = tilesAddedBetween(BigInt(SIZE), BigInt(SIZE + 500));
      const newBundles = newTiles.filter((tile) => tile.level === 0);
      expect(report).toMatchObject({ ok: true, previousSize: BigInt(SIZE) });
      expect(report.fetched.files).toBe(newTiles.length + newBundles.length);
      expect(report.verification.checkpointsChecked.map((c) => c.size)).toEqual([
        BigInt(SIZE),
        BigInt(SIZE),
        BigInt(SIZE + 500),
      ]);
      const fsckReport = await fsck(new DirTileSource(dir), { logKey: grown.logKey });
      expect(fsckReport.ok).toBe(true);
      expect(fsckReport.checkpointsChecked.map((c) => c.location)).toEqual([
        `checkpoints/${SIZE}`,
        `checkpoints/${SIZE + 500}`,
        'checkpoint',
      ]);
    } finally {
      await grown.log.close();
    }
  });

  it('refuses a log whose tiles do not rebuild to its checkpoint and keeps the old state', async () => {
    const bad: TileSource = {
      ...engine.source,
      async readTile(tile) {
        const body = await engine.source.readTile(tile);
        if (body && tile.level === 1 && tile.index === 0n) body[2 * 32]! ^= 0xff;
        return body;
      },
    };
    const dir = join(scratch, 'lying-mirror');
    const report = await mirror(bad, dir, { logKey: engine.logKey });
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({
      kind: 'tile',
      path: 'tile/1/000',
      tile: { level: 1, index: 0n, position: 2 },
    });
    expect(existsSync(join(dir, 'checkpoint'))).toBe(false);
    // The file shown to be wrong is dropped, so that a later run fetches it again.
    expect(existsSync(join(dir, 'tile/1/000'))).toBe(false);
    expect(existsSync(join(dir, 'tile/0/000'))).toBe(true);
  });

  it('refuses a log that went back to a smaller tree', async () => {
    const smaller = await openEngineLog(100, engine.signer);
    try {
      await expect(
        mirror(smaller.source, copy('rollback'), { logKey: engine.logKey }),
      ).rejects.toMatchObject({ code: 'INCONSISTENT' });
    } finally {
      await smaller.log.close();
    }
  });

  it('refuses a checkpoint not signed by the trusted key', async () => {
    const other = SoftwareSigner.generate('ed25519');
    const forged: TileSource = {
      ...engine.source,
      readCheckpoint: async () =>
        signCheckpoint(
          {
            origin: ENGINE_HOST,
            size: engine.log.treeState.size,
            rootHash: engine.log.treeState.rootHash,
          },
          [noteSignerFromSigner(ENGINE_HOST, other)],
        ),
    };
    await expect(
      mirror(forged, join(scratch, 'forged'), { logKey: engine.logKey }),
    ).rejects.toMatchObject({ code: 'BAD_CHECKPOINT' });
  });
});

describe('fsck finds the first inconsistency and says exactly where', () => {
  it('an entry whose body changed: its index, bundle item and level-0 tile position', async () => {
    const dir = copy('edited-entry');
    const index = 12_345;
    const tile = Math.floor(index / TILE_WIDTH);
    const path = entryBundlePath(BigInt(tile), TILE_WIDTH);
    const entries = parseEntryBundle(readFileSync(join(dir, path))).map((e) => Buffer.from(e));
    entries[index % TILE_WIDTH] = Buffer.from('{"entry":"forged"}');
    // A second, later edit: only the first one is reported.
    entries[(index % TILE_WIDTH) + 10] = Buffer.from('{"entry":"forged too"}');
    writeFileSync(join(dir, path), formatEntryBundle(entries));
    const problem = await problemIn(dir);
    expect(problem).toMatchObject({
      kind: 'entry',
      entryIndex: BigInt(index),
      path,
      tile: { level: 0, index: BigInt(tile), position: index % TILE_WIDTH },
    });
    expect(problem?.message).toContain(`entry ${index} `);
  });

  it('a wrong leaf hash in a level-0 tile is reported at the entry it disagrees with', async () => {
    const dir = copy('edited-level0');
    flipHashByte(dir, 'tile/0/005', 7);
    expect(await problemIn(dir)).toMatchObject({ kind: 'entry', entryIndex: 5n * 256n + 7n });
  });

  it('a wrong node in a level-1 tile: its position and the entries it covers', async () => {
    const dir = copy('edited-level1');
    flipHashByte(dir, 'tile/1/000', 3);
    flipHashByte(dir, 'tile/1/000', 200);
    expect(await problemIn(dir)).toMatchObject({
      kind: 'tile',
      path: 'tile/1/000',
      tile: { level: 1, index: 0n, position: 3 },
      entries: { begin: 768n, end: 1024n },
    });
  });

  it('a wrong node in a partial tile at the right edge', async () => {
    const dir = copy('edited-partial');
    flipHashByte(dir, 'tile/1/001.p/17', 16);
    expect(await problemIn(dir)).toMatchObject({
      kind: 'tile',
      tile: { level: 1, index: 1n, position: 16 },
      entries: { begin: 69_632n, end: 69_888n },
    });
  });

  it('missing and truncated files', async () => {
    const missing = copy('missing');
    rmSync(join(missing, 'tile/entries/100'));
    expect(await problemIn(missing)).toMatchObject({ kind: 'missing', path: 'tile/entries/100' });
    const missingUpper = copy('missing-upper');
    rmSync(join(missingUpper, 'tile/2/000.p/1'));
    expect(await problemIn(missingUpper)).toMatchObject({
      kind: 'missing',
      path: 'tile/2/000.p/1',
    });
    const truncated = copy('truncated');
    writeFileSync(
      join(truncated, 'tile/0/200'),
      readFileSync(join(truncated, 'tile/0/200')).subarray(0, 100),
    );
    expect(await problemIn(truncated)).toMatchObject({ kind: 'malformed', path: 'tile/0/200' });
    const noCheckpoint = copy('no-checkpoint');
    rmSync(join(noCheckpoint, 'checkpoint'));
    expect(await problemIn(noCheckpoint)).toMatchObject({ kind: 'missing', path: 'checkpoint' });
  });

  it('a checkpoint signed by another key, or whose root the entries do not hash to', async () => {
    const dir = copy('bad-checkpoint');
    const other = SoftwareSigner.generate('ed25519');
    const { size, rootHash } = engine.log.treeState;
    writeFileSync(
      join(dir, 'checkpoint'),
      await signCheckpoint({ origin: ENGINE_HOST, size, rootHash }, [
        noteSignerFromSigner(ENGINE_HOST, other),
      ]),
    );
    expect(await problemIn(dir)).toMatchObject({ kind: 'checkpoint', path: 'checkpoint' });

    const wrongRoot = copy('wrong-root');
    const forgedRoot = Buffer.alloc(32, 7);
    rmSync(join(wrongRoot, 'checkpoints'), { recursive: true });
    writeFileSync(
      join(wrongRoot, 'checkpoint'),
      await signCheckpoint({ origin: ENGINE_HOST, size, rootHash: forgedRoot }, [
        noteSignerFromSigner(ENGINE_HOST, engine.signer),
      ]),
    );
    expect(await problemIn(wrongRoot)).toMatchObject({
      kind: 'root',
      path: 'checkpoint',
      size,
      signed: forgedRoot.toString('hex'),
      rebuilt: Buffer.from(rootHash).toString('hex'),
    });
  });

  it('every earlier checkpoint: a fork inside a tile, and one beyond the tree (a rollback)', async () => {
    const signer = noteSignerFromSigner(ENGINE_HOST, engine.signer);
    const fork = copy('fork');
    writeFileSync(
      join(fork, 'checkpoints/1000'),
      await signCheckpoint(
        { origin: ENGINE_HOST, size: 1000n, rootHash: await engine.log.rootAt(999n) },
        [signer],
      ),
    );
    expect(await problemIn(fork)).toMatchObject({ kind: 'root', path: 'checkpoints/1000' });

    const honest = copy('honest-history');
    writeFileSync(
      join(honest, 'checkpoints/1000'),
      await signCheckpoint(
        { origin: ENGINE_HOST, size: 1000n, rootHash: await engine.log.rootAt(1000n) },
        [signer],
      ),
    );
    const report = await fsck(new DirTileSource(honest), { logKey: engine.logKey });
    expect(report.ok).toBe(true);
    expect(report.checkpointsChecked.map((c) => c.size)).toEqual([
      1000n,
      BigInt(SIZE),
      BigInt(SIZE),
    ]);

    const rollback = copy('rollback-history');
    writeFileSync(
      join(rollback, 'checkpoints/80000'),
      await signCheckpoint({ origin: ENGINE_HOST, size: 80_000n, rootHash: Buffer.alloc(32) }, [
        signer,
      ]),
    );
    expect(await problemIn(rollback)).toMatchObject({
      kind: 'checkpoint',
      path: 'checkpoints/80000',
    });
  });
});

describe('fsck resume', () => {
  it('stops when told, saves its state, and a second run continues from it', async () => {
    const stateFile = join(scratch, 'resume-state.json');
    const stop = new AbortController();
    const seen: FsckProgress[] = [];
    await expect(
      fsck(new DirTileSource(pristine), {
        logKey: engine.logKey,
        stateFile,
        stateIntervalMs: 0,
        progressIntervalMs: 0,
        signal: stop.signal,
        onProgress: (progress) => {
          seen.push(progress);
          if (progress.entriesDone >= 30_000n) stop.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    const state = readFsckState(stateFile);
    expect(state?.origin).toBe(ENGINE_HOST);
    expect(state!.size >= 30_000n && state!.size % 256n === 0n).toBe(true);
    expect(seen[0]!.entriesDone).toBe(0n);

    const resumed = await fsck(new DirTileSource(pristine), {
      logKey: engine.logKey,
      stateFile,
      progressIntervalMs: 0,
      onProgress: (progress) => seen.push(progress),
    });
    expect(resumed).toMatchObject({ ok: true, resumedFrom: state!.size });
    expect(resumed.entriesChecked).toBe(BigInt(SIZE) - state!.size);
    expect(existsSync(stateFile)).toBe(false);
  });

  it('a resumed run still finds damage after the point it resumes from', async () => {
    const stateFile = join(scratch, 'resume-damage.json');
    const stop = new AbortController();
    const dir = copy('resume-damage');
    await expect(
      fsck(new DirTileSource(dir), {
        logKey: engine.logKey,
        stateFile,
        stateIntervalMs: 0,
        progressIntervalMs: 0,
        signal: stop.signal,
        onProgress: (progress) => {
          if (progress.entriesDone >= 10_000n) stop.abort();
        },
      }),
    ).rejects.toBeInstanceOf(AuditError);
    flipHashByte(dir, 'tile/0/250', 1);
    const report = await fsck(new DirTileSource(dir), { logKey: engine.logKey, stateFile });
    expect(report.resumedFrom > 0n).toBe(true);
    expect(report.problem).toMatchObject({ kind: 'entry', entryIndex: 250n * 256n + 1n });
  });

  it('refuses a state file of another log, or one that is not a state file', async () => {
    const stateFile = join(scratch, 'foreign-state.json');
    const other = await openEngineLog(600, SoftwareSigner.generate('ed25519'), 'other');
    try {
      const dir = join(scratch, 'other-log');
      await mirror(other.source, dir, { logKey: other.logKey });
      const stop = new AbortController();
      await expect(
        fsck(new DirTileSource(dir), {
          logKey: other.logKey,
          stateFile,
          stateIntervalMs: 0,
          progressIntervalMs: 0,
          signal: stop.signal,
          onProgress: (progress) => {
            if (progress.entriesDone >= 256n) stop.abort();
          },
        }),
      ).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await other.log.close();
    }
    // Same origin and key name, different key and entries: the state is not this log's tree.
    const report = await fsck(new DirTileSource(pristine), { logKey: engine.logKey, stateFile });
    expect(report).toMatchObject({ ok: true, resumedFrom: 0n, entriesChecked: BigInt(SIZE) });
    expect(report.resumeRefused).toMatch(/does not match tile\/1\/000 of this log/);

    writeFileSync(stateFile, 'not json');
    const garbage = await fsck(new DirTileSource(pristine), { logKey: engine.logKey, stateFile });
    expect(garbage).toMatchObject({ ok: true, resumedFrom: 0n });
    expect(garbage.resumeRefused).toMatch(/not JSON/);
  });
});
