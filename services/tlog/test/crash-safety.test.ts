// Crash safety of the running log: SIGKILL the server under concurrent load again and again, then prove
// from the HTTP API alone that every acknowledged entry survived where it was acknowledged, that every
// checkpoint the log ever served is signed and consistent with the final tree, and that the final tree
// holds each submission exactly once, whichever of the entries-by-index, proof and tiles APIs is asked.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  verify,
} from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner, spkiDer } from '@airlock/keys';
import {
  bytesEqual,
  CompactRange,
  EMPTY_ROOT,
  entryBundlePath,
  hashLeaf,
  parseEntryBundle,
  rangeNodes,
  rootOfLeafHashes,
  TILE_WIDTH,
  TileHashReader,
  tilePath,
  verifyConsistency,
  verifyInclusion,
} from '@airlock/merkle';
import {
  type NoteVerifier,
  noteSignerFromSigner,
  noteVerifierFromPublicKey,
  openCheckpoint,
  rekorV1LogId,
  signCheckpoint,
} from '@airlock/note';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HashedRekordFactory,
  type HashedRekordSubmission,
  hashedRekordDigest,
  httpRequest,
  keepAliveAgent,
  parseLogEntryResponse,
  type RekorV1LogEntry,
  startTlogProcess,
  type TlogProcess,
} from '../../../test/support/tlog-process.js';

