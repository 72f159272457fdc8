// A standalone CA server: Fastify with the CA plugin and limits for untrusted input.
import type { OidcConfig } from '@airlock/oidc';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CertificateAuthority } from './ca.js';
import { caPlugin } from './plugin.js';

/**
 * A request is a token (at most 64 KiB, MAX_TOKEN_LENGTH of @airlock/oidc, usually 1–3 KiB) and a
 * key or CSR (under 2 KiB even for RSA-4096), as JSON with base64; 128 KiB leaves room for both.
 */
export const DEFAULT_BODY_LIMIT = 128 * 1024;

export interface CaServerOptions {
  readonly ca: CertificateAuthority;
  readonly oidcConfig: OidcConfig;
  readonly bodyLimit?: number;
  readonly logger?: boolean;
}

export async function createCaServer(options: CaServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: options.logger ?? false,
    // Reject JSON with __proto__ / constructor keys rather than parse it.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  await app.register(caPlugin, { ca: options.ca, oidcConfig: options.oidcConfig });
  return app;
}
