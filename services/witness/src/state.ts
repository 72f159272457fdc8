// Where a witness remembers, per log origin, the latest checkpoint it cosigned. The contract: when
// `record` resolves the new state is durable (written to a temporary file, fsynced, renamed over the
// old file, directory fsynced), so a crash leaves either the old or the new state, never a mix.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { WitnessError } from './errors.js';

/** The latest cosigned checkpoint of one log. */
export interface CosignedCheckpoint {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The checkpoint as the log signed it, followed by this witness's cosignature lines. */
  readonly note: string;
}

interface StateFile {
  readonly version: 1;
  readonly logs: Record<string, { size: string; rootHash: string; note: string }>;
}

export const STATE_FILE = 'witness-state.json';

export class WitnessStateStore {
  readonly path: string;
  readonly #dir: string;
  #logs: Map<string, CosignedCheckpoint>;

  private constructor(dir: string, logs: Map<string, CosignedCheckpoint>) {
    this.#dir = dir;
    this.path = join(dir, STATE_FILE);
    this.#logs = logs;
  }

  /** Opens (creating the directory) the state in `dir`; refuses a state file it cannot read. */
  static open(dir: string): WitnessStateStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, STATE_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new WitnessStateStore(dir, new Map());
      throw new WitnessError('STATE', `cannot read ${path}`, { cause: error });
    }
    const logs = new Map<string, CosignedCheckpoint>();
    try {
      const parsed = JSON.parse(text) as StateFile;
      if (parsed.version !== 1 || typeof parsed.logs !== 'object' || parsed.logs === null)
        throw new Error('unknown state file version');
      for (const [origin, log] of Object.entries(parsed.logs)) {
        if (!/^(0|[1-9][0-9]*)$/.test(log.size) || typeof log.note !== 'string')
          throw new Error(`bad entry for ${origin}`);
        const rootHash = Buffer.from(log.rootHash, 'base64');
        if (rootHash.length !== 32) throw new Error(`bad root hash for ${origin}`);
        logs.set(origin, {
          size: BigInt(log.size),
          rootHash: new Uint8Array(rootHash),
          note: log.note,
        });
      }
    } catch (error) {
      // A witness that forgot what it cosigned could be made to cosign a fork: never start over.
      throw new WitnessError('STATE', `the state file ${path} is corrupt`, { cause: error });
    }
    return new WitnessStateStore(dir, logs);
  }

  latest(origin: string): CosignedCheckpoint | undefined {
    return this.#logs.get(origin);
  }

  /** Durably records `checkpoint` as the latest for `origin`; in memory only once it is on disk. */
  record(origin: string, checkpoint: CosignedCheckpoint): void {
    const next = new Map(this.#logs);
    next.set(origin, checkpoint);
    const file: StateFile = {
      version: 1,
      logs: Object.fromEntries(
        [...next].map(([name, log]) => [
          name,
          {
            size: log.size.toString(),
            rootHash: Buffer.from(log.rootHash).toString('base64'),
            note: log.note,
          },
        ]),
      ),
    };
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(temporary, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
      const dirFd = openSync(this.#dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (error) {
      throw new WitnessError('STATE', `cannot write ${this.path}`, { cause: error });
    }
    this.#logs = next;
  }
}
