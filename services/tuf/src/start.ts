// Starts the TUF server as a process runs it: open and verify the repository, bring its timestamp up
// to date, listen, and keep it fresh on a timer until closed.
import { createServiceServer, listen } from '@airlock/http';
import type { Signer } from '@airlock/keys';
import { openRepository, type TufExpiries, type TufRepository } from '@airlock/trust';
import type { FastifyInstance } from 'fastify';
import { tufRepositoryPlugin } from './plugin.js';
import { RepositoryRefresher } from './refresher.js';

/** The server takes no request bodies. */
export const TUF_BODY_LIMIT = 1024;

export interface StartTufServerOptions {
  readonly dir: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** The online keys; the caller opened them and closes them after the server. */
  readonly timestampSigner: Signer;
  readonly snapshotSigner: Signer;
  /** Default DEFAULT_REFRESH_INTERVAL_MS. */
  readonly refreshIntervalMs?: number;
  /** The lifetimes the repository was created with (default DEFAULT_TUF_EXPIRIES). */
  readonly expiries?: Partial<TufExpiries>;
  readonly prefix?: string;
  readonly logger?: boolean;
  readonly now?: () => Date;
}

export interface RunningTufServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly repository: TufRepository;
  readonly refresher: RepositoryRefresher;
  close(): Promise<void>;
}

export async function createTufServer(
  dir: string,
  options: { readonly prefix?: string; readonly logger?: boolean } = {},
): Promise<FastifyInstance> {
  const { app } = createServiceServer({
    service: 'tuf',
    bodyLimit: TUF_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(tufRepositoryPlugin, {
    dir,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  return app;
}

export async function startTufServer(options: StartTufServerOptions): Promise<RunningTufServer> {
  const repository = await openRepository(options.dir, {
    ...(options.expiries !== undefined ? { expiries: options.expiries } : {}),
  });
  const app = await createTufServer(options.dir, {
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const refresher = new RepositoryRefresher(repository, {
    timestampSigner: options.timestampSigner,
    snapshotSigner: options.snapshotSigner,
    ...(options.refreshIntervalMs !== undefined ? { intervalMs: options.refreshIntervalMs } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    onRefreshed: (result) => {
      if (result.renewed.length > 0)
        app.log.info({ renewed: result.renewed }, 'TUF metadata re-signed');
      if (result.ceremonyDue.length > 0) {
        app.log.warn({ roles: result.ceremonyDue }, 'TUF roles signed offline are due for renewal');
      }
    },
    onError: (error) => app.log.error({ err: error }, 'TUF refresh failed'),
  });
  app.addHook('onClose', () => refresher.stop());
  try {
    // Serve nothing stale: a timestamp that expired while the server was down is renewed first.
    await refresher.refreshNow();
    const url = await listen(app, options.listen.host, options.listen.port);
    refresher.start();
    return {
      url: `${url}${options.prefix ?? ''}`,
      app,
      repository,
      refresher,
      close: () => app.close(),
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}
