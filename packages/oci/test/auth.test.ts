// Registry authentication: docker config.json credentials, challenge parsing, Basic against a real
// htpasswd registry, and Bearer tokens from a token server guarding the real registry.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CosignClient,
  loadDockerConfig,
  normalizeRegistryKey,
  parseChallenge,
  parseDockerConfig,
  RegistryClient,
} from '@airlock/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REGISTRY_TEST_USER,
  type RunningRegistry,
  startRegistry,
} from '../../../test/support/registry.js';
import { simpleSigning } from './cosign-fixtures.js';
import { jsonReply, ociError, ociErrorCode, pushTestImage, startProxy } from './support.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const closers: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('docker config.json', () => {
  it('reads base64 `auth` and username/password entries under every key spelling', () => {
    const lookup = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub-user:hub:pass') },
          'http://127.0.0.1:5000/': { auth: b64('local:secret') },
          'registry.internal:8443': { username: 'svc', password: 'pw' },
          'only-token.example': { identitytoken: 'refresh-token' },
        },
        credsStore: 'desktop',
      }),
    );
    expect(lookup('docker.io')).toEqual({ username: 'hub-user', password: 'hub:pass' });
    expect(lookup('127.0.0.1:5000')).toEqual({ username: 'local', password: 'secret' });
    expect(lookup('registry.internal:8443')).toEqual({ username: 'svc', password: 'pw' });
    expect(lookup('registry.internal')).toBeUndefined();
    expect(lookup('only-token.example')).toBeUndefined();
    expect(normalizeRegistryKey('https://registry-1.docker.io/v2/')).toBe('docker.io');
  });

  it('refuses malformed configs instead of silently going anonymous', async () => {
    expect(await ociErrorCode(() => parseDockerConfig('{"auths": []}'))).toBe('MALFORMED');
    expect(
      await ociErrorCode(() => parseDockerConfig('{"auths": {"h": {"auth": "bm9jb2xvbg=="}}}')),
    ).toBe('MALFORMED');
    expect(await ociErrorCode(() => parseDockerConfig('{"auths": {"h": {"auth": "***"}}}'))).toBe(
      'MALFORMED',
    );
    expect(await ociErrorCode(() => parseDockerConfig('not json'))).toBe('MALFORMED');
  });

  it('loads a config file, and treats a missing one as anonymous', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-docker-config-'));
    try {
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({ auths: { 'reg.example': { auth: b64('a:b') } } }));
      expect((await loadDockerConfig(path))('reg.example')).toEqual({
        username: 'a',
        password: 'b',
      });
      expect((await loadDockerConfig(join(dir, 'missing.json')))('reg.example')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WWW-Authenticate challenges', () => {
  it('parses Bearer parameters, with commas inside quoted scopes', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('Basic auth against a real htpasswd registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    closers.push(() => registry.stop());
  });

  it('pulls and attaches with credentials from config.json, and is refused without or with wrong ones', async () => {
    const image = await pushTestImage(registry.host, 'private/app', 'v1', {
      creds: `${REGISTRY_TEST_USER.username}:${REGISTRY_TEST_USER.password}`,
    });
    const ref = `${registry.host}/private/app:v1`;

    const anonymousClient = new RegistryClient({ allowHttp: true });
    const refused = await ociError(anonymousClient.resolve(ref));
    expect(refused.code).toBe('UNAUTHORIZED');
    expect(refused.status).toBe(401);

    const wrong = new RegistryClient({
      allowHttp: true,
      credentials: parseDockerConfig(
        JSON.stringify({ auths: { [registry.host]: { auth: b64('airlock:wrong') } } }),
      ),
    });
    expect(await ociErrorCode(wrong.resolve(ref))).toBe('UNAUTHORIZED');

    const config = {
      auths: {
        [`http://${registry.host}/`]: {
          auth: b64(`${REGISTRY_TEST_USER.username}:${REGISTRY_TEST_USER.password}`),
        },
      },
    };
    const authed = new RegistryClient({
      allowHttp: true,
      credentials: parseDockerConfig(JSON.stringify(config)),
    });
    expect(await authed.resolveDigest(ref)).toBe(image.digest);
    const cosign = new CosignClient(authed);
    await cosign.attachSignature({ ref, ...simpleSigning('private/app', image.digest) });
    const listing = await cosign.listSignatures(ref);
    expect(listing.found).toHaveLength(1);
  });
});

interface TokenServer {
  readonly realm: string;
  readonly requests: {
    authorization: string | undefined;
    scopes: string[];
    service: string | null;
  }[];
  /** Token → the scopes it grants. */
  readonly grants: Map<string, string[]>;
  close(): Promise<void>;
}

