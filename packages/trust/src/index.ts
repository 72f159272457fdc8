// @airlock/trust: Sigstore trust configuration (trusted_root.json, signing_config) and the TUF
// repository that distributes it, with every key signing through an @airlock/keys Signer.
export {
  formatRfc3339,
  type PublicKeyInput,
  parseRfc3339,
  type TimeInput,
} from './encoding.js';
export { TrustError, type TrustErrorCode } from './errors.js';
export {
  isSupportedKeyDetails,
  type KeyDetails,
  keyDetailsOf,
  SUPPORTED_KEY_DETAILS,
} from './key-details.js';
export {
  parseMetadata,
  type RoleTypes,
  type RootChainLink,
  type VerifyRootChainOptions,
  verifiedKeyIds,
  verifyRootChain,
} from './root-chain.js';
export {
  buildSigningConfig,
  parseSigningConfig,
  SERVICE_API_VERSIONS,
  type ServiceConfigurationJson,
  type ServiceInput,
  type ServiceJson,
  type ServiceSelector,
  SIGNING_CONFIG_MEDIA_TYPE,
  type SigningConfigInput,
  type SigningConfigJson,
  servicesValidAt,
} from './signing-config.js';
export {
  addKey,
  buildTrustedRoot,
  type CertificateAuthorityInput,
  type CertificateAuthorityJson,
  type DistinguishedNameJson,
  parseTrustedRoot,
  rotate,
  TRUSTED_ROOT_MEDIA_TYPE,
  type TransparencyLogInput,
  type TransparencyLogJson,
  type TrustedRootAddition,
  type TrustedRootInput,
  type TrustedRootJson,
  type TrustedRootRotation,
} from './trusted-root.js';
export {
  signEnvelope,
  TUF_SPEC_VERSION,
  type TufEnvelope,
  type TufKey,
  type TufKeyJson,
  type TufSignatureJson,
  tufKeyOf,
} from './tuf-metadata.js';
export {
  type AddTargetsOptions,
  DEFAULT_TUF_EXPIRIES,
  type InitRepositoryOptions,
  initRepository,
  openRepository,
  RENEW_WHEN_REMAINING,
  type RefreshOptions,
  type RefreshResult,
  type RepositoryStatus,
  type RoleStatus,
  type RotateRootOptions,
  SIGNING_CONFIG_TARGET,
  type TargetInput,
  type TopLevelRole,
  TRUSTED_ROOT_TARGET,
  type TufExpiries,
  TufRepository,
  targetFileName,
} from './tuf-repo.js';
export type {
  ValidityInput,
  ValidityJson,
} from './validity.js';
