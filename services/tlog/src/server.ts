// A standalone transparency log server: Fastify with the tlog plugin and limits for untrusted input.
import { createServiceServer, registerLogMetrics } from '@airlock/http';
import type { FastifyInstance } from 'fastify';
import type { RekorLogs } from './logs.js';
import { tlogPlugin } from './plugin.js';

/** Rekor v2's request limit; Rekor v1 entries are far smaller. */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export interface TlogServerOptions {
  readonly logs: RekorLogs;
  readonly bodyLimit?: number;
  readonly logger?: boolean;
}

export async function createTlogServer(options: TlogServerOptions): Promise<FastifyInstance> {
  const { app, metrics } = createServiceServer({
    service: 'tlog',
    readiness: () => options.logs.checkReady(),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  registerLogMetrics(metrics, [
    ['rekor-v1', options.logs.v1.log],
    ['rekor-v2', options.logs.v2.log],
  ]);
  await app.register(tlogPlugin, { logs: options.logs });
  app.addHook('onClose', async () => {
    await options.logs.close();
  });
  return app;
}
