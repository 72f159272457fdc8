// A transparency log on loopback for the monitor to follow, recording which URLs it is asked for, and
// the operator's own tools for rewriting it behind the monitor's back.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLogStore, TransparencyLog } from '@airlock/log';
import { noteSignerFromSigner } from '@airlock/note';
import { createTlogServer, openRekorLogs } from '@airlock/tlog';
import type { FastifyInstance } from 'fastify';
import { HOSTNAME, startTestTlog, type TestTlog } from '../../../services/tlog/test/support.js';

export { TestCa } from '../../../services/tlog/test/certificates.js';
export { ArtifactSigner, HOSTNAME } from '../../../services/tlog/test/support.js';

export interface ListeningTlog extends TestTlog {
  url: string;
  /** Every path the log was asked for, in order. */
  requests: string[];
  submit(entry: unknown): Promise<{ uuid: string; index: number }>;
}

async function listenOn(app: FastifyInstance): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  app.addHook('onRequest', async (request) => {
    requests.push(request.url);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    requests,
  };
}

function withSubmit(tlog: TestTlog & { url: string; requests: string[] }): ListeningTlog {
  return {
    ...tlog,
    async submit(entry) {
      const response = await tlog.app.inject({
        method: 'POST',
        url: '/api/v1/log/entries',
        payload: entry as object,
      });
      if (response.statusCode !== 201) throw new Error(`submission failed: ${response.body}`);
      const [id, value] = Object.entries(
        response.json() as Record<string, { logIndex: number }>,
      )[0]!;
      return { uuid: id.slice(-64), index: value.logIndex };
    },
  };
}

export async function listeningTlog(): Promise<ListeningTlog> {
  const tlog = await startTestTlog();
  return withSubmit({ ...tlog, ...(await listenOn(tlog.app)) });
}

/** The same log (data directory and keys) served again, e.g. after its database was rewritten. */
export async function reopenTlog(tlog: TestTlog): Promise<ListeningTlog> {
  const logs = await openRekorLogs({
    dataDir: tlog.dataDir,
    hostname: HOSTNAME,
    v1Signer: tlog.v1Signer,
    v2Signer: tlog.v2Signer,
    batch: { batchMaxAgeMs: 2 },
  });
  const app = await createTlogServer({ logs });
  return withSubmit({ ...tlog, app, logs, ...(await listenOn(app)) });
}

/**
 * What an operator with the log's own key can do: build another history for the same log (same tree
 * ID, origin and key) through the engine, and put its database where the log's was.
 */
export async function rewriteHistory(tlog: TestTlog, bodies: readonly Uint8Array[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-forged-'));
  const store = new SqliteLogStore(join(dir, 'rekor-v1.db'));
  store.setMeta('tree_id', tlog.logs.v1.treeId.toString());
  const forged = await TransparencyLog.open({
    store,
    origin: tlog.logs.v1.origin,
    checkpointSigner: noteSignerFromSigner(HOSTNAME, tlog.v1Signer, { keyIdRule: 'rekor-v1' }),
    batchMaxAgeMs: 2,
  });
  await Promise.all(bodies.map((body) => forged.add({ body })));
  await forged.close();
  const target = join(tlog.dataDir, 'rekor-v1.db');
  for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  copyFileSync(join(dir, 'rekor-v1.db'), target);
}
