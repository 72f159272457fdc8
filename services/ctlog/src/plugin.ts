// The CT log service as a Fastify plugin: RFC 6962 under `<prefix>/ct/v1/` and the log's C2SP tiles.
import {
  ApiError,
  type ErrorMapper,
  jsonErrorHandler,
  jsonNotFound,
  tileRoutes,
} from '@airlock/http';
import { LogError } from '@airlock/log';
import { X509Error } from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import type { CtLog } from './ctlog.js';
import { ctRoutes } from './routes.js';

/**
 * Register with Fastify's `prefix` to serve the log under a path, like Fulcio's default
 * `--ct-log-url http://host:6962/test` (prefix `/test`).
 */
export interface CtLogPluginOptions {
  readonly ct: CtLog;
}

const ctErrors: ErrorMapper = (error) => {
  // A certificate the log cannot take apart is the client's problem; everything else is ours.
  if (error instanceof X509Error) return new ApiError(400, error.message);
  if (error instanceof LogError) {
    if (error.code === 'PUSHBACK') return new ApiError(503, error.message, { 'retry-after': '1' });
    if (error.code === 'INVALID_RANGE') return new ApiError(400, error.message);
    if (error.code === 'ENTRY_TOO_LARGE') return new ApiError(413, error.message);
    return new ApiError(500, 'the log could not store the entry');
  }
  return undefined;
};

export async function ctLogPlugin(
  app: FastifyInstance,
  options: CtLogPluginOptions,
): Promise<void> {
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(jsonErrorHandler(ctErrors));
  app.setNotFoundHandler(jsonNotFound);
  await ctRoutes(app, options.ct);
  await tileRoutes(app, options.ct.log, '');
}
