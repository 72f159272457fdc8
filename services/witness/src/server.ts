// The witness over HTTP (c2sp.org/tlog-witness): POST /add-checkpoint, and for monitors
// GET /<hex SHA-256 of the origin>/checkpoint with the latest cosigned checkpoint.
import { createHash } from 'node:crypto';
import {
  ApiError,
  createServiceServer,
  type ErrorMapper,
  jsonErrorHandler,
  jsonNotFound,
} from '@airlock/http';
import type { FastifyInstance } from 'fastify';
import { WitnessError } from './errors.js';
import type { Witness } from './witness.js';

/** A checkpoint with 100 signature lines of a few kilobytes each still fits. */
export const WITNESS_BODY_LIMIT = 1024 * 1024;

const STATUS: Record<WitnessError['code'], number> = {
  MALFORMED_REQUEST: 400,
  OLD_SIZE_TOO_LARGE: 400,
  UNKNOWN_ORIGIN: 404,
  UNTRUSTED_SIGNATURE: 403,
  CONFLICT: 409,
  BAD_PROOF: 422,
  EMPTY_TREE: 422,
  INVALID_CONFIG: 500,
  STATE: 500,
};

const witnessErrors: ErrorMapper = (error) => {
  if (!(error instanceof WitnessError)) return undefined;
  const status = STATUS[error.code];
  return new ApiError(status, status >= 500 ? 'the witness cannot cosign now' : error.message);
};

/** Registers the witness routes on `app` (a plugin, so a stack can mount it under a prefix). */
export async function witnessPlugin(
  app: FastifyInstance,
  options: { witness: Witness },
): Promise<void> {
  const { witness } = options;
  const byHash = new Map(
    witness.origins.map((origin) => [createHash('sha256').update(origin).digest('hex'), origin]),
  );
  // The body is text whatever the client calls it; it is parsed strictly in request.ts.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(jsonErrorHandler(witnessErrors));
  app.setNotFoundHandler(jsonNotFound);

  app.post('/add-checkpoint', async (request, reply) => {
    if (typeof request.body !== 'string')
      throw new ApiError(400, 'the body is an add-checkpoint request');
    try {
      const lines = await witness.addCheckpoint(request.body);
      return reply.type('text/plain; charset=utf-8').send(lines);
    } catch (error) {
      if (
        error instanceof WitnessError &&
        error.code === 'CONFLICT' &&
        error.latestSize !== undefined
      ) {
        // The one answer a client acts on: it retries from the size the witness has.
        return reply.code(409).type('text/x.tlog.size').send(`${error.latestSize}\n`);
      }
      throw error;
    }
  });

  app.get('/:originHash/checkpoint', async (request, reply) => {
    const origin = byHash.get((request.params as { originHash: string }).originHash);
    const latest = origin === undefined ? undefined : witness.latest(origin);
    if (!latest) throw new ApiError(404, 'no cosigned checkpoint for that origin');
    return reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(latest.note);
  });
}

export async function createWitnessServer(options: {
  witness: Witness;
  logger?: boolean;
}): Promise<FastifyInstance> {
  const { app } = createServiceServer({
    service: 'witness',
    bodyLimit: WITNESS_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(witnessPlugin, { witness: options.witness });
  return app;
}
