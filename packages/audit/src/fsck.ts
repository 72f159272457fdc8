// fsck: re-derives a whole log from its entries, as Tessera's fsck does. Every entry bundle is hashed
// into its level-0 tile, every tile above is rebuilt from the one below, the root is compared with the
// signed checkpoint and with every other checkpoint known for the log (a mirror's history, a
// remembered one); the first disagreement is reported with its exact place.
import { performance } from 'node:perf_hooks';
import {
  bytesEqual,
  EMPTY_ROOT,
  entryBundlePath,
  HASH_SIZE,
  MerkleError,
  parseEntryBundle,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileLevelExtent,
  tilePath,
} from '@airlock/merkle';
import { toHex } from './encoding.js';
import { AuditError } from './errors.js';
import { type FsckState, readFsckState, removeFsckState, writeFsckState } from './fsck-state.js';
import { LeafHasher } from './hashing.js';
import { type LogKey, openLogCheckpoint, type VerifiedCheckpoint } from './log-key.js';
import type { TileSource } from './tile-source.js';
import { type TileMismatch, TreeRebuilder } from './tree-rebuilder.js';

/** Level-0 tiles (and their entry bundles) read ahead of the one being hashed. */
export const DEFAULT_FSCK_READ_AHEAD = 16;
/** How often the resume state is written. */
export const DEFAULT_FSCK_STATE_INTERVAL_MS = 1000;
/** How often progress is reported. */
export const DEFAULT_FSCK_PROGRESS_INTERVAL_MS = 250;

export interface FsckProgress {
  /** Leaves whose hashes are rebuilt, the resumed prefix included. */
  readonly entriesDone: bigint;
  readonly treeSize: bigint;
  readonly resumedFrom: bigint;
  readonly elapsedMs: number;
}

/** A checkpoint other than the source's own that the rebuilt tree must agree with. */
export interface ExtraCheckpoint {
  /** Where it came from, for the report (a file name). */
  readonly location: string;
  readonly note: string;
}

export interface FsckOptions {
  readonly logKey: LogKey;
  /** The checkpoint to check the source against; default: the source's own `checkpoint`. */
  readonly checkpoint?: string;
  readonly extraCheckpoints?: readonly ExtraCheckpoint[];
  /** Where the resume state lives; without it a run always starts from entry 0. */
  readonly stateFile?: string;
  readonly onProgress?: (progress: FsckProgress) => void;
  readonly progressIntervalMs?: number;
  readonly stateIntervalMs?: number;
  readonly readAhead?: number;
  /** Stops the run at the next tile boundary, after saving the state. */
  readonly signal?: AbortSignal;
}

interface Located {
  /** Path below the source (`tile/0/x001/234`, `tile/entries/000.p/7`, `checkpoint`). */
  readonly path: string;
  /** One line saying exactly what is wrong and where. */
  readonly message: string;
}

/** The first inconsistency fsck found. */
export type FsckProblem =
  | (Located & { readonly kind: 'checkpoint' })
  | (Located & { readonly kind: 'missing' })
  | (Located & { readonly kind: 'malformed' })
  | (Located & {
      readonly kind: 'entry';
      /** The entry whose body does not hash to its stored leaf hash. */
      readonly entryIndex: bigint;
      readonly tile: { readonly level: 0; readonly index: bigint; readonly position: number };
      readonly stored: string;
      readonly rebuilt: string;
    })
  | (Located & {
      readonly kind: 'tile';
      readonly tile: { readonly level: number; readonly index: bigint; readonly position: number };
      /** The entries [begin, end) the wrong node covers. */
      readonly entries: { readonly begin: bigint; readonly end: bigint };
      readonly stored: string;
      readonly rebuilt: string;
    })
  | (Located & {
      readonly kind: 'root';
      readonly size: bigint;
      readonly signed: string;
      readonly rebuilt: string;
    });

export interface FsckReport {
  readonly ok: boolean;
  readonly source: string;
  /** The checkpoint checked (absent only if it could not be read or verified). */
  readonly checkpoint?: VerifiedCheckpoint;
  /** Leaves rebuilt in this run. */
  readonly entriesChecked: bigint;
  /** Leaves taken from the resume state instead. */
  readonly resumedFrom: bigint;
  /** Why a state file was there but not used. */
  readonly resumeRefused?: string;
  /** Hash tiles compared with rebuilt ones, levels 0 and up. */
  readonly tilesCompared: number;
  /** Every checkpoint whose root was compared with the rebuilt tree. */
  readonly checkpointsChecked: readonly { readonly location: string; readonly size: bigint }[];
  readonly seconds: number;
  readonly problem?: FsckProblem;
}

