// The TUF server against real clients: tuf-js follows a root rotation and downloads both Sigstore
// targets, refuses tampered and expired metadata, and @sigstore/tuf fetches the trusted root we
// published. The HTTP edge serves only repository files, with the right headers.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '@airlock/http';
import { SoftwareSigner } from '@airlock/keys';
import {
  buildSigningConfig,
  buildTrustedRoot,
  initRepository,
  SIGNING_CONFIG_TARGET,
  TRUSTED_ROOT_TARGET,
  type TufExpiries,
  type TufRepository,
} from '@airlock/trust';
import { createTufServer, type RunningTufServer, startTufServer } from '@airlock/tuf-server';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import type { FastifyInstance } from 'fastify';
import { Updater } from 'tuf-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type TestPki,
  trustedRootInput,
} from '../../../packages/trust/test/fixtures.js';

const DAY = 24 * 3600 * 1000;

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function trustedRootJson(): string {
  return JSON.stringify(buildTrustedRoot(trustedRootInput(pki)), null, 2);
}

function signingConfigJson(): string {
  const validFor = { start: '2026-01-01T00:00:00Z' };
  const operator = 'airlock.test';
  return JSON.stringify(
    buildSigningConfig({
      caUrls: [{ url: 'https://fulcio.airlock.test', validFor, operator }],
      rekorTlogUrls: [
        { url: 'https://rekor.airlock.test', majorApiVersion: 1, validFor, operator },
      ],
      tsaUrls: [{ url: 'https://tsa.airlock.test/api/v1/timestamp', validFor, operator }],
    }),
    null,
    2,
  );
}

interface Fixture {
  readonly dir: string;
  readonly keys: {
    readonly rootKeys: SoftwareSigner[];
    readonly targetsKey: SoftwareSigner;
    readonly snapshotKey: SoftwareSigner;
    readonly timestampKey: SoftwareSigner;
  };
  readonly repository: TufRepository;
  readonly trustedRoot: string;
  readonly signingConfig: string;
}

async function createRepository(
  options: { now?: Date; expiries?: Partial<TufExpiries> } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-tuf-repo-'));
  const keys = {
    rootKeys: [SoftwareSigner.generate('ecdsa-p256-sha256'), SoftwareSigner.generate('ed25519')],
    targetsKey: SoftwareSigner.generate('ecdsa-p256-sha256'),
    snapshotKey: SoftwareSigner.generate('ed25519'),
    timestampKey: SoftwareSigner.generate('ecdsa-p256-sha256'),
  };
  const trustedRoot = trustedRootJson();
  const signingConfig = signingConfigJson();
  const repository = await initRepository({
    dir,
    ...keys,
    threshold: 2,
    targets: [
      { name: TRUSTED_ROOT_TARGET, content: trustedRoot },
      { name: SIGNING_CONFIG_TARGET, content: signingConfig },
    ],
    ...(options.now ? { now: options.now } : {}),
    ...(options.expiries ? { expiries: options.expiries } : {}),
  });
  return { dir, keys, repository, trustedRoot, signingConfig };
}

async function serve(fixture: Fixture): Promise<RunningTufServer> {
  const server = await startTufServer({
    dir: fixture.dir,
    listen: { host: '127.0.0.1', port: 0 },
    timestampSigner: fixture.keys.timestampKey,
    snapshotSigner: fixture.keys.snapshotKey,
  });
  closers.push(() => server.close());
  return server;
}

/** A static server with no refresh timer, to show clients what an unattended repository looks like. */
async function serveStatic(dir: string): Promise<string> {
  const app = await createTufServer(dir);
  closers.push(() => app.close());
  return listen(app, '127.0.0.1', 0);
}

/** A tuf-js client bootstrapped with the repository's 1.root.json. */
function newClient(baseUrl: string, fixture: Fixture, metadataDir?: string) {
  const dir = metadataDir ?? mkdtempSync(join(tmpdir(), 'airlock-tuf-client-'));
  if (metadataDir === undefined) {
    writeFileSync(join(dir, 'root.json'), readFileSync(join(fixture.dir, '1.root.json')));
  }
  const targetDir = mkdtempSync(join(tmpdir(), 'airlock-tuf-targets-'));
  const updater = new Updater({
    metadataDir: dir,
    metadataBaseUrl: baseUrl,
    targetBaseUrl: `${baseUrl}/targets`,
    targetDir,
    config: { fetchRetry: 0 },
  });
  return { updater, metadataDir: dir };
}

async function download(updater: Updater, name: string): Promise<string> {
  const info = await updater.getTargetInfo(name);
  if (info === undefined) throw new Error(`no target ${name}`);
  return readFileSync(await updater.downloadTarget(info), 'utf8');
}

