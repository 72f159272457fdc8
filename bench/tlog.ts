// The transparency log service under HTTP load, as a process on loopback: hashedrekord writes/s with
// latency, then proof reads/s at a tree of 10^6 entries, against the raw ceilings (ECDSA P-256, durable
// batched SQLite inserts, a bare node:http server) measured in the same run.
// `npm run bench -- tlog [--entries 20000] [--clients 128] [--workers 2] [--tree 1000000]
// [--reads 30000] [--profile <dir>]`; --profile runs the server under --cpu-prof and prints where its
// CPU time went in each phase. The last line printed is one JSON object with every figure.

import { spawn } from 'node:child_process';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  HashedRekordFactory,
  type HashedRekordSubmission,
  httpRequest,
  keepAliveAgent,
  parseLogEntryResponse,
  startTlogProcess,
  type TlogProcess,
} from '@airlock/e2e-tests/support/dist/tlog-process.js';
import { openSigner, spkiDer } from '@airlock/keys';
import { SqliteLogStore, TransparencyLog } from '@airlock/log';
import { hashLeaf, TILE_WIDTH, tilePath, verifyInclusion } from '@airlock/merkle';
import { noteSignerFromSigner, noteVerifierFromPublicKey, openCheckpoint } from '@airlock/note';
import Database from 'better-sqlite3';

const HOSTNAME = '127.0.0.1';
/** Read responses whose inclusion proof the load generator checks: enough to catch wrong answers. */
const VERIFY_EVERY = 64;
/**
 * Entries per engine batch when growing the tree: one durable commit dirties a random page of each
 * index per entry, so large batches are what make a 10^6 tree take seconds rather than minutes.
 */
const GROW_BATCH = 32_768;
/** The HTTP ceiling's response: the size of a full hash tile. */
const RAW_BODY_BYTES = TILE_WIDTH * 32;

