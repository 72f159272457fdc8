// The log engine on a real SQLite file: sequencing, deduplication, proofs, tiles, restarts, pushback.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import {
  LogError,
  SqliteLogStore,
  TransparencyLog,
  type TransparencyLogOptions,
} from '@airlock/log';
import {
  hashLeaf,
  MemoryHashStore,
  parseEntryBundle,
  TILE_WIDTH,
  tileHashes,
  verifyConsistency,
  verifyInclusion,
} from '@airlock/merkle';
import { noteSignerFromSigner, noteVerifierFromPublicKey, openCheckpoint } from '@airlock/note';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLog } from './check-log.js';

const ORIGIN = 'log.airlock.test - 1';
const key = SoftwareSigner.generate('ecdsa-p256-sha256');
const checkpointSigner = noteSignerFromSigner('log.airlock.test', key, { keyIdRule: 'rekor-v1' });
const verifier = noteVerifierFromPublicKey('log.airlock.test', key.publicKey, {
  keyIdRule: 'rekor-v1',
});

const open: TransparencyLog[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((log) => log.close()));
});

function dbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'airlock-log-')), 'log.db');
}

async function openLog(path: string, options: Partial<TransparencyLogOptions> = {}) {
  const log = await TransparencyLog.open({
    store: new SqliteLogStore(path),
    origin: ORIGIN,
    checkpointSigner,
    ...options,
  });
  open.push(log);
  return log;
}

const body = (i: number) => Buffer.from(`{"entry":${i}}`);

