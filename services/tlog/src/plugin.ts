// The transparency log service as a Fastify plugin: Rekor v1 and v2 APIs and both logs' tiles.

import { jsonErrorHandler, jsonNotFound, tileRoutes } from '@airlock/http';
import type { FastifyInstance } from 'fastify';
import { logErrors, rekorErrors } from './errors.js';
import { explorerRoutes } from './explorer.js';
import type { RekorLogs } from './logs.js';
import { rekorV1Routes } from './routes/v1.js';
import { rekorV2Routes } from './routes/v2.js';
import type { CheckpointWitnessing } from './witnessing.js';

export interface TlogPluginOptions {
  readonly logs: RekorLogs;
  /** Cosignatures of the v2 log's checkpoints, appended to what /checkpoint serves. */
  readonly witnessing?: CheckpointWitnessing;
}

/**
 * Routes: Rekor v1 under /api/v1, Rekor v2 writes at /api/v2/log/entries, the v2 log's C2SP tiles at
 * /checkpoint and /tile/... (where rekor-tiles serves them), the v1 log's tiles under
 * /api/v1/log/tiles/ so that auditors can mirror both, and the web explorer at /explorer/.
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
  await explorerRoutes(app);
  const { witnessing } = options;
  if (witnessing) {
    // The tiles routes (@airlock/http) serve the checkpoint as the log signed it; the witnesses'
    // lines for that same checkpoint are appended on the way out.
    const checkpointRoute = `${app.prefix}/checkpoint`;
    app.addHook('onSend', async (request, reply, payload) => {
      if (
        request.routeOptions.url === checkpointRoute &&
        reply.statusCode === 200 &&
        typeof payload === 'string'
      )
        return witnessing.cosigned(payload);
      return payload;
    });
  }
}