interface Options {
  entries: number;
  clients: number;
  workers: number;
  tree: number;
  reads: number;
  profile: string | null;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Load generator (worker threads): a slice of the clients, each a keep-alive request loop.

type Job =
  | { kind: 'write'; count: number; clients: number }
  | {
      kind: 'read-entries';
      count: number;
      clients: number;
      treeSize: number;
      /** Instead of random indices, one index in every level-0 tile: worker w of n takes tiles w, w+n, … */
      warm?: { worker: number; workers: number };
    }
  | { kind: 'read-tiles'; count: number; clients: number; fullTiles: number }
  | { kind: 'read-raw'; count: number; clients: number };

interface JobResult {
  /** Milliseconds per request, in completion order. */
  latencies: Float64Array;
  statuses: Record<number, number>;
  networkErrors: number;
  /** Read responses whose proof was checked, and how many of those failed. */
  verified: number;
  verifyFailures: number;
  firstProblem: string | null;
}

async function runJob(
  job: Job,
  url: string,
  submissions: HashedRekordSubmission[],
): Promise<JobResult> {
  const agent = keepAliveAgent(job.clients);
  const latencies = new Float64Array(job.count);
  const result: JobResult = {
    latencies,
    statuses: {},
    networkErrors: 0,
    verified: 0,
    verifyFailures: 0,
    firstProblem: null,
  };
  const problem = (text: string) => {
    result.firstProblem ??= text;
  };
  let next = 0;
  const client = async () => {
    for (let i = next++; i < job.count; i = next++) {
      const started = performance.now();
      try {
        if (job.kind === 'write') {
          const response = await httpRequest(agent, `${url}/api/v1/log/entries`, {
            method: 'POST',
            body: submissions[i]!.json,
          });
          latencies[i] = performance.now() - started;
          result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
          if (response.status !== 201) problem(`POST: ${response.status} ${response.body}`);
        } else if (job.kind === 'read-entries') {
          const index = job.warm
            ? ((job.warm.worker + i * job.warm.workers) * TILE_WIDTH) % job.treeSize
            : Math.floor(Math.random() * job.treeSize);
          const response = await httpRequest(agent, `${url}/api/v1/log/entries?logIndex=${index}`);
          latencies[i] = performance.now() - started;
          result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
          if (response.status !== 200) problem(`GET entry ${index}: ${response.status}`);
          else if (i % VERIFY_EVERY === 0) {
            const { entry } = parseLogEntryResponse(response.body);
            const proof = entry.verification.inclusionProof;
            result.verified++;
            const ok =
              entry.logIndex === index &&
              verifyInclusion(
                hashLeaf(Buffer.from(entry.body, 'base64')),
                BigInt(index),
                BigInt(proof.treeSize),
                proof.hashes.map((hash) => Buffer.from(hash, 'hex')),
                Buffer.from(proof.rootHash, 'hex'),
              );
            if (!ok) {
              result.verifyFailures++;
              problem(`entry ${index}: inclusion proof does not verify`);
            }
          }
        } else if (job.kind === 'read-raw') {
          const response = await httpRequest(agent, `${url}/`);
          latencies[i] = performance.now() - started;
          result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
        } else {
          const tile = Math.floor(Math.random() * job.fullTiles);
          const path = tilePath({ level: 0, index: BigInt(tile), width: TILE_WIDTH });
          const response = await httpRequest(agent, `${url}/api/v1/log/tiles/${path}`);
          latencies[i] = performance.now() - started;
          result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
          if (response.status !== 200 || response.body.length !== TILE_WIDTH * 32)
            problem(`GET ${path}: ${response.status}, ${response.body.length} bytes`);
        }
      } catch (error) {
        latencies[i] = Number.NaN;
        result.networkErrors++;
        problem(`network: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: job.clients }, client));
  agent.destroy();
  return result;
}

function workerMain(): void {
  const job = workerData as Job;
  const port = parentPort!;
  // Signed before the clock starts, so the generator only sends.
  const submissions = job.kind === 'write' ? new HashedRekordFactory().many(job.count) : [];
  port.once('message', (url: string) => {
    void runJob(job, url, submissions).then((result) =>
      port.postMessage(result, [result.latencies.buffer as ArrayBuffer]),
    );
  });
  port.postMessage('ready');
}

// ---------------------------------------------------------------------------------------------------
// Main thread.

interface LoadFigures {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  verified?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `total` requests of one kind from `workers` threads at once; throws if any answer was wrong. */
async function load(
  options: Options,
  url: string,
  makeJob: (count: number, clients: number, worker: number) => Job,
  total: number,
): Promise<LoadFigures> {
  const kind = makeJob(0, 0, 0).kind;
  const workers = Array.from({ length: options.workers }, (_, w) => {
    const count = Math.floor(total / options.workers) + (w < total % options.workers ? 1 : 0);
    const clients = Math.ceil(options.clients / options.workers);
    return new Worker(fileURLToPath(import.meta.url), { workerData: makeJob(count, clients, w) });
  });
  await Promise.all(
    workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))),
  );
  const started = performance.now();
  const results = await Promise.all(
    workers.map((worker) => {
      const done = new Promise<JobResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage(url);
      return done;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));

  const statuses: Record<number, number> = {};
  for (const result of results)
    for (const [status, n] of Object.entries(result.statuses))
      statuses[Number(status)] = (statuses[Number(status)] ?? 0) + n;
  const okStatus = kind === 'write' ? 201 : 200;
  const ok = statuses[okStatus] ?? 0;
  const problems = results.map((result) => result.firstProblem).filter((p) => p !== null);
  const verifyFailures = results.reduce((sum, result) => sum + result.verifyFailures, 0);
  if (ok !== total || verifyFailures > 0) {
    throw new Error(
      `${total - ok} of ${total} requests failed (statuses ${JSON.stringify(statuses)}, network errors ${results.reduce((s, r) => s + r.networkErrors, 0)}, bad proofs ${verifyFailures}): ${problems[0]}`,
    );
  }
  const latencies = Float64Array.from(results.flatMap((result) => [...result.latencies])).sort();
  return {
    requests: total,
    ok,
    failed: total - ok,
    seconds,
    perSecond: ok / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1]!,
    ...(kind === 'read-entries'
      ? { verified: results.reduce((sum, result) => sum + result.verified, 0) }
      : {}),
  };
}

/** The ceiling for signature checks: node:crypto ECDSA P-256 verifies (and signs) per second. */
function ecdsaCeilings(): { verifyPerSecond: number; signPerSecond: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const messages = Array.from({ length: 1000 }, () => randomBytes(64));
  const signatures = messages.map((message) => sign('sha256', message, privateKey));
  const timed = (seconds: number, op: (i: number) => void) => {
    for (let i = 0; i < 200; i++) op(i);
    let count = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      for (let i = 0; i < 100; i++) op(count++);
    }
    return count / ((performance.now() - started) / 1000);
  };
  const verifyPerSecond = timed(1.5, (i) => {
    if (!verify('sha256', messages[i % 1000]!, publicKey, signatures[i % 1000]!))
      throw new Error('ceiling: signature did not verify');
  });
  const signPerSecond = timed(1.5, (i) => sign('sha256', messages[i % 1000]!, privateKey));
  return { verifyPerSecond, signPerSecond };
}

/**
 * The ceiling for durable sequencing: rows/s that SQLite (WAL, synchronous=FULL) commits in
 * transactions of 256 rows shaped like log entries (index, leaf hash with a unique index, ~600-byte
 * body), and the fsync'd commits/s that implies.
 */
function sqliteCeiling(dir: string): { rowsPerSecond: number; commitsPerSecond: number } {
  const db = new Database(join(dir, 'ceiling.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, body BLOB NOT NULL, integrated_time INTEGER NOT NULL); CREATE UNIQUE INDEX entries_by_leaf_hash ON entries (leaf_hash);',
  );
  const insert = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?)');
  const body = randomBytes(600);
  let index = 0;
  const batch = db.transaction((rows: Buffer[]) => {
    for (const leafHash of rows) insert.run(index++, leafHash, body, 1_700_000_000);
  });
  const batches = 200;
  const prepared = Array.from({ length: batches }, () =>
    Array.from({ length: 256 }, () => randomBytes(32)),
  );
  batch(prepared[0]!); // warm-up
  const started = performance.now();
  for (let b = 1; b < batches; b++) batch(prepared[b]!);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return {
    rowsPerSecond: ((batches - 1) * 256) / seconds,
    commitsPerSecond: (batches - 1) / seconds,
  };
}

/**
 * How many durable commits the write phase took (one checkpoint row each, after the empty tree's):
 * the mean batch says how well the sequencer amortized each fsync over concurrent submissions.
 */
function batchesCommitted(
  dataDir: string,
  entries: number,
): { batches: number; meanBatch: number } {
  const db = new Database(join(dataDir, 'rekor-v1.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT count(*) FROM checkpoints WHERE tree_size > 0').pluck().get();
    const batches = Number(rows);
    return { batches, meanBatch: entries / batches };
  } finally {
    db.close();
  }
}

/**
 * Grows the service's v1 log to `treeSize` entries through the engine itself (TransparencyLog over
 * SqliteLogStore on rekor-v1.db, with the service's key, origin and tree ID), with the server stopped.
 * The entries are canonical hashedrekord bodies with fresh random digests and one real signature
 * and key: shaped and sized like real ones, but their signatures are not checked, which is the
 * point — the validation path was measured over HTTP already.
 */
async function growTree(
  dataDir: string,
  treeSize: number,
): Promise<{ added: number; seconds: number; perSecond: number }> {
  const store = new SqliteLogStore(join(dataDir, 'rekor-v1.db'));
  const treeId = store.getMeta('tree_id');
  if (!treeId) throw new Error('the server did not create the v1 tree ID');
  const signer = await openSigner(`file:${join(dataDir, 'keys', 'rekor-v1.pem')}`);
  const batchSize = GROW_BATCH;
  const log = await TransparencyLog.open({
    store,
    origin: `${HOSTNAME} - ${treeId}`,
    checkpointSigner: noteSignerFromSigner(HOSTNAME, signer, { keyIdRule: 'rekor-v1' }),
    batchMaxSize: batchSize,
    maxPending: batchSize * 2,
  });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const keyContent = Buffer.from(pem).toString('base64');
  const keySearch = `key:sha256:${createHash('sha256').update(spkiDer(publicKey)).digest('hex')}`;
  const signature = sign('sha256', randomBytes(32), privateKey).toString('base64');
  const start = Number(log.treeState.size);
  const started = performance.now();
  for (let size = start; size < treeSize; ) {
    const count = Math.min(batchSize, treeSize - size);
    const adds = [];
    for (let i = 0; i < count; i++) {
      const digest = randomBytes(32).toString('hex');
      const body = `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"${digest}"}},"signature":{"content":"${signature}","publicKey":{"content":"${keyContent}"}}}}`;
      adds.push(log.add({ body: Buffer.from(body), searchKeys: [`sha256:${digest}`, keySearch] }));
    }
    for (const result of await Promise.all(adds))
      if (result.kind !== 'added') throw new Error('grow: a random digest collided');
    size += count;
  }
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  await signer.close();
  return { added: treeSize - start, seconds, perSecond: (treeSize - start) / seconds };
}

/**
 * The ceiling for any request the service answers: a bare node:http server in its own process that
 * answers every request with a tile-sized body, driven by the same load generator. On a sandboxed
 * machine the loopback socket calls, not JavaScript, may be what bounds it.
 */
async function httpCeiling(options: Options, requests: number): Promise<LoadFigures> {
  const source = `const body = Buffer.alloc(${RAW_BODY_BYTES}, 7);
    const server = require('node:http').createServer((request, response) => {
      response.setHeader('content-type', 'application/octet-stream');
      response.end(body);
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', () => reject(new Error('the ceiling server exited')));
    });
    return await load(
      options,
      `http://127.0.0.1:${port}`,
      (count, clients) => ({ kind: 'read-raw', count, clients }),
      requests,
    );
  } finally {
    child.kill();
  }
}