function mismatchProblem(mismatch: TileMismatch): FsckProblem {
  const path = tilePath(mismatch.tile);
  if (mismatch.kind === 'missing') return { kind: 'missing', path, message: `${path} is missing` };
  if (mismatch.kind === 'malformed')
    return { kind: 'malformed', path, message: `${path} ${mismatch.message}` };
  const { level, index } = mismatch.tile;
  const span = 1n << BigInt(level * TILE_HEIGHT);
  const begin = (index * BigInt(TILE_WIDTH) + BigInt(mismatch.position)) * span;
  const stored = toHex(mismatch.stored);
  const rebuilt = toHex(mismatch.rebuilt);
  return {
    kind: 'tile',
    path,
    tile: { level, index, position: mismatch.position },
    entries: { begin, end: begin + span },
    stored,
    rebuilt,
    message: `${path} position ${mismatch.position} (the node over entries ${begin}..${begin + span - 1n}) holds ${stored}, but the tiles below hash to ${rebuilt}`,
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i += HASH_SIZE)
    if (Buffer.compare(a.subarray(i, i + HASH_SIZE), b.subarray(i, i + HASH_SIZE)) !== 0)
      return i / HASH_SIZE;
  return -1;
}

interface PendingCheckpoint {
  readonly location: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
}

