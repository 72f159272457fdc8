// The two logs the service runs: a Rekor v1 log (origin `<host> - <treeID>`, SETs) and a Rekor v2 log
// (origin `<host>`, C2SP checkpoints), each its own tree, key and SQLite file — as Rekor's shards are.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { algorithmOf, type Signer, spkiDer } from '@airlock/keys';
import { type BatchOptions, SqliteLogStore, TransparencyLog } from '@airlock/log';
import { c2spLogId, noteSignerFromSigner, rekorV1LogId } from '@airlock/note';

export interface RekorLogsOptions {
  /** Where rekor-v1.db and rekor-v2.db live. */
  readonly dataDir: string;
  /**
   * The bare hostname clients know the log by (the host of its URL in trusted_root.json): the v1
   * checkpoint key name and origin prefix, and the v2 origin and key name.
   */
  readonly hostname: string;
  /** Signs v1 checkpoints and SETs: must be ECDSA, as every client verifies SETs with ECDSA. */
  readonly v1Signer: Signer;
  /** Signs v2 checkpoints (ECDSA or Ed25519). */
  readonly v2Signer: Signer;
  readonly batch?: BatchOptions;
}

interface LogShard {
  readonly log: TransparencyLog;
  readonly signer: Signer;
  /** Rekor's log ID: SHA-256 of the key's SPKI (v1), the C2SP key hash of origin and key (v2). */
  readonly logId: Uint8Array;
  readonly origin: string;
}

export interface RekorV1Shard extends LogShard {
  readonly treeId: bigint;
}

export interface RekorLogs {
  readonly v1: RekorV1Shard;
  readonly v2: LogShard;
  /** Throws unless both logs and both keys (an HSM session, say) work. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

const READINESS_PROBE = new TextEncoder().encode('airlock tlog readiness');

const HOSTNAME = /^[A-Za-z0-9.-]+$/;

export async function openRekorLogs(options: RekorLogsOptions): Promise<RekorLogs> {
  if (!HOSTNAME.test(options.hostname)) {
    throw new Error(
      `log hostname must be a bare host name (no scheme, port or path): ${options.hostname}`,
    );
  }
  if (options.v1Signer.algorithm === 'ed25519') {
    throw new Error(
      'the Rekor v1 log key must be ECDSA: clients verify signed entry timestamps only with ECDSA',
    );
  }
  algorithmOf(options.v2Signer.publicKey);
  mkdirSync(options.dataDir, { recursive: true });

  const v1Store = new SqliteLogStore(join(options.dataDir, 'rekor-v1.db'));
  let treeIdText = v1Store.getMeta('tree_id');
  if (!treeIdText) {
    // Like Trillian's tree IDs: a random positive int64, fixed for the life of the log.
    treeIdText = (randomBytes(8).readBigUInt64BE() >> 1n || 1n).toString();
    v1Store.setMeta('tree_id', treeIdText);
  }
  const treeId = BigInt(treeIdText);
  const v1Origin = `${options.hostname} - ${treeId}`;
  const v1Log = await TransparencyLog.open({
    ...options.batch,
    store: v1Store,
    origin: v1Origin,
    checkpointSigner: noteSignerFromSigner(options.hostname, options.v1Signer, {
      keyIdRule: 'rekor-v1',
    }),
  });

  const v2Log = await TransparencyLog.open({
    ...options.batch,
    store: new SqliteLogStore(join(options.dataDir, 'rekor-v2.db')),
    origin: options.hostname,
    checkpointSigner: noteSignerFromSigner(options.hostname, options.v2Signer),
  });

  return {
    v1: {
      log: v1Log,
      signer: options.v1Signer,
      logId: rekorV1LogId(spkiDer(options.v1Signer.publicKey)),
      origin: v1Origin,
      treeId,
    },
    v2: {
      log: v2Log,
      signer: options.v2Signer,
      logId: c2spLogId(options.hostname, options.v2Signer.publicKey),
      origin: options.hostname,
    },
    async checkReady() {
      await Promise.all([v1Log.checkReady(), v2Log.checkReady()]);
      await Promise.all([
        options.v1Signer.sign(READINESS_PROBE),
        options.v2Signer.sign(READINESS_PROBE),
      ]);
    },
    async close() {
      await Promise.all([v1Log.close(), v2Log.close()]);
    },
  };
}
