// The monitor following a real transparency log on loopback: it alerts for a watched identity within
// one polling interval and for nothing else, resumes from its state without reading the log again, and
// catches a log rewritten behind its back by an operator holding the log's own key.
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import {
  type Alert,
  type IntegrityAlert,
  LogMonitor,
  type MatchAlert,
  MonitorStateStore,
  parseWatchRules,
  RekorSource,
  runMonitors,
  webhookDeliverer,
} from '@airlock/monitor';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ArtifactSigner,
  type ListeningTlog,
  listeningTlog,
  reopenTlog,
  rewriteHistory,
  TestCa,
} from './support.js';

const INTERVAL_MS = 300;
const rules = parseWatchRules({ identities: ['alice@airlock.test'] });
const artifacts = new ArtifactSigner();
const open: ListeningTlog[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((tlog) => tlog.app.close()));
});

async function start(): Promise<ListeningTlog> {
  const tlog = await listeningTlog();
  open.push(tlog);
  return tlog;
}

function monitorFor(tlog: ListeningTlog, statePath: string, publicKey = tlog.v1Signer.publicKey) {
  return new LogMonitor({
    source: new RekorSource(
      tlog.url,
      createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
    ),
    rules,
    state: MonitorStateStore.open(statePath),
  });
}

async function stepAndCommit(monitor: LogMonitor) {
  const result = await monitor.step();
  result.commit();
  return result;
}

const statePath = () => join(mkdtempSync(join(tmpdir(), 'airlock-monitor-')), 'state.json');

