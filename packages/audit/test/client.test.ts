// The log client reads answers from a log that may lie or misbehave: a hostile HTTP server here
// answers whatever each test scripts, and every malformed, oversized, slow or failed answer must
// become a typed AuditError rather than a value passed on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuditError,
  fetchVerifiedLogInfo,
  HttpTileSource,
  logKeyFromTrustedRoot,
  MAX_TILE_BYTES,
  parseLogEntry,
  RekorClient,
} from '@airlock/audit';
import { hashLeaf } from '@airlock/merkle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveTlog } from './live-tlog.js';

type Script = (url: string) => { status?: number; body?: string | Buffer; hang?: boolean };
let script: Script = () => ({ status: 404 });
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const answer = script(request.url ?? '');
    if (answer.hang) return;
    response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    response.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function rejects(promise: Promise<unknown>, code: AuditError['code'], message?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuditError);
  expect(error).toMatchObject({ code });
  if (message) expect((error as Error).message).toMatch(message);
}

const body = Buffer.from('{"kind":"hashedrekord"}');
const uuid = Buffer.from(hashLeaf(body)).toString('hex');
const hash = 'ab'.repeat(32);
function entry(overrides: Record<string, unknown> = {}, proof: Record<string, unknown> = {}) {
  return {
    [uuid]: {
      body: body.toString('base64'),
      integratedTime: 1,
      logID: hash,
      logIndex: 0,
      verification: {
        inclusionProof: {
          checkpoint: 'x',
          hashes: [hash],
          logIndex: 0,
          rootHash: hash,
          treeSize: 2,
          ...proof,
        },
        signedEntryTimestamp: 'AAAA',
      },
      ...overrides,
    },
  };
}

describe('strict parsing of Rekor v1 answers', () => {
  it('accepts a well-formed entry', () => {
    expect(parseLogEntry(entry())).toMatchObject({ uuid, logIndex: 0n, integratedTime: 1n });
  });

  it.each([
    ['an entry filed under another UUID', { [hash]: entry()[uuid] }],
    ['two entries', { ...entry(), [hash]: entry()[uuid] }],
    ['a body that is not base64', entry({ body: 'not base64!' })],
    ['a fractional index', entry({ logIndex: 1.5 })],
    ['a negative time', entry({ integratedTime: -1 })],
    ['an index beyond 2^53', entry({ logIndex: 2 ** 60 })],
    ['a short log ID', entry({ logID: 'abcd' })],
    ['an uppercase log ID', entry({ logID: hash.toUpperCase() })],
    ['a short proof hash', entry({}, { hashes: ['abcd'] })],
    ['proof hashes that are not a list', entry({}, { hashes: hash })],
    ['no checkpoint', entry({}, { checkpoint: undefined })],
    ['no verification', entry({ verification: undefined })],
  ])('refuses %s', (_name, json) => {
    expect(() => parseLogEntry(json)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_RESPONSE' }),
    );
  });
});

describe('the HTTP edge', () => {
  it('maps statuses: 404 is NOT_FOUND, anything else unexpected is HTTP_STATUS', async () => {
    const client = new RekorClient(base);
    script = () => ({ status: 404, body: '{"code":404,"message":"no entry at that index"}' });
    await rejects(client.entryByIndex(3n), 'NOT_FOUND', /no entry at that index/);
    script = () => ({ status: 500, body: 'boom' });
    await rejects(client.logInfo(), 'HTTP_STATUS', /HTTP 500: boom/);
  });

  it('refuses answers that are not JSON, or are another entry than the one asked for', async () => {
    const client = new RekorClient(base);
    script = () => ({ body: '<html>' });
    await rejects(client.logInfo(), 'MALFORMED_RESPONSE');
    script = () => ({ body: JSON.stringify(entry()) });
    await rejects(client.entryByIndex(1n), 'MALFORMED_RESPONSE', /asked for entry 1/);
    await rejects(client.entryByUuid(hash), 'MALFORMED_RESPONSE', /asked for entry/);
    script = () => ({ body: JSON.stringify(['not-a-uuid']) });
    await rejects(client.search({ email: 'a@b.c' }), 'MALFORMED_RESPONSE');
  });

  it('stops reading an answer larger than the limit', async () => {
    script = () => ({ status: 200, body: Buffer.alloc(MAX_TILE_BYTES + 1) });
    await rejects(
      new HttpTileSource(base).readTile({ level: 0, index: 0n, width: 256 }),
      'MALFORMED_RESPONSE',
      /more than 8192 bytes/,
    );
  });

  it('gives up on a log that does not answer, and reports one that cannot be reached', async () => {
    script = () => ({ hang: true });
    await rejects(new RekorClient(base, { timeoutMs: 200 }).logInfo(), 'TIMEOUT');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await rejects(new RekorClient(`http://127.0.0.1:${port}`).logInfo(), 'UNREACHABLE');
  });

  it('refuses URLs that are not http(s) or carry a query', () => {
    for (const url of ['ftp://log.example', 'not a url', 'https://log.example/?x=1']) {
      expect(() => new RekorClient(url)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    }
  });
});

describe('a log info whose parts disagree with its signed tree head', () => {
  let live: LiveTlog;
  beforeAll(async () => {
    live = await LiveTlog.start();
    await live.addEntries(3);
  });
  afterAll(async () => {
    await live.close();
  });

  it('is refused even though the checkpoint signature is good', async () => {
    const real = (await (await fetch(`${live.url}/api/v1/log`)).json()) as Record<string, unknown>;
    // The hostile server relays the real signed tree head under the trusted root's URL for it.
    const relay = (changes: Record<string, unknown>) => {
      script = () => ({ body: JSON.stringify({ ...real, ...changes }) });
    };
    const trustedForBase = logKeyFromTrustedRoot(
      {
        ...live.trustedRoot,
        tlogs: live.trustedRoot.tlogs.map((log) => ({ ...log, baseUrl: base })),
      },
      base,
    );
    relay({});
    expect((await fetchVerifiedLogInfo(new RekorClient(base), trustedForBase)).info.treeSize).toBe(
      3n,
    );
    relay({ treeSize: 4 });
    await rejects(
      fetchVerifiedLogInfo(new RekorClient(base), trustedForBase),
      'MALFORMED_RESPONSE',
    );
    relay({ rootHash: hash });
    await rejects(
      fetchVerifiedLogInfo(new RekorClient(base), trustedForBase),
      'MALFORMED_RESPONSE',
    );
    relay({ treeID: '1' });
    await rejects(
      fetchVerifiedLogInfo(new RekorClient(base), trustedForBase),
      'MALFORMED_RESPONSE',
    );
  });
});
