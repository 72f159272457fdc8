// `airlock log …` against the real transparency log on loopback: an honest log passes every check; a
// log rewritten behind the auditor's back by its own operator (with its own key) is caught by
// `consistency` and `fsck`, and an entry edited behind the tiles' back is named by index.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirTileSource, fsck, logKeyFromTrustedRoot, readFsckState } from '@airlock/audit';
import { EXIT, runCli } from '@airlock/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { LiveTlog, type LogEntryJson } from '../../audit/test/live-tlog.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

async function runJson(...argv: string[]) {
  const result = await run(...argv, '--json');
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return { ...result, json: JSON.parse(lines[0]!) as Record<string, any> };
}

const tmp = mkdtempSync(join(tmpdir(), 'airlock-cli-log-'));
const noStack = join(tmp, 'no-stack');
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

function only(entry: LogEntryJson) {
  const [id, value] = Object.entries(entry)[0]!;
  return { id, ...value };
}

/** A Sigstore bundle (v0.3, message signature) for a logged hashedrekord entry. */
function bundleFile(name: string, entry: LogEntryJson, artifact: Buffer): string {
  const e = only(entry);
  const proof = e.verification.inclusionProof;
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: '' },
      tlogEntries: [
        {
          logIndex: String(e.logIndex),
          logId: { keyId: b64(e.logID) },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: String(e.integratedTime),
          inclusionPromise: { signedEntryTimestamp: e.verification.signedEntryTimestamp },
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: b64(proof.rootHash),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map(b64),
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: e.body,
        },
      ],
    },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: createHash('sha256').update(artifact).digest('base64'),
      },
      signature: JSON.parse(Buffer.from(e.body, 'base64').toString()).spec.signature.content,
    },
  };
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(bundle));
  return path;
}

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('airlock log against an honest log', () => {
  let live: LiveTlog;
  let logged: Awaited<ReturnType<LiveTlog['addEntries']>>;
  let common: string[];

  beforeAll(async () => {
    live = await LiveTlog.start();
    logged = await live.addEntries(20);
    common = [
      '--rekor-url',
      live.url,
      '--trusted-root',
      live.trustedRootFile,
      '--stack-dir',
      noStack,
    ];
  });
  afterAll(async () => {
    await live.close();
  });

  it('info verifies the signed tree head with the trusted root', async () => {
    const text = await run('log', 'info', ...common);
    expect(text).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(text.stdout).toMatch(/^OK: 127\.0\.0\.1 - \d+ has 20 entries, root [0-9a-f]{64} /);
    const { json } = await runJson('log', 'info', ...common);
    expect(json).toMatchObject({
      ok: true,
      treeSize: '20',
      treeId: String(live.tlog.logs.v1.treeId),
    });
    const v2 = await runJson('log', 'info', ...common, '--log', 'v2');
    expect(v2.json).toMatchObject({ ok: true, origin: '127.0.0.1', treeSize: '0' });
  });

  it('takes the log URL and trusted root from .airlock/stack.json', async () => {
    const stackDir = join(tmp, 'stack');
    rmSync(stackDir, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.mkdirSync(stackDir, { recursive: true }));
    writeFileSync(
      join(stackDir, 'stack.json'),
      JSON.stringify({ tlog: live.url, trustedRoot: live.trustedRootFile }),
    );
    expect((await run('log', 'info', '--stack-dir', stackDir)).code).toBe(EXIT.ok);
  });

  it('refuses a log the trusted root does not list, or without any trust at all', async () => {
    const otherRoot = join(tmp, 'other-root.json');
    const root = JSON.parse(readFileSync(live.trustedRootFile, 'utf8'));
    root.tlogs = root.tlogs.map((log: { baseUrl: string }) => ({
      ...log,
      baseUrl: 'https://rekor.example',
    }));
    writeFileSync(otherRoot, JSON.stringify(root));
    const unknown = await run(
      'log',
      'info',
      '--rekor-url',
      live.url,
      '--trusted-root',
      otherRoot,
      '--stack-dir',
      noStack,
    );
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/lists no transparency log key/);
    const untrusted = await run('log', 'info', '--rekor-url', live.url, '--stack-dir', noStack);
    expect(untrusted.code).toBe(EXIT.usage);
    expect(untrusted.stderr).toMatch(/give --trusted-root or --public-key/);
  });

  it('fails when the checkpoint is not signed by the pinned key', async () => {
    const wrongKey = join(tmp, 'wrong-key.pem');
    writeFileSync(wrongKey, live.tlog.v2Signer.publicKey.export({ type: 'spki', format: 'pem' }));
    const result = await run(
      'log',
      'info',
      '--rekor-url',
      live.url,
      '--public-key',
      wrongKey,
      '--stack-dir',
      noStack,
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toMatch(
      /^FAIL: checkpoint rejected: note has no signature from a configured key\n$/,
    );
    const rightKey = join(tmp, 'right-key.pem');
    writeFileSync(rightKey, live.tlog.v1Signer.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(
      (
        await run(
          'log',
          'info',
          '--rekor-url',
          live.url,
          '--public-key',
          rightKey,
          '--stack-dir',
          noStack,
        )
      ).code,
    ).toBe(EXIT.ok);
  });

  it('get shows an entry by index or UUID with its proof and SET verified', async () => {
    const third = only(logged[3]!.entry);
    const byIndex = await run('log', 'get', '--log-index', '3', ...common);
    expect(byIndex.code).toBe(EXIT.ok);
    expect(byIndex.stdout).toContain(`uuid:            ${third.id}`);
    expect(byIndex.stdout).toMatch(/OK: entry 3 .* at size 20; signed entry timestamp verified\n$/);
    const byUuid = await runJson('log', 'get', '--uuid', third.id.slice(16), ...common);
    expect(byUuid.json).toMatchObject({
      ok: true,
      logIndex: '3',
      body: { kind: 'hashedrekord' },
      inclusion: { treeSize: '20' },
      signedEntryTimestamp: 'verified',
    });
    const missing = await runJson('log', 'get', '--log-index', '99', ...common);
    expect(missing.code).toBe(EXIT.checkFailed);
    expect(missing.json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await run('log', 'get', ...common)).code).toBe(EXIT.usage);
  });

  it('search finds entries by digest, artifact, bundle and key, and exits 1 on no match', async () => {
    const { artifact, entry } = logged[7]!;
    const uuid = only(entry).id;
    const digest = createHash('sha256').update(artifact).digest('hex');
    expect((await run('log', 'search', '--sha256', digest, ...common)).stdout).toBe(
      `${uuid.slice(16)}\n`,
    );
    const artifactFile = join(tmp, 'artifact-7');
    writeFileSync(artifactFile, artifact);
    expect((await runJson('log', 'search', '--artifact', artifactFile, ...common)).json).toEqual({
      ok: true,
      uuids: [uuid.slice(16)],
    });
    const bundle = bundleFile('bundle-7.json', entry, artifact);
    expect((await run('log', 'search', '--bundle', bundle, ...common)).stdout).toBe(`${uuid}\n`);
    const keyFile = join(tmp, 'signer.pem');
    writeFileSync(keyFile, live.signer.publicKeyPem);
    expect(
      (await runJson('log', 'search', '--public-key', keyFile, ...common)).json.uuids,
    ).toHaveLength(20);
    const none = await run('log', 'search', '--sha256', randomBytes(32).toString('hex'), ...common);
    expect(none).toMatchObject({ code: EXIT.checkFailed, stdout: '' });
  });

  it('inclusion proves an entry by index, artifact and bundle, online and offline', async () => {
    const index = await run('log', 'inclusion', '--log-index', '11', ...common);
    expect(index).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(index.stdout).toMatch(/^OK: entry 11 \(/);

    const { artifact, entry } = logged[12]!;
    const artifactFile = join(tmp, 'artifact-12');
    writeFileSync(artifactFile, artifact);
    const byArtifact = await runJson('log', 'inclusion', '--artifact', artifactFile, ...common);
    expect(byArtifact.json).toMatchObject({ ok: true, entries: [{ logIndex: '12' }] });
    const stranger = join(tmp, 'stranger');
    writeFileSync(stranger, randomBytes(64));
    expect((await run('log', 'inclusion', '--artifact', stranger, ...common)).code).toBe(
      EXIT.checkFailed,
    );

    const bundle = bundleFile('bundle-12.json', entry, artifact);
    const online = await runJson('log', 'inclusion', '--bundle', bundle, ...common);
    expect(online.json).toMatchObject({
      ok: true,
      logIndex: '12',
      signedEntryTimestamp: 'verified',
      log: { treeSize: '20' },
    });
    // Offline: the trusted root and the bundle, nothing else.
    const offline = await run(
      'log',
      'inclusion',
      '--bundle',
      bundle,
      '--offline',
      '--trusted-root',
      live.trustedRootFile,
      '--rekor-url',
      live.url,
      '--stack-dir',
      noStack,
    );
    expect(offline.code).toBe(EXIT.ok);
    expect(offline.stdout).toMatch(/offline/);
  });

  it('inclusion fails on a bundle whose proof, body or checkpoint was tampered with', async () => {
    const { artifact, entry } = logged[4]!;
    const good = JSON.parse(readFileSync(bundleFile('bundle-4.json', entry, artifact), 'utf8'));
    const variants: [string, (b: any) => void][] = [
      [
        'proof',
        (b) =>
          (b.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0] = b64('00'.repeat(32))),
      ],
      ['index', (b) => (b.verificationMaterial.tlogEntries[0].inclusionProof.logIndex = '5')],
      [
        'checkpoint',
        (b) => {
          const proof = b.verificationMaterial.tlogEntries[0].inclusionProof;
          proof.checkpoint.envelope = proof.checkpoint.envelope.replace(
            /^(.*\n)([0-9]+)\n/,
            (_: string, origin: string, size: string) => `${origin}${Number(size) + 1}\n`,
          );
        },
      ],
      ['set', (b) => (b.verificationMaterial.tlogEntries[0].integratedTime = '1')],
    ];
    for (const [name, tamper] of variants) {
      const bundle = structuredClone(good);
      tamper(bundle);
      const path = join(tmp, `tampered-${name}.json`);
      writeFileSync(path, JSON.stringify(bundle));
      const result = await run('log', 'inclusion', '--bundle', path, '--offline', ...common);
      expect(result.code, name).toBe(EXIT.checkFailed);
      expect(result.stderr, name).toMatch(/^FAIL: /);
    }
  });

  it('consistency remembers the first checkpoint, then proves each later one extends it', async () => {
    const file = join(tmp, 'honest-checkpoint.json');
    const first = await run('log', 'consistency', '--checkpoint-file', file, ...common);
    expect(first.code).toBe(EXIT.ok);
    expect(first.stdout).toMatch(/^OK: first checkpoint of .* \(size 20\) remembered/);
    await live.addEntries(5);
    const second = await runJson('log', 'consistency', '--checkpoint-file', file, ...common);
    expect(second.json).toMatchObject({
      ok: true,
      status: 'consistent',
      old: { treeSize: '20' },
      new: { treeSize: '25' },
    });
    const same = await run('log', 'consistency', '--checkpoint-file', file, ...common);
    expect(same.stdout).toMatch(/grew from 25 to 25 entries/);
  });

  it('mirror copies the log, fsck of the folder passes, and fsck resumes from its state file', async () => {
    await live.addEntries(600);
    const dir = join(tmp, 'mirror');
    const mirrored = await run('log', 'mirror', dir, ...common, '--quiet');
    expect(mirrored.code).toBe(EXIT.ok);
    expect(mirrored.stdout).toMatch(/^OK: mirrored .* at size 625 into /);
    expect(existsSync(join(dir, 'tile/entries/001'))).toBe(true);

    const stateFile = join(tmp, 'fsck-state.json');
    const checkpointFile = join(tmp, 'none.json');
    // The folder's own mirror.json says which log it is; the trusted root is all fsck needs.
    const checked = await run(
      'log',
      'fsck',
      dir,
      '--trusted-root',
      live.trustedRootFile,
      '--state-file',
      stateFile,
      '--checkpoint-file',
      checkpointFile,
      '--stack-dir',
      noStack,
    );
    expect(checked.code).toBe(EXIT.ok);
    expect(checked.stdout).toMatch(
      /^OK: .* at size 625: 625 entries re-hashed, 4 tiles and 2 checkpoints agree/,
    );
    expect(checked.stderr).toMatch(/fsck: 625\/625 entries \(100%\)/);

    // Interrupted after the first full tile, then resumed by the command line.
    const stop = new AbortController();
    await expect(
      fsck(new DirTileSource(dir), {
        logKey: logKeyFromTrustedRoot(
          JSON.parse(readFileSync(live.trustedRootFile, 'utf8')),
          live.url,
        ),
        stateFile,
        stateIntervalMs: 0,
        progressIntervalMs: 0,
        signal: stop.signal,
        onProgress: (progress) => {
          if (progress.entriesDone >= 256n) stop.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(readFsckState(stateFile)?.size).toBe(256n);
    const resumed = await runJson(
      'log',
      'fsck',
      dir,
      ...common,
      '--state-file',
      stateFile,
      '--checkpoint-file',
      checkpointFile,
      '--quiet',
    );
    expect(resumed.json).toMatchObject({ ok: true, resumedFrom: '256', entriesChecked: '369' });
    expect(existsSync(stateFile)).toBe(false);

    const overHttp = await runJson(
      'log',
      'fsck',
      live.url,
      ...common,
      '--state-file',
      stateFile,
      '--checkpoint-file',
      checkpointFile,
      '--quiet',
    );
    expect(overHttp.json).toMatchObject({ ok: true, treeSize: '625', entriesChecked: '625' });
  });
});

describe('airlock log against a log rewritten behind the auditor’s back', () => {
  let live: LiveTlog;
  let common: string[];
  const checkpointFile = join(tmp, 'rewritten-checkpoint.json');
  let bundle: string;

  beforeAll(async () => {
    live = await LiveTlog.start();
    const logged = await live.addEntries(30);
    bundle = bundleFile('bundle-rewritten.json', logged[20]!.entry, logged[20]!.artifact);
    common = [
      '--rekor-url',
      live.url,
      '--trusted-root',
      live.trustedRootFile,
      '--stack-dir',
      noStack,
    ];
    expect(
      (await run('log', 'consistency', '--checkpoint-file', checkpointFile, ...common)).code,
    ).toBe(EXIT.ok);
    // The operator keeps the first 10 entries, replaces the rest with 40 of its own, recomputes
    // every tile and signs fresh checkpoints with the log's own key.
    await live.stop();
    await live.rewriteHistory(
      10,
      Array.from({ length: 40 }, (_, i) => Buffer.from(`{"forged":${i}}`)),
    );
    await live.restart();
  });
  afterAll(async () => {
    await live.close();
  });

  it('the rewritten log looks fine to anyone without a memory', async () => {
    const info = await runJson('log', 'info', ...common);
    expect(info.json).toMatchObject({ ok: true, treeSize: '50' });
    expect((await run('log', 'inclusion', '--log-index', '30', ...common)).code).toBe(EXIT.ok);
  });

  it('consistency catches it against the remembered checkpoint, and keeps remembering the old one', async () => {
    const before = readFileSync(checkpointFile, 'utf8');
    const result = await runJson(
      'log',
      'consistency',
      '--checkpoint-file',
      checkpointFile,
      ...common,
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.json).toMatchObject({ ok: false, error: { code: 'INCONSISTENT' } });
    expect(result.stderr).toMatch(
      /^FAIL: the log was rewritten or rolled back: the tree of size 50 does not extend the remembered tree of size 30/,
    );
    expect(readFileSync(checkpointFile, 'utf8')).toBe(before);
  });

  it('fsck catches it against the remembered checkpoint', async () => {
    const result = await runJson(
      'log',
      'fsck',
      live.url,
      ...common,
      '--checkpoint-file',
      checkpointFile,
      '--state-file',
      join(tmp, 'rewritten-state.json'),
      '--quiet',
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.json.problem).toMatchObject({ kind: 'root', path: checkpointFile, size: '30' });
  });

  it('a bundle of a dropped entry still verifies offline, but the log no longer holds it', async () => {
    expect((await run('log', 'inclusion', '--bundle', bundle, '--offline', ...common)).code).toBe(
      EXIT.ok,
    );
    const online = await runJson('log', 'inclusion', '--bundle', bundle, ...common);
    expect(online.code).toBe(EXIT.checkFailed);
    expect(online.json.error.code).toBe('NOT_FOUND');
  });
});

describe('airlock log against an entry edited behind the tiles’ back', () => {
  let live: LiveTlog;
  let common: string[];

  beforeAll(async () => {
    live = await LiveTlog.start();
    await live.addEntries(300);
    common = [
      '--rekor-url',
      live.url,
      '--trusted-root',
      live.trustedRootFile,
      '--stack-dir',
      noStack,
    ];
    await live.stop();
    live.editEntryBody(261, Buffer.from('{"edited":true}'));
    await live.restart();
  });
  afterAll(async () => {
    await live.close();
  });

  it('fsck names the entry', async () => {
    const result = await runJson(
      'log',
      'fsck',
      live.url,
      ...common,
      '--checkpoint-file',
      join(tmp, 'none.json'),
      '--state-file',
      join(tmp, 'edited-state.json'),
      '--quiet',
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.json.problem).toMatchObject({
      kind: 'entry',
      entryIndex: '261',
      path: 'tile/entries/001.p/44',
      tile: { level: 0, index: '1', position: 5 },
    });
    expect(result.stderr).toMatch(
      /^FAIL: entry 261 \(tile\/entries\/001\.p\/44 item 5\) hashes to/,
    );
  });

  it('inclusion of the edited entry fails, of the others passes', async () => {
    expect((await run('log', 'inclusion', '--log-index', '261', ...common)).code).toBe(
      EXIT.checkFailed,
    );
    expect((await run('log', 'inclusion', '--log-index', '260', ...common)).code).toBe(EXIT.ok);
  });

  it('mirror refuses to take it', async () => {
    const result = await run('log', 'mirror', join(tmp, 'edited-mirror'), ...common, '--quiet');
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toMatch(/^FAIL: entry 261 /);
    expect(existsSync(join(tmp, 'edited-mirror', 'checkpoint'))).toBe(false);
  });
});

describe('airlock log inclusion --offline on Sigstore conformance bundles', () => {
  const publicGood = sharedVectorsPath('npm-provenance', 'trusted_root.json');
  const bundle = (name: string) =>
    sharedVectorsPath('conformance', 'bundle-verify', name, 'bundle.sigstore.json');
  const args = [
    '--offline',
    '--trusted-root',
    publicGood,
    '--rekor-url',
    'https://rekor.sigstore.dev',
    '--stack-dir',
    noStack,
  ];

  it('proves a public-good entry with nothing but the trusted root', async () => {
    const result = await run('log', 'inclusion', '--bundle', bundle('happy-path-v0.3'), ...args);
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(result.stdout).toMatch(
      /^OK: the bundle's entry 79571823 .* is in rekor\.sigstore\.dev - 2605736670972794746 at size 75408393 \(offline/,
    );
  });

  it.each([
    'invalid-inclusion-proof_fail',
    'checkpoint-bad-keyhint_fail',
    'set-invalid-signature_fail',
  ])('refuses %s', async (name) => {
    const result = await run('log', 'inclusion', '--bundle', bundle(name), ...args);
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toMatch(/^FAIL: /);
  });
});