describe('following a Rekor log', () => {
  it('alerts for the watched identity within one polling interval and for nobody else', async () => {
    const tlog = await start();
    const ca = await TestCa.create();
    const early = await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
    await tlog.submit((await ca.hashedrekord('bob@airlock.test')).entry);
    await tlog.submit(artifacts.hashedrekord().entry);

    const alerts: { alert: Alert; at: number }[] = [];
    const controller = new AbortController();
    const warnings: string[] = [];
    const running = runMonitors({
      monitors: [monitorFor(tlog, statePath())],
      intervalMs: INTERVAL_MS,
      deliver: async (alert) => {
        alerts.push({ alert, at: Date.now() });
      },
      warn: (message) => warnings.push(message),
      signal: controller.signal,
    });
    try {
      // The entries already in the log are read on the first step.
      await expect.poll(() => alerts.length, { timeout: 5_000 }).toBe(1);
      const first = alerts[0]!.alert as MatchAlert;
      expect(first).toMatchObject({
        alert: 'match',
        log: 'rekor',
        index: early.index,
        id: early.uuid,
        identities: ['alice@airlock.test'],
        issuers: ['https://idp.airlock.test'],
        matches: [{ rule: 'identity', pattern: 'alice@airlock.test', value: 'alice@airlock.test' }],
      });

      // New entries: bob, a key, alice. Only alice is reported, within one interval (plus the step).
      await tlog.submit((await ca.hashedrekord('bob@airlock.test')).entry);
      await tlog.submit(artifacts.hashedrekord().entry);
      const loggedAt = Date.now();
      const late = await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
      await expect.poll(() => alerts.length, { timeout: 5_000, interval: 20 }).toBe(2);
      const second = alerts[1]!;
      expect(second.alert).toMatchObject({ alert: 'match', index: late.index, id: late.uuid });
      expect(second.at - loggedAt).toBeLessThan(INTERVAL_MS + 1_000);
      // A few more intervals pass without any alert for bob or the key.
      await tlog.submit((await ca.hashedrekord('bob@airlock.test')).entry);
      await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
      expect(alerts).toHaveLength(2);
      expect(warnings).toEqual([]);
    } finally {
      controller.abort();
    }
    expect(await running).toBe('stopped');
  });

  it('resumes from its state after a restart without reading the log again', async () => {
    const tlog = await start();
    const ca = await TestCa.create();
    await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
    for (let i = 0; i < 5; i++) await tlog.submit(artifacts.hashedrekord().entry);
    const path = statePath();
    const first = await stepAndCommit(monitorFor(tlog, path));
    expect(first.alerts).toHaveLength(1);
    expect(first.toSize).toBe(6n);
    const state = JSON.parse(readFileSync(path, 'utf8'));
    expect(state.logs.rekor.size).toBe('6');
    expect(state.logs.rekor.peaks).toHaveLength(2);

    // A new process: nothing new, so nothing is read but the checkpoint.
    tlog.requests.length = 0;
    const again = monitorFor(tlog, path);
    const idle = await stepAndCommit(again);
    expect([idle.fromSize, idle.toSize, idle.alerts.length]).toEqual([6n, 6n, 0]);
    expect(tlog.requests).toEqual(['/api/v1/log']);

    // One new entry: one consistency proof, one bundle, and only the new entry checked.
    const late = await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
    tlog.requests.length = 0;
    const next = await stepAndCommit(monitorFor(tlog, path));
    expect(next.alerts.map((alert) => (alert as MatchAlert).index)).toEqual([late.index]);
    expect(tlog.requests).toEqual([
      '/api/v1/log',
      '/api/v1/log/proof?firstSize=6&lastSize=7',
      '/api/v1/log/tiles/tile/entries/000.p/7',
    ]);
  });

  it('detects a history rewritten and re-signed with the log key, and does not follow it', async () => {
    const tlog = await start();
    for (let i = 0; i < 4; i++) await tlog.submit(artifacts.hashedrekord().entry);
    const path = statePath();
    expect((await stepAndCommit(monitorFor(tlog, path))).toSize).toBe(4n);

    // The operator removes entry 2 and appends others: a bigger tree, validly signed, not an extension.
    const originals = (await tlog.logs.v1.log.entries(0n, 4n)).map((entry) => entry.body);
    await tlog.app.close();
    open.splice(open.indexOf(tlog), 1);
    const forgedBodies = [originals[0]!, originals[1]!, originals[3]!];
    for (let i = 0; i < 3; i++)
      forgedBodies.push(Buffer.from(JSON.stringify({ kind: 'forged', i })));
    await rewriteHistory(tlog, forgedBodies);
    const rewritten = await reopenTlog(tlog);
    open.push(rewritten);
    expect(rewritten.logs.v1.log.treeState.size).toBe(6n);

    const alerts: Alert[] = [];
    const outcome = await runMonitors({
      monitors: [monitorFor(rewritten, path)],
      intervalMs: INTERVAL_MS,
      deliver: async (alert) => {
        alerts.push(alert);
      },
      warn: () => {},
    });
    expect(outcome).toBe('failed');
    expect(alerts).toHaveLength(1);
    const alert = alerts[0] as IntegrityAlert;
    expect(alert).toMatchObject({ alert: 'inconsistent', log: 'rekor', storedSize: 4, newSize: 6 });
    expect(alert.reason).toMatch(/not an extension of the remembered tree of size 4/);
    expect(alert.signed).toBe(rewritten.logs.v1.log.treeState.checkpoint);
    // The state still holds the honest tree: a restart alerts again rather than accepting the fork.
    expect(JSON.parse(readFileSync(path, 'utf8')).logs.rekor.size).toBe('4');
    expect((await monitorFor(rewritten, path).step()).ok).toBe(false);
  });

  it('detects a rewrite of the same size, and a log that shrank', async () => {
    const tlog = await start();
    for (let i = 0; i < 3; i++) await tlog.submit(artifacts.hashedrekord().entry);
    const path = statePath();
    await stepAndCommit(monitorFor(tlog, path));
    const originals = (await tlog.logs.v1.log.entries(0n, 3n)).map((entry) => entry.body);
    await tlog.app.close();
    open.splice(open.indexOf(tlog), 1);

    await rewriteHistory(tlog, [originals[0]!, originals[1]!, Buffer.from('{"kind":"forged"}')]);
    let forged = await reopenTlog(tlog);
    const sameSize = await monitorFor(forged, path).step();
    expect(sameSize.ok).toBe(false);
    expect(sameSize.alerts[0]).toMatchObject({
      alert: 'inconsistent',
      reason: 'two different roots for tree size 3',
    });
    await forged.app.close();

    await rewriteHistory(tlog, originals.slice(0, 2));
    forged = await reopenTlog(tlog);
    open.push(forged);
    const shrunk = await monitorFor(forged, path).step();
    expect(shrunk.alerts[0]).toMatchObject({
      alert: 'inconsistent',
      reason: 'the log shrank from 3 to 2 entries',
    });
  });

  it('detects entries edited in the database behind the tree, and a checkpoint not signed by the log key', async () => {
    const tlog = await start();
    for (let i = 0; i < 2; i++) await tlog.submit(artifacts.hashedrekord().entry);
    const path = statePath();
    await stepAndCommit(monitorFor(tlog, path));
    const ca = await TestCa.create();
    const hidden = await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
    // The operator swaps the new entry's body for a harmless one; hashes and checkpoint stay.
    const db = new Database(join(tlog.dataDir, 'rekor-v1.db'));
    db.prepare('UPDATE entries SET body = ? WHERE idx = ?').run(
      Buffer.from(JSON.stringify({ kind: 'harmless' })),
      hidden.index,
    );
    db.close();
    const edited = await monitorFor(tlog, path).step();
    expect(edited.ok).toBe(false);
    expect(edited.alerts).toEqual([
      expect.objectContaining({
        alert: 'inconsistent',
        reason: expect.stringMatching(/do not hash to its signed root/),
      }),
    ]);

    const stranger = SoftwareSigner.generate('ecdsa-p256-sha256');
    const wrongKey = await monitorFor(tlog, statePath(), stranger.publicKey).step();
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.alerts[0]).toMatchObject({ alert: 'bad-signature' });
  });

  it('retries a log it cannot reach, and posts alerts to a webhook', async () => {
    const received: unknown[] = [];
    const hook = Fastify();
    hook.post('/alerts', async (request) => {
      received.push(request.body);
      return { ok: true };
    });
    await hook.listen({ host: '127.0.0.1', port: 0 });
    const address = hook.server.address();
    const hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/alerts`;
    try {
      const tlog = await start();
      const ca = await TestCa.create();
      await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
      const warnings: string[] = [];
      const deliver = webhookDeliverer(hookUrl, (message) => warnings.push(message));
      const unreachable = new LogMonitor({
        source: new RekorSource('http://127.0.0.1:9', tlog.v1Signer.publicKey),
        rules,
        state: MonitorStateStore.open(statePath()),
      });
      const outcome = await runMonitors({
        monitors: [unreachable, monitorFor(tlog, statePath())],
        intervalMs: INTERVAL_MS,
        deliver,
        warn: (message) => warnings.push(message),
        once: true,
      });
      expect(outcome).toBe('done');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^rekor: .*127\.0\.0\.1:9.*\(retrying\)$/);
      expect(received).toEqual([
        expect.objectContaining({ alert: 'match', identities: ['alice@airlock.test'] }),
      ]);

      const failing = webhookDeliverer(
        'http://127.0.0.1:9/alerts',
        (message) => warnings.push(message),
        1_000,
      );
      await failing(received[0] as Alert);
      expect(warnings[1]).toMatch(/webhook .* failed for a match alert/);
    } finally {
      await hook.close();
    }
  });
});