/** Self time per function in a V8 .cpuprofile, largest first: where the server's CPU went. */
function topSelfTime(profileDir: string, count = 15): { fn: string; ms: number; share: number }[] {
  const files = readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile'));
  const totals = new Map<string, number>();
  let all = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as {
      nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!;
      const where = frame.url.replace(/^.*\/(node_modules|packages|services)\//, '$1/');
      const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
      const us = profile.timeDeltas[i] ?? 0;
      totals.set(name, (totals.get(name) ?? 0) + us);
      all += us;
    });
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, us]) => ({ fn, ms: us / 1000, share: us / all }));
}

async function main(): Promise<void> {
  const options: Options = {
    entries: Number(option('entries') ?? 20_000),
    clients: Number(option('clients') ?? 128),
    workers: Number(option('workers') ?? 2),
    tree: Number(option('tree') ?? 1_000_000),
    reads: Number(option('reads') ?? 30_000),
    profile: option('profile') ?? null,
  };
  const cpu = cpus();
  // Other processes on a 2-core machine move every figure: say how busy it was.
  const loadAtStart = loadavg();
  console.log(
    `tlog bench: Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}; ${options.clients} keep-alive clients in ${options.workers} worker threads; server: airlock serve tlog (default batching)`,
  );
  const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-tlog-'));
  const dataDir = join(workDir, 'data');
  let server: TlogProcess | null = null;
  const startServer = async (phase: string) => {
    const nodeArgs: string[] = [];
    if (options.profile) {
      const dir = join(options.profile, phase);
      mkdirSync(dir, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    server = await startTlogProcess({ dataDir, hostname: HOSTNAME, nodeArgs });
    return server;
  };
  try {
    console.error('  ceilings: ECDSA P-256, SQLite batched inserts…');
    const ecdsa = ecdsaCeilings();
    const sqlite = sqliteCeiling(workDir);
    const http = await httpCeiling(options, options.reads);

    console.error(`  writes: ${options.entries} hashedrekord entries over HTTP…`);
    let running = await startServer('write');
    const writes = await load(
      options,
      running.url,
      (count, clients) => ({ kind: 'write', count, clients }),
      options.entries,
    );
    await running.stop();
    server = null;
    const batching = batchesCommitted(dataDir, options.entries);

    console.error(`  growing the tree to ${options.tree} entries through the engine…`);
    const grow = await growTree(dataDir, options.tree);

    running = await startServer('read-entries');
    const agent = keepAliveAgent(1);
    const pem = (await httpRequest(agent, `${running.url}/api/v1/log/publicKey`)).body.toString();
    const info = JSON.parse(
      (await httpRequest(agent, `${running.url}/api/v1/log`)).body.toString(),
    ) as { treeSize: number; signedTreeHead: string };
    agent.destroy();
    const { checkpoint } = openCheckpoint(info.signedTreeHead, [
      noteVerifierFromPublicKey(HOSTNAME, createPublicKey(pem), { keyIdRule: 'rekor-v1' }),
    ]);
    if (checkpoint.size !== BigInt(options.tree))
      throw new Error(`the restarted server serves size ${checkpoint.size}, not ${options.tree}`);

    console.error(`  reads: ${options.reads} GET entries?logIndex= and ${options.reads} tiles…`);
    // Untimed: touch every level-0 tile once, so the timed reads see the engine's steady state (each
    // full tile's interior nodes cached) rather than a process that has just started.
    const fullTiles = Math.floor(info.treeSize / TILE_WIDTH);
    const warmup = await load(
      options,
      running.url,
      (count, clients, worker) => ({
        kind: 'read-entries',
        count,
        clients,
        treeSize: info.treeSize,
        warm: { worker, workers: options.workers },
      }),
      fullTiles,
    );
    const entryReads = await load(
      options,
      running.url,
      (count, clients) => ({ kind: 'read-entries', count, clients, treeSize: info.treeSize }),
      options.reads,
    );
    await running.stop();
    // A fresh process per read phase, so that each profile shows one kind of request.
    running = await startServer('read-tiles');
    const tileReads = await load(
      options,
      running.url,
      (count, clients) => ({
        kind: 'read-tiles',
        count,
        clients,
        fullTiles,
      }),
      options.reads,
    );
    await running.stop();
    server = null;

    const fmt = (value: number, digits = 0) =>
      value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    const rows: string[][] = [
      ['measure', 'per second', 'p50 ms', 'p99 ms', 'notes'],
      [
        'POST hashedrekord (HTTP, 201)',
        fmt(writes.perSecond),
        fmt(writes.p50Ms, 1),
        fmt(writes.p99Ms, 1),
        `${writes.ok} entries in ${fmt(writes.seconds, 1)} s, fresh log; ${batching.batches} commits, ${fmt(batching.meanBatch, 1)}/batch`,
      ],
      [
        `GET entries?logIndex= at ${fmt(options.tree)}`,
        fmt(entryReads.perSecond),
        fmt(entryReads.p50Ms, 1),
        fmt(entryReads.p99Ms, 1),
        `proof + SET each; ${entryReads.verified} proofs checked; cold first pass ${fmt(warmup.perSecond)}/s`,
      ],
      [
        `GET tile/0/<N> at ${fmt(options.tree)}`,
        fmt(tileReads.perSecond),
        fmt(tileReads.p50Ms, 1),
        fmt(tileReads.p99Ms, 1),
        '8 KiB full tiles, random',
      ],
      [
        'ceiling: node:http GET (bare server)',
        fmt(http.perSecond),
        fmt(http.p50Ms, 1),
        fmt(http.p99Ms, 1),
        `same clients; ${fmt(RAW_BODY_BYTES)}-byte body, no work`,
      ],
      [
        `engine append (no HTTP, batch ${GROW_BATCH})`,
        fmt(grow.perSecond),
        '',
        '',
        `${grow.added} entries in ${fmt(grow.seconds, 1)} s`,
      ],
      ['ceiling: ECDSA P-256 verify', fmt(ecdsa.verifyPerSecond), '', '', 'node:crypto, 1 core'],
      ['ceiling: ECDSA P-256 sign', fmt(ecdsa.signPerSecond), '', '', 'node:crypto, 1 core'],
      [
        'ceiling: SQLite durable inserts',
        fmt(sqlite.rowsPerSecond),
        '',
        '',
        `WAL, synchronous=FULL, batch 256: ${fmt(sqlite.commitsPerSecond)} commits/s`,
      ],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    console.log('');
    for (const row of rows)
      console.log(
        row
          .map((cell, c) =>
            c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!),
          )
          .join('  '),
      );
    const load1 = (values: number[]) => fmt(values[0] ?? 0, 2);
    console.log(
      `1-min load average: ${load1(loadAtStart)} at start, ${load1(loadavg())} at end (${cpu.length} cores; above ~${cpu.length} other work shared the machine)`,
    );
    let profile: Record<string, ReturnType<typeof topSelfTime>> | undefined;
    if (options.profile) {
      profile = Object.fromEntries(
        ['write', 'read-entries', 'read-tiles'].map((phase) => [
          phase,
          topSelfTime(join(options.profile!, phase)),
        ]),
      );
      for (const [phase, top] of Object.entries(profile)) {
        console.log(`\nserver CPU self time, ${phase} phase (top ${top.length}):`);
        for (const { fn, ms, share } of top)
          console.log(`  ${fmt(share * 100, 1).padStart(5)}%  ${fmt(ms).padStart(7)} ms  ${fn}`);
      }
    }
    console.log(
      JSON.stringify({
        bench: 'tlog',
        node: process.version,
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        clients: options.clients,
        workers: options.workers,
        loadAverage: { start: loadAtStart, end: loadavg() },
        writes: { ...writes, ...batching },
        entryReads: { treeSize: options.tree, ...entryReads, coldFirstPass: warmup },
        tileReads: { treeSize: options.tree, ...tileReads },
        engineAppend: { batchSize: GROW_BATCH, ...grow },
        ceilings: {
          ecdsaP256VerifyPerSecond: ecdsa.verifyPerSecond,
          ecdsaP256SignPerSecond: ecdsa.signPerSecond,
          sqliteDurableRowsPerSecond: sqlite.rowsPerSecond,
          sqliteDurableCommitsPerSecond: sqlite.commitsPerSecond,
          httpBareGetPerSecond: http.perSecond,
        },
        ...(profile ? { profile } : {}),
      }),
    );
  } finally {
    await (server as TlogProcess | null)?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  workerMain();
}
