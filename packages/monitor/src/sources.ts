// The two kinds of log a monitor follows, behind one small interface: a Rekor v1 log (checkpoint from
// /api/v1/log, proofs from /api/v1/log/proof, entries from its C2SP entry bundles) and an RFC 6962 CT
// log (get-sth, get-sth-consistency, get-entries). A source only fetches and checks signatures; what
// the entries add up to is checked by the monitor.
import { createHash, type KeyObject } from 'node:crypto';
import { entryBundlePath, hashLeaf, parseEntryBundle, TILE_WIDTH } from '@airlock/merkle';
import {
  NoteError,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCheckpoint,
  parseRekorV1Origin,
  parseSignedNote,
} from '@airlock/note';
import {
  decodeDigitallySigned,
  treeHeadSignatureInput,
  verifyDigitallySigned,
} from '@airlock/x509';
import { describeCtEntry, describeRekorBody, type VerifierSummary } from './describe.js';
import { MonitorError } from './errors.js';

/** How long one request to a log may take. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** The largest answer the monitor reads (a page of 256 entries of up to 64 KiB each). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** A tree head whose signature by the log's key has been verified. */
export interface SignedTreeHead {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The log's identity, pinned in the state: the checkpoint origin, or `ct:<hex log ID>`. */
  readonly origin: string;
  /** The signed form as served: a checkpoint note (Rekor) or get-sth's JSON (CT). */
  readonly signed: string;
}

export interface FollowedEntry {
  readonly index: bigint;
  readonly leafHash: Uint8Array;
  /** How to find the entry again: the Rekor UUID (leaf hash, hex) or the CT leaf hash (hex). */
  readonly id: string;
  /** The entry's keys and certificates; throws MALFORMED_ENTRY for one that cannot be decoded. */
  verifiers(): readonly VerifierSummary[];
}

export interface LogSource {
  /** `rekor` or `ct`: the `log` field of alerts and the key of the state. */
  readonly label: string;
  readonly url: string;
  /** The newest tree head; throws MonitorError UNREACHABLE, or BAD_SIGNATURE if the key did not sign it. */
  latestTreeHead(): Promise<SignedTreeHead>;
  consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]>;
  /** Entries [from, to) in order, a page at a time. */
  entries(from: bigint, to: bigint): AsyncIterable<readonly FollowedEntry[]>;
}

async function fetchBytes(url: string, timeoutMs: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    throw new MonitorError('UNREACHABLE', `${url}: ${(error as Error).message}`, { cause: error });
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_BYTES)
    throw new MonitorError('UNREACHABLE', `${url}: the answer is too large`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (!response.ok)
    throw new MonitorError(
      'UNREACHABLE',
      `${url} answered ${response.status}: ${Buffer.from(body.subarray(0, 200)).toString('utf8')}`,
    );
  if (body.length > MAX_RESPONSE_BYTES)
    throw new MonitorError('UNREACHABLE', `${url}: the answer is too large`);
  return body;
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const body = await fetchBytes(url, timeoutMs);
  try {
    const json = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    if (typeof json !== 'object' || json === null) throw new Error('not an object');
    return json as Record<string, unknown>;
  } catch (error) {
    throw new MonitorError('UNREACHABLE', `${url}: not a JSON object`, { cause: error });
  }
}

function hashList(values: unknown, encoding: 'hex' | 'base64', url: string): Uint8Array[] {
  if (!Array.isArray(values)) throw new MonitorError('UNREACHABLE', `${url}: no proof hashes`);
  return values.map((value) => {
    const bytes = typeof value === 'string' ? Buffer.from(value, encoding) : Buffer.alloc(0);
    if (bytes.length !== 32)
      throw new MonitorError('UNREACHABLE', `${url}: a proof hash is not 32 bytes`);
    return new Uint8Array(bytes);
  });
}