async function refusal(action: Promise<unknown>): Promise<Error> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('tuf-js against the server', () => {
  it('refreshes, follows a root rotation with a changed key, and downloads both targets', async () => {
    const fixture = await createRepository();
    const server = await serve(fixture);
    const client = newClient(server.url, fixture);
    await client.updater.refresh();
    expect(await download(client.updater, TRUSTED_ROOT_TARGET)).toBe(fixture.trustedRoot);
    expect(await download(client.updater, SIGNING_CONFIG_TARGET)).toBe(fixture.signingConfig);

    // Rotate: one root key replaced, then new targets published under root v2.
    const [keptKey, retiredKey] = fixture.keys.rootKeys;
    const newKey = SoftwareSigner.generate('ecdsa-p256-sha256');
    await fixture.repository.rotateRoot({
      newKeys: [keptKey!.publicKey, newKey.publicKey],
      threshold: 2,
      oldSigners: [keptKey!, retiredKey!],
      newSigners: [keptKey!, newKey],
    });
    const rotatedRoot = buildTrustedRoot(trustedRootInput(pki, '2026-02-01T00:00:00Z'));
    await fixture.repository.addTargets(
      [{ name: TRUSTED_ROOT_TARGET, content: JSON.stringify(rotatedRoot) }],
      {
        targetsSigner: fixture.keys.targetsKey,
        snapshotSigner: fixture.keys.snapshotKey,
        timestampSigner: fixture.keys.timestampKey,
      },
    );

    const again = newClient(server.url, fixture, client.metadataDir);
    await again.updater.refresh();
    const trustedRoot = JSON.parse(readFileSync(join(client.metadataDir, 'root.json'), 'utf8'));
    expect(trustedRoot.signed.version).toBe(2);
    expect(await download(again.updater, TRUSTED_ROOT_TARGET)).toBe(JSON.stringify(rotatedRoot));
    expect(await download(again.updater, SIGNING_CONFIG_TARGET)).toBe(fixture.signingConfig);
  });

  it('refuses metadata or a target with one byte changed', async () => {
    const fixture = await createRepository();
    const url = await serveStatic(fixture.dir);
    const cases: [string, (text: string) => string, RegExp][] = [
      [
        'timestamp.json',
        (t) => t.replace('"version": 1', '"version": 2'),
        /timestamp.*signed by 0\/1/,
      ],
      ['1.snapshot.json', (t) => t.replace('"version": 1', '"version": 2'), /hash|length/i],
      [
        '1.targets.json',
        (t) => t.replace('"version": 1', '"version": 2'),
        /version|signed by 0\/1/,
      ],
    ];
    for (const [file, tamper, message] of cases) {
      const path = join(fixture.dir, file);
      const original = readFileSync(path, 'utf8');
      const changed = tamper(original);
      expect(changed.length).toBe(original.length);
      writeFileSync(path, changed);
      const error = await refusal(newClient(url, fixture).updater.refresh());
      expect(error.message).toMatch(message);
      writeFileSync(path, original);
    }
    // The repository is fine again once restored.
    await newClient(url, fixture).updater.refresh();

    // A target file with one byte changed fails its hash.
    const client = newClient(url, fixture);
    const info = await client.updater.getTargetInfo(TRUSTED_ROOT_TARGET);
    const targetPath = join(
      fixture.dir,
      'targets',
      `${info!.hashes.sha256}.${TRUSTED_ROOT_TARGET}`,
    );
    writeFileSync(targetPath, fixture.trustedRoot.replace('"', "'"));
    const error = await refusal(client.updater.downloadTarget(info!));
    expect(error.message).toMatch(/hash/i);
  });

  it('refuses an expired timestamp, which refresh() renews', async () => {
    const fixture = await createRepository({ now: new Date(Date.now() - 2 * DAY) });
    const url = await serveStatic(fixture.dir);
    const error = await refusal(newClient(url, fixture).updater.refresh());
    expect(error.constructor.name).toBe('ExpiredMetadataError');
    expect(error.message).toMatch(/timestamp.json is expired/);

    const result = await fixture.repository.refresh({
      timestampSigner: fixture.keys.timestampKey,
      snapshotSigner: fixture.keys.snapshotKey,
    });
    expect(result.renewed).toEqual(['timestamp']);
    const client = newClient(url, fixture);
    await client.updater.refresh();
    expect(await download(client.updater, TRUSTED_ROOT_TARGET)).toBe(fixture.trustedRoot);
  });

  it('startTufServer renews an expired timestamp before serving and keeps renewing on its timer', async () => {
    const expiries = { timestamp: 1500 };
    const fixture = await createRepository({ now: new Date(Date.now() - DAY), expiries });
    const version = async () => (await fixture.repository.status()).roles.timestamp.version;
    expect((await fixture.repository.status()).roles.timestamp).toMatchObject({
      version: 1,
      expired: true,
    });
    const server = await startTufServer({
      dir: fixture.dir,
      listen: { host: '127.0.0.1', port: 0 },
      timestampSigner: fixture.keys.timestampKey,
      snapshotSigner: fixture.keys.snapshotKey,
      refreshIntervalMs: 50,
      expiries,
    });
    closers.push(() => server.close());
    // Served fresh from the first request.
    await newClient(server.url, fixture).updater.refresh();
    const first = await version();
    expect(first).toBeGreaterThanOrEqual(2);

    // Renewed with less than half its 1.5 s life left (expiry is cut to whole seconds), so at least
    // once a second.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await version()).toBeGreaterThan(first);
    await newClient(server.url, fixture).updater.refresh();

    await server.close();
    const stopped = await version();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await version()).toBe(stopped);
  });
});

