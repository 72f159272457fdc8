// A log built straight through the engine (TransparencyLog on SQLite), big enough to have tiles on
// three levels, read through the same calls the tiles API serves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogKey, logKeyFromPublicKey, type TileSource } from '@airlock/audit';
import { SoftwareSigner } from '@airlock/keys';
import { SqliteLogStore, TransparencyLog } from '@airlock/log';
import { noteSignerFromSigner } from '@airlock/note';

/** The origin and key name of test logs: a Rekor v2 style log, origin = hostname. */
export const ENGINE_HOST = 'audit.test';

export interface EngineLog {
  readonly log: TransparencyLog;
  readonly signer: SoftwareSigner;
  readonly logKey: LogKey;
  readonly source: TileSource;
  readonly dataDir: string;
  /** Appends entries `entry <from>`.. up to `to` (exclusive). */
  grow(to: number): Promise<void>;
}

/** Entry `i` of a test log; logs with different `salt`s share no entry. */
export const entryBody = (i: number, salt = '') =>
  Buffer.from(`{"entry":${i},"pad":"${'x'.repeat(i % 50)}"${salt ? `,"salt":"${salt}"` : ''}}`);

export async function openEngineLog(
  size: number,
  signer = SoftwareSigner.generate('ed25519'),
  salt = '',
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-engine-'));
  const log = await TransparencyLog.open({
    store: new SqliteLogStore(join(dataDir, 'log.db')),
    origin: ENGINE_HOST,
    checkpointSigner: noteSignerFromSigner(ENGINE_HOST, signer),
    batchMaxSize: 8192,
    maxPending: 1 << 20,
    batchMaxAgeMs: 1,
  });
  const grow = async (to: number) => {
    const from = Number(log.treeState.size);
    const adds = [];
    for (let i = from; i < to; i++) adds.push(log.add({ body: entryBody(i, salt) }));
    await Promise.all(adds);
  };
  await grow(size);
  const source: TileSource = {
    location: 'engine',
    readCheckpoint: async () => log.treeState.checkpoint,
    readTile: (tile) => log.readTile(tile.level, tile.index, tile.width),
    readEntryBundle: (index, width) => log.readEntryBundle(index, width),
  };
  const logKey = logKeyFromPublicKey(signer.publicKey, `https://${ENGINE_HOST}`);
  return { log, signer, logKey, source, dataDir, grow } satisfies EngineLog;
}
