// The timestamp authority as a Fastify plugin: its two body types with their own size limits, its
// routes, and errors as every Airlock service answers them.
import { ApiError, type ErrorMapper, jsonErrorHandler, jsonNotFound } from '@airlock/http';
import { TimestampError } from '@airlock/timestamp';
import type { FastifyInstance } from 'fastify';
import { TIMESTAMP_QUERY_TYPE, tsaRoutes } from './routes.js';
import type { TimestampAuthority } from './tsa.js';

/** A DER TimeStampReq is under 300 bytes even with a SHA-512 imprint, a policy and a 64-byte nonce. */
export const TSA_QUERY_BODY_LIMIT = 4096;
/** timestamp-authority limits JSON requests to 1 KiB. */
export const TSA_JSON_BODY_LIMIT = 1024;

export interface TsaPluginOptions {
  readonly tsa: TimestampAuthority;
}

const tsaErrors: ErrorMapper = (error) => {
  if (error instanceof TimestampError && error.code === 'SIGNING_FAILED') {
    return new ApiError(503, 'the TSA key is unavailable', { 'retry-after': '1' });
  }
  return undefined;
};

export async function tsaPlugin(app: FastifyInstance, options: TsaPluginOptions): Promise<void> {
  // Only the two request forms the API defines; any other type is answered 415 by Fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    TIMESTAMP_QUERY_TYPE,
    { parseAs: 'buffer', bodyLimit: TSA_QUERY_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: TSA_JSON_BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new ApiError(400, 'the body is not valid JSON'), undefined);
      }
    },
  );
  app.setErrorHandler(jsonErrorHandler(tsaErrors));
  app.setNotFoundHandler(jsonNotFound);
  await tsaRoutes(app, options.tsa);
}
