// Helpers for the @airlock/oci tests: typed error capture, OCI image layouts with tiny tar layers
// loaded into the registry by skopeo (an independent client), and an HTTP proxy that can tamper with
// what the registry answers.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { OciError, type OciErrorCode } from '@airlock/oci';

const run = promisify(execFile);

export async function ociErrorCode(
  work: Promise<unknown> | (() => unknown),
): Promise<OciErrorCode> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof OciError) return error.code;
    throw error;
  }
  throw new Error('expected an OciError, got none');
}

export async function ociError(work: Promise<unknown>): Promise<OciError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof OciError) return error;
    throw error;
  }
  throw new Error('expected an OciError, got none');
}

const sha256 = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** One ustar entry (a regular file) followed by the two zero blocks that end an archive. */
export function tarOf(name: string, content: Uint8Array): Uint8Array {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${content.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  const padding = (512 - (content.length % 512)) % 512;
  return new Uint8Array(
    Buffer.concat([header, content, Buffer.alloc(padding), Buffer.alloc(1024)]),
  );
}

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

function blobOf(mediaType: string, bytes: Uint8Array): Blob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

export interface BuiltImage {
  /** The top manifest (the index for multi-platform images). */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly manifestBytes: Uint8Array;
  /** Per platform, the image manifest digest (one entry, platform undefined, for single images). */
  readonly platforms: readonly {
    platform: ImagePlatform | undefined;
    digest: string;
    size: number;
  }[];
}

function imageManifest(platform: ImagePlatform | undefined, blobs: Blob[]): Blob {
  const content = utf8(
    `airlock test image ${platform?.architecture ?? 'single'} ${randomBytes(8).toString('hex')}\n`,
  );
  const tar = tarOf('hello.txt', content);
  const layer = blobOf(
    'application/vnd.oci.image.layer.v1.tar+gzip',
    new Uint8Array(gzipSync(tar)),
  );
  const config = blobOf(
    'application/vnd.oci.image.config.v1+json',
    utf8(
      JSON.stringify({
        architecture: platform?.architecture ?? 'amd64',
        os: platform?.os ?? 'linux',
        ...(platform?.variant === undefined ? {} : { variant: platform.variant }),
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        config: {},
      }),
    ),
  );
  const manifest = blobOf(
    'application/vnd.oci.image.manifest.v1+json',
    utf8(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
      }),
    ),
  );
  blobs.push(layer, config, manifest);
  return manifest;
}

/** Writes an OCI image layout holding one new image (random content) under `tag`. */
export async function buildLayout(
  dir: string,
  tag: string,
  platforms?: readonly ImagePlatform[],
): Promise<BuiltImage> {
  const blobs: Blob[] = [];
  let top: Blob;
  let entries: BuiltImage['platforms'];
  if (platforms === undefined) {
    top = imageManifest(undefined, blobs);
    entries = [{ platform: undefined, digest: top.digest, size: top.size }];
  } else {
    const children = platforms.map((platform) => ({
      platform,
      manifest: imageManifest(platform, blobs),
    }));
    top = blobOf(
      'application/vnd.oci.image.index.v1+json',
      utf8(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: children.map(({ platform, manifest }) => ({
            mediaType: manifest.mediaType,
            digest: manifest.digest,
            size: manifest.size,
            platform,
          })),
        }),
      ),
    );
    blobs.push(top);
    entries = children.map(({ platform, manifest }) => ({
      platform,
      digest: manifest.digest,
      size: manifest.size,
    }));
  }
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of blobs)
    await writeFile(join(dir, 'blobs', 'sha256', blob.digest.slice(7)), blob.bytes);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: top.mediaType,
          digest: top.digest,
          size: top.size,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return {
    digest: top.digest,
    mediaType: top.mediaType,
    size: top.size,
    manifestBytes: top.bytes,
    platforms: entries,
  };
}

/** Builds a new image and copies it into `host/repository:tag` with skopeo. */
export async function pushTestImage(
  host: string,
  repository: string,
  tag: string,
  options: { platforms?: readonly ImagePlatform[]; creds?: string } = {},
): Promise<BuiltImage> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-oci-layout-'));
  try {
    const image = await buildLayout(dir, tag, options.platforms);
    await run('skopeo', [
      '--insecure-policy',
      'copy',
      '--quiet',
      ...(options.platforms === undefined ? [] : ['--all']),
      '--dest-tls-verify=false',
      ...(options.creds === undefined ? [] : ['--dest-creds', options.creds]),
      `oci:${dir}:${tag}`,
      `docker://${host}/${repository}:${tag}`,
    ]);
    return image;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The manifest bytes skopeo reads under a reference (an independent reader of what we pushed). */
export async function skopeoRawManifest(reference: string): Promise<string> {
  const { stdout } = await run('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    `docker://${reference}`,
  ]);
  return stdout;
}

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export interface ProxyReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

export interface ProxyHooks {
  /** Answer without forwarding; undefined forwards the request to the registry. */
  intercept?(request: ProxiedRequest): ProxyReply | undefined | Promise<ProxyReply | undefined>;
  /** Change the registry's answer before the client sees it. */
  transform?(request: ProxiedRequest, reply: ProxyReply): ProxyReply | Promise<ProxyReply>;
}

export interface RunningProxy {
  readonly url: string;
  readonly host: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

function readBody(message: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    message.on('error', reject);
  });
}

function forward(target: URL, request: ProxiedRequest): Promise<ProxyReply> {
  return new Promise((resolve, reject) => {
    // The Host header is passed on unchanged, so the registry writes the proxy's address into the
    // upload Locations it returns.
    const outgoing = httpRequest(
      new URL(request.url, target),
      { method: request.method, headers: request.headers },
      (message) => {
        readBody(message).then((body) => {
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(message.headers)) {
            if (value !== undefined) headers[name] = value;
          }
          resolve({ status: message.statusCode ?? 502, headers, body });
        }, reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(Buffer.from(request.body));
  });
}

/** An HTTP proxy on loopback in front of `targetUrl` (a plain-HTTP registry). */
export async function startProxy(targetUrl: string, hooks: ProxyHooks = {}): Promise<RunningProxy> {
  const target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const server = createServer((incoming, response) => {
    void (async () => {
      const request: ProxiedRequest = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body: await readBody(incoming),
      };
      requests.push(request);
      let reply = (await hooks.intercept?.(request)) ?? (await forward(target, request));
      if (hooks.transform !== undefined) reply = await hooks.transform(request, reply);
      const headers = { ...reply.headers };
      delete headers['transfer-encoding'];
      if (request.method !== 'HEAD') headers['content-length'] = String(reply.body.length);
      response.writeHead(reply.status, headers);
      response.end(request.method === 'HEAD' ? undefined : Buffer.from(reply.body));
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function jsonReply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ProxyReply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: utf8(JSON.stringify(body)),
  };
}
