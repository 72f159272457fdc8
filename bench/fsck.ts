// The auditor's tools at scale: a 10^6-entry Rekor v1 log built on disk through the engine, served by
// the transparency log service, mirrored through its tiles API, then fsck of the mirror folder and of
// the live URL. Each rate is printed next to the ceiling measured in the same run: raw SHA-256 over
// the same number of leaf and node hashes (fsck can do no better on one core).
// `npm run bench -- fsck [--entries 1000000] [--skip-url]`. The last line printed is one JSON object.
import { generateKeyPairSync, hash, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DirTileSource,
  type FsckReport,
  fsck,
  HttpTileSource,
  logKeyFromPublicKey,
  mirror,
} from '@airlock/audit';
import { SoftwareSigner } from '@airlock/keys';
import { SqliteLogStore, TransparencyLog } from '@airlock/log';
import { noteSignerFromSigner } from '@airlock/note';
import { createTlogServer, openRekorLogs } from '@airlock/tlog';
import Database from 'better-sqlite3';

const HOSTNAME = '127.0.0.1';
/** Entries per engine batch: one durable commit per 32k entries is what makes 10^6 take seconds. */
const GROW_BATCH = 32_768;
/** Runs of fsck of the folder and of the hashing ceiling; the fastest of each is reported. */
const REPEATS = 3;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Appends `count` hashedrekord-shaped entries (one signer key, random digests) to a fresh v1 log. */
async function buildLog(dataDir: string, signer: SoftwareSigner, count: number) {
  const store = new SqliteLogStore(join(dataDir, 'rekor-v1.db'));
  const treeId = (randomBytes(8).readBigUInt64BE() >> 1n || 1n).toString();
  store.setMeta('tree_id', treeId);
  const log = await TransparencyLog.open({
    store,
    origin: `${HOSTNAME} - ${treeId}`,
    checkpointSigner: noteSignerFromSigner(HOSTNAME, signer, { keyIdRule: 'rekor-v1' }),
    batchMaxSize: GROW_BATCH,
    maxPending: GROW_BATCH * 2,
  });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyContent = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })).toString(
    'base64',
  );
  const signature = sign('sha256', randomBytes(32), privateKey).toString('base64');
  const started = performance.now();
  for (let size = 0; size < count; ) {
    const batch = Math.min(GROW_BATCH, count - size);
    const adds = [];
    for (let i = 0; i < batch; i++) {
      const digest = randomBytes(32).toString('hex');
      const body = `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"${digest}"}},"signature":{"content":"${signature}","publicKey":{"content":"${keyContent}"}}}}`;
      // No search keys: fsck never reads the search index, and its rows would double the build time.
      adds.push(log.add({ body: Buffer.from(body) }));
    }
    await Promise.all(adds);
    size += batch;
  }
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  return { seconds, perSecond: count / seconds };
}

function averageBodyBytes(dataDir: string): number {
  const db = new Database(join(dataDir, 'rekor-v1.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT avg(length(body)) AS average FROM entries').get() as {
      average: number;
    };
    return Math.round(row.average);
  } finally {
    db.close();
  }
}

/**
 * What fsck cannot beat on one core: one SHA-256 per leaf over (0x00 || body) of the average body
 * size, and one per interior node over (0x01 || left || right), as one-shot node:crypto calls.
 */
function sha256Ceiling(entries: number, bodyBytes: number) {
  const leaf = randomBytes(1 + bodyBytes);
  const node = randomBytes(65);
  const started = performance.now();
  let sink = 0;
  for (let i = 0; i < entries; i++) {
    leaf[1] = i & 0xff;
    sink ^= hash('sha256', leaf, 'buffer')[0]!;
  }
  for (let i = 1; i < entries; i++) {
    node[1] = i & 0xff;
    sink ^= hash('sha256', node, 'buffer')[0]!;
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, entriesPerSecond: entries / seconds, hashes: 2 * entries - 1, sink };
}

function figures(report: FsckReport) {
  if (!report.ok) throw new Error(`fsck found a problem: ${report.problem?.message}`);
  return {
    seconds: report.seconds,
    entries: Number(report.entriesChecked),
    entriesPerSecond: Number(report.entriesChecked) / report.seconds,
    tilesCompared: report.tilesCompared,
  };
}

