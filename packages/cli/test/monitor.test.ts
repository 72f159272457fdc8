// `airlock monitor --once` against a real transparency log on loopback: one JSON line per alert on
// stdout, nothing the second time, exit 1 with an `inconsistent` alert once the log was rewritten behind
// its back, and exit 2 for flags it cannot use.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactSigner,
  type ListeningTlog,
  listeningTlog,
  reopenTlog,
  rewriteHistory,
  TestCa,
} from '../../monitor/test/support.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-monitor-'));
const keyFile = join(dir, 'rekor.pem');
const state = join(dir, 'state.json');
let tlog: ListeningTlog;
let ca: TestCa;
const artifacts = new ArtifactSigner();

beforeAll(async () => {
  tlog = await listeningTlog();
  ca = await TestCa.create();
  writeFileSync(keyFile, tlog.v1Signer.publicKey.export({ type: 'spki', format: 'pem' }) as string);
});
afterAll(async () => {
  await tlog?.app.close();
});

const monitor = (...extra: string[]) =>
  run(
    'monitor',
    '--rekor-url',
    tlog.url,
    '--rekor-key',
    keyFile,
    '--state',
    state,
    '--once',
    ...extra,
  );

describe('airlock monitor', () => {
  it('prints one JSON line per alert and resumes from its state', async () => {
    const alice = await tlog.submit((await ca.hashedrekord('alice@airlock.test')).entry);
    await tlog.submit((await ca.hashedrekord('bob@airlock.test')).entry);
    await tlog.submit(artifacts.hashedrekord().entry);
    const first = await monitor('--identity', '*@airlock.test', '--issuer', 'https://other.test');
    expect(first.code).toBe(EXIT.ok);
    const lines = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.alert, line.identities[0]])).toEqual([
      ['match', 'alice@airlock.test'],
      ['match', 'bob@airlock.test'],
    ]);
    expect(lines[0].id).toBe(alice.uuid);

    const again = await monitor('--identity', 'alice@airlock.test');
    expect(again).toMatchObject({ code: EXIT.ok, stdout: '' });
    const carol = await tlog.submit(
      (await ca.hashedrekord('carol@airlock.test', 'https://other.test')).entry,
    );
    const third = await monitor('--issuer', 'https://other.test');
    expect(JSON.parse(third.stdout)).toMatchObject({
      alert: 'match',
      index: carol.index,
      issuers: ['https://other.test'],
    });
  });

  it('exits 1 with an inconsistent alert once the log is rewritten behind its back', async () => {
    const originals = (await tlog.logs.v1.log.entries(0n, tlog.logs.v1.log.treeState.size)).map(
      (e) => e.body,
    );
    await tlog.app.close();
    await rewriteHistory(tlog, [
      ...originals.slice(1),
      Buffer.from('{"kind":"forged"}'),
      Buffer.from('{"kind":"x"}'),
    ]);
    tlog = await reopenTlog(tlog);
    const result = await monitor('--identity', 'alice@airlock.test');
    expect(result.code).toBe(EXIT.checkFailed);
    expect(JSON.parse(result.stdout)).toMatchObject({ alert: 'inconsistent', log: 'rekor' });
    expect(result.stderr).toMatch(/^FAIL: a followed log contradicted itself/);
  });

  it('exits 2 for flags it cannot use', async () => {
    const cases: string[][] = [
      ['monitor', '--identity', 'a@b.test', '--once'],
      ['monitor', '--rekor-url', 'http://127.0.0.1:1', '--identity', 'a@b.test', '--once'],
      ['monitor', '--rekor-url', 'http://127.0.0.1:1', '--rekor-key', keyFile, '--once'],
      [
        'monitor',
        '--rekor-url',
        'http://127.0.0.1:1',
        '--rekor-key',
        keyFile,
        '--oid',
        '1.2.x',
        '--once',
      ],
      [
        'monitor',
        '--rekor-url',
        'ftp://x',
        '--rekor-key',
        keyFile,
        '--identity',
        'a@b.test',
        '--once',
      ],
      [
        'monitor',
        '--rekor-url',
        'http://127.0.0.1:1',
        '--rekor-key',
        dir,
        '--identity',
        'a@b.test',
      ],
      [
        'monitor',
        '--rekor-url',
        'http://127.0.0.1:1',
        '--rekor-key',
        keyFile,
        '--identity',
        'a@b.test',
        '--interval',
        '0',
      ],
    ];
    for (const argv of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(EXIT.usage);
      expect(result.stderr).toMatch(/^error: /);
    }
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{');
    const result = await run(
      'monitor',
      '--rekor-url',
      tlog.url,
      '--rekor-key',
      keyFile,
      '--identity',
      'a@b.test',
      '--state',
      corrupt,
      '--once',
    );
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/corrupt/);
  });
});