function trimUrl(url: string): string {
  if (!/^https?:\/\//.test(url))
    throw new MonitorError('INVALID_CONFIG', `${url} is not an http(s) URL`);
  return url.replace(/\/+$/, '');
}

export class RekorSource implements LogSource {
  readonly label = 'rekor';
  readonly url: string;
  readonly #key: KeyObject;
  readonly #timeoutMs: number;

  constructor(url: string, publicKey: KeyObject, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
    this.url = trimUrl(url);
    this.#key = publicKey;
    this.#timeoutMs = timeoutMs;
  }

  async latestTreeHead(): Promise<SignedTreeHead> {
    const info = await fetchJson(`${this.url}/api/v1/log`, this.#timeoutMs);
    const note = info.signedTreeHead;
    if (typeof note !== 'string')
      throw new MonitorError('UNREACHABLE', 'log info has no signedTreeHead');
    try {
      // The key name is the host for a Rekor v1 origin ("<host> - <treeID>"), else the origin.
      const { origin } = parseCheckpoint(parseSignedNote(note).text);
      const v1 = parseRekorV1Origin(origin);
      const verifier = noteVerifierFromPublicKey(v1?.hostname ?? origin, this.#key, {
        keyIdRule: v1 ? 'rekor-v1' : 'c2sp',
      });
      const { checkpoint } = openCheckpoint(note, [verifier], { origin });
      return { size: checkpoint.size, rootHash: checkpoint.rootHash, origin, signed: note };
    } catch (error) {
      if (error instanceof NoteError)
        throw new MonitorError(
          'BAD_SIGNATURE',
          `the log's checkpoint does not verify: ${error.message}`,
          { cause: error },
        );
      throw error;
    }
  }

  async consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]> {
    const url = `${this.url}/api/v1/log/proof?firstSize=${from}&lastSize=${to}`;
    return hashList((await fetchJson(url, this.#timeoutMs)).hashes, 'hex', url);
  }

  async *entries(from: bigint, to: bigint): AsyncIterable<readonly FollowedEntry[]> {
    const width = BigInt(TILE_WIDTH);
    for (let tile = from / width; tile * width < to; tile++) {
      const begin = tile * width;
      const count = to - begin >= width ? TILE_WIDTH : Number(to - begin);
      const url = `${this.url}/api/v1/log/tiles/${entryBundlePath(tile, count)}`;
      let bodies: Uint8Array[];
      try {
        bodies = parseEntryBundle(await fetchBytes(url, this.#timeoutMs));
      } catch (error) {
        if (error instanceof MonitorError) throw error;
        throw new MonitorError('UNREACHABLE', `${url}: not an entry bundle`, { cause: error });
      }
      if (bodies.length !== count)
        throw new MonitorError(
          'UNREACHABLE',
          `${url}: ${bodies.length} entries, expected ${count}`,
        );
      const page: FollowedEntry[] = [];
      bodies.forEach((body, i) => {
        const index = begin + BigInt(i);
        if (index < from) return;
        const leafHash = hashLeaf(body);
        page.push({
          index,
          leafHash,
          id: Buffer.from(leafHash).toString('hex'),
          verifiers: () => describeRekorBody(body).verifiers,
        });
      });
      yield page;
    }
  }
}

export class CtSource implements LogSource {
  readonly label = 'ct';
  readonly url: string;
  readonly #key: KeyObject;
  readonly #logId: string;
  readonly #timeoutMs: number;

  constructor(url: string, publicKey: KeyObject, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
    this.url = trimUrl(url);
    this.#key = publicKey;
    this.#logId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    this.#timeoutMs = timeoutMs;
  }

  async latestTreeHead(): Promise<SignedTreeHead> {
    const sth = await fetchJson(`${this.url}/ct/v1/get-sth`, this.#timeoutMs);
    const {
      tree_size: size,
      timestamp,
      sha256_root_hash: root,
      tree_head_signature: signature,
    } = sth;
    if (
      typeof size !== 'number' ||
      typeof timestamp !== 'number' ||
      typeof root !== 'string' ||
      typeof signature !== 'string'
    )
      throw new MonitorError('UNREACHABLE', 'get-sth answered an incomplete tree head');
    const rootHash = new Uint8Array(Buffer.from(root, 'base64'));
    let verified = false;
    try {
      verified = verifyDigitallySigned(
        decodeDigitallySigned(Buffer.from(signature, 'base64')),
        treeHeadSignatureInput({ timestamp, treeSize: size, rootHash }),
        this.#key,
      );
    } catch {
      verified = false;
    }
    if (!verified)
      throw new MonitorError('BAD_SIGNATURE', 'the CT log tree head signature does not verify');
    return {
      size: BigInt(size),
      rootHash,
      origin: `ct:${this.#logId}`,
      signed: JSON.stringify(sth),
    };
  }

  async consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]> {
    const url = `${this.url}/ct/v1/get-sth-consistency?first=${from}&second=${to}`;
    return hashList((await fetchJson(url, this.#timeoutMs)).consistency, 'base64', url);
  }

  async *entries(from: bigint, to: bigint): AsyncIterable<readonly FollowedEntry[]> {
    let next = from;
    while (next < to) {
      const url = `${this.url}/ct/v1/get-entries?start=${next}&end=${to - 1n}`;
      const list = (await fetchJson(url, this.#timeoutMs)).entries;
      if (!Array.isArray(list) || list.length === 0 || BigInt(list.length) > to - next)
        throw new MonitorError('UNREACHABLE', `${url}: a bad page of entries`);
      const page = list.map((item, i): FollowedEntry => {
        const { leaf_input: leaf, extra_data: extra } = (item ?? {}) as Record<string, unknown>;
        if (typeof leaf !== 'string' || typeof extra !== 'string')
          throw new MonitorError('UNREACHABLE', `${url}: an entry without leaf_input`);
        const leafInput = new Uint8Array(Buffer.from(leaf, 'base64'));
        const extraData = new Uint8Array(Buffer.from(extra, 'base64'));
        const leafHash = hashLeaf(leafInput);
        return {
          index: next + BigInt(i),
          leafHash,
          id: Buffer.from(leafHash).toString('hex'),
          verifiers: () => {
            const { certificate } = describeCtEntry(leafInput, extraData);
            return [
              {
                kind: 'certificate',
                keyFingerprint: certificate.keyFingerprint,
                keyAlgorithm: certificate.keyAlgorithm,
                certificate,
              },
            ];
          },
        };
      });
      next += BigInt(page.length);
      yield page;
    }
  }
}