describe('TransparencyLog', () => {
  it('starts a new log with a signed checkpoint of the empty tree', async () => {
    const log = await openLog(dbPath());
    const opened = openCheckpoint(log.treeState.checkpoint, [verifier]);
    expect(opened.checkpoint.origin).toBe(ORIGIN);
    expect(opened.checkpoint.size).toBe(0n);
  });

  it('sequences concurrent submissions into consecutive indices, each durable with a proof', async () => {
    const path = dbPath();
    const log = await openLog(path);
    const results = await Promise.all(
      Array.from({ length: 700 }, (_, i) => log.add({ body: body(i) })),
    );
    const indices = results.map((r) => (r.kind === 'added' ? r.entry.index : -1n));
    expect(new Set(indices).size).toBe(700);
    expect(indices.every((i) => i >= 0n && i < 700n)).toBe(true);
    expect(log.treeState.size).toBe(700n);
    // Each entry's proof verifies against the checkpoint it was returned with.
    for (const result of results.slice(0, 50)) {
      if (result.kind !== 'added') throw new Error('expected added');
      const cp = openCheckpoint(result.state.checkpoint, [verifier]).checkpoint;
      const proof = await log.inclusionProof(result.entry.index, cp.size);
      expect(
        verifyInclusion(result.entry.leafHash, result.entry.index, cp.size, proof, cp.rootHash),
      ).toBe(true);
    }
    await checkLog(log, verifier);
  });

  it('answers a duplicate with the existing index, within a batch and across batches', async () => {
    const log = await openLog(dbPath());
    const [a, b] = await Promise.all([log.add({ body: body(1) }), log.add({ body: body(1) })]);
    expect(a).toMatchObject({ kind: 'added' });
    expect(b).toMatchObject({ kind: 'duplicate', index: 0n });
    expect(await log.add({ body: body(1) })).toMatchObject({ kind: 'duplicate', index: 0n });
    expect(log.treeState.size).toBe(1n);
  });

  it('keeps extra data with an entry without hashing it into the leaf', async () => {
    const log = await openLog(dbPath());
    const result = await log.add({ body: body(7), extraData: Buffer.from('chain bytes') });
    expect(result.kind).toBe('added');
    const entry = await log.entry(0n);
    expect(Buffer.from(entry!.extraData!).toString()).toBe('chain bytes');
    expect(Buffer.from(entry!.leafHash)).toEqual(Buffer.from(hashLeaf(body(7))));
    await log.add({ body: body(8) });
    expect((await log.entry(1n))!.extraData).toBeUndefined();
  });

  it('serves tiles and entry bundles that match the tree', async () => {
    const log = await openLog(dbPath(), { batchMaxSize: 64 });
    const memory = new MemoryHashStore();
    const n = 600;
    await Promise.all(Array.from({ length: n }, (_, i) => log.add({ body: body(i) })));
    const bodies = (await log.entries(0n, BigInt(n))).map((e) => e.body);
    for (const b of bodies) memory.append(hashLeaf(b));
    expect(Buffer.from(memory.root())).toEqual(Buffer.from(log.treeState.rootHash));

    const full = await log.readTile(0, 1n, TILE_WIDTH);
    expect(tileHashes(full!, TILE_WIDTH).map((h) => Buffer.from(h))).toEqual(
      memory
        .readNodes(Array.from({ length: 256 }, (_, i) => ({ level: 0, index: 256n + BigInt(i) })))
        .map((h) => Buffer.from(h)),
    );
    const partial = await log.readTile(0, 2n, n - 512);
    expect(partial!.length).toBe((n - 512) * 32);
    expect(await log.readTile(0, 2n, n - 511)).toBeNull();
    expect(await log.readTile(0, 2n, TILE_WIDTH)).toBeNull();
    const level1 = await log.readTile(1, 0n, 2);
    expect(Buffer.from(level1!.subarray(32))).toEqual(
      Buffer.from(memory.readNodes([{ level: 8, index: 1n }])[0]!),
    );

    const bundle = await log.readEntryBundle(2n, n - 512);
    expect(parseEntryBundle(bundle!).map((e) => Buffer.from(e).toString())).toEqual(
      bodies.slice(512).map((b) => Buffer.from(b).toString()),
    );
    expect(await log.readEntryBundle(2n, n - 511)).toBeNull();
  });

  it('restarts from its database and continues the same tree', async () => {
    const path = dbPath();
    const first = await openLog(path);
    await Promise.all(Array.from({ length: 300 }, (_, i) => first.add({ body: body(i) })));
    const before = first.treeState;
    await first.close();
    open.splice(open.indexOf(first), 1);

    const second = await openLog(path);
    expect(second.treeState.size).toBe(300n);
    expect(Buffer.from(second.treeState.rootHash)).toEqual(Buffer.from(before.rootHash));
    await Promise.all(Array.from({ length: 300 }, (_, i) => second.add({ body: body(1000 + i) })));
    expect(Buffer.from(await second.rootAt(300n))).toEqual(Buffer.from(before.rootHash));
    const proof = await second.consistencyProof(300n, 600n);
    expect(verifyConsistency(300n, 600n, proof, before.rootHash, second.treeState.rootHash)).toBe(
      true,
    );
    await checkLog(second, verifier);
  });

  it('refuses to extend a tree another writer has extended', async () => {
    const path = dbPath();
    const a = await openLog(path);
    const b = await openLog(path);
    await a.add({ body: body(1) });
    await expect(b.add({ body: body(2) })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(b.add({ body: body(3) })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(a.treeState.size).toBe(1n);
  });

  it('pushes back instead of queueing without bound, and refuses oversize entries', async () => {
    const log = await openLog(dbPath(), {
      maxPending: 10,
      batchMaxAgeMs: 1000,
      batchMaxSize: 1000,
    });
    const accepted = Array.from({ length: 10 }, (_, i) => log.add({ body: body(i) }));
    await expect(log.add({ body: body(99) })).rejects.toMatchObject({ code: 'PUSHBACK' });
    await expect(log.add({ body: new Uint8Array(70_000) })).rejects.toBeInstanceOf(LogError);
    await log.close();
    expect((await Promise.all(accepted)).every((r) => r.kind === 'added')).toBe(true);
  });

  it('rejects proofs outside the tree with INVALID_RANGE', async () => {
    const log = await openLog(dbPath());
    await log.add({ body: body(1) });
    await expect(log.inclusionProof(1n, 1n)).rejects.toMatchObject({ code: 'INVALID_RANGE' });
    await expect(log.inclusionProof(0n, 2n)).rejects.toMatchObject({ code: 'INVALID_RANGE' });
    await expect(log.consistencyProof(2n, 1n)).rejects.toMatchObject({ code: 'INVALID_RANGE' });
  });
});
