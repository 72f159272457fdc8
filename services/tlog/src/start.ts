// Starts the transparency log as a process would run it: open the keys by URI, open both logs, listen.
import { listen } from '@airlock/http';
import { type OpenedSigner, openSigner } from '@airlock/keys';
import type { BatchOptions } from '@airlock/log';
import type { FastifyInstance } from 'fastify';
import { openRekorLogs } from './logs.js';
import { createTlogServer } from './server.js';
import type { WitnessEndpoint } from './witnessing.js';

export interface StartTlogOptions {
  readonly dataDir: string;
  /** The bare hostname in checkpoints (the host of the URL clients are given). */
  readonly hostname: string;
  /** Address and port to listen on; port 0 picks a free one. */
  readonly listenHost: string;
  readonly port: number;
  /** `pkcs11:` or `file:` URIs of the v1 (ECDSA) and v2 log keys. */
  readonly v1KeyUri: string;
  readonly v2KeyUri: string;
  readonly batch?: BatchOptions;
  readonly logger?: boolean;
  /** Witnesses asked to cosign the v2 log's checkpoints. */
  readonly witnesses?: readonly WitnessEndpoint[];
}

export interface RunningTlog {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startTlog(options: StartTlogOptions): Promise<RunningTlog> {
  const signers: OpenedSigner[] = [];
  const closeSigners = () => Promise.all(signers.map((signer) => signer.close()));
  try {
    const v1Signer = await openSigner(options.v1KeyUri);
    signers.push(v1Signer);
    const v2Signer = await openSigner(options.v2KeyUri);
    signers.push(v2Signer);
    const logs = await openRekorLogs({
      dataDir: options.dataDir,
      hostname: options.hostname,
      v1Signer,
      v2Signer,
      ...(options.batch ? { batch: options.batch } : {}),
    });
    const app = await createTlogServer({
      logs,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.witnesses ? { witnesses: options.witnesses } : {}),
    });
    const url = await listen(app, options.listenHost, options.port);
    return {
      url,
      app,
      async close() {
        await app.close();
        await closeSigners();
      },
    };
  } catch (error) {
    await closeSigners();
    throw error;
  }
}
