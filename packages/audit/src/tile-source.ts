// Where a log's C2SP tiles are read from: a tlog-tiles URL prefix, or a folder in the same layout
// (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`). Neither is trusted: whatever
// they hand out is checked against a signed checkpoint by the caller.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  entryBundlePath,
  HASH_SIZE,
  MAX_BUNDLED_ENTRY,
  TILE_WIDTH,
  type TileId,
  tilePath,
} from '@airlock/merkle';
import { AuditError } from './errors.js';
import { type HttpOptions, httpRequest, normalizeBaseUrl, statusError } from './http.js';

/** The largest checkpoint read: a signed note with a few dozen signatures. */
export const MAX_CHECKPOINT_BYTES = 64 * 1024;
/** The largest hash tile. */
export const MAX_TILE_BYTES = TILE_WIDTH * HASH_SIZE;
/** The largest entry bundle: 256 entries of the largest size a bundle can hold. */
export const MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_BUNDLED_ENTRY);
/** Where a folder keeps earlier checkpoints it has verified, each named by its tree size. */
export const CHECKPOINT_HISTORY_DIR = 'checkpoints';

/** Read access to one log's tiles. `null` means the source does not have that file. */
export interface TileSource {
  /** A URL or folder, for messages. */
  readonly location: string;
  readCheckpoint(): Promise<string | null>;
  readTile(tile: TileId): Promise<Uint8Array | null>;
  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | null>;
  /** Earlier checkpoints the source keeps (a mirror's history), oldest first. */
  readCheckpointHistory?(): Promise<{ location: string; note: string }[]>;
}

/** A tlog-tiles prefix: `<prefix>/checkpoint`, `<prefix>/tile/...`. */
export class HttpTileSource implements TileSource {
  readonly location: string;
  readonly #options: HttpOptions;

  constructor(prefix: string, options: HttpOptions = {}) {
    this.location = normalizeBaseUrl(prefix);
    this.#options = options;
  }

  async #get(path: string, maxBytes: number, accept: string): Promise<Uint8Array | null> {
    const url = `${this.location}/${path}`;
    const answer = await httpRequest(url, { accept, maxBytes }, this.#options);
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw statusError(url, answer);
    return answer.body;
  }

  async readCheckpoint(): Promise<string | null> {
    const body = await this.#get('checkpoint', MAX_CHECKPOINT_BYTES, 'text/plain');
    return body === null ? null : Buffer.from(body).toString('utf8');
  }

  readTile(tile: TileId): Promise<Uint8Array | null> {
    return this.#get(tilePath(tile), MAX_TILE_BYTES, 'application/octet-stream');
  }

  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | null> {
    return this.#get(entryBundlePath(index, width), MAX_BUNDLE_BYTES, 'application/octet-stream');
  }
}

/** Writes a file so that a reader sees the old content or the new, never half of it. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

// Synchronous reads: tiles and bundles are small, and a profile showed the thread-pool round trips
// of fs/promises costing more than the reads themselves.
async function readOptional(path: string, maxBytes: number): Promise<Uint8Array | null> {
  try {
    const bytes = readFileSync(path);
    if (bytes.length > maxBytes)
      throw new AuditError('INVALID_INPUT', `${path} is larger than ${maxBytes} bytes`);
    return bytes;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (error instanceof AuditError) throw error;
    throw new AuditError('INVALID_INPUT', `cannot read ${path}: ${code ?? 'error'}`, {
      cause: error,
    });
  }
}

/** A folder in the tlog-tiles layout, as `mirror` writes it. */
export class DirTileSource implements TileSource {
  readonly location: string;

  constructor(readonly dir: string) {
    this.location = dir;
  }

  pathOf(relative: string): string {
    return join(this.dir, ...relative.split('/'));
  }

  async readCheckpoint(): Promise<string | null> {
    const bytes = await readOptional(this.pathOf('checkpoint'), MAX_CHECKPOINT_BYTES);
    return bytes === null ? null : Buffer.from(bytes).toString('utf8');
  }

  readTile(tile: TileId): Promise<Uint8Array | null> {
    return readOptional(this.pathOf(tilePath(tile)), MAX_TILE_BYTES);
  }

  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | null> {
    return readOptional(this.pathOf(entryBundlePath(index, width)), MAX_BUNDLE_BYTES);
  }

  /** `checkpoints/<size>` files, smallest size first. */
  async readCheckpointHistory(): Promise<{ location: string; note: string }[]> {
    const folder = join(this.dir, CHECKPOINT_HISTORY_DIR);
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return [];
    }
    return names
      .filter((name) => /^(0|[1-9][0-9]*)$/.test(name) && statSync(join(folder, name)).isFile())
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
      .map((name) => ({
        location: `${CHECKPOINT_HISTORY_DIR}/${name}`,
        note: readFileSync(join(folder, name), 'utf8'),
      }));
  }
}
