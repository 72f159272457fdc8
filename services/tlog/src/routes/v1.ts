// Rekor v1 API (openapi.yaml of sigstore/rekor): create and read entries, log info, proofs, search.

import { ApiError } from '@airlock/http';
import type { StoredEntry } from '@airlock/log';
import { hashLeaf } from '@airlock/merkle';
import { describeRekorBody, MonitorError } from '@airlock/monitor';
import { canonicalizeV1, parseProposedEntryV1 } from '@airlock/rekor';
import type { FastifyInstance } from 'fastify';
import type { RekorLogs, RekorV1Shard } from '../logs.js';
import { searchKeysForQuery } from '../search.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Rekor's EntryID: the tree ID as 16 hex digits, then the 64-hex entry UUID (the leaf hash). */
function entryId(treeId: bigint, leafHash: Uint8Array): string {
  return treeId.toString(16).padStart(16, '0') + hex(leafHash);
}

/**
 * The bytes of a signed entry timestamp: JCS of {body, integratedTime, logID, logIndex}. Written out by
 * hand because these keys are already in JCS order and their values (base64, hex, integers) have one
 * canonical JSON spelling.
 */
function setPayload(
  body: Uint8Array,
  integratedTime: number,
  logId: Uint8Array,
  logIndex: bigint,
): Uint8Array {
  return Buffer.from(
    `{"body":"${b64(body)}","integratedTime":${integratedTime},"logID":"${hex(logId)}","logIndex":${logIndex}}`,
  );
}

/** A LogEntry ({ "<entryID>": LogEntryAnon }) with a fresh SET and a proof against the current tree. */
async function renderEntry(
  shard: RekorV1Shard,
  entry: StoredEntry,
  checkpoint?: { size: bigint; note: string; root: Uint8Array },
) {
  const state = checkpoint ?? {
    size: shard.log.treeState.size,
    note: shard.log.treeState.checkpoint,
    root: shard.log.treeState.rootHash,
  };
  const [proof, set] = await Promise.all([
    shard.log.inclusionProof(entry.index, state.size),
    shard.signer.sign(setPayload(entry.body, entry.integratedTime, shard.logId, entry.index)),
  ]);
  const id = entryId(shard.treeId, entry.leafHash);
  return {
    id,
    entry: {
      [id]: {
        body: b64(entry.body),
        integratedTime: entry.integratedTime,
        logID: hex(shard.logId),
        logIndex: Number(entry.index),
        verification: {
          inclusionProof: {
            checkpoint: state.note,
            hashes: proof.map(hex),
            logIndex: Number(entry.index),
            rootHash: hex(state.root),
            treeSize: Number(state.size),
          },
          signedEntryTimestamp: b64(set),
        },
      },
    },
  };
}

/** Parses a 64-hex UUID or an 80-hex EntryID of this tree; null if it cannot name an entry here. */
function leafHashOfUuid(shard: RekorV1Shard, uuid: string): Uint8Array | null {
  if (/^[0-9a-f]{80}$/.test(uuid)) {
    if (BigInt(`0x${uuid.slice(0, 16)}`) !== shard.treeId) return null;
    return Buffer.from(uuid.slice(16), 'hex');
  }
  if (/^[0-9a-f]{64}$/.test(uuid)) return Buffer.from(uuid, 'hex');
  throw new ApiError(400, 'entry UUID must be 64 or 80 lowercase hex digits');
}

function parseIndex(value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(value)) return BigInt(value);
  throw new ApiError(400, `${what} must be a non-negative integer`);
}

const MAX_RETRIEVE = 10;

