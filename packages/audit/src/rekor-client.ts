// A client for the Rekor v1 read API (openapi.yaml of sigstore/rekor) that parses every answer
// strictly: a field of the wrong type, a hash of the wrong length or an entry whose UUID is not the
// hash of its body is MALFORMED_RESPONSE, never a value passed on.
import { HASH_SIZE, hashLeaf } from '@airlock/merkle';
import { FieldReader, parseJson, toHex } from './encoding.js';
import { AuditError } from './errors.js';
import {
  type HttpOptions,
  httpRequest,
  MAX_JSON_BYTES,
  normalizeBaseUrl,
  statusError,
} from './http.js';

/** GET /api/v1/log. */
export interface LogInfo {
  readonly rootHash: Uint8Array;
  readonly treeSize: bigint;
  /** The signed checkpoint; trust nothing here before opening it with the log's key. */
  readonly signedTreeHead: string;
  readonly treeId: bigint;
}

/** The inclusion proof a Rekor v1 LogEntry carries. */
export interface InclusionProof {
  /** The leaf index in the shard's tree (used for the Merkle math). */
  readonly logIndex: bigint;
  readonly rootHash: Uint8Array;
  readonly treeSize: bigint;
  /** Leaf to root. */
  readonly hashes: readonly Uint8Array[];
  /** The signed checkpoint the proof is against. */
  readonly checkpoint: string;
}

/** A Rekor v1 LogEntry, or the transparency log entry of a bundle, decoded. */
export interface LogEntry {
  /** The EntryID (80 hex) or UUID (64 hex) the log filed it under. */
  readonly uuid: string;
  /** The canonical body: the Merkle leaf. */
  readonly body: Uint8Array;
  readonly integratedTime: bigint;
  readonly logId: Uint8Array;
  /** The global index (the SET is over this one). */
  readonly logIndex: bigint;
  readonly inclusionProof?: InclusionProof;
  readonly signedEntryTimestamp?: Uint8Array;
}

/** GET /api/v1/log/proof. */
export interface ConsistencyProofAnswer {
  /** The root at lastSize, as the log claims it. */
  readonly rootHash: Uint8Array;
  readonly hashes: readonly Uint8Array[];
}

/** POST /api/v1/index/retrieve: at least one field. */
export interface SearchQuery {
  readonly email?: string;
  /** `sha256:<hex>` or bare hex. */
  readonly hash?: string;
  /** PEM or DER of a public key or certificate. */
  readonly publicKey?: Uint8Array;
  readonly operator?: 'and' | 'or';
}

const ENTRY_ID = /^(?:[0-9a-f]{16})?[0-9a-f]{64}$/;
const malformed = (what: string) => new FieldReader('MALFORMED_RESPONSE', what);

function hashList(reader: FieldReader, value: unknown, field: string): Uint8Array[] {
  return reader.list(value, field).map((hash, i) => reader.hex(hash, `${field}[${i}]`, HASH_SIZE));
}

/** Parses a LogEntry answer ({ "<entryID>": LogEntryAnon }); the key must be the body's leaf hash. */
export function parseLogEntry(json: unknown, what = 'log entry'): LogEntry {
  const reader: FieldReader = malformed(what);
  const outer = reader.object(json, 'the answer');
  const ids = Object.keys(outer);
  if (ids.length !== 1) reader.fail(`holds ${ids.length} entries, want 1`);
  const uuid = ids[0]!;
  if (!ENTRY_ID.test(uuid)) reader.fail(`entry ID ${uuid.slice(0, 90)} is not 64 or 80 hex`);
  const entry = reader.object(outer[uuid], uuid);
  const body = reader.base64(entry.body, 'body');
  if (toHex(hashLeaf(body)) !== uuid.slice(-64))
    reader.fail(`entry ID ${uuid} is not the leaf hash of the body`);
  const verification = reader.object(entry.verification, 'verification');
  const proof = reader.object(verification.inclusionProof, 'verification.inclusionProof');
  return {
    uuid,
    body,
    integratedTime: reader.uint(entry.integratedTime, 'integratedTime'),
    logId: reader.hex(entry.logID, 'logID', HASH_SIZE),
    logIndex: reader.uint(entry.logIndex, 'logIndex'),
    inclusionProof: {
      logIndex: reader.uint(proof.logIndex, 'inclusionProof.logIndex'),
      rootHash: reader.hex(proof.rootHash, 'inclusionProof.rootHash', HASH_SIZE),
      treeSize: reader.uint(proof.treeSize, 'inclusionProof.treeSize'),
      hashes: hashList(reader, proof.hashes, 'inclusionProof.hashes'),
      checkpoint: reader.string(proof.checkpoint, 'inclusionProof.checkpoint'),
    },
    signedEntryTimestamp: reader.base64(
      verification.signedEntryTimestamp,
      'verification.signedEntryTimestamp',
    ),
  };
}