describe('@sigstore/tuf against the server', () => {
  it('getTrustedRoot returns the trusted root we published', async () => {
    const fixture = await createRepository();
    const server = await serve(fixture);
    const trustedRoot = await getTrustedRoot({
      mirrorURL: server.url,
      rootPath: join(fixture.dir, '1.root.json'),
      cachePath: mkdtempSync(join(tmpdir(), 'airlock-sigstore-tuf-')),
    });
    const published = TrustedRoot.fromJSON(JSON.parse(fixture.trustedRoot));
    expect(trustedRoot).toEqual(published);
    expect(trustedRoot.tlogs.map((tlog) => tlog.baseUrl)).toEqual([
      'https://rekor.airlock.test',
      'https://log2026-1.rekor.airlock.test',
    ]);
    expect(trustedRoot.timestampAuthorities[0]?.certChain?.certificates).toHaveLength(2);
  });
});

describe('the HTTP edge', () => {
  let app: FastifyInstance;
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await createRepository();
    app = await createTufServer(fixture.dir);
    return () => app.close();
  });

  it('serves repository files with JSON content type and cache rules', async () => {
    const timestamp = await app.inject({ url: '/timestamp.json' });
    expect(timestamp.statusCode).toBe(200);
    expect(timestamp.headers['content-type']).toBe('application/json');
    expect(timestamp.headers['cache-control']).toBe('no-cache');
    expect(timestamp.body).toBe(readFileSync(join(fixture.dir, 'timestamp.json'), 'utf8'));

    const root = await app.inject({ url: '/1.root.json' });
    expect(root.statusCode).toBe(200);
    expect(root.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/root.json' })).headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'HEAD', url: '/1.snapshot.json' })).statusCode).toBe(200);

    const status = await fixture.repository.status();
    expect(status.targets).toEqual([SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET]);
    const targets = JSON.parse(readFileSync(join(fixture.dir, '1.targets.json'), 'utf8'));
    const sha = targets.signed.targets[TRUSTED_ROOT_TARGET].hashes.sha256;
    const target = await app.inject({ url: `/targets/${sha}.${TRUSTED_ROOT_TARGET}` });
    expect(target.statusCode).toBe(200);
    expect(target.body).toBe(fixture.trustedRoot);
  });

  it('answers 404 JSON for missing files and anything outside the repository', async () => {
    // tuf-js and go-tuf stop walking roots at the first 404.
    const next = await app.inject({ url: '/2.root.json' });
    expect(next.statusCode).toBe(404);
    expect(next.headers['content-type']).toContain('application/json');
    expect(next.json()).toMatchObject({ code: 404 });

    writeFileSync(join(fixture.dir, 'secret.json'), '{"secret":true}');
    cpSync(join(fixture.dir, '1.root.json'), join(fixture.dir, '.1.root.json.abc.tmp'));
    symlinkSync('/etc/passwd', join(fixture.dir, '9.root.json'));
    for (const url of [
      '/secret.json',
      '/.1.root.json.abc.tmp',
      '/9.root.json',
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/targets/..%2f1.root.json',
      // URL parsing resolves %2e%2e segments before routing; what is left must still be allowed.
      '/targets/%2e%2e/secret.json',
      '/targets/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/targets/',
      '/',
      '/snapshot.json',
      `/targets/${'a'.repeat(64)}.trusted_root.json`,
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('secret');
      expect(response.body, url).not.toContain('root:');
    }
    expect(
      (await app.inject({ method: 'POST', url: '/timestamp.json', payload: {} })).statusCode,
    ).toBe(404);
  });
});
