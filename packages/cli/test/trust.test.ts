// `airlock trust …` on files: key rotation in trusted_root.json keeps old entries with an end date,
// and the TUF repository commands (publish, refresh, rotate-root) produce metadata a client accepts.
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { openSigner, SoftwareSigner, writeEncryptedKeyFile } from '@airlock/keys';
import {
  buildTrustedRoot,
  initRepository,
  openRepository,
  parseTrustedRoot,
  verifyRootChain,
} from '@airlock/trust';
import { beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'airlock-trust-'));
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, 'ceremony password\n', { mode: 0o600 });

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A new encrypted key file; returns its URI and public key PEM path. */
async function keyFile(name: string): Promise<{ uri: string; pem: string }> {
  const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const path = join(dir, `${name}.key`);
  await writeEncryptedKeyFile(path, signer, 'ceremony password');
  const pem = join(dir, `${name}.pub`);
  writeFileSync(pem, signer.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  return { uri: `file:${path}?password-source=${passwordFile}`, pem };
}

describe('airlock trust add / rotate', () => {
  it('rotates a log key: the old entry ends at the rotation time, the new one starts then', async () => {
    const oldKey = await keyFile('log-old');
    const newKey = await keyFile('log-new');
    const rootFile = join(dir, 'trusted_root.json');
    const initial = buildTrustedRoot({
      tlogs: [
        {
          baseUrl: 'https://log.corp.example',
          publicKey: readFileSync(oldKey.pem, 'utf8'),
          validFor: { start: '2026-01-01T00:00:00Z' },
        },
      ],
    });
    writeFileSync(rootFile, JSON.stringify(initial));
    const result = await run(
      'trust',
      'rotate',
      '--trusted-root',
      rootFile,
      '--kind',
      'tlog',
      '--url',
      'https://log.corp.example',
      '--public-key',
      newKey.pem,
      '--at',
      '2026-06-01T00:00:00Z',
    );
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const rotated = parseTrustedRoot(JSON.parse(readFileSync(rootFile, 'utf8')));
    expect(rotated.tlogs).toHaveLength(2);
    expect(rotated.tlogs[0]!.publicKey.validFor).toEqual({
      start: '2026-01-01T00:00:00Z',
      end: '2026-06-01T00:00:00Z',
    });
    expect(rotated.tlogs[1]!.publicKey.validFor.start).toBe('2026-06-01T00:00:00Z');
    const shown = await run('trust', 'show', '--trusted-root', rootFile);
    expect(shown.stdout.split('\n').filter((l) => l.startsWith('tlog'))).toHaveLength(2);
  });

  it('adds a CT log, and refuses incomplete or malformed input with exit 2', async () => {
    const ct = await keyFile('ct');
    const rootFile = join(dir, 'trusted_root.json');
    expect(
      (
        await run(
          'trust',
          'add',
          '--trusted-root',
          rootFile,
          '--kind',
          'ctlog',
          '--url',
          'https://ct.corp.example',
          '--public-key',
          ct.pem,
        )
      ).code,
    ).toBe(EXIT.ok);
    expect(parseTrustedRoot(JSON.parse(readFileSync(rootFile, 'utf8'))).ctlogs).toHaveLength(1);
    expect(
      (
        await run(
          'trust',
          'add',
          '--trusted-root',
          rootFile,
          '--kind',
          'ctlog',
          '--url',
          'https://x',
        )
      ).code,
    ).toBe(EXIT.usage);
    expect(
      (await run('trust', 'add', '--trusted-root', rootFile, '--kind', 'dns', '--url', 'https://x'))
        .code,
    ).toBe(EXIT.usage);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"mediaType":"something else"}');
    const refused = await run(
      'trust',
      'add',
      '--trusted-root',
      junk,
      '--kind',
      'ctlog',
      '--url',
      'https://x',
      '--public-key',
      ct.pem,
    );
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('airlock trust publish / refresh / rotate-root', () => {
  const repo = join(dir, 'tuf');
  let keys: Record<
    'root' | 'targets' | 'snapshot' | 'timestamp' | 'root2',
    { uri: string; pem: string }
  >;

  beforeAll(async () => {
    keys = {
      root: await keyFile('tuf-root'),
      targets: await keyFile('tuf-targets'),
      snapshot: await keyFile('tuf-snapshot'),
      timestamp: await keyFile('tuf-timestamp'),
      root2: await keyFile('tuf-root-2'),
    };
    const [root, targets, snapshot, timestamp] = await Promise.all(
      [keys.root, keys.targets, keys.snapshot, keys.timestamp].map((key) => openSigner(key.uri)),
    );
    await initRepository({
      dir: repo,
      rootKeys: [root!],
      threshold: 1,
      targetsKey: targets!,
      snapshotKey: snapshot!,
      timestampKey: timestamp!,
      // A timestamp that is already due for renewal.
      expiries: { timestamp: 1 },
      targets: [
        { name: 'trusted_root.json', content: readFileSync(join(dir, 'trusted_root.json')) },
      ],
    });
  });

  it('re-signs a timestamp that is due', async () => {
    const before = (await (await openRepository(repo)).status()).roles.timestamp.version;
    const result = await run(
      'trust',
      'refresh',
      '--repository',
      repo,
      '--snapshot-key',
      keys.snapshot.uri,
      '--timestamp-key',
      keys.timestamp.uri,
    );
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toContain('timestamp');
    expect((await (await openRepository(repo)).status()).roles.timestamp.version).toBeGreaterThan(
      before,
    );
  });

  it('publishes a new trusted root as a new targets version', async () => {
    const before = (await (await openRepository(repo)).status()).roles.targets.version;
    const result = await run(
      'trust',
      'publish',
      '--repository',
      repo,
      '--trusted-root',
      join(dir, 'trusted_root.json'),
      '--targets-key',
      keys.targets.uri,
      '--snapshot-key',
      keys.snapshot.uri,
      '--timestamp-key',
      keys.timestamp.uri,
    );
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect((await (await openRepository(repo)).status()).roles.targets.version).toBe(before + 1);
  });

  it('rotates the root to a new key; the chain verifies as a client checks it', async () => {
    const result = await run(
      'trust',
      'rotate-root',
      '--repository',
      repo,
      '--old-key',
      keys.root.uri,
      '--new-key',
      keys.root2.uri,
    );
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toBe('root is now version 2\n');
    const roots = readdirSync(repo)
      .filter((name) => /^\d+\.root\.json$/.test(name))
      .sort()
      .map((name) => JSON.parse(readFileSync(join(repo, name), 'utf8')));
    expect(roots).toHaveLength(2);
    expect(() => verifyRootChain(roots)).not.toThrow();
    // The new root's root role names the new key only, and it is the new key.
    const rootKeyIds = roots[1].signed.roles.root.keyids as string[];
    expect(rootKeyIds).toHaveLength(1);
    const rootKey = roots[1].signed.keys[rootKeyIds[0]!];
    const newPem = createPublicKey(readFileSync(keys.root2.pem)).export({
      type: 'spki',
      format: 'pem',
    });
    expect(rootKey.keyval.public.trim()).toBe(String(newPem).trim());
  });
});