/** Re-derives the log in `source` and checks it against its signed checkpoint(s). */
export async function fsck(source: TileSource, options: FsckOptions): Promise<FsckReport> {
  const started = performance.now();
  const checkpointsChecked: { location: string; size: bigint }[] = [];
  let checkpoint: VerifiedCheckpoint | undefined;
  let rebuilder: TreeRebuilder | undefined;
  let resumedFrom = 0n;
  let resumeRefused: string | undefined;
  let level0Tiles = 0;
  const report = (problem?: FsckProblem): FsckReport => ({
    ok: problem === undefined,
    source: source.location,
    ...(checkpoint ? { checkpoint } : {}),
    entriesChecked: (rebuilder?.size ?? 0n) - resumedFrom,
    resumedFrom,
    ...(resumeRefused !== undefined ? { resumeRefused } : {}),
    tilesCompared: level0Tiles + (rebuilder?.storedTilesCompared ?? 0),
    checkpointsChecked,
    seconds: (performance.now() - started) / 1000,
    ...(problem ? { problem } : {}),
  });
  const openOrReport = (location: string, note: string, origin?: string) => {
    try {
      return openLogCheckpoint(note, options.logKey, origin !== undefined ? { origin } : {});
    } catch (error) {
      if (error instanceof AuditError && error.code === 'BAD_CHECKPOINT') {
        return {
          kind: 'checkpoint',
          path: location,
          message: `${location}: ${error.message}`,
        } as const;
      }
      throw error;
    }
  };

  const note = options.checkpoint ?? (await source.readCheckpoint());
  if (note === null) {
    return report({ kind: 'missing', path: 'checkpoint', message: 'the checkpoint is missing' });
  }
  const opened = openOrReport('checkpoint', note);
  if ('kind' in opened) return report(opened);
  checkpoint = opened;
  const treeSize = checkpoint.size;

  // Every other checkpoint must be a prefix of this tree: its root is the rebuilt root at its size.
  const pending: PendingCheckpoint[] = [];
  const others = [
    ...((await source.readCheckpointHistory?.()) ?? []),
    ...(options.extraCheckpoints ?? []),
  ];
  for (const other of others) {
    const verified = openOrReport(other.location, other.note, checkpoint.origin);
    if ('kind' in verified) return report(verified);
    if (verified.size > treeSize) {
      return report({
        kind: 'checkpoint',
        path: other.location,
        message: `${other.location} is signed for size ${verified.size}, larger than the checkpoint's ${treeSize}: the log went back`,
      });
    }
    pending.push({ location: other.location, size: verified.size, rootHash: verified.rootHash });
  }
  pending.push({ location: 'checkpoint', size: treeSize, rootHash: checkpoint.rootHash });
  pending.sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : 0));

  const verified: { size: bigint; rootHash: Uint8Array }[] = [];
  const checkRoot = (at: PendingCheckpoint, rebuiltRoot: Uint8Array): FsckProblem | undefined => {
    checkpointsChecked.push({ location: at.location, size: at.size });
    if (bytesEqual(rebuiltRoot, at.rootHash)) {
      verified.push({ size: at.size, rootHash: at.rootHash });
      return undefined;
    }
    const signed = toHex(at.rootHash);
    const rebuilt = toHex(rebuiltRoot);
    return {
      kind: 'root',
      path: at.location,
      size: at.size,
      signed,
      rebuilt,
      message: `${at.location} signs root ${signed} for size ${at.size}, but the first ${at.size} entries hash to ${rebuilt}`,
    };
  };
  while (pending[0]?.size === 0n) {
    const problem = checkRoot(pending.shift()!, EMPTY_ROOT);
    if (problem) return report(problem);
  }

  rebuilder = new TreeRebuilder(treeSize, (tile) => source.readTile(tile));
  const state = options.stateFile ? loadState(options.stateFile, checkpoint.origin) : null;
  if (state && 'refused' in state) resumeRefused = state.refused;
  else if (state) {
    const why =
      resumeProblem(state, pending, treeSize) ?? (await stateMismatch(state, source, treeSize));
    if (why) resumeRefused = why;
    else if (!rebuilder.restore(state)) resumeRefused = 'its tree state is not a tree edge';
    else {
      resumedFrom = state.size;
      while (pending[0] && pending[0].size <= state.size) {
        const done = pending.shift()!;
        checkpointsChecked.push({ location: done.location, size: done.size });
        verified.push({ size: done.size, rootHash: done.rootHash });
      }
    }
  }

  const saveState = () => {
    if (!options.stateFile || !checkpoint || !rebuilder) return;
    writeFsckState(options.stateFile, {
      origin: checkpoint.origin,
      ...rebuilder.snapshot(),
      verified,
    });
  };
  const finish = (problem?: FsckProblem): FsckReport => {
    if (options.stateFile) removeFsckState(options.stateFile);
    return report(problem);
  };

  const leafHasher = new LeafHasher();
  const { fullTiles, partialWidth } = tileLevelExtent(treeSize, 0);
  const tileCount = fullTiles + (partialWidth > 0 ? 1n : 0n);
  const widthOf = (index: bigint) => (index < fullTiles ? TILE_WIDTH : partialWidth);
  const readAhead = Math.max(1, options.readAhead ?? DEFAULT_FSCK_READ_AHEAD);
  const inFlight = new Map<bigint, Promise<[Uint8Array | null, Uint8Array | null]>>();
  const read = (index: bigint) => {
    const width = widthOf(index);
    const both = Promise.all([
      source.readEntryBundle(index, width),
      source.readTile({ level: 0, index, width }),
    ]);
    // Read-ahead failures surface when their tile's turn comes; until then they are not unhandled.
    both.catch(() => {});
    return both;
  };
  const progressEvery = options.progressIntervalMs ?? DEFAULT_FSCK_PROGRESS_INTERVAL_MS;
  const stateEvery = options.stateIntervalMs ?? DEFAULT_FSCK_STATE_INTERVAL_MS;
  let lastProgress = Number.NEGATIVE_INFINITY;
  let lastSave = performance.now();
  const progress = (force: boolean) => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastProgress < progressEvery)) return;
    lastProgress = now;
    options.onProgress({
      entriesDone: rebuilder?.size ?? 0n,
      treeSize,
      resumedFrom,
      elapsedMs: now - started,
    });
  };
  progress(true);

  for (let index = rebuilder.size / BigInt(TILE_WIDTH); index < tileCount; index++) {
    if (options.signal?.aborted) {
      saveState();
      throw new AuditError('ABORTED', `fsck stopped at entry ${rebuilder.size}`);
    }
    for (let ahead = index; ahead < index + BigInt(readAhead) && ahead < tileCount; ahead++)
      if (!inFlight.has(ahead)) inFlight.set(ahead, read(ahead));
    const [bundle, tile] = await inFlight.get(index)!;
    inFlight.delete(index);
    const width = widthOf(index);
    const bundlePath = entryBundlePath(index, width);
    const level0Path = tilePath({ level: 0, index, width });
    if (bundle === null)
      return finish({ kind: 'missing', path: bundlePath, message: `${bundlePath} is missing` });
    if (tile === null)
      return finish({ kind: 'missing', path: level0Path, message: `${level0Path} is missing` });
    let entries: Uint8Array[];
    try {
      entries = parseEntryBundle(bundle);
    } catch (error) {
      if (!(error instanceof MerkleError)) throw error;
      return finish({
        kind: 'malformed',
        path: bundlePath,
        message: `${bundlePath}: ${error.message}`,
      });
    }
    if (entries.length !== width) {
      return finish({
        kind: 'malformed',
        path: bundlePath,
        message: `${bundlePath} holds ${entries.length} entries, want ${width}`,
      });
    }
    if (tile.length !== width * HASH_SIZE) {
      return finish({
        kind: 'malformed',
        path: level0Path,
        message: `${level0Path} holds ${tile.length} bytes, a tile of width ${width} has ${width * HASH_SIZE}`,
      });
    }
    const leaves = new Uint8Array(width * HASH_SIZE);
    for (let i = 0; i < width; i++) leaves.set(leafHasher.hash(entries[i]!), i * HASH_SIZE);
    level0Tiles++;
    if (Buffer.compare(leaves, tile) !== 0) {
      const position = firstDifference(leaves, tile);
      const entryIndex = index * BigInt(TILE_WIDTH) + BigInt(position);
      const stored = toHex(tile.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE));
      const rebuilt = toHex(leaves.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE));
      return finish({
        kind: 'entry',
        path: bundlePath,
        entryIndex,
        tile: { level: 0, index, position },
        stored,
        rebuilt,
        message: `entry ${entryIndex} (${bundlePath} item ${position}) hashes to ${rebuilt}, but ${level0Path} position ${position} holds ${stored}`,
      });
    }

    // Checkpoints inside this tile are checked when the rebuilt tree reaches their size.
    const base = index * BigInt(TILE_WIDTH);
    let done = 0;
    while (pending[0] && pending[0].size <= base + BigInt(width)) {
      const at = pending.shift()!;
      const cut = Number(at.size - base);
      const mismatch = await rebuilder.appendLeaves(
        leaves.subarray(done * HASH_SIZE, cut * HASH_SIZE),
      );
      if (mismatch) return finish(mismatchProblem(mismatch));
      done = cut;
      const problem = checkRoot(at, rebuilder.root());
      if (problem) return finish(problem);
    }
    const mismatch = await rebuilder.appendLeaves(leaves.subarray(done * HASH_SIZE));
    if (mismatch) return finish(mismatchProblem(mismatch));

    if (width === TILE_WIDTH && performance.now() - lastSave >= stateEvery) {
      saveState();
      lastSave = performance.now();
    }
    progress(false);
  }
  progress(true);
  return finish();
}

