// The HTTP GETs this package makes (discovery, JWKS): global fetch, or node:https trusting only the
// issuer's `ca-cert` (Node's built-in fetch cannot take a CA without the separate undici package).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The fetch subset used here; compatible with jose's `customFetch` for remote JWKS. */
export type FetchLike = (
  url: string,
  init: {
    readonly method: 'GET';
    readonly headers: Headers;
    readonly signal: AbortSignal;
    readonly redirect: 'manual';
  },
) => Promise<Response>;

/** Discovery documents and JWKS are a few KiB; anything far larger is not an IdP answering. */
export const MAX_IDP_RESPONSE_BYTES = 1024 * 1024;

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

function toResponse(message: IncomingMessage, body: Buffer): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    try {
      headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
    } catch {
      // A header the Fetch API refuses to represent is not one we read.
    }
  }
  const status = message.statusCode ?? 502;
  return new Response(NULL_BODY_STATUSES.has(status) ? null : new Uint8Array(body), {
    status,
    headers,
  });
}

/**
 * A fetch that trusts exactly the PEM certificates in `caCert` for https:// URLs (and never follows
 * redirects, like jose's own JWKS fetch).
 */
export function fetchTrusting(caCert: string): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolvePromise, reject) => {
      const target = new URL(url);
      const options = {
        method: init.method,
        headers: Object.fromEntries(init.headers.entries()),
        signal: init.signal,
      };
      const onResponse = (message: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        message.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_IDP_RESPONSE_BYTES) {
            message.destroy(new Error(`response larger than ${MAX_IDP_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        message.on('error', reject);
        message.on('end', () => {
          try {
            resolvePromise(toResponse(message, Buffer.concat(chunks)));
          } catch (error) {
            reject(error);
          }
        });
      };
      const req =
        target.protocol === 'https:'
          ? httpsRequest(target, { ...options, ca: caCert }, onResponse)
          : httpRequest(target, options, onResponse);
      req.on('error', reject);
      req.end();
    });
}

/** Reads a JSON body of at most MAX_IDP_RESPONSE_BYTES; throws on anything else. */
export async function readJsonBody(response: Response): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_IDP_RESPONSE_BYTES) {
    throw new Error(`response larger than ${MAX_IDP_RESPONSE_BYTES} bytes`);
  }
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('empty response body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_IDP_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`response larger than ${MAX_IDP_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
