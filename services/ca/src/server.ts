// A standalone CA server: Fastify with the CA plugin and limits for untrusted input.

import { createServiceServer } from '@airlock/http';
import type { OidcConfig } from '@airlock/oidc';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
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
  /** Throws when the CA cannot issue (its HSM session is gone): /readyz answers 503. */
  readonly readiness?: () => unknown;
  /** Registers the CA's own metrics with the server's registry. */
  readonly metrics?: (registry: Registry) => void;
}

export async function createCaServer(options: CaServerOptions): Promise<FastifyInstance> {
  const { app, metrics } = createServiceServer({
    service: 'ca',
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.readiness !== undefined ? { readiness: options.readiness } : {}),
  });
  options.metrics?.(metrics);
  await app.register(caPlugin, { ca: options.ca, oidcConfig: options.oidcConfig });
  return app;
}
