// What a monitor remembers between runs, per followed log: the last verified tree head and the compact
// range of its tree (a few hashes), which is all it needs to check the next entries without reading the
// log again. Written atomically (temporary file, fsync, rename, directory fsync).
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { MonitorError } from './errors.js';

export interface FollowedLogState {
  /** The log's identity (checkpoint origin, or `ct:<log ID>`): a different log is never followed on. */
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The compact range of the tree at `size`, largest subtree first. */
  readonly peaks: readonly Uint8Array[];
  /** The tree head as the log signed it, kept as evidence. */
  readonly signed: string;
}

interface StateFile {
  readonly version: 1;
  readonly logs: Record<
    string,
    { origin: string; size: string; rootHash: string; peaks: string[]; signed: string }
  >;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export class MonitorStateStore {
  readonly path: string;
  #logs: Map<string, FollowedLogState>;

  private constructor(path: string, logs: Map<string, FollowedLogState>) {
    this.path = path;
    this.#logs = logs;
  }

  /** Reads the state at `path` (none yet is an empty state); refuses a file it cannot read. */
  static open(path: string): MonitorStateStore {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new MonitorStateStore(path, new Map());
      throw new MonitorError('STATE', `cannot read ${path}`, { cause: error });
    }
    const logs = new Map<string, FollowedLogState>();
    try {
      const file = JSON.parse(text) as StateFile;
      if (file.version !== 1) throw new Error('unknown version');
      for (const [label, log] of Object.entries(file.logs)) {
        if (!/^(0|[1-9][0-9]*)$/.test(log.size) || typeof log.origin !== 'string')
          throw new Error(`bad state for ${label}`);
        const rootHash = fromB64(log.rootHash);
        const peaks = log.peaks.map(fromB64);
        if (rootHash.length !== 32 || peaks.some((peak) => peak.length !== 32))
          throw new Error(`bad hashes for ${label}`);
        logs.set(label, {
          origin: log.origin,
          size: BigInt(log.size),
          rootHash,
          peaks,
          signed: log.signed,
        });
      }
    } catch (error) {
      // Starting over would silently accept whatever the log serves now: refuse instead.
      throw new MonitorError('STATE', `the monitor state ${path} is corrupt`, { cause: error });
    }
    return new MonitorStateStore(path, logs);
  }

  get(label: string): FollowedLogState | undefined {
    return this.#logs.get(label);
  }

  /** Durably records the state of one log; the other logs' states are kept. */
  set(label: string, state: FollowedLogState): void {
    const next = new Map(this.#logs);
    next.set(label, state);
    const file: StateFile = {
      version: 1,
      logs: Object.fromEntries(
        [...next].map(([name, log]) => [
          name,
          {
            origin: log.origin,
            size: log.size.toString(),
            rootHash: b64(log.rootHash),
            peaks: log.peaks.map(b64),
            signed: log.signed,
          },
        ]),
      ),
    };
    const dir = dirname(this.path);
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(temporary, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
      const dirFd = openSync(dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (error) {
      throw new MonitorError('STATE', `cannot write ${this.path}`, { cause: error });
    }
    this.#logs = next;
  }
}
