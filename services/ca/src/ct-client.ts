// RFC 6962 client for the one call the CA makes to its CT log: POST add-pre-chain, answered by an SCT.
import type { KeyObject } from 'node:crypto';
import {
  decodeDigitallySigned,
  LOG_ID_BYTES,
  SCT_VERSION_V1,
  type SignedCertificateTimestamp,
  X509Error,
} from '@airlock/x509';
import { CaError } from './ca-error.js';
import { decodeBase64, encodeBase64 } from './encoding.js';

/** Per attempt, covering the request and reading the answer. */
export const DEFAULT_CT_TIMEOUT_MS = 10_000;
/** Further attempts after a timeout, a network error, 429 or 5xx; never after any other 4xx. */
export const DEFAULT_CT_RETRIES = 2;
/** Delay before the first retry; it doubles for each further one. */
export const DEFAULT_CT_RETRY_DELAY_MS = 200;
/** An SCT is a few hundred bytes; anything much larger is not one and is not read to the end. */
export const MAX_CT_RESPONSE_BYTES = 64 * 1024;

/**
 * What the CA needs from a CT log: its public key (to check every SCT before embedding it) and
 * add-pre-chain. `chain` is [precertificate, issuing CA certificate, …, root], DER. The SCT is
 * returned as the log sent it, unverified: verifying it is the CA's job.
 */
export interface PrecertificateLog {
  readonly publicKey: KeyObject;
  addPreChain(chain: readonly Uint8Array[]): Promise<SignedCertificateTimestamp>;
}

export interface CtLogClientOptions {
  /**
   * The log's base URL (Fulcio's --ct-log-url, e.g. `http://ctlog:6962/test`); requests go to
   * `<url>/ct/v1/add-pre-chain`.
   */
  readonly url: string;
  /** The log's public key: the one whose SHA-256(SPKI) is the log ID in every SCT. */
  readonly publicKey: KeyObject;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CaError('INVALID_CONFIG', `${name} must be a non-negative integer`);
  }
  return value;
}

async function readCapped(response: Response, url: string): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_CT_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      throw new CaError(
        'CT_LOG_BAD_RESPONSE',
        `CT log ${url} answered with more than ${MAX_CT_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A short, printable excerpt of an error body for the CA's own logs. */
function excerpt(body: string): string {
  const text = body.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** The AddChainResponse JSON (RFC 6962 §4.1) as an SCT; CT_LOG_BAD_RESPONSE if it is not one. */
export function parseAddChainResponse(body: string, url: string): SignedCertificateTimestamp {
  const bad = (problem: string): never => {
    throw new CaError('CT_LOG_BAD_RESPONSE', `CT log ${url} answered ${problem}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    bad('with something that is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('with a non-object');
  const response = json as Record<string, unknown>;
  if (response.sct_version !== SCT_VERSION_V1) bad('with an SCT version other than v1 (0)');
  const bytesOf = (field: string, allowEmpty: boolean): Uint8Array => {
    const value = response[field];
    const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
    if (bytes === undefined) return bad(`without a base64 "${field}"`);
    if (!allowEmpty && bytes.length === 0) return bad(`with an empty "${field}"`);
    return bytes;
  };
  const logId = bytesOf('id', false);
  if (logId.length !== LOG_ID_BYTES) bad(`with a log ID that is not ${LOG_ID_BYTES} bytes`);
  const timestamp = response.timestamp;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    bad('with a timestamp that is not a non-negative integer of milliseconds');
  }
  // Go's AddChainResponse omits an empty extensions field.
  const extensions =
    response.extensions === undefined ? new Uint8Array(0) : bytesOf('extensions', true);
  let signature: SignedCertificateTimestamp['signature'];
  try {
    signature = decodeDigitallySigned(bytesOf('signature', false));
  } catch (error) {
    if (!(error instanceof X509Error)) throw error;
    return bad('with a signature that is not a TLS DigitallySigned struct');
  }
  return {
    version: SCT_VERSION_V1,
    logId,
    timestamp: timestamp as number,
    extensions,
    signature,
  };
}

/** An RFC 6962 log reached over HTTP. */
export class CtLogClient implements PrecertificateLog {
  readonly url: string;
  readonly publicKey: KeyObject;
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(options: CtLogClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new CaError('INVALID_CONFIG', `CT log URL ${JSON.stringify(options.url)} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CaError('INVALID_CONFIG', 'the CT log URL must be http:// or https://');
    }
    if (parsed.search !== '' || parsed.hash !== '') {
      throw new CaError('INVALID_CONFIG', 'the CT log URL must not have a query or fragment');
    }
    if (options.publicKey.type !== 'public') {
      throw new CaError('INVALID_CONFIG', 'the CT log key must be a public key');
    }
    this.url = parsed.href.replace(/\/+$/, '');
    this.endpoint = `${this.url}/ct/v1/add-pre-chain`;
    this.publicKey = options.publicKey;
    this.timeoutMs = nonNegativeInteger(options.timeoutMs, DEFAULT_CT_TIMEOUT_MS, 'timeoutMs');
    this.retries = nonNegativeInteger(options.retries, DEFAULT_CT_RETRIES, 'retries');
    this.retryDelayMs = nonNegativeInteger(
      options.retryDelayMs,
      DEFAULT_CT_RETRY_DELAY_MS,
      'retryDelayMs',
    );
  }

  async addPreChain(chain: readonly Uint8Array[]): Promise<SignedCertificateTimestamp> {
    if (chain.length < 2) {
      throw new CaError('ISSUANCE_FAILED', 'add-pre-chain needs the precertificate and its issuer');
    }
    const body = JSON.stringify({ chain: chain.map(encodeBase64) });
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(body);
      } catch (error) {
        const retryable = error instanceof CaError && error.code === 'CT_LOG_UNAVAILABLE';
        if (!retryable || attempt >= this.retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** attempt));
      }
    }
  }

  private async attempt(body: string): Promise<SignedCertificateTimestamp> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal,
        redirect: 'error',
      });
      text = await readCapped(response, this.url);
    } catch (error) {
      if (error instanceof CaError) throw error;
      const timedOut = signal.aborted;
      throw new CaError(
        'CT_LOG_UNAVAILABLE',
        timedOut
          ? `CT log ${this.url} did not answer within ${this.timeoutMs} ms`
          : `CT log ${this.url} could not be reached`,
        { cause: error },
      );
    }
    if (response.status === 429 || response.status >= 500) {
      throw new CaError(
        'CT_LOG_UNAVAILABLE',
        `CT log ${this.url} answered HTTP ${response.status}: ${excerpt(text)}`,
      );
    }
    if (!response.ok) {
      throw new CaError(
        'CT_LOG_REJECTED',
        `CT log ${this.url} refused the precertificate with HTTP ${response.status}: ${excerpt(text)}`,
      );
    }
    return parseAddChainResponse(text, this.url);
  }
}
