// A standalone transparency log server: Fastify with the tlog plugin and limits for untrusted input.
import Fastify, { type FastifyInstance } from 'fastify';
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
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: options.logger ?? false,
    // Reject JSON with __proto__ / constructor keys rather than parse it.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  await app.register(tlogPlugin, { logs: options.logs });
  app.addHook('onClose', async () => {
    await options.logs.close();
  });
  return app;
}