export async function rekorV1Routes(app: FastifyInstance, logs: RekorLogs): Promise<void> {
  const shard = logs.v1;
  const { log } = shard;

  const byLeafHash = async (leafHash: Uint8Array) => {
    const index = await log.indexOfLeafHash(leafHash);
    return index === null ? null : log.entry(index);
  };

  app.post('/api/v1/log/entries', async (request, reply) => {
    const proposed = parseProposedEntryV1(request.body);
    const canonical = await canonicalizeV1(proposed);
    const result = await log.add({ body: canonical.body, searchKeys: canonical.searchKeys });
    if (result.kind === 'duplicate') {
      const id = entryId(shard.treeId, result.leafHash);
      throw new ApiError(
        409,
        `an equivalent entry already exists in the transparency log with UUID ${id}`,
        {
          location: `/api/v1/log/entries/${id}`,
        },
      );
    }
    const { state } = result;
    request.log.info(
      {
        audit: {
          event: 'entry_logged',
          log: 'rekor-v1',
          index: result.entry.index.toString(),
          uuid: Buffer.from(result.entry.leafHash).toString('hex'),
          kind: canonical.kind,
        },
      },
      'entry logged',
    );
    const { id, entry } = await renderEntry(shard, result.entry, {
      size: state.size,
      note: state.checkpoint,
      root: state.rootHash,
    });
    return reply
      .code(201)
      .header('etag', id)
      .header('location', `/api/v1/log/entries/${id}`)
      .send(entry);
  });

  app.get('/api/v1/log/entries', async (request) => {
    const { logIndex } = request.query as { logIndex?: string };
    const entry = await log.entry(parseIndex(logIndex, 'logIndex'));
    if (!entry) throw new ApiError(404, 'no entry at that index');
    return (await renderEntry(shard, entry)).entry;
  });

  app.get('/api/v1/log/entries/:uuid', async (request) => {
    const { uuid } = request.params as { uuid: string };
    const leafHash = leafHashOfUuid(shard, uuid);
    const entry = leafHash ? await byLeafHash(leafHash) : null;
    if (!entry) throw new ApiError(404, 'no entry with that UUID');
    return (await renderEntry(shard, entry)).entry;
  });

  // Not in Rekor's API: the entry with its certificates decoded, for the explorer (browsers have no
  // X.509 parser) and for people reading an entry with curl.
  app.get('/api/v1/log/entries/:uuid/decoded', async (request) => {
    const { uuid } = request.params as { uuid: string };
    const leafHash = leafHashOfUuid(shard, uuid);
    const entry = leafHash ? await byLeafHash(leafHash) : null;
    if (!entry) throw new ApiError(404, 'no entry with that UUID');
    let summary: ReturnType<typeof describeRekorBody>;
    try {
      summary = describeRekorBody(entry.body);
    } catch (error) {
      if (error instanceof MonitorError)
        throw new ApiError(422, `the entry cannot be decoded: ${error.message}`);
      throw error;
    }
    return {
      uuid: hex(entry.leafHash),
      entryId: entryId(shard.treeId, entry.leafHash),
      logIndex: Number(entry.index),
      integratedTime: entry.integratedTime,
      ...summary,
    };
  });

  app.post('/api/v1/log/entries/retrieve', async (request) => {
    const query = request.body as { entryUUIDs?: unknown; logIndexes?: unknown; entries?: unknown };
    if (typeof query !== 'object' || query === null)
      throw new ApiError(400, 'expected a search query object');
    const lists = [query.entryUUIDs, query.logIndexes, query.entries];
    for (const list of lists) {
      if (list !== undefined && (!Array.isArray(list) || list.length > MAX_RETRIEVE)) {
        throw new ApiError(
          422,
          `entryUUIDs, logIndexes and entries are lists of at most ${MAX_RETRIEVE}`,
        );
      }
    }
    const found: StoredEntry[] = [];
    for (const uuid of (query.entryUUIDs as unknown[] | undefined) ?? []) {
      if (typeof uuid !== 'string') throw new ApiError(422, 'entryUUIDs must be strings');
      const leafHash = leafHashOfUuid(shard, uuid);
      const entry = leafHash ? await byLeafHash(leafHash) : null;
      if (entry) found.push(entry);
    }
    for (const index of (query.logIndexes as unknown[] | undefined) ?? []) {
      const entry = await log.entry(parseIndex(index, 'logIndexes'));
      if (entry) found.push(entry);
    }
    for (const proposed of (query.entries as unknown[] | undefined) ?? []) {
      const canonical = await canonicalizeV1(parseProposedEntryV1(proposed));
      const entry = await byLeafHash(hashLeaf(canonical.body));
      if (entry) found.push(entry);
    }
    return Promise.all(found.map(async (entry) => (await renderEntry(shard, entry)).entry));
  });

  app.get('/api/v1/log', async () => {
    const state = log.treeState;
    return {
      rootHash: hex(state.rootHash),
      treeSize: Number(state.size),
      signedTreeHead: state.checkpoint,
      treeID: shard.treeId.toString(),
    };
  });

  app.get('/api/v1/log/publicKey', async (request, reply) => {
    const { treeID } = request.query as { treeID?: string };
    if (treeID !== undefined && treeID !== shard.treeId.toString())
      throw new ApiError(404, 'unknown treeID');
    const pem = shard.signer.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    return reply.type('application/x-pem-file').send(pem);
  });

  app.get('/api/v1/log/proof', async (request) => {
    const { firstSize, lastSize, treeID } = request.query as {
      firstSize?: string;
      lastSize?: string;
      treeID?: string;
    };
    if (treeID !== undefined && treeID !== shard.treeId.toString())
      throw new ApiError(404, 'unknown treeID');
    const first = firstSize === undefined ? 1n : parseIndex(firstSize, 'firstSize');
    const last = parseIndex(lastSize, 'lastSize');
    if (first < 1n || first > last)
      throw new ApiError(400, 'firstSize must be between 1 and lastSize');
    if (last > log.treeState.size)
      throw new ApiError(400, `lastSize is beyond the tree size ${log.treeState.size}`);
    const [hashes, rootHash] = await Promise.all([
      log.consistencyProof(first, last),
      log.rootAt(last),
    ]);
    return { rootHash: hex(rootHash), hashes: hashes.map(hex) };
  });

  app.post('/api/v1/index/retrieve', async (request) => {
    const { keys, operator } = searchKeysForQuery(request.body);
    const sets = await Promise.all(keys.map((key) => log.search(key, 10_000)));
    let indices: bigint[];
    if (operator === 'and') {
      const [first = [], ...rest] = sets;
      indices = first.filter((index) => rest.every((set) => set.includes(index)));
    } else {
      indices = [...new Set(sets.flat())];
    }
    indices.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const entries = await Promise.all(indices.map((index) => log.entry(index)));
    return entries
      .filter((entry) => entry !== null)
      .map((entry) => entryId(shard.treeId, entry.leafHash).slice(16));
  });
}
