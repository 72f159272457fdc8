// Rekor v2 write API (rekor-tiles): POST /api/v2/log/entries answers a complete TransparencyLogEntry.

import { ApiError } from '@airlock/http';
import { canonicalizeV2, parseCreateEntryRequestV2 } from '@airlock/rekor';
import type { FastifyInstance } from 'fastify';
import type { RekorLogs } from '../logs.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function rekorV2Routes(app: FastifyInstance, logs: RekorLogs): Promise<void> {
  const shard = logs.v2;
  app.post('/api/v2/log/entries', async (request, reply) => {
    const canonical = await canonicalizeV2(parseCreateEntryRequestV2(request.body));
    const result = await shard.log.add({ body: canonical.body, searchKeys: canonical.searchKeys });
    if (result.kind === 'duplicate') {
      throw new ApiError(409, 'an equivalent entry already exists in the transparency log', {
        'x-log-index': result.index.toString(),
      });
    }
    const { entry, state } = result;
    request.log.info(
      {
        audit: {
          event: 'entry_logged',
          log: 'rekor-v2',
          index: entry.index.toString(),
          uuid: Buffer.from(entry.leafHash).toString('hex'),
          kind: canonical.kind,
        },
      },
      'entry logged',
    );
    const proof = await shard.log.inclusionProof(entry.index, state.size);
    // proto3 JSON: int64 as strings, bytes as base64, integratedTime 0 omitted.
    return reply.code(201).send({
      logIndex: entry.index.toString(),
      logId: { keyId: b64(shard.logId) },
      kindVersion: { kind: canonical.kind, version: canonical.apiVersion },
      inclusionProof: {
        logIndex: entry.index.toString(),
        rootHash: b64(state.rootHash),
        treeSize: state.size.toString(),
        hashes: proof.map(b64),
        checkpoint: { envelope: state.checkpoint },
      },
      canonicalizedBody: b64(entry.body),
    });
  });
}
