// @airlock/oidc: issuer configuration, OIDC token verification with JWKS discovery and caching, and the
// mapping of verified tokens onto Fulcio principals.
export {
  type CiIssuerMetadata,
  compileMetaIssuerPattern,
  DEFAULT_ALLOWED_ALGORITHMS,
  DEFAULT_CLIENT_ID,
  ISSUER_TYPES,
  type IssuerConfig,
  type IssuerType,
  type JwsAlgorithm,
  type OidcConfig,
  type ParseIssuerConfigOptions,
  parseIssuerConfig,
  SUPPORTED_ALGORITHMS,
} from './config.js';
export {
  type ConfigurationIssuer,
  type ConfigurationResponse,
  challengeClaimOf,
  configurationResponse,
} from './configuration.js';
export { OidcError, type OidcErrorCode } from './errors.js';
export { type FetchLike, fetchTrusting, MAX_IDP_RESPONSE_BYTES } from './http.js';
export {
  discoveryUrl,
  type KeyResolver,
  type KeySource,
  parseStaticJwks,
  type RemoteKeyOptions,
  RemoteKeySource,
  staticKeySource,
} from './key-sources.js';
export { CI_EXTENSION_OIDS, type CiExtensionName, FULCIO_OID } from './oids.js';
export {
  mapPrincipal,
  type SubjectAlternativeName,
  type TokenClaims,
  type VerifiedIdentity,
} from './principal.js';
export {
  type ClaimTemplate,
  parseClaimTemplate,
  renderClaimTemplate,
  type TemplatePart,
} from './template.js';
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_IDP_TIMEOUT_MS,
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  IdentityVerifier,
  type IdentityVerifierOptions,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_LENGTH,
  META_ISSUER_CACHE_SIZE,
} from './verifier.js';