/** A token server: anonymous callers get pull only; the right Basic credentials get what they ask. */
async function startTokenServer(
  credential: { username: string; password: string },
  answer: (token: string) => unknown = (token) => ({ token, expires_in: 300 }),
): Promise<TokenServer> {
  const requests: TokenServer['requests'] = [];
  const grants = new Map<string, string[]>();
  const server: Server = createServer((request: IncomingMessage, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    const scopes = url.searchParams.getAll('scope');
    requests.push({
      authorization: request.headers.authorization,
      scopes,
      service: url.searchParams.get('service'),
    });
    const expected = `Basic ${b64(`${credential.username}:${credential.password}`)}`;
    const authorization = request.headers.authorization;
    if (authorization !== undefined && authorization !== expected) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"details":"bad credentials"}');
      return;
    }
    const granted =
      authorization === undefined ? scopes.map((s) => s.replace(/:pull,push$/, ':pull')) : scopes;
    const token = randomBytes(16).toString('hex');
    grants.set(token, granted);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer(token)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    grants,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Bearer tokens', () => {
  let registry: RunningRegistry;
  let tokens: TokenServer;
  let guardedHost: string;
  const user = { username: 'robot', password: 'hunter2' };

  beforeAll(async () => {
    registry = await startRegistry();
    closers.push(() => registry.stop());
    tokens = await startTokenServer(user);
    closers.push(() => tokens.close());
    // The real registry behind a guard that accepts only tokens from the token server, per scope.
    const guard = await startProxy(registry.url, {
      intercept: (request) => {
        const repository =
          /^\/v2\/(.+?)\/(?:manifests|blobs|tags|referrers)\//.exec(request.url)?.[1] ?? '';
        const action = request.method === 'GET' || request.method === 'HEAD' ? 'pull' : 'pull,push';
        const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        const granted = token === undefined ? undefined : tokens.grants.get(token);
        if (
          granted?.includes(`repository:${repository}:${action}`) ||
          (action === 'pull' && granted?.includes(`repository:${repository}:pull,push`))
        ) {
          return undefined;
        }
        return jsonReply(
          401,
          { errors: [{ code: 'UNAUTHORIZED' }] },
          {
            'www-authenticate': `Bearer realm="${tokens.realm}",service="airlock-test",scope="repository:${repository}:${action}"`,
          },
        );
      },
    });
    closers.push(() => guard.close());
    guardedHost = guard.host;
  });

  it('gets a pull token anonymously, but cannot push without credentials', async () => {
    const image = await pushTestImage(registry.host, 'guarded/anon', 'v1');
    const client = new RegistryClient({ allowHttp: true });
    expect(await client.resolveDigest(`${guardedHost}/guarded/anon:v1`)).toBe(image.digest);
    expect(tokens.requests.at(-1)).toEqual({
      authorization: undefined,
      scopes: ['repository:guarded/anon:pull'],
      service: 'airlock-test',
    });
    const error = await ociError(
      client.pushBlob(`${guardedHost}/guarded/anon`, new Uint8Array(randomBytes(32))),
    );
    expect(error.code).toBe('UNAUTHORIZED');
  });

  it('sends credentials to the token server, reuses tokens per scope, and pushes', async () => {
    const image = await pushTestImage(registry.host, 'guarded/app', 'v1');
    const client = new RegistryClient({ allowHttp: true, credentials: () => user });
    const cosign = new CosignClient(client);
    const before = tokens.requests.length;
    const ref = `${guardedHost}/guarded/app:v1`;
    await cosign.attachSignature({ ref, ...simpleSigning('guarded/app', image.digest) });
    await cosign.attachSignature({ ref, ...simpleSigning('guarded/app', image.digest, { n: 2 }) });
    expect((await cosign.listSignatures(ref)).found).toHaveLength(2);
    const used = tokens.requests.slice(before);
    expect(used.map((r) => r.scopes[0])).toEqual([
      'repository:guarded/app:pull',
      'repository:guarded/app:pull,push',
    ]);
    expect(used.every((r) => r.authorization === `Basic ${b64('robot:hunter2')}`)).toBe(true);
  });

  it('reports UNAUTHORIZED when the token server refuses the credentials', async () => {
    const client = new RegistryClient({
      allowHttp: true,
      credentials: () => ({ username: 'robot', password: 'nope' }),
    });
    const error = await ociError(client.resolve(`${guardedHost}/guarded/app:v1`));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('token from');
  });

  it('does not fetch tokens from a plain-HTTP realm it is not allowed to use', async () => {
    const client = new RegistryClient({ allowHttp: [guardedHost], credentials: () => user });
    const before = tokens.requests.length;
    expect(await ociErrorCode(client.resolve(`${guardedHost}/guarded/app:v1`))).toBe(
      'INSECURE_TRANSPORT',
    );
    expect(tokens.requests.length).toBe(before);
  });

  it('accepts `access_token` and short-lived answers, and refuses answers without a token', async () => {
    for (const [answer, outcome] of [
      [(token: string) => ({ access_token: token }), 'ok'],
      // Shorter-lived than the renewal margin: still used for the request it was fetched for.
      [(token: string) => ({ token, expires_in: 2 }), 'ok'],
      [() => ({ expires_in: 60 }), 'MALFORMED'],
    ] as const) {
      const server = await startTokenServer(user, answer);
      closers.push(() => server.close());
      const guard = await startProxy(registry.url, {
        intercept: (request) => {
          const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
          if (token !== undefined && server.grants.has(token)) return undefined;
          return jsonReply(
            401,
            {},
            { 'www-authenticate': `Bearer realm="${server.realm}",service="s"` },
          );
        },
      });
      closers.push(() => guard.close());
      const image = await pushTestImage(registry.host, 'guarded/variant', 'v1');
      const client = new RegistryClient({ allowHttp: true });
      const work = client.resolveDigest(`${guard.host}/guarded/variant:v1`);
      if (outcome === 'ok') expect(await work).toBe(image.digest);
      else expect(await ociErrorCode(work)).toBe(outcome);
    }
  });
});
