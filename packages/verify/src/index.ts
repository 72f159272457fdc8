// @airlock/verify: offline verification of Sigstore bundles (message signatures and DSSE
// attestations) against an artifact or its digest, a trusted root and an identity or key policy.
export {
  type Artifact,
  type DigestAlgorithm,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPES,
  type InTotoStatement,
  type InTotoSubject,
} from './artifact.js';
export { BUNDLE_MEDIA_TYPES, parseBundleJson } from './bundle-input.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export type {
  CertificateIdentityPolicy,
  PublicKeyPolicy,
  VerificationPolicy,
} from './policy.js';
export { MAX_CLOCK_SKEW_MS } from './times.js';
export { TRUSTED_ROOT_MEDIA_TYPES } from './trusted-root.js';
export {
  DEFAULT_THRESHOLDS,
  type VerificationResult,
  type VerifiedTlogEntry,
  type VerifyBundleInput,
  type VerifyOptions,
  verifyBundle,
} from './verify-bundle.js';