type LoadedState = FsckState | { refused: string };

function loadState(path: string, origin: string): LoadedState | null {
  let state: FsckState | null;
  try {
    state = readFsckState(path);
  } catch (error) {
    if (error instanceof AuditError) return { refused: error.message };
    throw error;
  }
  if (state === null) return null;
  if (state.origin !== origin)
    return { refused: `it is for the log ${state.origin}, not ${origin}` };
  return state;
}

/** Why a state cannot be resumed from for this run, or undefined if it can. */
function resumeProblem(
  state: FsckState,
  pending: readonly PendingCheckpoint[],
  treeSize: bigint,
): string | undefined {
  if (state.size > treeSize)
    return `it is at entry ${state.size}, beyond the checkpoint's size ${treeSize}`;
  // A checkpoint the earlier run passed without checking would be skipped: start over instead.
  for (const at of pending) {
    if (at.size > state.size) break;
    const seen = state.verified.find((v) => v.size === at.size);
    if (!seen || !bytesEqual(seen.rootHash, at.rootHash))
      return `it did not check ${at.location} (size ${at.size})`;
  }
  return undefined;
}

/**
 * Whether the state's right edges are what this source stores: a state of another log (or of a
 * tree this source no longer has) would otherwise end in a false alarm at the root.
 */
async function stateMismatch(
  state: FsckState,
  source: TileSource,
  treeSize: bigint,
): Promise<string | undefined> {
  for (let k = 1; k <= state.levels.length; k++) {
    const hashes = state.levels[k - 1]!;
    if (hashes.length === 0) continue;
    const index = (state.size >> BigInt(k * TILE_HEIGHT)) / BigInt(TILE_WIDTH);
    const { fullTiles, partialWidth } = tileLevelExtent(treeSize, k);
    const width = index < fullTiles ? TILE_WIDTH : partialWidth;
    const stored = await source.readTile({ level: k, index, width });
    if (stored === null || Buffer.compare(stored.subarray(0, hashes.length), hashes) !== 0)
      return `it does not match ${tilePath({ level: k, index, width })} of this log`;
  }
  return undefined;
}
