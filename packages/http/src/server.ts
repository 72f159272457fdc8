// A Fastify instance with the limits every Airlock service applies to untrusted input.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { installObservability, type ObservabilityOptions, requestIdOf } from './observability.js';

export interface ServiceServerOptions extends ObservabilityOptions {
  /** Largest request body in bytes; larger ones are answered 413. */
  readonly bodyLimit: number;
  /** JSON log lines (pino) on stdout, each with the request id. */
  readonly logger?: boolean;
}

export interface ServiceServer {
  readonly app: FastifyInstance;
  /** Where the service registers its own metrics. */
  readonly metrics: Registry;
}

/** A Fastify instance with Airlock's limits, request ids, health, readiness and metrics. */
export function createServiceServer(options: ServiceServerOptions): ServiceServer {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger ?? false,
    genReqId: (request) => requestIdOf(request.headers),
    // JSON with __proto__ or constructor.prototype keys is refused, not parsed.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const metrics = installObservability(app, options);
  return { app, metrics };
}

/** Listens and returns the base URL (port 0 picks a free port). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return `http://${host}:${actual}`;
}
