// The file an interrupted fsck resumes from: how many leaves were rebuilt, the right edge of every
// tile level at that point, and which checkpoints below it were already checked. It holds hashes
// the rebuilt prefix commits to, so a resumed run still ends at the signed root; what it cannot do
// is notice that the prefix changed after it was written, which is why it is deleted once a run ends.
import { readFileSync, rmSync } from 'node:fs';
import { FieldReader, isObject, toBase64 } from './encoding.js';
import { AuditError } from './errors.js';
import { writeFileAtomic } from './tile-source.js';
import type { RebuilderSnapshot } from './tree-rebuilder.js';

const KIND = 'airlock-fsck-state/v1';

export interface FsckState extends RebuilderSnapshot {
  readonly origin: string;
  /** Checkpoints at or below `size` whose roots matched the rebuilt tree. */
  readonly verified: readonly { readonly size: bigint; readonly rootHash: Uint8Array }[];
}

/** The saved state, or null if there is none; a file that does not parse is an error to report. */
export function readFsckState(path: string): FsckState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AuditError('STORE', `cannot read the fsck state ${path}`, { cause: error });
  }
  const reader: FieldReader = new FieldReader('STORE', `fsck state ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    reader.fail('not JSON');
  }
  const state = reader.object(json, 'the file');
  if (state.kind !== KIND) reader.fail(`kind is not ${KIND}`);
  return {
    origin: reader.string(state.origin, 'origin'),
    size: reader.uint(state.size, 'size'),
    levels: reader
      .list(state.levels, 'levels')
      .map((level, i) => reader.base64(level, `levels[${i}]`, true)),
    verified: reader.list(state.verified, 'verified').map((entry, i) => {
      if (!isObject(entry)) reader.fail(`verified[${i}] is not an object`);
      return {
        size: reader.uint(entry.size, `verified[${i}].size`),
        rootHash: reader.base64(entry.rootHash, `verified[${i}].rootHash`),
      };
    }),
  };
}

export function writeFsckState(path: string, state: FsckState): void {
  try {
    writeFileAtomic(
      path,
      `${JSON.stringify(
        {
          kind: KIND,
          origin: state.origin,
          size: state.size.toString(),
          levels: state.levels.map(toBase64),
          verified: state.verified.map((entry) => ({
            size: entry.size.toString(),
            rootHash: toBase64(entry.rootHash),
          })),
          savedAt: new Date().toISOString(),
        },
        null,
        2,
      )}\n`,
    );
  } catch (error) {
    throw new AuditError('STORE', `cannot write the fsck state ${path}`, { cause: error });
  }
}

export function removeFsckState(path: string): void {
  rmSync(path, { force: true });
}
