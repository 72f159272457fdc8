// One HTTP exchange with a registry, body read in full under a size limit: Node's fetch by default, or
// node:http(s) when a custom CA or client certificate is configured (Node's bundled undici is not
// importable as `undici`, so fetch cannot take TLS options without a new dependency).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { OciError } from './errors.js';

export interface TlsOptions {
  /** PEM bundle of the CAs trusted for https registries, replacing Node's built-in roots. */
  readonly ca?: string;
  /** PEM client certificate and its key, for registries that require mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
}

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/** Sends one request, never following redirects; NETWORK on transport failure, TOO_LARGE over the limit. */
export type HttpSender = (request: HttpRequest) => Promise<HttpResponse>;

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : error instanceof Error ? error : undefined;
  const code = (inner as { code?: unknown } | undefined)?.code;
  return `${inner?.message ?? String(error)}${typeof code === 'string' ? ` (${code})` : ''}`;
}

function networkError(request: HttpRequest, error: unknown): OciError {
  if (error instanceof OciError) return error;
  return new OciError('NETWORK', `${request.method} ${request.url.origin}: ${describe(error)}`, {
    cause: error,
  });
}

function tooLarge(request: HttpRequest): OciError {
  return new OciError(
    'TOO_LARGE',
    `${request.method} ${request.url.origin}${request.url.pathname}: response over ${request.maxResponseBytes} bytes`,
  );
}

async function readLimited(response: Response, request: HttpRequest): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (request.method === 'HEAD' || response.body === null) return new Uint8Array(0);
  if (declared > request.maxResponseBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge(request);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > request.maxResponseBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(request);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The default sender: global fetch with manual redirects and a per-request timeout. */
export const fetchSender: HttpSender = async (request) => {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const body = await readLimited(response, request);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    throw networkError(request, error);
  }
};

function headersOf(message: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    try {
      headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
    } catch {
      // A header the Fetch API cannot represent is not one a registry client reads.
    }
  }
  return headers;
}

/** A sender on node:http(s) whose https connections trust `tls.ca` and present `tls.cert`/`tls.key`. */
export function tlsSender(tls: TlsOptions): HttpSender {
  const agent = new Agent({
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
  });
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const fail = (error: unknown): void => reject(networkError(request, error));
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(request.body.length);
      const options = {
        method: request.method,
        headers,
        signal: AbortSignal.timeout(request.timeoutMs),
      };
      const onResponse = (message: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        message.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxResponseBytes) {
            message.destroy();
            reject(tooLarge(request));
            return;
          }
          chunks.push(chunk);
        });
        message.on('error', fail);
        message.on('end', () =>
          resolve({
            status: message.statusCode ?? 0,
            headers: headersOf(message),
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
      };
      const outgoing =
        request.url.protocol === 'https:'
          ? httpsRequest(request.url, { ...options, agent }, onResponse)
          : httpRequest(request.url, options, onResponse);
      outgoing.on('error', fail);
      outgoing.end(request.body === undefined ? undefined : Buffer.from(request.body));
    });
}
