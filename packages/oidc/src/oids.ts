// The Fulcio certificate extension OIDs (1.3.6.1.4.1.57264.1.*) a verified identity is mapped onto.

const FULCIO_ARC = '1.3.6.1.4.1.57264.1';

/**
 * Fulcio's OIDs by name. `.1.1` (issuer, raw bytes) is emitted by the X.509 layer from `.1.8`; the
 * deprecated raw-encoded `.1.2`-`.1.6` are not produced by Airlock.
 */
export const FULCIO_OID = {
  issuerV1: `${FULCIO_ARC}.1`,
  otherNameSan: `${FULCIO_ARC}.7`,
  issuer: `${FULCIO_ARC}.8`,
  buildSignerUri: `${FULCIO_ARC}.9`,
  buildSignerDigest: `${FULCIO_ARC}.10`,
  runnerEnvironment: `${FULCIO_ARC}.11`,
  sourceRepositoryUri: `${FULCIO_ARC}.12`,
  sourceRepositoryDigest: `${FULCIO_ARC}.13`,
  sourceRepositoryRef: `${FULCIO_ARC}.14`,
  sourceRepositoryIdentifier: `${FULCIO_ARC}.15`,
  sourceRepositoryOwnerUri: `${FULCIO_ARC}.16`,
  sourceRepositoryOwnerIdentifier: `${FULCIO_ARC}.17`,
  buildConfigUri: `${FULCIO_ARC}.18`,
  buildConfigDigest: `${FULCIO_ARC}.19`,
  buildTrigger: `${FULCIO_ARC}.20`,
  runInvocationUri: `${FULCIO_ARC}.21`,
  sourceRepositoryVisibilityAtSigning: `${FULCIO_ARC}.22`,
  deploymentEnvironment: `${FULCIO_ARC}.23`,
  tokenSubject: `${FULCIO_ARC}.24`,
} as const;

/**
 * The `extension-templates` keys of a `ci-issuer-metadata` entry (Fulcio's YAML names of
 * `certificate.Extensions`) and the OID each one fills.
 */
export const CI_EXTENSION_OIDS = {
  'build-signer-uri': FULCIO_OID.buildSignerUri,
  'build-signer-digest': FULCIO_OID.buildSignerDigest,
  'runner-environment': FULCIO_OID.runnerEnvironment,
  'source-repository-uri': FULCIO_OID.sourceRepositoryUri,
  'source-repository-digest': FULCIO_OID.sourceRepositoryDigest,
  'source-repository-ref': FULCIO_OID.sourceRepositoryRef,
  'source-repository-identifier': FULCIO_OID.sourceRepositoryIdentifier,
  'source-repository-owner-uri': FULCIO_OID.sourceRepositoryOwnerUri,
  'source-repository-owner-identifier': FULCIO_OID.sourceRepositoryOwnerIdentifier,
  'build-config-uri': FULCIO_OID.buildConfigUri,
  'build-config-digest': FULCIO_OID.buildConfigDigest,
  'build-trigger': FULCIO_OID.buildTrigger,
  'run-invocation-uri': FULCIO_OID.runInvocationUri,
  'source-repository-visibility-at-signing': FULCIO_OID.sourceRepositoryVisibilityAtSigning,
  'deployment-environment': FULCIO_OID.deploymentEnvironment,
} as const;

export type CiExtensionName = keyof typeof CI_EXTENSION_OIDS;

/** Fulcio's JSON (Go field) spellings of the same keys, accepted in JSON configuration files. */
export const CI_EXTENSION_JSON_NAMES: Readonly<Record<CiExtensionName, string>> = {
  'build-signer-uri': 'BuildSignerURI',
  'build-signer-digest': 'BuildSignerDigest',
  'runner-environment': 'RunnerEnvironment',
  'source-repository-uri': 'SourceRepositoryURI',
  'source-repository-digest': 'SourceRepositoryDigest',
  'source-repository-ref': 'SourceRepositoryRef',
  'source-repository-identifier': 'SourceRepositoryIdentifier',
  'source-repository-owner-uri': 'SourceRepositoryOwnerURI',
  'source-repository-owner-identifier': 'SourceRepositoryOwnerIdentifier',
  'build-config-uri': 'BuildConfigURI',
  'build-config-digest': 'BuildConfigDigest',
  'build-trigger': 'BuildTrigger',
  'run-invocation-uri': 'RunInvocationURI',
  'source-repository-visibility-at-signing': 'SourceRepositoryVisibilityAtSigning',
  'deployment-environment': 'DeploymentEnvironment',
};
