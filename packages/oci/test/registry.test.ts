// The Distribution client against a real registry (docker-registry 2.8.2) with images loaded by
// skopeo: resolving, manifests and blobs (every read digest-checked), uploads, tags, platforms,
// retries, and a proxy that lies about content.
import { randomBytes } from 'node:crypto';
import {
  digestOf,
  encodeImageManifest,
  OCI_CONFIG,
  OCI_MANIFEST,
  parseReference,
  RegistryClient,
} from '@airlock/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../test/support/registry.js';
import {
  type BuiltImage,
  jsonReply,
  ociError,
  ociErrorCode,
  pushTestImage,
  type RunningProxy,
  startProxy,
} from './support.js';

let registry: RunningRegistry;
let client: RegistryClient;
let image: BuiltImage;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ allowHttp: true, retryDelayMs: 5 });
  image = await pushTestImage(registry.host, 'team/app', 'v1');
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await registry?.stop();
});

async function proxy(hooks: Parameters<typeof startProxy>[1]): Promise<RunningProxy> {
  const running = await startProxy(registry.url, hooks);
  closers.push(() => running.close());
  return running;
}

describe('resolving and reading manifests', () => {
  it('resolves a tag pushed by skopeo to the digest of the manifest bytes skopeo pushed', async () => {
    const resolved = await client.resolve(`${registry.host}/team/app:v1`);
    expect(resolved.digest).toBe(image.digest);
    expect(resolved.digest).toBe(digestOf(image.manifestBytes));
    expect(Buffer.from(resolved.bytes).equals(Buffer.from(image.manifestBytes))).toBe(true);
    expect(resolved.mediaType).toBe(OCI_MANIFEST);
    expect(resolved.reference).toEqual({
      registry: registry.host,
      repository: 'team/app',
      tag: undefined,
      digest: image.digest,
    });
    expect(resolved.manifest.kind).toBe('manifest');
  });

  it('reads a manifest by digest and HEADs it', async () => {
    const byDigest = await client.getManifest(`${registry.host}/team/app@${image.digest}`);
    expect(byDigest.size).toBe(image.size);
    const head = await client.headManifest(`${registry.host}/team/app:v1`);
    expect(head).toEqual({
      claimedDigest: image.digest,
      mediaType: OCI_MANIFEST,
      size: image.size,
    });
    expect(await client.headManifest(`${registry.host}/team/app:missing`)).toBeUndefined();
    expect(await ociErrorCode(client.getManifest(`${registry.host}/team/app:missing`))).toBe(
      'NOT_FOUND',
    );
    expect(await ociErrorCode(client.getManifest(`${registry.host}/team/nothing:v1`))).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses a manifest over the size limit', async () => {
    const small = new RegistryClient({ allowHttp: true, maxManifestBytes: 100 });
    expect(await ociErrorCode(small.getManifest(`${registry.host}/team/app:v1`))).toBe('TOO_LARGE');
  });

  it('resolves a multi-platform index to itself, or to one platform on request', async () => {
    const multi = await pushTestImage(registry.host, 'team/multi', 'v1', {
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    const ref = `${registry.host}/team/multi:v1`;
    const index = await client.resolve(ref);
    expect(index.digest).toBe(multi.digest);
    expect(index.manifest.kind).toBe('index');
    const arm = await client.resolve(ref, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(arm.digest).toBe(multi.platforms[1]?.digest);
    expect(arm.manifest.kind).toBe('manifest');
    const armV8 = await client.resolveDigest(ref, {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(armV8).toBe(multi.platforms[1]?.digest);
    expect(
      await ociErrorCode(client.resolve(ref, { platform: { os: 'linux', architecture: 's390x' } })),
    ).toBe('PLATFORM_NOT_FOUND');
    expect(
      await ociErrorCode(
        client.resolve(ref, { platform: { os: 'linux', architecture: 'arm64', variant: 'v7' } }),
      ),
    ).toBe('PLATFORM_NOT_FOUND');
  });
});

describe('blobs and manifests pushed by this client', () => {
  it('uploads monolithically and in chunks, skips blobs the registry has, and reads them back verified', async () => {
    const repo = parseReference(`${registry.host}/team/blobs`);
    const small = new Uint8Array(randomBytes(1000));
    const large = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
    const smallInfo = await client.pushBlob(repo, small);
    expect(smallInfo).toEqual({ digest: digestOf(small), size: 1000 });
    const largeInfo = await client.pushBlob(repo, large, { chunkSize: 1024 * 1024 });
    expect(await client.headBlob(repo, largeInfo.digest)).toBe(large.length);
    expect(Buffer.from(await client.getBlob(repo, largeInfo)).equals(Buffer.from(large))).toBe(
      true,
    );
    expect(
      Buffer.from(await client.getBlob(repo, smallInfo.digest)).equals(Buffer.from(small)),
    ).toBe(true);
    expect(await client.headBlob(repo, digestOf(new Uint8Array([1, 2, 3])))).toBeUndefined();
    expect(await ociErrorCode(client.getBlob(repo, digestOf(new Uint8Array([1, 2, 3]))))).toBe(
      'NOT_FOUND',
    );
    // A descriptor whose size disagrees with the content, and a blob over the caller's limit.
    expect(await ociErrorCode(client.getBlob(repo, { digest: smallInfo.digest, size: 999 }))).toBe(
      'DIGEST_MISMATCH',
    );
    expect(await ociErrorCode(client.getBlob(repo, largeInfo, { maxBytes: 1024 }))).toBe(
      'TOO_LARGE',
    );
    expect(
      await ociErrorCode(client.getBlob(repo, { digest: largeInfo.digest }, { maxBytes: 1024 })),
    ).toBe('TOO_LARGE');

    // Pushing again is answered by HEAD: no upload session is opened.
    const counting = await proxy({});
    const viaProxy = new RegistryClient({ allowHttp: true });
    await viaProxy.pushBlob(`${counting.host}/team/blobs`, small);
    expect(counting.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('puts a manifest by tag and by digest, and refuses a digest reference the bytes do not hash to', async () => {
    const repo = `${registry.host}/team/pushed`;
    const config = await client.pushBlob(repo, new TextEncoder().encode('{}'));
    const layer = await client.pushBlob(repo, new Uint8Array(randomBytes(64)));
    const manifest = encodeImageManifest({
      config: { mediaType: OCI_CONFIG, ...config },
      layers: [{ mediaType: 'application/octet-stream', ...layer }],
    });
    const byTag = await client.putManifest(`${repo}:one`, manifest);
    expect(byTag.digest).toBe(digestOf(manifest));
    expect(byTag.referrersTagUpdated).toBe(false);
    expect((await client.getManifest(`${repo}:one`)).digest).toBe(byTag.digest);
    const byDigest = await client.putManifest(`${repo}@${byTag.digest}`, manifest);
    expect(byDigest.digest).toBe(byTag.digest);
    const other = digestOf(new Uint8Array([0]));
    expect(await ociErrorCode(client.putManifest(`${repo}@${other}`, manifest))).toBe(
      'DIGEST_MISMATCH',
    );
    // The registry rejects a manifest whose blobs it does not have.
    const dangling = encodeImageManifest({
      config: { mediaType: OCI_CONFIG, digest: other, size: 1 },
      layers: [],
    });
    const error = await ociError(client.putManifest(`${repo}:dangling`, dangling));
    expect(error.code).toBe('REGISTRY_ERROR');
    expect(error.status).toBe(400);
    expect(error.message).toContain('MANIFEST_BLOB_UNKNOWN');
  });

  it('lists tags, following Link pages', async () => {
    await pushTestImage(registry.host, 'team/tags', 'a');
    await pushTestImage(registry.host, 'team/tags', 'b');
    await pushTestImage(registry.host, 'team/tags', 'c');
    expect((await client.listTags(`${registry.host}/team/tags`)).sort()).toEqual(['a', 'b', 'c']);
    // Distribution 2.8 ignores `n` on tag lists (pagination came in 3.0), so the proxy pages the
    // registry's real answer the way 3.x does: `n` tags after `last`, and a Link to the next page.
    const paging = await proxy({
      transform: (request, reply) => {
        const url = new URL(request.url, 'http://proxy');
        if (url.pathname !== '/v2/team/tags/tags/list') return reply;
        const all = (
          JSON.parse(new TextDecoder().decode(reply.body)) as { tags: string[] }
        ).tags.sort();
        const n = Number(url.searchParams.get('n'));
        const last = url.searchParams.get('last');
        const rest = last === null ? all : all.filter((tag) => tag > last);
        const page = rest.slice(0, n);
        const headers = { ...reply.headers };
        if (rest.length > n) {
          headers.link = `</v2/team/tags/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
        }
        return jsonReply(200, { name: 'team/tags', tags: page }, headers as Record<string, string>);
      },
    });
    const paged = new RegistryClient({ allowHttp: true });
    expect(await paged.listTags(`${paging.host}/team/tags`, { pageSize: 1 })).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(paging.requests.map((r) => r.url)).toEqual([
      '/v2/team/tags/tags/list?n=1',
      '/v2/team/tags/tags/list?n=1&last=a',
      '/v2/team/tags/tags/list?n=1&last=b',
    ]);
  });
});

describe('a registry that lies', () => {
  it('refuses a manifest fetched by tag that does not hash to the digest the registry announces', async () => {
    const other = await pushTestImage(registry.host, 'team/other', 'v1');
    const lying = await proxy({
      transform: (request, reply) =>
        request.method === 'GET' && request.url === '/v2/team/app/manifests/v1'
          ? { ...reply, body: other.manifestBytes }
          : reply,
    });
    const viaProxy = new RegistryClient({ allowHttp: true });
    const error = await ociError(viaProxy.resolve(`${lying.host}/team/app:v1`));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain(image.digest);

    // A header in another algorithm is checked in that algorithm.
    const sha512 = digestOf(image.manifestBytes, 'sha512');
    for (const [header, outcome] of [
      [sha512, 'ok'],
      [digestOf(other.manifestBytes, 'sha512'), 'DIGEST_MISMATCH'],
    ] as const) {
      const relabelling = await proxy({
        transform: (_request, reply) => ({
          ...reply,
          headers: { ...reply.headers, 'docker-content-digest': header },
        }),
      });
      const work = viaProxy.resolveDigest(`${relabelling.host}/team/app:v1`);
      if (outcome === 'ok') expect(await work).toBe(image.digest);
      else expect(await ociErrorCode(work)).toBe(outcome);
    }
  });

  it('refuses a manifest fetched by digest whose bytes hash to something else, with or without a digest header', async () => {
    const other = await pushTestImage(registry.host, 'team/other2', 'v1');
    for (const dropHeader of [false, true]) {
      const lying = await proxy({
        transform: (request, reply) => {
          if (
            request.method !== 'GET' ||
            !request.url.startsWith('/v2/team/app/manifests/sha256:')
          ) {
            return reply;
          }
          const headers = { ...reply.headers };
          if (dropHeader) delete headers['docker-content-digest'];
          return { ...reply, headers, body: other.manifestBytes };
        },
      });
      const viaProxy = new RegistryClient({ allowHttp: true });
      expect(
        await ociErrorCode(viaProxy.getManifest(`${lying.host}/team/app@${image.digest}`)),
      ).toBe('DIGEST_MISMATCH');
    }
  });

  it('refuses a blob whose bytes do not hash to its digest', async () => {
    const repo = `${registry.host}/team/blob-lie`;
    const info = await client.pushBlob(repo, new TextEncoder().encode('the real content'));
    const lying = await proxy({
      transform: (request, reply) =>
        request.method === 'GET' && request.url.includes('/blobs/')
          ? { ...reply, body: new TextEncoder().encode('the forged content') }
          : reply,
    });
    const viaProxy = new RegistryClient({ allowHttp: true });
    expect(await ociErrorCode(viaProxy.getBlob(`${lying.host}/team/blob-lie`, info))).toBe(
      'DIGEST_MISMATCH',
    );
  });

  it('refuses a Docker-Content-Digest on PUT that is not the digest of the pushed manifest', async () => {
    const lying = await proxy({
      transform: (request, reply) =>
        request.method === 'PUT' && request.url.includes('/manifests/')
          ? {
              ...reply,
              headers: { ...reply.headers, 'docker-content-digest': digestOf(new Uint8Array([9])) },
            }
          : reply,
    });
    const viaProxy = new RegistryClient({ allowHttp: true });
    const fetched = await client.getManifest(`${registry.host}/team/app:v1`);
    expect(
      await ociErrorCode(viaProxy.putManifest(`${lying.host}/team/app:copy`, fetched.bytes)),
    ).toBe('DIGEST_MISMATCH');
  });
});

describe('retries', () => {
  it('retries 503 and 429 (honouring Retry-After) on reads, then succeeds', async () => {
    let failures = 0;
    const flaky = await proxy({
      intercept: () => {
        failures++;
        if (failures === 1) return jsonReply(503, { errors: [{ code: 'UNAVAILABLE' }] });
        if (failures === 2)
          return jsonReply(429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '0' });
        return undefined;
      },
    });
    const viaProxy = new RegistryClient({ allowHttp: true, retryDelayMs: 5 });
    expect(await viaProxy.resolveDigest(`${flaky.host}/team/app:v1`)).toBe(image.digest);
    expect(flaky.requests.length).toBe(3);
  });

  it('gives up after the configured retries with the last status', async () => {
    const down = await proxy({ intercept: () => jsonReply(502, {}) });
    const viaProxy = new RegistryClient({ allowHttp: true, retries: 2, retryDelayMs: 1 });
    const error = await ociError(viaProxy.resolve(`${down.host}/team/app:v1`));
    expect(error.code).toBe('REGISTRY_ERROR');
    expect(error.status).toBe(502);
    expect(down.requests.length).toBe(3);
  });

  it('restarts a whole blob upload when the registry fails mid-way', async () => {
    let failedOnce = false;
    const flaky = await proxy({
      intercept: (request) => {
        if (request.method === 'PUT' && request.url.includes('/blobs/uploads/') && !failedOnce) {
          failedOnce = true;
          return jsonReply(500, {});
        }
        return undefined;
      },
    });
    const viaProxy = new RegistryClient({ allowHttp: true, retryDelayMs: 1 });
    const bytes = new Uint8Array(randomBytes(256));
    const info = await viaProxy.pushBlob(`${flaky.host}/team/retried`, bytes);
    expect(failedOnce).toBe(true);
    expect(flaky.requests.filter((r) => r.method === 'POST').length).toBe(2);
    expect(await client.headBlob(`${registry.host}/team/retried`, info.digest)).toBe(256);
  });

  it('retries connection failures, then reports NETWORK', async () => {
    const closed = await proxy({});
    const host = closed.host;
    await closed.close();
    const viaNothing = new RegistryClient({ allowHttp: true, retries: 1, retryDelayMs: 1 });
    expect(await ociErrorCode(viaNothing.resolve(`${host}/team/app:v1`))).toBe('NETWORK');
  });
});

describe('plain HTTP', () => {
  it('is used only for hosts it is allowed for', async () => {
    // Without allowHttp the client speaks TLS to the plain-HTTP registry, which fails.
    const strict = new RegistryClient({ retries: 0 });
    expect(await ociErrorCode(strict.resolve(`${registry.host}/team/app:v1`))).toBe('NETWORK');
    const listed = new RegistryClient({ allowHttp: [registry.host] });
    expect(await listed.resolveDigest(`${registry.host}/team/app:v1`)).toBe(image.digest);
    const otherListed = new RegistryClient({ allowHttp: ['127.0.0.1:1'], retries: 0 });
    expect(await ociErrorCode(otherListed.resolve(`${registry.host}/team/app:v1`))).toBe('NETWORK');
  });

  it('does not follow a redirect to a plain-HTTP host it is not allowed for', async () => {
    const redirecting = await proxy({
      intercept: (request) =>
        request.url.startsWith('/v2/team/app/manifests/')
          ? {
              status: 307,
              headers: { location: `http://registry.invalid:5000${request.url}` },
              body: new Uint8Array(0),
            }
          : undefined,
    });
    const viaProxy = new RegistryClient({ allowHttp: true });
    expect(await ociErrorCode(viaProxy.resolve(`${redirecting.host}/team/app:v1`))).toBe(
      'INSECURE_TRANSPORT',
    );
  });

  it('follows a redirect for blobs without sending credentials to the other origin', async () => {
    const repo = `${registry.host}/team/redirected`;
    const info = await client.pushBlob(repo, new TextEncoder().encode('redirected blob'));
    const storage = await proxy({});
    const front = await proxy({
      intercept: (request) => {
        if (request.url.startsWith('/v2/') && request.url.includes('/blobs/sha256:')) {
          return {
            status: 307,
            headers: { location: `${storage.url}${request.url}` },
            body: new Uint8Array(0),
          };
        }
        if (!request.headers.authorization) {
          return jsonReply(401, {}, { 'www-authenticate': 'Basic realm="front"' });
        }
        return undefined;
      },
    });
    const withCredentials = new RegistryClient({
      allowHttp: true,
      credentials: () => ({ username: 'u', password: 'p' }),
    });
    await withCredentials.resolve(`${front.host}/team/app:v1`);
    const blob = await withCredentials.getBlob(`${front.host}/team/redirected`, info);
    expect(new TextDecoder().decode(blob)).toBe('redirected blob');
    expect(front.requests.some((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
    expect(storage.requests.length).toBe(1);
    expect(storage.requests[0]?.headers.authorization).toBeUndefined();
  });
});