/** Kill/restart cycles; each start costs ~0.3–0.5 s, so the whole file stays well under a minute. */
const CYCLES = 30;
const CLIENTS = 48;
/** A kill lands this long after the restarted server says it listens: mid-batch, mid-fsync, mid-reply. */
const KILL_AFTER_MS = { min: 10, max: 300 } as const;
/** Submissions signed before the load starts (more than the cycles can send), so clients only send. */
const PRESIGNED = 24_000;
const HOSTNAME = '127.0.0.1';
const READ_CONCURRENCY = 32;
/** A reproducible run: AIRLOCK_CRASH_SEED=<n> replays the same kill times. */
const SEED = Number(process.env.AIRLOCK_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: kill times from the seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Fails with the first problems spelled out (and the seed that replays them). */
function expectNone(problems: readonly string[]): void {
  expect(problems.slice(0, 10).join('\n'), `seed ${SEED}: ${problems.length} problems`).toBe('');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** A 201 as the client saw it. */
interface Acknowledgement {
  readonly digest: string;
  readonly entryId: string;
  readonly entry: RekorV1LogEntry;
  readonly cycle: number;
}

/** One index of the final tree, as GET /api/v1/log/entries?logIndex= returned it. */
interface FinalEntry {
  readonly entryId: string;
  readonly entry: RekorV1LogEntry;
  readonly body: Buffer;
  readonly digest: string | null;
}

/** What the log is checked against: its key (from the API), its origin and its final tree. */
interface LogView {
  readonly verifier: NoteVerifier;
  readonly logKey: KeyObject;
  readonly logId: string;
  readonly origin: string;
  readonly treeId: bigint;
  readonly size: bigint;
  readonly root: Uint8Array;
  /** By index; a hole where the log did not answer 200. */
  readonly entries: readonly (FinalEntry | undefined)[];
}

/** Opens a checkpoint with the log's key and origin; a problem string instead of a throw. */
function openLogCheckpoint(
  view: Pick<LogView, 'verifier' | 'origin'>,
  note: string,
): { size: bigint; root: Uint8Array } | string {
  try {
    const { checkpoint } = openCheckpoint(note, [view.verifier], { origin: view.origin });
    return { size: checkpoint.size, root: checkpoint.rootHash };
  } catch (error) {
    return `checkpoint does not open: ${(error as Error).message}`;
  }
}

/** Rekor v1's SET: the log's ECDSA signature over JCS {body, integratedTime, logID, logIndex}. */
function setVerifies(view: LogView, entry: RekorV1LogEntry): boolean {
  const payload = `{"body":"${entry.body}","integratedTime":${entry.integratedTime},"logID":"${entry.logID}","logIndex":${entry.logIndex}}`;
  try {
    return verify(
      'sha256',
      Buffer.from(payload),
      view.logKey,
      Buffer.from(entry.verification.signedEntryTimestamp, 'base64'),
    );
  } catch {
    return false;
  }
}

/** Checks an entry's inclusion proof against the signed checkpoint it carries; returns problems. */
function inclusionProblems(view: LogView, entry: RekorV1LogEntry, what: string): string[] {
  const proof = entry.verification.inclusionProof;
  const opened = openLogCheckpoint(view, proof.checkpoint);
  if (typeof opened === 'string') return [`${what}: ${opened}`];
  const problems: string[] = [];
  if (BigInt(proof.treeSize) !== opened.size)
    problems.push(`${what}: proof tree size ${proof.treeSize} != checkpoint size ${opened.size}`);
  if (proof.rootHash !== hex(opened.root))
    problems.push(`${what}: proof root hash is not the checkpoint's root`);
  if (proof.logIndex !== entry.logIndex)
    problems.push(`${what}: proof index ${proof.logIndex} != logIndex ${entry.logIndex}`);
  const leafHash = hashLeaf(Buffer.from(entry.body, 'base64'));
  const hashes = proof.hashes.map((h) => Buffer.from(h, 'hex'));
  if (!verifyInclusion(leafHash, BigInt(proof.logIndex), opened.size, hashes, opened.root))
    problems.push(`${what}: inclusion proof does not verify against its checkpoint`);
  if (entry.logID !== view.logId) problems.push(`${what}: logID ${entry.logID} is not the log's`);
  if (!setVerifies(view, entry)) problems.push(`${what}: signed entry timestamp does not verify`);
  return problems;
}

/** An acknowledged entry must be in the final tree, at its index, with the same body and ID. */
function acknowledgementProblems(view: LogView, ack: Acknowledgement): string[] {
  const what = `201 for ${ack.digest} at index ${ack.entry.logIndex} (cycle ${ack.cycle})`;
  const problems = inclusionProblems(view, ack.entry, what);
  if (hashedRekordDigest(Buffer.from(ack.entry.body, 'base64')) !== ack.digest)
    problems.push(`${what}: the acknowledged body is not the submitted artifact's`);
  const final = view.entries[ack.entry.logIndex];
  if (!final) return [...problems, `${what}: index is missing from the final tree`];
  if (final.entry.body !== ack.entry.body) problems.push(`${what}: final body differs`);
  if (final.entryId !== ack.entryId) problems.push(`${what}: final entry ID differs`);
  if (final.entry.integratedTime !== ack.entry.integratedTime)
    problems.push(`${what}: integratedTime changed`);
  return problems;
}

/** A served checkpoint must be the log's, no larger than the final tree, and consistent with it. */
async function checkpointProblems(
  view: LogView,
  note: string,
  consistencyProof: (size: bigint) => Promise<{ rootHash: string; hashes: Uint8Array[] }>,
): Promise<string[]> {
  const opened = openLogCheckpoint(view, note);
  if (typeof opened === 'string') return [opened];
  const what = `checkpoint of size ${opened.size}`;
  if (opened.size > view.size) return [`${what} is beyond the final tree (${view.size})`];
  if (opened.size === 0n)
    return bytesEqual(opened.root, EMPTY_ROOT) ? [] : [`${what} has a non-empty root`];
  if (opened.size === view.size)
    return bytesEqual(opened.root, view.root) ? [] : [`${what} forks from the final tree`];
  const proof = await consistencyProof(opened.size);
  if (proof.rootHash !== hex(view.root))
    return [`${what}: the proof endpoint's root is not the final root`];
  if (!verifyConsistency(opened.size, view.size, proof.hashes, opened.root, view.root))
    return [`${what} is not consistent with the final tree`];
  return [];
}

describe('tlog survives SIGKILL under load', () => {
  let dataDir: string;
  let server: TlogProcess | null = null;
  let agent: Agent;
  let view: LogView;
  const acknowledgements: Acknowledgement[] = [];
  /** 409s: digest → the entry ID the log says it already holds. */
  const conflicts = new Map<string, string>();
  const checkpointsSeen = new Set<string>();
  const submitted = new Map<string, HashedRekordSubmission>();
  const unexpected: string[] = [];
  const rollbacks: string[] = [];
  let networkFailures = 0;
  let tiles: { checkpoint: string; leafHashesFromBundles: Uint8Array[]; problems: string[] };

  const url = (path: string) => `${server!.url}${path}`;
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await httpRequest(agent, url(path), { timeoutMs: 15_000 });
    if (response.status !== 200)
      throw new Error(`GET ${path}: ${response.status} ${response.body}`);
    return JSON.parse(response.body.toString()) as T;
  };
  const consistencyProof = async (size: bigint) => {
    const proof = await getJson<{ rootHash: string; hashes: string[] }>(
      `/api/v1/log/proof?firstSize=${size}&lastSize=${view.size}`,
    );
    return { rootHash: proof.rootHash, hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')) };
  };

  // The load-and-kill phase is a test of its own (not a hook), so that a server that fails to restart
  // counts as a failed test; the tests after it check what it recorded.
  it(`restarts after each of ${CYCLES} SIGKILLs under concurrent load, then serves the whole log`, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-tlog-crash-'));
    const factory = new HashedRekordFactory();
    const pool = factory.many(PRESIGNED);
    let nextFresh = 0;
    /** Submissions whose outcome a kill hid: sent again to a later server (201 or 409 settles them). */
    const unsettled: HashedRekordSubmission[] = [];
    const random = seededRandom(SEED);

    // The server the clients talk to; null between a kill and the next start.
    let live: { url: string; agent: Agent; cycle: number } | null = null;
    let liveChanged: () => void = () => {};
    let liveChange = new Promise<void>((resolve) => {
      liveChanged = resolve;
    });
    const setLive = (next: typeof live) => {
      live = next;
      liveChanged();
      liveChange = new Promise<void>((resolve) => {
        liveChanged = resolve;
      });
    };
    let loadOver = false;

    const record = (
      submission: HashedRekordSubmission,
      status: number,
      body: Buffer,
      headers: IncomingHttpHeaders,
      cycle: number,
    ) => {
      if (status === 201) {
        const { entryId, entry } = parseLogEntryResponse(body);
        acknowledgements.push({ digest: submission.digest, entryId, entry, cycle });
        checkpointsSeen.add(entry.verification.inclusionProof.checkpoint);
      } else if (status === 409) {
        const location = String(headers.location ?? '');
        conflicts.set(submission.digest, location.slice(location.lastIndexOf('/') + 1));
      } else if (status === 503) {
        unsettled.push(submission); // pushback: the entry was refused, so it is sent again
      } else {
        unexpected.push(`POST ${submission.digest}: ${status} ${body.toString().slice(0, 200)}`);
      }
    };

    const submit = async (
      target: { url: string; agent: Agent; cycle: number },
      submission: HashedRekordSubmission,
    ) => {
      submitted.set(submission.digest, submission);
      try {
        const response = await httpRequest(target.agent, `${target.url}/api/v1/log/entries`, {
          method: 'POST',
          body: submission.json,
          timeoutMs: 15_000,
        });
        record(submission, response.status, response.body, response.headers, target.cycle);
        return true;
      } catch {
        networkFailures++;
        unsettled.push(submission);
        return false;
      }
    };

    const client = async () => {
      while (!loadOver) {
        const target = live;
        if (!target) {
          await liveChange;
          continue;
        }
        const submission = unsettled.shift() ?? pool[nextFresh++];
        if (!submission) {
          await sleep(5);
          continue;
        }
        // A failed request means this server is gone: wait for the next one rather than spin.
        if (!(await submit(target, submission)) && live === target) await liveChange;
      }
    };

    const pollCheckpoints = async () => {
      while (!loadOver) {
        const target = live;
        if (!target) {
          await liveChange;
          continue;
        }
        try {
          const [info, tile] = await Promise.all([
            httpRequest(target.agent, `${target.url}/api/v1/log`, { timeoutMs: 15_000 }),
            httpRequest(target.agent, `${target.url}/api/v1/log/tiles/checkpoint`, {
              timeoutMs: 15_000,
            }),
          ]);
          if (info.status === 200)
            checkpointsSeen.add(
              (JSON.parse(info.body.toString()) as { signedTreeHead: string }).signedTreeHead,
            );
          if (tile.status === 200) checkpointsSeen.add(tile.body.toString());
        } catch {
          // The server was killed mid-request.
        }
        await sleep(20);
      }
    };

    const clients = [...Array.from({ length: CLIENTS }, client), pollCheckpoints()];
    let largestSeen = 0n;
    const sizeOf = (note: string) => BigInt(note.split('\n')[1] ?? '0');
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        server = await startTlogProcess({ dataDir, hostname: HOSTNAME });
        const cycleAgent = keepAliveAgent(CLIENTS + 2);
        // No rollback: a restarted log starts at or beyond every checkpoint served before the kill.
        for (const note of checkpointsSeen)
          if (sizeOf(note) > largestSeen) largestSeen = sizeOf(note);
        const info = await httpRequest(cycleAgent, `${server.url}/api/v1/log`, {
          timeoutMs: 15_000,
        });
        const startSize = BigInt(
          (JSON.parse(info.body.toString()) as { treeSize: number }).treeSize,
        );
        if (startSize < largestSeen)
          rollbacks.push(
            `cycle ${cycle}: restarted at size ${startSize} after serving size ${largestSeen}`,
          );
        setLive({ url: server.url, agent: cycleAgent, cycle });
        await sleep(KILL_AFTER_MS.min + random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min));
        const killed = server.kill();
        setLive(null);
        const exit = await killed;
        if (exit.signal !== 'SIGKILL')
          unexpected.push(
            `cycle ${cycle}: server exited with ${JSON.stringify(exit)} before the kill:\n${server.output()}`,
          );
        cycleAgent.destroy();
        server = null;
      }
    } finally {
      loadOver = true;
      setLive(null);
      await Promise.all(clients);
    }

    // The final server: settle every submission whose fate a kill hid, then read everything back.
    server = await startTlogProcess({ dataDir, hostname: HOSTNAME });
    agent = keepAliveAgent(READ_CONCURRENCY + 2);
    const final = { url: server.url, agent, cycle: CYCLES };
    for (let round = 0; round < 3 && unsettled.length > 0; round++) {
      await forEachConcurrently(unsettled.splice(0), CLIENTS, async (submission) => {
        await submit(final, submission);
      });
    }
    if (unsettled.length > 0)
      unexpected.push(`${unsettled.length} submissions never got an answer`);

    const pem = (await httpRequest(agent, url('/api/v1/log/publicKey'))).body.toString();
    const logKey = createPublicKey(pem);
    const info = await getJson<{
      treeSize: number;
      rootHash: string;
      signedTreeHead: string;
      treeID: string;
    }>('/api/v1/log');
    checkpointsSeen.add(info.signedTreeHead);
    const treeId = BigInt(info.treeID);
    const base = {
      verifier: noteVerifierFromPublicKey(HOSTNAME, logKey, { keyIdRule: 'rekor-v1' }),
      origin: `${HOSTNAME} - ${treeId}`,
    };
    const head = openLogCheckpoint(base, info.signedTreeHead);
    if (typeof head === 'string') throw new Error(`final tree head: ${head}`);
    if (head.size !== BigInt(info.treeSize) || hex(head.root) !== info.rootHash)
      throw new Error('GET /api/v1/log: treeSize/rootHash disagree with the signed tree head');

    const entries: (FinalEntry | undefined)[] = new Array(info.treeSize);
    const indices = Array.from({ length: info.treeSize }, (_, index) => index);
    await forEachConcurrently(indices, READ_CONCURRENCY, async (index) => {
      const response = await httpRequest(agent, url(`/api/v1/log/entries?logIndex=${index}`), {
        timeoutMs: 15_000,
      });
      if (response.status !== 200) return; // a hole, reported by the index check below
      const { entryId, entry } = parseLogEntryResponse(response.body);
      const body = Buffer.from(entry.body, 'base64');
      entries[index] = { entryId, entry, body, digest: hashedRekordDigest(body) };
    });
    view = {
      ...base,
      logKey,
      logId: hex(rekorV1LogId(spkiDer(logKey))),
      treeId,
      size: head.size,
      root: head.root,
      entries,
    };

    // The same tree through the tiles API: hash tiles to the root, entry bundles to the entries.
    const tileBytes = async (path: string) => {
      const response = await httpRequest(agent, url(`/api/v1/log/tiles/${path}`), {
        timeoutMs: 15_000,
      });
      if (response.status !== 200) throw new Error(`GET tiles/${path}: ${response.status}`);
      return response.body;
    };
    const tileProblems: string[] = [];
    const checkpoint = (await tileBytes('checkpoint').catch(() => Buffer.alloc(0))).toString();
    try {
      const reader = new TileHashReader(view.size, (tile) => tileBytes(tilePath(tile)));
      const peaks = await reader.readNodes(rangeNodes(0n, view.size));
      if (!bytesEqual(CompactRange.fromPeaks(view.size, peaks).root(), view.root))
        tileProblems.push('hash tiles do not hash to the final root');
    } catch (error) {
      tileProblems.push(`hash tiles: ${(error as Error).message}`);
    }
    const bundleCount = Math.ceil(info.treeSize / TILE_WIDTH);
    const leafHashesFromBundles: Uint8Array[] = new Array(info.treeSize);
    const bundles = Array.from({ length: bundleCount }, (_, k) => k);
    await forEachConcurrently(bundles, READ_CONCURRENCY, async (k) => {
      const width = Math.min(TILE_WIDTH, info.treeSize - k * TILE_WIDTH);
      let bundle: Uint8Array[];
      let level0: Buffer;
      try {
        bundle = parseEntryBundle(await tileBytes(entryBundlePath(BigInt(k), width)));
        level0 = await tileBytes(tilePath({ level: 0, index: BigInt(k), width }));
      } catch (error) {
        tileProblems.push(`bundle ${k}: ${(error as Error).message}`);
        return;
      }
      if (bundle.length !== width)
        tileProblems.push(`bundle ${k} holds ${bundle.length} of ${width} entries`);
      bundle.forEach((body, j) => {
        const index = k * TILE_WIDTH + j;
        const leafHash = hashLeaf(body);
        leafHashesFromBundles[index] = leafHash;
        if (!entries[index]?.body.equals(body))
          tileProblems.push(`bundle entry ${index} is not the entry at that index`);
        if (!bytesEqual(leafHash, level0.subarray(j * 32, (j + 1) * 32)))
          tileProblems.push(`tile 0/${k} hash ${j} is not the leaf hash of bundle entry ${index}`);
      });
    });
    tiles = { checkpoint, leafHashesFromBundles, problems: tileProblems };
    console.log(
      `crash-safety seed ${SEED}: ${CYCLES} kills, ${acknowledgements.length} acknowledged, ${conflicts.size} settled by 409, ${networkFailures} requests cut by kills, ${checkpointsSeen.size} checkpoints seen, final size ${view.size}`,
    );
  }, 120_000);

  afterAll(async () => {
    agent?.destroy();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answered every request it completed with 201, 409 or 503, and never restarted behind a served checkpoint', () => {
    expectNone(unexpected);
    expectNone(rollbacks);
    // The load did reach the log and the kills did cut requests: otherwise this test proves nothing.
    expect(acknowledgements.length).toBeGreaterThan(CYCLES);
    expect(networkFailures).toBeGreaterThan(0);
  });

  it('keeps every acknowledged entry at its index with the same body, and its 201 proof verifies', () => {
    const problems = acknowledgements.flatMap((ack) => acknowledgementProblems(view, ack));
    expectNone(problems);
  });

  it('holds every submission exactly once at indices 0..size-1, each with a valid proof', async () => {
    const problems: string[] = [];
    const indexOf = new Map<string, number>();
    // A plain loop: forEach would skip the holes that missing indices leave.
    for (let index = 0; index < Number(view.size); index++) {
      const final = view.entries[index];
      if (!final) {
        problems.push(`index ${index} is missing`);
        continue;
      }
      const what = `index ${index}`;
      if (final.entry.logIndex !== index)
        problems.push(`${what}: logIndex ${final.entry.logIndex}`);
      if (final.entryId !== view.treeId.toString(16).padStart(16, '0') + hex(hashLeaf(final.body)))
        problems.push(`${what}: entry ID is not tree ID + leaf hash`);
      if (!final.digest || !submitted.has(final.digest))
        problems.push(`${what}: not a submitted entry`);
      else if (indexOf.has(final.digest))
        problems.push(`${what}: duplicate of index ${indexOf.get(final.digest)}`);
      else indexOf.set(final.digest, index);
      problems.push(...inclusionProblems(view, final.entry, what));
    }
    for (const digest of submitted.keys())
      if (!indexOf.has(digest)) problems.push(`submission ${digest} is not in the log`);
    for (const [digest, entryId] of conflicts) {
      const index = indexOf.get(digest);
      if (index === undefined || view.entries[index]?.entryId !== entryId)
        problems.push(`409 for ${digest} named ${entryId}, which is not where the log holds it`);
    }
    expectNone(problems);
    expect(BigInt(indexOf.size)).toBe(view.size);
    const beyond = await httpRequest(agent, url(`/api/v1/log/entries?logIndex=${view.size}`));
    expect(beyond.status).toBe(404);
  });

  it('served only checkpoints that verify with the log key and are consistent with the final tree', async () => {
    const problems: string[] = [];
    await forEachConcurrently([...checkpointsSeen], READ_CONCURRENCY, async (note) => {
      problems.push(...(await checkpointProblems(view, note, consistencyProof)));
    });
    expectNone(problems);
    expect(checkpointsSeen.size).toBeGreaterThan(CYCLES / 2);
  });

  it('serves tiles and entry bundles that hash to the final root', () => {
    expectNone(tiles.problems);
    const opened = openLogCheckpoint(view, tiles.checkpoint);
    expect(opened).toEqual({ size: view.size, root: view.root });
    expect(hex(rootOfLeafHashes(tiles.leafHashesFromBundles))).toBe(hex(view.root));
  });

  it('rejects a forged acknowledgement, a foreign-key checkpoint and a forked checkpoint', async () => {
    const [first, second] = acknowledgements;
    // An acknowledgement whose body is another entry's: the log must not be able to pass it off.
    const swapped: Acknowledgement = {
      ...first!,
      entry: { ...first!.entry, body: second!.entry.body },
    };
    expect(acknowledgementProblems(view, swapped).length).toBeGreaterThan(0);
    const moved: Acknowledgement = {
      ...first!,
      entry: { ...first!.entry, logIndex: first!.entry.logIndex + 1 },
    };
    expect(acknowledgementProblems(view, moved).length).toBeGreaterThan(0);

    // A checkpoint under the log's name and key ID rule but another key.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const foreign = await signCheckpoint(
      { origin: view.origin, size: view.size, rootHash: view.root },
      [noteSignerFromSigner(HOSTNAME, new SoftwareSigner(privateKey), { keyIdRule: 'rekor-v1' })],
    );
    expect(await checkpointProblems(view, foreign, consistencyProof)).toHaveLength(1);

    // A correctly signed checkpoint of a tree that forks from the log's (the log key signs it here).
    const logSigner = new SoftwareSigner(
      createPrivateKey(await readFile(join(dataDir, 'keys', 'rekor-v1.pem'), 'utf8')),
    );
    const forked = await signCheckpoint(
      { origin: view.origin, size: view.size / 2n, rootHash: hashLeaf(Buffer.from('fork')) },
      [noteSignerFromSigner(HOSTNAME, logSigner, { keyIdRule: 'rekor-v1' })],
    );
    expect(openLogCheckpoint(view, forked)).not.toBeTypeOf('string');
    expect(await checkpointProblems(view, forked, consistencyProof)).toEqual([
      `checkpoint of size ${view.size / 2n} is not consistent with the final tree`,
    ]);
  });
});
