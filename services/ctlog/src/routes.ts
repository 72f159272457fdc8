// RFC 6962 §4 API: add-chain, add-pre-chain, get-sth, get-sth-consistency, get-proof-by-hash,
// get-entries, get-roots. Binary values are base64; sizes and indices JSON numbers.
import { ApiError } from '@airlock/http';
import {
  encodeDigitallySigned,
  type SignedCertificateTimestamp,
  signTreeHead,
} from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { acceptChain } from './chain.js';
import type { CtLog } from './ctlog.js';

/** get-entries answers at most this many entries per call; clients page. */
export const MAX_ENTRIES_PER_GET = 256;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function sctJson(sct: SignedCertificateTimestamp) {
  return {
    sct_version: sct.version,
    id: b64(sct.logId),
    timestamp: sct.timestamp,
    extensions: b64(sct.extensions),
    signature: b64(encodeDigitallySigned(sct.signature)),
  };
}

function uintParameter(query: unknown, name: string): bigint {
  const value = (query as Record<string, unknown>)[name];
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value)) {
    throw new ApiError(400, `${name} must be a non-negative integer`);
  }
  return BigInt(value);
}

export async function ctRoutes(app: FastifyInstance, ct: CtLog): Promise<void> {
  const { log } = ct;

  for (const [path, precert] of [
    ['add-chain', false],
    ['add-pre-chain', true],
  ] as const) {
    app.post(`/ct/v1/${path}`, async (request) => {
      const chain = acceptChain(request.body, ct.rootCertificates, precert, ct.verifiedLinks);
      return sctJson(await ct.add(chain, precert));
    });
  }

  app.get(`/ct/v1/get-sth`, async () => {
    const { size, rootHash } = log.treeState;
    // Signed when asked, at a time no earlier than any entry in the tree (entries are durable first).
    const timestamp = Date.now();
    const signature = await signTreeHead({
      timestamp,
      treeSize: Number(size),
      rootHash,
      signer: ct.signer,
    });
    return {
      tree_size: Number(size),
      timestamp,
      sha256_root_hash: b64(rootHash),
      tree_head_signature: b64(encodeDigitallySigned(signature)),
    };
  });

  app.get(`/ct/v1/get-sth-consistency`, async (request) => {
    const first = uintParameter(request.query, 'first');
    const second = uintParameter(request.query, 'second');
    if (first > second || second > log.treeState.size) {
      throw new ApiError(400, `need first <= second <= ${log.treeState.size}`);
    }
    if (first === 0n) return { consistency: [] };
    return { consistency: (await log.consistencyProof(first, second)).map(b64) };
  });

  app.get(`/ct/v1/get-proof-by-hash`, async (request) => {
    const { hash } = request.query as { hash?: unknown };
    const treeSize = uintParameter(request.query, 'tree_size');
    const leafHash = typeof hash === 'string' ? Buffer.from(hash, 'base64') : Buffer.alloc(0);
    if (leafHash.length !== 32) throw new ApiError(400, 'hash must be a base64 SHA-256 leaf hash');
    if (treeSize > log.treeState.size)
      throw new ApiError(400, `tree_size is beyond ${log.treeState.size}`);
    const index = await log.indexOfLeafHash(leafHash);
    if (index === null || index >= treeSize) throw new ApiError(404, 'no such leaf in that tree');
    return {
      leaf_index: Number(index),
      audit_path: (await log.inclusionProof(index, treeSize)).map(b64),
    };
  });

  app.get(`/ct/v1/get-entries`, async (request) => {
    const start = uintParameter(request.query, 'start');
    const end = uintParameter(request.query, 'end');
    if (end < start) throw new ApiError(400, 'end must not be before start');
    if (start >= log.treeState.size)
      throw new ApiError(400, `start is beyond the tree size ${log.treeState.size}`);
    const last =
      end - start >= BigInt(MAX_ENTRIES_PER_GET) ? start + BigInt(MAX_ENTRIES_PER_GET) - 1n : end;
    const entries = await log.entries(start, last + 1n);
    return {
      entries: entries.map((entry) => ({
        leaf_input: b64(entry.body),
        extra_data: b64(entry.extraData ?? new Uint8Array(0)),
      })),
    };
  });

  app.get(`/ct/v1/get-roots`, async () => ({ certificates: ct.roots.map(b64) }));
}
