// mirror: copies a log through its tiles API into a folder in the same C2SP layout, checking as it
// goes. Files already in the folder are not fetched again (so an interrupted mirror resumes), but
// they are hashed again like the new ones: the folder's checkpoint is replaced only once every
// entry, tile and earlier checkpoint agrees with the new signed checkpoint.
import { rmSync } from 'node:fs';
import { entryBundlePath, type TileId, tilePath } from '@airlock/merkle';
import { AuditError } from './errors.js';
import { type FsckProblem, type FsckProgress, type FsckReport, fsck } from './fsck.js';
import type { HttpOptions } from './http.js';
import { type LogKey, openLogCheckpoint, type VerifiedCheckpoint } from './log-key.js';
import {
  CHECKPOINT_HISTORY_DIR,
  DirTileSource,
  HttpTileSource,
  type TileSource,
  writeFileAtomic,
} from './tile-source.js';

export interface MirrorOptions {
  readonly logKey: LogKey;
  readonly onProgress?: (progress: FsckProgress) => void;
  readonly progressIntervalMs?: number;
  readonly readAhead?: number;
  readonly signal?: AbortSignal;
  /** Timeouts for a tiles URL given as a string. */
  readonly http?: HttpOptions;
}

export interface MirrorReport {
  readonly ok: boolean;
  readonly checkpoint: VerifiedCheckpoint;
  /** The size of the checkpoint the folder held before, if any. */
  readonly previousSize?: bigint;
  /** Tiles and entry bundles fetched in this run, and their bytes. */
  readonly fetched: { readonly files: number; readonly bytes: number };
  /** Tiles and entry bundles that were already in the folder. */
  readonly present: number;
  readonly verification: FsckReport;
  readonly problem?: FsckProblem;
}

/** Reads from the folder first; what is missing is fetched from the log and written to the folder. */
class MirroringSource implements TileSource {
  readonly location: string;
  fetchedFiles = 0;
  fetchedBytes = 0;
  present = 0;
  /** Paths written in this run, so that a file shown to be wrong can be dropped again. */
  readonly written = new Set<string>();

  constructor(
    private readonly remote: TileSource,
    private readonly local: DirTileSource,
  ) {
    this.location = local.location;
  }

  readCheckpoint(): Promise<string | null> {
    return this.remote.readCheckpoint();
  }

  async #copy(
    path: string,
    readLocal: () => Promise<Uint8Array | null>,
    readRemote: () => Promise<Uint8Array | null>,
  ): Promise<Uint8Array | null> {
    const here = await readLocal();
    if (here !== null) {
      this.present++;
      return here;
    }
    const fetched = await readRemote();
    if (fetched === null) return null;
    writeFileAtomic(this.local.pathOf(path), fetched);
    this.written.add(path);
    this.fetchedFiles++;
    this.fetchedBytes += fetched.length;
    return fetched;
  }

  readTile(tile: TileId): Promise<Uint8Array | null> {
    return this.#copy(
      tilePath(tile),
      () => this.local.readTile(tile),
      () => this.remote.readTile(tile),
    );
  }

  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | null> {
    return this.#copy(
      entryBundlePath(index, width),
      () => this.local.readEntryBundle(index, width),
      () => this.remote.readEntryBundle(index, width),
    );
  }

  readCheckpointHistory(): Promise<{ location: string; note: string }[]> {
    return this.local.readCheckpointHistory();
  }

  /** Removes files this run wrote that the problem names, so the next run fetches them again. */
  forget(problem: FsckProblem): void {
    const suspects = [problem.path];
    if (problem.kind === 'entry')
      suspects.push(
        tilePath({ level: 0, index: problem.tile.index, width: widthOf(problem.path) }),
      );
    for (const path of suspects)
      if (this.written.has(path)) rmSync(this.local.pathOf(path), { force: true });
  }
}

function widthOf(bundlePath: string): number {
  const partial = /\.p\/([0-9]+)$/.exec(bundlePath);
  return partial ? Number(partial[1]) : 256;
}

/**
 * Mirrors the log whose tlog-tiles prefix is `remote` (a URL or a source) into `dir`. Throws for a
 * checkpoint that does not verify or a log that went back; returns ok: false with the first problem
 * if the log's tiles do not rebuild to its signed checkpoint (the folder keeps its old checkpoint).
 */
export async function mirror(
  remote: TileSource | string,
  dir: string,
  options: MirrorOptions,
): Promise<MirrorReport> {
  const source = typeof remote === 'string' ? new HttpTileSource(remote, options.http) : remote;
  const note = await source.readCheckpoint();
  if (note === null) throw new AuditError('NOT_FOUND', `${source.location} has no checkpoint`);
  const checkpoint = openLogCheckpoint(note, options.logKey);

  const local = new DirTileSource(dir);
  const previousNote = await local.readCheckpoint();
  let previous: VerifiedCheckpoint | undefined;
  if (previousNote !== null) {
    previous = openLogCheckpoint(previousNote, options.logKey, { origin: checkpoint.origin });
    if (previous.size > checkpoint.size) {
      throw new AuditError(
        'INCONSISTENT',
        `${dir} holds a checkpoint of size ${previous.size}; the log now signs ${checkpoint.size}: it went back`,
      );
    }
  }

  const mirroring = new MirroringSource(source, local);
  const verification = await fsck(mirroring, {
    logKey: options.logKey,
    checkpoint: note,
    ...(previousNote !== null
      ? { extraCheckpoints: [{ location: 'checkpoint (before this run)', note: previousNote }] }
      : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.progressIntervalMs !== undefined
      ? { progressIntervalMs: options.progressIntervalMs }
      : {}),
    ...(options.readAhead !== undefined ? { readAhead: options.readAhead } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const result = {
    checkpoint,
    ...(previous ? { previousSize: previous.size } : {}),
    fetched: { files: mirroring.fetchedFiles, bytes: mirroring.fetchedBytes },
    present: mirroring.present,
    verification,
  };
  if (verification.problem) {
    mirroring.forget(verification.problem);
    return { ...result, ok: false, problem: verification.problem };
  }
  // The history first: a crash between the two writes leaves an extra, verified, history file.
  writeFileAtomic(local.pathOf(`${CHECKPOINT_HISTORY_DIR}/${checkpoint.size}`), note);
  writeFileAtomic(local.pathOf('checkpoint'), note);
  return { ...result, ok: true };
}
