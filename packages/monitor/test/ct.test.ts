// The monitor following a real RFC 6962 CT log on loopback: certificates and precertificates for a
// watched identity are reported, others are not, and a tree head not signed by the log key is an alert.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtLog, createCtLogServer } from '@airlock/ctlog';
import { SoftwareSigner } from '@airlock/keys';
import {
  CtSource,
  describeCtEntry,
  LogMonitor,
  type MatchAlert,
  MonitorError,
  MonitorStateStore,
  parseWatchRules,
} from '@airlock/monitor';
import {
  buildLeafTbs,
  createIntermediateCertificate,
  createRootCertificate,
  precertificateTbs,
  signTbs,
} from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rootSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
const intermediateSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
const ctSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
let root: Uint8Array;
let intermediate: Uint8Array;
let ct: CtLog;
let app: FastifyInstance;
let url: string;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function leaf(email: string, precert: boolean): Promise<Uint8Array> {
  const tbs = buildLeafTbs({
    issuerCert: intermediate,
    publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
    notBefore: new Date(),
    subjectAlternativeName: { type: 'email', value: email },
    extensions: { issuer: 'https://idp.airlock.test' },
  });
  return signTbs(precert ? precertificateTbs(tbs) : tbs, intermediateSigner);
}

async function add(email: string, precert: boolean) {
  const response = await app.inject({
    method: 'POST',
    url: `/ct/v1/${precert ? 'add-pre-chain' : 'add-chain'}`,
    payload: { chain: [b64(await leaf(email, precert)), b64(intermediate)] },
  });
  expect(response.statusCode).toBe(200);
}

beforeAll(async () => {
  const now = Date.now();
  root = await createRootCertificate({
    signer: rootSigner,
    subject: { commonName: 'CT monitor test root' },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3600_000),
  });
  intermediate = await createIntermediateCertificate({
    issuerCert: root,
    issuerSigner: rootSigner,
    publicKey: intermediateSigner.publicKey,
    subject: { commonName: 'CT monitor test intermediate' },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3600_000),
  });
  ct = await CtLog.open({
    dataDir: mkdtempSync(join(tmpdir(), 'airlock-ctlog-')),
    origin: 'ct.airlock.test',
    signer: ctSigner,
    roots: [root],
    batch: { batchMaxAgeMs: 2 },
  });
  app = await createCtLogServer(ct);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await app?.close();
  await ct?.close();
});

const monitor = (path: string, key = ctSigner.publicKey) =>
  new LogMonitor({
    source: new CtSource(url, key),
    rules: parseWatchRules({ identities: ['alice@airlock.test'] }),
    state: MonitorStateStore.open(path),
  });

describe('following a CT log', () => {
  it('reports certificates and precertificates for the watched identity, and follows on', async () => {
    await add('alice@airlock.test', true);
    await add('bob@airlock.test', true);
    await add('alice@airlock.test', false);
    const path = join(mkdtempSync(join(tmpdir(), 'airlock-monitor-')), 'state.json');
    const first = await monitor(path).step();
    expect(first.ok).toBe(true);
    first.commit();
    expect(first.alerts.map((alert) => [(alert as MatchAlert).index, alert.log])).toEqual([
      [0, 'ct'],
      [2, 'ct'],
    ]);
    expect((first.alerts[0] as MatchAlert).origin).toMatch(/^ct:[0-9a-f]{64}$/);

    await add('bob@airlock.test', false);
    await add('alice@airlock.test', true);
    const next = await monitor(path).step();
    expect([next.fromSize, next.toSize]).toEqual([3n, 5n]);
    expect(next.alerts.map((alert) => (alert as MatchAlert).index)).toEqual([4]);
  });

  it('alerts on a tree head the configured key did not sign', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'airlock-monitor-')), 'state.json');
    const result = await monitor(
      path,
      SoftwareSigner.generate('ecdsa-p256-sha256').publicKey,
    ).step();
    expect(result.ok).toBe(false);
    expect(result.alerts[0]).toMatchObject({ alert: 'bad-signature', log: 'ct' });
  });

  it('refuses CT entries it cannot decode', () => {
    expect(() => describeCtEntry(Uint8Array.of(0, 0, 1), new Uint8Array())).toThrow(MonitorError);
    expect(() =>
      describeCtEntry(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), new Uint8Array()),
    ).toThrow(/v1/);
  });
});