export function parseLogInfo(json: unknown): LogInfo {
  const reader: FieldReader = malformed('log info');
  const info = reader.object(json, 'the answer');
  const treeId = reader.uint(info.treeID, 'treeID');
  if (typeof info.treeID !== 'string') reader.fail('treeID is not a decimal string');
  return {
    rootHash: reader.hex(info.rootHash, 'rootHash', HASH_SIZE),
    treeSize: reader.uint(info.treeSize, 'treeSize'),
    signedTreeHead: reader.string(info.signedTreeHead, 'signedTreeHead'),
    treeId,
  };
}

export function parseConsistencyProof(json: unknown): ConsistencyProofAnswer {
  const reader: FieldReader = malformed('consistency proof');
  const proof = reader.object(json, 'the answer');
  return {
    rootHash: reader.hex(proof.rootHash, 'rootHash', HASH_SIZE),
    hashes: hashList(reader, proof.hashes, 'hashes'),
  };
}

export interface RekorClientOptions extends HttpOptions {}

/** The Rekor v1 API of one log. */
export class RekorClient {
  readonly baseUrl: string;
  readonly #options: HttpOptions;

  constructor(baseUrl: string, options: RekorClientOptions = {}) {
    this.baseUrl = normalizeBaseUrl(baseUrl);
    this.#options = options;
  }

  async #json(
    path: string,
    init: { method?: 'GET' | 'POST'; json?: unknown } = {},
    expect = 200,
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const answer = await httpRequest(url, { ...init, maxBytes: MAX_JSON_BYTES }, this.#options);
    if (answer.status !== expect) throw statusError(url, answer);
    return parseJson(answer.body, 'MALFORMED_RESPONSE', `the answer of ${url}`);
  }

  async logInfo(): Promise<LogInfo> {
    return parseLogInfo(await this.#json('/api/v1/log'));
  }

  async entryByIndex(logIndex: bigint): Promise<LogEntry> {
    const entry = parseLogEntry(
      await this.#json(`/api/v1/log/entries?logIndex=${logIndex}`),
      `entry ${logIndex}`,
    );
    if (entry.logIndex !== logIndex)
      throw new AuditError(
        'MALFORMED_RESPONSE',
        `asked for entry ${logIndex}, the log answered entry ${entry.logIndex}`,
      );
    return entry;
  }

  /** By 64-hex UUID (the leaf hash) or 80-hex EntryID. */
  async entryByUuid(uuid: string): Promise<LogEntry> {
    const id = uuid.toLowerCase();
    if (!ENTRY_ID.test(id))
      throw new AuditError('INVALID_INPUT', `an entry UUID is 64 or 80 hex digits: ${uuid}`);
    const entry = parseLogEntry(await this.#json(`/api/v1/log/entries/${id}`), `entry ${id}`);
    if (entry.uuid.slice(-64) !== id.slice(-64))
      throw new AuditError(
        'MALFORMED_RESPONSE',
        `asked for entry ${id}, the log answered ${entry.uuid}`,
      );
    return entry;
  }

  async consistencyProof(firstSize: bigint, lastSize: bigint): Promise<ConsistencyProofAnswer> {
    return parseConsistencyProof(
      await this.#json(`/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}`),
    );
  }

  /** Entry UUIDs matching the query (Rekor's search index; best effort, as in Rekor). */
  async search(query: SearchQuery): Promise<string[]> {
    const body: Record<string, unknown> = {};
    if (query.email !== undefined) body.email = query.email;
    if (query.hash !== undefined) body.hash = query.hash;
    if (query.publicKey !== undefined)
      body.publicKey = { format: 'x509', content: Buffer.from(query.publicKey).toString('base64') };
    if (Object.keys(body).length === 0)
      throw new AuditError('INVALID_INPUT', 'a search needs an email, a hash or a public key');
    if (query.operator !== undefined) body.operator = query.operator;
    const answer = await this.#json('/api/v1/index/retrieve', { method: 'POST', json: body });
    const reader: FieldReader = malformed('search result');
    return reader.list(answer, 'the answer').map((uuid, i) => {
      if (typeof uuid !== 'string' || !ENTRY_ID.test(uuid))
        reader.fail(`[${i}] is not a 64 or 80 hex entry UUID`);
      return uuid;
    });
  }
}
