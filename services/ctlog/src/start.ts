// Starts the CT log as a process runs it: open the key by URI, open the log, listen.
import { readFileSync } from 'node:fs';
import { createServiceServer, listen, registerLogMetrics } from '@airlock/http';
import { openSigner } from '@airlock/keys';
import type { BatchOptions } from '@airlock/log';
import { pemDecodeAll } from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { CtLog } from './ctlog.js';
import { ctLogPlugin } from './plugin.js';

/** Chains are a few kilobytes; nothing larger is a chain. */
export const CT_BODY_LIMIT = 256 * 1024;

export interface StartCtLogOptions {
  readonly dataDir: string;
  readonly origin: string;
  readonly keyUri: string;
  /** PEM file(s) holding the accepted roots. */
  readonly rootsPem: string;
  readonly listenHost: string;
  readonly port: number;
  readonly prefix?: string;
  readonly batch?: BatchOptions;
  readonly logger?: boolean;
}

export interface RunningCtLog {
  readonly url: string;
  readonly ct: CtLog;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function createCtLogServer(
  ct: CtLog,
  options: { prefix?: string; logger?: boolean } = {},
) {
  const { app, metrics } = createServiceServer({
    service: 'ctlog',
    readiness: () => ct.log.checkReady(),
    bodyLimit: CT_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  registerLogMetrics(metrics, [['ctlog', ct.log]]);
  await app.register(ctLogPlugin, {
    ct,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  return app;
}

export async function startCtLog(options: StartCtLogOptions): Promise<RunningCtLog> {
  const signer = await openSigner(options.keyUri);
  try {
    const ct = await CtLog.open({
      dataDir: options.dataDir,
      origin: options.origin,
      signer,
      roots: pemDecodeAll(readFileSync(options.rootsPem, 'utf8'), 'CERTIFICATE'),
      ...(options.batch ? { batch: options.batch } : {}),
    });
    const app = await createCtLogServer(ct, {
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    app.addHook('onClose', () => ct.close());
    const url = await listen(app, options.listenHost, options.port);
    return {
      url: `${url}${options.prefix ?? ''}`,
      ct,
      app,
      async close() {
        await app.close();
        await signer.close();
      },
    };
  } catch (error) {
    await signer.close();
    throw error;
  }
}
