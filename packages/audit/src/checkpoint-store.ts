// The auditor's memory: the last checkpoint verified for each log, in one JSON file per origin
// (`~/.airlock/checkpoints/<origin>.json` by default). The next consistency check starts from it,
// so a log that rewrites history after it was seen cannot go unnoticed. The signed note in the file
// is verified again on every use: the file is a convenience, the signature is what is trusted.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FieldReader, toBase64 } from './encoding.js';
import { AuditError } from './errors.js';
import type { VerifiedCheckpoint } from './log-key.js';
import { writeFileAtomic } from './tile-source.js';

const KIND = 'airlock-checkpoint/v1';

export interface RememberedCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  /** The signed checkpoint as the log served it. */
  readonly note: string;
  /** The log URL it was fetched from, for the record. */
  readonly logUrl?: string;
  readonly savedAt: string;
}

/** `<home>/.airlock/checkpoints/<origin>.json`, the origin made safe as a file name. */
export function defaultCheckpointFile(origin: string, home: string = homedir()): string {
  return join(home, '.airlock', 'checkpoints', `${origin.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/** The remembered checkpoint in `path`, or null if none was remembered yet. */
export function readRememberedCheckpoint(path: string): RememberedCheckpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AuditError('STORE', `cannot read ${path}`, { cause: error });
  }
  const reader: FieldReader = new FieldReader('STORE', `remembered checkpoint ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    reader.fail('not JSON');
  }
  const record = reader.object(json, 'the file');
  if (record.kind !== KIND) reader.fail(`kind is not ${KIND}`);
  const logUrl = record.logUrl;
  if (logUrl !== undefined && typeof logUrl !== 'string') reader.fail('logUrl is not a string');
  return {
    origin: reader.string(record.origin, 'origin'),
    size: reader.uint(record.size, 'size'),
    note: reader.string(record.checkpoint, 'checkpoint'),
    ...(logUrl !== undefined ? { logUrl } : {}),
    savedAt: reader.string(record.savedAt, 'savedAt'),
  };
}

/**
 * Remembers `checkpoint` for its log. Refuses to replace a remembered checkpoint of another log or
 * of a larger tree: the memory only moves forward, and only through a verified consistency check.
 */
export function rememberCheckpoint(
  path: string,
  checkpoint: VerifiedCheckpoint,
  logUrl?: string,
): RememberedCheckpoint {
  const previous = readRememberedCheckpoint(path);
  if (previous && previous.origin !== checkpoint.origin) {
    throw new AuditError(
      'STORE',
      `${path} remembers the log ${previous.origin}, not ${checkpoint.origin}`,
    );
  }
  if (previous && previous.size > checkpoint.size) {
    throw new AuditError(
      'STORE',
      `${path} remembers a larger tree (${previous.size}) than ${checkpoint.size}`,
    );
  }
  const record: RememberedCheckpoint = {
    origin: checkpoint.origin,
    size: checkpoint.size,
    note: checkpoint.note,
    ...(logUrl !== undefined ? { logUrl } : {}),
    savedAt: new Date().toISOString(),
  };
  try {
    writeFileAtomic(
      path,
      `${JSON.stringify(
        {
          kind: KIND,
          origin: record.origin,
          size: record.size.toString(),
          rootHash: toBase64(checkpoint.rootHash),
          checkpoint: record.note,
          ...(logUrl !== undefined ? { logUrl } : {}),
          savedAt: record.savedAt,
        },
        null,
        2,
      )}\n`,
    );
  } catch (error) {
    throw new AuditError('STORE', `cannot write ${path}`, { cause: error });
  }
  return record;
}
