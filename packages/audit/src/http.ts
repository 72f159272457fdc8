// HTTP requests to a log that is not trusted: a deadline on every request, a cap on every body, and
// every failure turned into an AuditError the caller can switch on.
import { AuditError } from './errors.js';

/** How long one request may take before it is abandoned. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The largest JSON answer read from a log (a LogEntry, a proof, a search result). */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

export interface HttpOptions {
  /** Milliseconds per request; default DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Stops every request made with these options. */
  readonly signal?: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: Uint8Array;
}

/** A base URL with no trailing slash; only http: and https: are accepted. */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AuditError('INVALID_INPUT', `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new AuditError('INVALID_INPUT', `the log URL must be http: or https:, got ${url}`);
  if (parsed.search || parsed.hash)
    throw new AuditError('INVALID_INPUT', `the log URL must not carry a query or fragment: ${url}`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * Sends one request and reads at most `maxBytes` of the answer. Answers with any status are
 * returned; the caller decides which ones it expects.
 */
export async function httpRequest(
  url: string,
  init: { method?: 'GET' | 'POST'; json?: unknown; accept?: string; maxBytes: number },
  options: HttpOptions = {},
): Promise<HttpAnswer> {
  try {
    return await requestOnce(url, init, options);
  } catch (error) {
    // A kept-alive connection the server closed (it restarted, or timed the socket out) fails the
    // next request before anything is sent; every request here is a read, so one retry is safe.
    if (error instanceof AuditError && error.code === 'UNREACHABLE' && isStaleSocket(error))
      return requestOnce(url, init, options);
    throw error;
  }
}

const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function isStaleSocket(error: AuditError): boolean {
  const cause = (error.cause as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code !== undefined && STALE_SOCKET_CODES.has(cause.code);
}

async function requestOnce(
  url: string,
  init: { method?: 'GET' | 'POST'; json?: unknown; accept?: string; maxBytes: number },
  options: HttpOptions,
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      signal,
    });
    const body = await readLimited(response, init.maxBytes, url);
    return { status: response.status, body };
  } catch (error) {
    if (error instanceof AuditError) throw error;
    if (options.signal?.aborted) throw new AuditError('ABORTED', `request to ${url} was stopped`);
    if (timeout.aborted)
      throw new AuditError('TIMEOUT', `${url} did not answer within ${timeoutMs} ms`);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AuditError(
      'UNREACHABLE',
      `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      { cause: error },
    );
  }
}

async function readLimited(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function tooLarge(url: string, maxBytes: number): AuditError {
  return new AuditError('MALFORMED_RESPONSE', `${url} answered more than ${maxBytes} bytes`);
}

/** The error for an answer with a status the caller did not expect; 404 is NOT_FOUND. */
export function statusError(url: string, answer: HttpAnswer): AuditError {
  const text = Buffer.from(answer.body.subarray(0, 200)).toString('utf8');
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not a Rekor error body; show the start of the text.
  }
  const detail = message.replace(/[^\x20-\x7e]/g, '?').slice(0, 160);
  return new AuditError(
    answer.status === 404 ? 'NOT_FOUND' : 'HTTP_STATUS',
    `${url} answered HTTP ${answer.status}${detail ? `: ${detail}` : ''}`,
  );
}
