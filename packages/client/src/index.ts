// @airlock/client: the signing side of a cosign-compatible client. Keyless and keyed blob signatures
// and in-toto attestations as Sigstore bundles v0.3, through a private CA, logs and TSAs.
export { type CheckBundleOptions, checkBundle, signedEntityOf } from './check.js';
export {
  DEVICE_CODE_GRANT_TYPE,
  DEVICE_FLOW_DEFAULTS,
  type DeviceFlowClock,
  type DeviceFlowInstructions,
  type DeviceFlowOptions,
  deviceFlowToken,
  formatDeviceFlowInstructions,
} from './device-flow.js';
export { ClientError, type ClientErrorCode } from './errors.js';
export {
  DEFAULT_KEY_PREFIX,
  type GeneratedKeyPair,
  type GenerateKeyPairOptions,
  generateSigningKeyPair,
} from './keypair.js';
export { RekorV2Witness } from './rekor-v2.js';
export {
  DEFAULT_STACK_DIR,
  type DiscoveredServices,
  type DiscoverServicesOptions,
  discoverServices,
  oidcUrlFromSigningConfig,
  readSigningConfig,
  readStackFile,
  readTrustedRoot,
  type SigningServices,
  type StackFile,
  servicesFromSigningConfig,
  stackDirOf,
  type TlogService,
} from './services.js';
export {
  COSIGN_PASSWORD_ENV,
  keyUriOf,
  openSigningSetup,
  type SigningSetup,
  type SigningSetupOptions,
} from './setup.js';
export {
  type AttestBlobOptions,
  type AttestResult,
  attestBlob,
  type SignBlobOptions,
  type SignOptions,
  type SignResult,
  signBlob,
} from './sign.js';
export {
  CLIENT_DEFAULTS,
  type FetchOptions,
  keyedSigner,
  keyHint,
  keylessSigner,
} from './signers.js';
export {
  buildStatement,
  COSIGN_CUSTOM_PREDICATE_TYPE,
  checkStatement,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  type InTotoStatement,
  type InTotoSubject,
  PREDICATE_TYPE_SHORTHANDS,
  predicateTypeOf,
  type StatementInput,
} from './statement.js';
export {
  IDENTITY_TOKEN_ENV,
  type IdentityTokenClaims,
  type IdentityTokenSources,
  inspectIdentityToken,
  resolveIdentityToken,
} from './token.js';
