// The transparency log service as a Fastify plugin: Rekor v1 and v2 APIs and both logs' tiles.

import { jsonErrorHandler, jsonNotFound, tileRoutes } from '@airlock/http';
import type { FastifyInstance } from 'fastify';
import { logErrors, rekorErrors } from './errors.js';
import type { RekorLogs } from './logs.js';
import { rekorV1Routes } from './routes/v1.js';
import { rekorV2Routes } from './routes/v2.js';

export interface TlogPluginOptions {
  readonly logs: RekorLogs;
}

/**
 * Routes: Rekor v1 under /api/v1, Rekor v2 writes at /api/v2/log/entries, the v2 log's C2SP tiles at
 * /checkpoint and /tile/... (where rekor-tiles serves them), and the v1 log's tiles under
 * /api/v1/log/tiles/ so that auditors can mirror both.
 */
export async function tlogPlugin(app: FastifyInstance, options: TlogPluginOptions): Promise<void> {
  const { logs } = options;
  // Entries are JSON; anything else is 415 rather than a string handed to the entry parsers.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(jsonErrorHandler(rekorErrors, logErrors));
  app.setNotFoundHandler(jsonNotFound);
  await rekorV1Routes(app, logs);
  await rekorV2Routes(app, logs);
  await tileRoutes(app, logs.v2.log, '');
  await tileRoutes(app, logs.v1.log, '/api/v1/log/tiles');
}
