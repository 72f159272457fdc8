// The real transparency log service on loopback for auditor tests, with a trusted root for it and the
// two ways a malicious operator can lie: edit an entry behind the tiles' back, or rebuild the log with
// different history and sign it with the log's own key.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLogStore, TransparencyLog } from '@airlock/log';
import { noteSignerFromSigner } from '@airlock/note';
import { createTlogServer, openRekorLogs } from '@airlock/tlog';
import { buildTrustedRoot, type TrustedRootJson } from '@airlock/trust';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import {
  ArtifactSigner,
  HOSTNAME,
  startTestTlog,
  type TestTlog,
} from '../../../services/tlog/test/support.js';

export { ArtifactSigner, HOSTNAME };

/** A v1 LogEntry answer as the service writes it. */
export type LogEntryJson = Record<
  string,
  {
    body: string;
    integratedTime: number;
    logID: string;
    logIndex: number;
    verification: {
      inclusionProof: {
        checkpoint: string;
        hashes: string[];
        logIndex: number;
        rootHash: string;
        treeSize: number;
      };
      signedEntryTimestamp: string;
    };
  }
>;

export class LiveTlog {
  readonly signer = new ArtifactSigner();
  readonly trustedRootFile: string;
  #app: FastifyInstance;
  #port = 0;

  private constructor(
    readonly tlog: TestTlog,
    readonly url: string,
    readonly trustedRoot: TrustedRootJson,
    readonly workDir: string,
  ) {
    this.#app = tlog.app;
    this.#port = Number(new URL(url).port);
    this.trustedRootFile = join(workDir, 'trusted_root.json');
    writeFileSync(this.trustedRootFile, JSON.stringify(trustedRoot));
  }

  static async start(): Promise<LiveTlog> {
    const tlog = await startTestTlog();
    await tlog.app.listen({ host: HOSTNAME, port: 0 });
    const address = tlog.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://${HOSTNAME}:${port}`;
    const since = new Date(Date.now() - 60_000);
    const trustedRoot = buildTrustedRoot({
      tlogs: [
        { baseUrl: url, publicKey: tlog.v1Signer.publicKey, validFor: { start: since } },
        {
          baseUrl: url,
          publicKey: tlog.v2Signer.publicKey,
          validFor: { start: since },
          origin: HOSTNAME,
        },
      ],
    });
    return new LiveTlog(tlog, url, trustedRoot, mkdtempSync(join(tmpdir(), 'airlock-audit-')));
  }

  get v1Db(): string {
    return join(this.tlog.dataDir, 'rekor-v1.db');
  }

  get v1TilesUrl(): string {
    return `${this.url}/api/v1/log/tiles`;
  }

  /** Writes `count` hashedrekord entries through the v1 API; returns the answers in order. */
  async addEntries(count: number): Promise<{ artifact: Buffer; entry: LogEntryJson }[]> {
    const out: { artifact: Buffer; entry: LogEntryJson }[] = [];
    // In parallel, so that the sequencer batches them as it would under load.
    const answers = await Promise.all(
      Array.from({ length: count }, async () => {
        const { artifact, entry } = this.signer.hashedrekord();
        const response = await fetch(`${this.url}/api/v1/log/entries`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(entry),
        });
        if (response.status !== 201) throw new Error(`add: HTTP ${response.status}`);
        return { artifact, entry: (await response.json()) as LogEntryJson };
      }),
    );
    out.push(...answers);
    const index = (answer: (typeof out)[number]) => Object.values(answer.entry)[0]!.logIndex;
    return out.sort((a, b) => index(a) - index(b));
  }

  async stop(): Promise<void> {
    await this.#app.close();
  }

  /** Reopens the same data directory with the same keys, on the same port. */
  async restart(): Promise<void> {
    const logs = await openRekorLogs({
      dataDir: this.tlog.dataDir,
      hostname: HOSTNAME,
      v1Signer: this.tlog.v1Signer,
      v2Signer: this.tlog.v2Signer,
      batch: { batchMaxAgeMs: 2 },
    });
    this.#app = await createTlogServer({ logs });
    await this.#app.listen({ host: HOSTNAME, port: this.#port });
  }

  /** Malicious operator, clumsy: changes an entry's body and leaves tiles and checkpoints alone. */
  editEntryBody(index: number, body: Buffer): void {
    const db = new Database(this.v1Db);
    try {
      const changed = db.prepare('UPDATE entries SET body = ? WHERE idx = ?').run(body, index);
      if (changed.changes !== 1) throw new Error(`no entry ${index}`);
    } finally {
      db.close();
    }
  }

  /**
   * Malicious operator, careful: rebuilds the v1 log through the engine with the first `keep` entries,
   * then `forged` ones instead of what followed, recomputing every tile and signing the new
   * checkpoints with the log's own key. Only a remembered checkpoint can tell.
   */
  async rewriteHistory(keep: number, forged: Buffer[]): Promise<void> {
    const old = new SqliteLogStore(this.v1Db);
    const treeId = old.getMeta('tree_id')!;
    const kept = await old.readEntries(0n, BigInt(keep));
    await old.close();
    const rebuiltPath = `${this.v1Db}.rebuilt`;
    const store = new SqliteLogStore(rebuiltPath);
    store.setMeta('tree_id', treeId);
    const log = await TransparencyLog.open({
      store,
      origin: `${HOSTNAME} - ${treeId}`,
      checkpointSigner: noteSignerFromSigner(HOSTNAME, this.tlog.v1Signer, {
        keyIdRule: 'rekor-v1',
      }),
      batchMaxSize: 4096,
      batchMaxAgeMs: 1,
    });
    // add() queues synchronously, so one batch keeps the order given.
    await Promise.all(
      [...kept.map((entry) => entry.body), ...forged].map((body) => log.add({ body })),
    );
    await log.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.v1Db}${suffix}`, { force: true });
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        renameSync(`${rebuiltPath}${suffix}`, `${this.v1Db}${suffix}`);
      } catch {
        // SQLite removed the WAL files when the last connection closed.
      }
    }
  }

  async close(): Promise<void> {
    await this.#app.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
