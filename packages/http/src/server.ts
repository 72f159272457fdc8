// A Fastify instance with the limits every Airlock service applies to untrusted input.
import Fastify, { type FastifyInstance } from 'fastify';

export interface ServiceServerOptions {
  /** Largest request body in bytes; larger ones are answered 413. */
  readonly bodyLimit: number;
  readonly logger?: boolean;
}

export function createServiceServer(options: ServiceServerOptions): FastifyInstance {
  return Fastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger ?? false,
    // JSON with __proto__ or constructor.prototype keys is refused, not parsed.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
}

/** Listens and returns the base URL (port 0 picks a free port). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return `http://${host}:${actual}`;
}
