// Object identifiers of the Fulcio certificate profile and Certificate Transparency, and the table
// of Sigstore's Fulcio extensions (1.3.6.1.4.1.57264.1.*) with how each value is encoded.

export const OID = {
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  /** RFC 6962 §3.1: marks a precertificate; critical, value ASN.1 NULL. */
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  /** RFC 6962 §3.3: the embedded SignedCertificateTimestampList. */
  ctSctList: '1.3.6.1.4.1.11129.2.4.2',
  /** The otherName type-id of Fulcio `username` identities (`user!domain`). */
  fulcioUsernameSan: '1.3.6.1.4.1.57264.1.7',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
} as const;

/**
 * The values Fulcio puts in a leaf certificate's Sigstore extensions. `issuer` is required and is
 * written twice (.1.1 raw and .1.8 UTF8String), as Fulcio's `Extensions.Render` does.
 */
export interface FulcioExtensions {
  readonly issuer: string;
  /** Deprecated raw GitHub extensions (.1.2–.1.6), still written for GitHub workflow tokens. */
  readonly githubWorkflowTrigger?: string;
  readonly githubWorkflowSha?: string;
  readonly githubWorkflowName?: string;
  readonly githubWorkflowRepository?: string;
  readonly githubWorkflowRef?: string;
  readonly buildSignerUri?: string;
  readonly buildSignerDigest?: string;
  readonly runnerEnvironment?: string;
  readonly sourceRepositoryUri?: string;
  readonly sourceRepositoryDigest?: string;
  readonly sourceRepositoryRef?: string;
  readonly sourceRepositoryIdentifier?: string;
  readonly sourceRepositoryOwnerUri?: string;
  readonly sourceRepositoryOwnerIdentifier?: string;
  readonly buildConfigUri?: string;
  readonly buildConfigDigest?: string;
  readonly buildTrigger?: string;
  readonly runInvocationUri?: string;
  readonly sourceRepositoryVisibilityAtSigning?: string;
  readonly deploymentEnvironment?: string;
  /** The token's raw `sub` claim (.1.24). */
  readonly subject?: string;
}

export type FulcioExtensionName = keyof FulcioExtensions;

/** How a Fulcio extension value sits in extnValue: raw UTF-8 bytes (.1.1–.1.6) or a DER UTF8String. */
export type FulcioEncoding = 'raw' | 'utf8String';

export interface FulcioExtensionSpec {
  readonly oid: string;
  readonly name: FulcioExtensionName;
  readonly encoding: FulcioEncoding;
}

const PEN = '1.3.6.1.4.1.57264.1';

/** Every Fulcio extension in the order Fulcio writes them (ascending OID; the issuer twice). */
export const FULCIO_EXTENSIONS: readonly FulcioExtensionSpec[] = [
  { oid: `${PEN}.1`, name: 'issuer', encoding: 'raw' },
  { oid: `${PEN}.2`, name: 'githubWorkflowTrigger', encoding: 'raw' },
  { oid: `${PEN}.3`, name: 'githubWorkflowSha', encoding: 'raw' },
  { oid: `${PEN}.4`, name: 'githubWorkflowName', encoding: 'raw' },
  { oid: `${PEN}.5`, name: 'githubWorkflowRepository', encoding: 'raw' },
  { oid: `${PEN}.6`, name: 'githubWorkflowRef', encoding: 'raw' },
  { oid: `${PEN}.8`, name: 'issuer', encoding: 'utf8String' },
  { oid: `${PEN}.9`, name: 'buildSignerUri', encoding: 'utf8String' },
  { oid: `${PEN}.10`, name: 'buildSignerDigest', encoding: 'utf8String' },
  { oid: `${PEN}.11`, name: 'runnerEnvironment', encoding: 'utf8String' },
  { oid: `${PEN}.12`, name: 'sourceRepositoryUri', encoding: 'utf8String' },
  { oid: `${PEN}.13`, name: 'sourceRepositoryDigest', encoding: 'utf8String' },
  { oid: `${PEN}.14`, name: 'sourceRepositoryRef', encoding: 'utf8String' },
  { oid: `${PEN}.15`, name: 'sourceRepositoryIdentifier', encoding: 'utf8String' },
  { oid: `${PEN}.16`, name: 'sourceRepositoryOwnerUri', encoding: 'utf8String' },
  { oid: `${PEN}.17`, name: 'sourceRepositoryOwnerIdentifier', encoding: 'utf8String' },
  { oid: `${PEN}.18`, name: 'buildConfigUri', encoding: 'utf8String' },
  { oid: `${PEN}.19`, name: 'buildConfigDigest', encoding: 'utf8String' },
  { oid: `${PEN}.20`, name: 'buildTrigger', encoding: 'utf8String' },
  { oid: `${PEN}.21`, name: 'runInvocationUri', encoding: 'utf8String' },
  { oid: `${PEN}.22`, name: 'sourceRepositoryVisibilityAtSigning', encoding: 'utf8String' },
  { oid: `${PEN}.23`, name: 'deploymentEnvironment', encoding: 'utf8String' },
  { oid: `${PEN}.24`, name: 'subject', encoding: 'utf8String' },
];

export const FULCIO_ISSUER_V1_OID = `${PEN}.1`;
