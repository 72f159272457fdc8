// The Rekor v1/v2 HTTP API through Fastify's inject: response shapes, lookups, search, tiles, and every
// kind of bad input answered with a 4xx JSON error that leaves the tree unchanged.
import { createHash } from 'node:crypto';
import { hashLeaf, parseEntryBundle, verifyConsistency, verifyInclusion } from '@airlock/merkle';
import { noteVerifierFromPublicKey, openCheckpoint } from '@airlock/note';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactSigner, HOSTNAME, startTestTlog, type TestTlog } from './support.js';

let tlog: TestTlog;
const client = new ArtifactSigner();

beforeAll(async () => {
  tlog = await startTestTlog();
});
afterAll(async () => {
  await tlog.app.close();
});

async function post(url: string, payload: unknown) {
  return tlog.app.inject({ method: 'POST', url, payload: payload as object });
}

function v1Verifier() {
  return noteVerifierFromPublicKey(HOSTNAME, tlog.v1Signer.publicKey, { keyIdRule: 'rekor-v1' });
}

describe('Rekor v1: POST /api/v1/log/entries', () => {
  it('logs a hashedrekord entry and answers 201 with a verifiable LogEntry', async () => {
    const { entry, digest } = client.hashedrekord();
    const response = await post('/api/v1/log/entries', entry);
    expect(response.statusCode).toBe(201);
    const body = response.json() as Record<string, any>;
    const [entryId] = Object.keys(body);
    expect(entryId).toMatch(/^[0-9a-f]{80}$/);
    expect(response.headers.etag).toBe(entryId);
    expect(response.headers.location).toBe(`/api/v1/log/entries/${entryId}`);
    const logEntry = body[entryId!];
    const canonical = Buffer.from(logEntry.body, 'base64');
    expect(JSON.parse(canonical.toString())).toMatchObject({
      kind: 'hashedrekord',
      spec: { data: { hash: { value: digest } } },
    });
    expect(entryId!.slice(16)).toBe(Buffer.from(hashLeaf(canonical)).toString('hex'));
    expect(logEntry.logID).toBe(
      createHash('sha256')
        .update(tlog.v1Signer.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );

    // SET: ECDSA over JCS {body, integratedTime, logID, logIndex}.
    const setPayload = JSON.stringify({
      body: logEntry.body,
      integratedTime: logEntry.integratedTime,
      logID: logEntry.logID,
      logIndex: logEntry.logIndex,
    });
    const { verify } = await import('node:crypto');
    expect(
      verify(
        'sha256',
        Buffer.from(setPayload),
        tlog.v1Signer.publicKey,
        Buffer.from(logEntry.verification.signedEntryTimestamp, 'base64'),
      ),
    ).toBe(true);

    const proof = logEntry.verification.inclusionProof;
    const { checkpoint } = openCheckpoint(proof.checkpoint, [v1Verifier()]);
    expect(checkpoint.origin).toBe(`${HOSTNAME} - ${tlog.logs.v1.treeId}`);
    expect(Number(checkpoint.size)).toBe(proof.treeSize);
    expect(Buffer.from(checkpoint.rootHash).toString('hex')).toBe(proof.rootHash);
    const hashes = proof.hashes.map((h: string) => Buffer.from(h, 'hex'));
    expect(
      verifyInclusion(
        hashLeaf(canonical),
        BigInt(proof.logIndex),
        checkpoint.size,
        hashes,
        checkpoint.rootHash,
      ),
    ).toBe(true);
  });

  it('answers 409 with the existing entry for a duplicate, and the tree does not grow', async () => {
    const { entry } = client.hashedrekord();
    const first = await post('/api/v1/log/entries', entry);
    const size = tlog.logs.v1.log.treeState.size;
    const again = await post('/api/v1/log/entries', entry);
    expect(again.statusCode).toBe(409);
    const [entryId] = Object.keys(first.json());
    expect(again.json()).toEqual({
      code: 409,
      message: `an equivalent entry already exists in the transparency log with UUID ${entryId}`,
    });
    expect(again.headers.location).toBe(`/api/v1/log/entries/${entryId}`);
    expect(tlog.logs.v1.log.treeState.size).toBe(size);
  });
});

describe('Rekor v1 reads', () => {
  let entryId: string;
  let logIndex: number;
  let digest: string;

  beforeAll(async () => {
    const proposed = client.hashedrekord();
    digest = proposed.digest;
    const response = await post('/api/v1/log/entries', proposed.entry);
    [entryId] = Object.keys(response.json()) as [string];
    logIndex = response.json()[entryId].logIndex;
  });

  it('finds an entry by index, UUID and EntryID, and by retrieve', async () => {
    const byIndex = await tlog.app.inject(`/api/v1/log/entries?logIndex=${logIndex}`);
    expect(Object.keys(byIndex.json())).toEqual([entryId]);
    for (const id of [entryId, entryId.slice(16)]) {
      const response = await tlog.app.inject(`/api/v1/log/entries/${id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()[entryId].logIndex).toBe(logIndex);
    }
    const retrieved = await post('/api/v1/log/entries/retrieve', {
      entryUUIDs: [entryId.slice(16)],
      logIndexes: [logIndex],
    });
    expect(retrieved.json()).toHaveLength(2);
  });

  it('searches the index by artifact hash and by public key', async () => {
    const byHash = await post('/api/v1/index/retrieve', { hash: `sha256:${digest}` });
    expect(byHash.json()).toEqual([entryId.slice(16)]);
    const byKey = await post('/api/v1/index/retrieve', {
      publicKey: { format: 'x509', content: Buffer.from(client.publicKeyPem).toString('base64') },
    });
    expect(byKey.json()).toContain(entryId.slice(16));
  });

  it('answers log info, the public key and consistency proofs', async () => {
    const info = (await tlog.app.inject('/api/v1/log')).json();
    expect(info.treeID).toBe(tlog.logs.v1.treeId.toString());
    const { checkpoint } = openCheckpoint(info.signedTreeHead, [v1Verifier()]);
    expect(Number(checkpoint.size)).toBe(info.treeSize);
    const key = await tlog.app.inject('/api/v1/log/publicKey');
    expect(key.headers['content-type']).toMatch(/application\/x-pem-file/);
    expect(key.body).toBe(tlog.v1Signer.publicKey.export({ type: 'spki', format: 'pem' }));

    const old = Buffer.from(await tlog.logs.v1.log.rootAt(1n));
    for (let i = 0; i < 3; i++) await post('/api/v1/log/entries', client.hashedrekord().entry);
    const now = (await tlog.app.inject('/api/v1/log')).json();
    const proof = (
      await tlog.app.inject(`/api/v1/log/proof?firstSize=1&lastSize=${now.treeSize}`)
    ).json();
    expect(proof.rootHash).toBe(now.rootHash);
    const hashes = proof.hashes.map((h: string) => Buffer.from(h, 'hex'));
    expect(
      verifyConsistency(1n, BigInt(now.treeSize), hashes, old, Buffer.from(now.rootHash, 'hex')),
    ).toBe(true);
  });

  it('serves the v1 log as C2SP tiles', async () => {
    const size = Number(tlog.logs.v1.log.treeState.size);
    const checkpoint = await tlog.app.inject('/api/v1/log/tiles/checkpoint');
    expect(checkpoint.body).toBe(tlog.logs.v1.log.treeState.checkpoint);
    const bundle = await tlog.app.inject(`/api/v1/log/tiles/tile/entries/000.p/${size}`);
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['cache-control']).toContain('immutable');
    expect(parseEntryBundle(bundle.rawPayload)).toHaveLength(size);
    const tile = await tlog.app.inject(`/api/v1/log/tiles/tile/0/000.p/${size}`);
    expect(tile.rawPayload.length).toBe(size * 32);
    expect((await tlog.app.inject(`/api/v1/log/tiles/tile/0/000.p/${size + 1}`)).statusCode).toBe(
      404,
    );
    expect((await tlog.app.inject('/api/v1/log/tiles/tile/0/0')).statusCode).toBe(404);
  });
});

describe('bad input: a 4xx JSON error, nothing written', () => {
  const good = () => client.hashedrekord().entry;
  const mutate = (change: (entry: any) => void) => {
    const entry = good() as any;
    change(entry);
    return entry;
  };
  const cases: [string, () => unknown][] = [
    ['unknown kind', () => mutate((e) => (e.kind = 'rekord2'))],
    ['unknown apiVersion', () => mutate((e) => (e.apiVersion = '9.9.9'))],
    ['missing spec', () => mutate((e) => delete e.spec)],
    ['digest of the wrong length', () => mutate((e) => (e.spec.data.hash.value = 'abcd'))],
    ['unknown hash algorithm', () => mutate((e) => (e.spec.data.hash.algorithm = 'md5'))],
    [
      'signature that does not verify',
      () =>
        mutate(
          (e) => (e.spec.data.hash.value = createHash('sha256').update('other').digest('hex')),
        ),
    ],
    ['invalid base64 signature', () => mutate((e) => (e.spec.signature.content = '!!!not base64'))],
    [
      'public key that is not PEM',
      () =>
        mutate(
          (e) => (e.spec.signature.publicKey.content = Buffer.from('hello').toString('base64')),
        ),
    ],
    ['a JSON array', () => [1, 2, 3]],
    ['a JSON string', () => 'hashedrekord'],
  ];
  for (const [name, payload] of cases) {
    it(`rejects ${name}`, async () => {
      const before = tlog.logs.v1.log.treeState;
      const response = await post('/api/v1/log/entries', payload());
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.json()).toEqual({ code: response.statusCode, message: expect.any(String) });
      expect(tlog.logs.v1.log.treeState).toBe(before);
    });
  }

  it('rejects malformed JSON, a wrong content type and an oversize body', async () => {
    const before = tlog.logs.v1.log.treeState;
    const malformed = await tlog.app.inject({
      method: 'POST',
      url: '/api/v1/log/entries',
      headers: { 'content-type': 'application/json' },
      payload: '{"kind":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe(400);
    const text = await tlog.app.inject({
      method: 'POST',
      url: '/api/v1/log/entries',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(text.statusCode).toBe(415);
    const huge = await tlog.app.inject({
      method: 'POST',
      url: '/api/v1/log/entries',
      headers: { 'content-type': 'application/json' },
      payload: `{"a":"${'x'.repeat(5 * 1024 * 1024)}"}`,
    });
    expect(huge.statusCode).toBe(413);
    const poisoned = await tlog.app.inject({
      method: 'POST',
      url: '/api/v1/log/entries',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__":{"x":1}}',
    });
    expect(poisoned.statusCode).toBe(400);
    expect(tlog.logs.v1.log.treeState).toBe(before);
  });

  it('rejects bad indices, sizes and UUIDs on reads', async () => {
    const urls = [
      '/api/v1/log/entries?logIndex=-1',
      '/api/v1/log/entries?logIndex=abc',
      '/api/v1/log/entries?logIndex=99999999999999999999999',
      '/api/v1/log/entries',
      '/api/v1/log/entries/nothex',
      '/api/v1/log/proof?firstSize=0&lastSize=1',
      '/api/v1/log/proof?firstSize=5&lastSize=2',
      '/api/v1/log/proof?firstSize=1&lastSize=18446744073709551615',
      '/api/v1/log/proof?lastSize=x',
    ];
    for (const url of urls) {
      const response = await tlog.app.inject(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().code).toBe(400);
    }
    expect((await tlog.app.inject('/api/v1/log/entries?logIndex=999999')).statusCode).toBe(404);
    expect((await tlog.app.inject(`/api/v1/log/entries/${'0'.repeat(64)}`)).statusCode).toBe(404);
    expect((await tlog.app.inject('/api/v1/nothing')).json()).toMatchObject({ code: 404 });
  });

  it('rejects malformed retrieve and search queries', async () => {
    const bad: [string, unknown][] = [
      ['/api/v1/log/entries/retrieve', { logIndexes: Array.from({ length: 11 }, (_, i) => i) }],
      ['/api/v1/log/entries/retrieve', { logIndexes: [-1] }],
      ['/api/v1/log/entries/retrieve', { entryUUIDs: ['zz'] }],
      ['/api/v1/index/retrieve', {}],
      ['/api/v1/index/retrieve', { hash: 'sha256:1234' }],
      ['/api/v1/index/retrieve', { publicKey: { format: 'pgp', content: 'AAAA' } }],
      ['/api/v1/index/retrieve', { email: 'x@y', operator: 'xor' }],
    ];
    for (const [url, payload] of bad) {
      const response = await post(url, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    }
  });
});