async function main(): Promise<void> {
  const entries = Number(option('entries') ?? 1_000_000);
  const skipUrl = process.argv.includes('--skip-url');
  const cpu = cpus();
  const loadAtStart = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-fsck-'));
  const dataDir = join(workDir, 'tlog');
  mkdirSync(dataDir);
  const mirrorDir = join(workDir, 'mirror');
  const v1Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const v2Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const logKey = logKeyFromPublicKey(v1Signer.publicKey, `http://${HOSTNAME}`);
  try {
    console.log(
      `fsck bench: ${fmt(entries)} entries, node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    );
    const build = await buildLog(dataDir, v1Signer, entries);
    const bodyBytes = averageBodyBytes(dataDir);
    console.log(
      `build:   ${fmt(entries)} entries (${bodyBytes} bytes each) through the engine in ${fmt(build.seconds, 1)} s (${fmt(build.perSecond)} entries/s, batches of ${GROW_BATCH})`,
    );

    const logs = await openRekorLogs({ dataDir, hostname: HOSTNAME, v1Signer, v2Signer });
    const app = await createTlogServer({ logs });
    await app.listen({ host: HOSTNAME, port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const tilesUrl = `http://${HOSTNAME}:${port}/api/v1/log/tiles`;
    try {
      const mirrored = await mirror(tilesUrl, mirrorDir, { logKey });
      if (!mirrored.ok) throw new Error(`mirror failed: ${mirrored.problem?.message}`);
      const mirrorFigures = {
        ...figures(mirrored.verification),
        files: mirrored.fetched.files,
        bytes: mirrored.fetched.bytes,
      };
      console.log(
        `mirror:  ${fmt(mirrorFigures.files)} files, ${fmt(mirrorFigures.bytes / 2 ** 20)} MiB over HTTP in ${fmt(mirrorFigures.seconds, 1)} s (${fmt(mirrorFigures.entriesPerSecond)} entries/s, every hash verified)`,
      );

      // Best of REPEATS for fsck of the folder and for the ceiling alike: on a shared machine a
      // single run measures the neighbours as much as the code.
      const dirRuns: ReturnType<typeof figures>[] = [];
      for (let i = 0; i < REPEATS; i++)
        dirRuns.push(figures(await fsck(new DirTileSource(mirrorDir), { logKey })));
      const dirFigures = dirRuns.reduce((best, run) => (run.seconds < best.seconds ? run : best));
      console.log(
        `fsck:    mirror folder, ${fmt(dirFigures.entries)} entries in ${fmt(dirFigures.seconds, 2)} s (${fmt(dirFigures.entriesPerSecond)} entries/s, ${fmt(dirFigures.tilesCompared)} tiles compared; best of ${REPEATS}: ${dirRuns.map((run) => fmt(run.seconds, 2)).join(', ')} s)`,
      );
      let urlFigures: ReturnType<typeof figures> | null = null;
      if (!skipUrl) {
        urlFigures = figures(await fsck(new HttpTileSource(tilesUrl), { logKey }));
        console.log(
          `fsck:    live URL, ${fmt(urlFigures.entries)} entries in ${fmt(urlFigures.seconds, 1)} s (${fmt(urlFigures.entriesPerSecond)} entries/s)`,
        );
      }

      const ceilingRuns = Array.from({ length: REPEATS }, () => sha256Ceiling(entries, bodyBytes));
      const ceiling = ceilingRuns.reduce((best, run) => (run.seconds < best.seconds ? run : best));
      console.log(
        `ceiling: raw SHA-256 of ${fmt(entries)} leaves + ${fmt(entries - 1)} nodes in ${fmt(ceiling.seconds, 2)} s (${fmt(ceiling.entriesPerSecond)} entries/s on one core; best of ${REPEATS}: ${ceilingRuns.map((run) => fmt(run.seconds, 2)).join(', ')} s)`,
      );
      console.log(
        `fsck of the folder runs at ${fmt((100 * dirFigures.entriesPerSecond) / ceiling.entriesPerSecond)}% of the one-core hashing ceiling`,
      );
      console.log(
        JSON.stringify({
          bench: 'fsck',
          node: process.version,
          cpu: cpu[0]?.model ?? 'unknown',
          cores: cpu.length,
          loadAverage: { start: loadAtStart, end: loadavg() },
          entries,
          bodyBytes,
          build: { batchSize: GROW_BATCH, ...build },
          mirror: mirrorFigures,
          fsckDir: { ...dirFigures, runsSeconds: dirRuns.map((run) => run.seconds) },
          ...(urlFigures ? { fsckUrl: urlFigures } : {}),
          ceiling: {
            sha256EntriesPerSecond: ceiling.entriesPerSecond,
            sha256HashesPerSecond: ceiling.hashes / ceiling.seconds,
            seconds: ceiling.seconds,
            runsSeconds: ceilingRuns.map((run) => run.seconds),
          },
        }),
      );
    } finally {
      await app.close();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
