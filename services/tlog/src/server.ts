// A standalone transparency log server: Fastify with the tlog plugin and limits for untrusted input.
import { createServiceServer, registerLogMetrics } from '@airlock/http';
import type { FastifyInstance } from 'fastify';
import type { RekorLogs } from './logs.js';
import { tlogPlugin } from './plugin.js';
import { CheckpointWitnessing, type WitnessEndpoint } from './witnessing.js';

/** Rekor v2's request limit; Rekor v1 entries are far smaller. */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export interface TlogServerOptions {
  readonly logs: RekorLogs;
  readonly bodyLimit?: number;
  readonly logger?: boolean;
  /** Witnesses asked to cosign each new checkpoint of the v2 log (c2sp.org/tlog-witness). */
  readonly witnesses?: readonly WitnessEndpoint[];
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
  const witnesses = options.witnesses ?? [];
  const witnessing =
    witnesses.length > 0
      ? new CheckpointWitnessing(options.logs.v2.log, witnesses, {
          warn: (message) => app.log.warn({ witness: true }, message),
        })
      : undefined;
  await app.register(tlogPlugin, { logs: options.logs, ...(witnessing ? { witnessing } : {}) });
  app.addHook('onReady', async () => {
    // A restarted log asks for cosignatures of the checkpoint it already has.
    witnessing?.request();
  });
  app.addHook('onClose', async () => {
    await witnessing?.close();
    await options.logs.close();
  });
  return app;
}
