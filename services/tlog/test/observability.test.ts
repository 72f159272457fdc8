// Health, readiness and Prometheus metrics on a real service: the metrics parse as Prometheus text and
// count exactly the requests made; readiness fails when the log cannot take entries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactSigner, startTestTlog, type TestTlog } from './support.js';

let tlog: TestTlog;
beforeAll(async () => {
  tlog = await startTestTlog();
});
afterAll(async () => {
  await tlog.app.close();
});

/** Prometheus text format: `name{label="value",...} number` lines, comments skipped. */
function parsePrometheus(
  text: string,
): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
        labels[pair[1]!] = pair[2]!;
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

describe('observability', () => {
  it('answers /healthz and /readyz, with a request id on every answer', async () => {
    const health = await tlog.app.inject('/healthz');
    expect(health.json()).toEqual({ status: 'ok' });
    expect(health.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const given = await tlog.app.inject({
      url: '/readyz',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(given.statusCode).toBe(200);
    expect(given.headers['x-request-id']).toBe('trace-42');
    const junk = await tlog.app.inject({ url: '/healthz', headers: { 'x-request-id': 'a b\nc' } });
    expect(junk.headers['x-request-id']).not.toContain(' ');
  });

  it('counts requests by route and status, and reports the tree size and batches', async () => {
    const client = new ArtifactSigner();
    for (let i = 0; i < 3; i++) {
      const response = await tlog.app.inject({
        method: 'POST',
        url: '/api/v1/log/entries',
        payload: client.hashedrekord().entry,
      });
      expect(response.statusCode).toBe(201);
    }
    await tlog.app.inject({
      method: 'POST',
      url: '/api/v1/log/entries',
      payload: { kind: 'nope' },
    });
    for (let i = 0; i < 2; i++) await tlog.app.inject('/api/v1/log/entries?logIndex=0');

    const response = await tlog.app.inject('/metrics');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const samples = parsePrometheus(response.body);
    const count = (route: string, status: string) =>
      samples.find(
        (s) =>
          s.name === 'airlock_http_requests_total' &&
          s.labels.route === route &&
          s.labels.status === status,
      )?.value;
    expect(count('/api/v1/log/entries', '201')).toBe(3);
    expect(count('/api/v1/log/entries', '400')).toBe(1);
    expect(count('/api/v1/log/entries', '200')).toBe(2);
    const treeSize = samples.find(
      (s) => s.name === 'airlock_log_tree_size' && s.labels.log === 'rekor-v1',
    );
    expect(treeSize?.value).toBe(3);
    expect(treeSize?.labels.service).toBe('tlog');
    const batches = samples.find(
      (s) => s.name === 'airlock_log_batch_entries_sum' && s.labels.log === 'rekor-v1',
    );
    expect(batches?.value).toBe(3);
    expect(samples.some((s) => s.name === 'airlock_http_request_duration_seconds_bucket')).toBe(
      true,
    );
  });

  it('is not ready once the log cannot take entries', async () => {
    await tlog.logs.v1.log.close();
    const response = await tlog.app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      code: 503,
      message: expect.stringContaining('closed'),
    });
  });
});
