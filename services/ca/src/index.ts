// @airlock/ca: the Fulcio-compatible certificate authority (OIDC token in, 10-minute code-signing
// certificate with an embedded SCT out).
export {
  ALLOWED_RSA_BITS,
  CertificateAuthority,
  type CertificateAuthorityOptions,
  type CertificateRequest,
  type IdentityVerification,
  type IssuanceRecord,
  type IssuedCertificate,
} from './ca.js';
export { CaError, type CaErrorCode } from './ca-error.js';
export {
  CtLogClient,
  type CtLogClientOptions,
  DEFAULT_CT_RETRIES,
  DEFAULT_CT_RETRY_DELAY_MS,
  DEFAULT_CT_TIMEOUT_MS,
  MAX_CT_RESPONSE_BYTES,
  type PrecertificateLog,
  parseAddChainResponse,
} from './ct-client.js';
export { ApiError } from './errors.js';
export {
  type CaHierarchy,
  type CaHierarchyOptions,
  createCaHierarchy,
  DEFAULT_CA_ORGANIZATION,
  DEFAULT_INTERMEDIATE_VALIDITY_DAYS,
  DEFAULT_ROOT_VALIDITY_DAYS,
} from './hierarchy.js';
export { type CaPluginOptions, caPlugin } from './plugin.js';
export { PEM_CERTIFICATE_CHAIN } from './routes.js';
export { type CaServerOptions, createCaServer, DEFAULT_BODY_LIMIT } from './server.js';
export { type RunningCa, type StartCaOptions, startCa } from './start.js';
