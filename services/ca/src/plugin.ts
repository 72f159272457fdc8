// The certificate authority as a Fastify plugin: Fulcio's v2 and legacy v1 HTTP APIs.
import { configurationResponse, type OidcConfig } from '@airlock/oidc';
import type { FastifyInstance } from 'fastify';
import type { CertificateAuthority } from './ca.js';
import { errorHandler, notFound } from './errors.js';
import { caRoutes } from './routes.js';

export interface CaPluginOptions {
  readonly ca: CertificateAuthority;
  /** The issuer configuration the CA's verifier was built from, published at /api/v2/configuration. */
  readonly oidcConfig: OidcConfig;
}

/**
 * Routes: POST /api/v2/signingCert, GET /api/v2/trustBundle, GET /api/v2/configuration, and the
 * legacy POST /api/v1/signingCert and GET /api/v1/rootCert.
 */
export async function caPlugin(app: FastifyInstance, options: CaPluginOptions): Promise<void> {
  // Requests are JSON; anything else is 415 rather than a string handed to the request parsers.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFound);
  await caRoutes(app, {
    ca: options.ca,
    configuration: configurationResponse(options.oidcConfig),
  });
}
