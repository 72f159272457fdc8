// Maps the claims of a verified token onto a Fulcio principal: SAN, proof-of-possession challenge,
// certificate issuer and extension values, per issuer type (Fulcio's `pkg/identity/*` behaviour).
import type { CiIssuerMetadata, IssuerConfig, IssuerType } from './config.js';
import { OidcError, quoteForMessage } from './errors.js';
import { CI_EXTENSION_OIDS, FULCIO_OID } from './oids.js';
import { renderClaimTemplate } from './template.js';

export type SubjectAlternativeName =
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  /** type-id 1.3.6.1.4.1.57264.1.7, value `[0] EXPLICIT UTF8String` (`user!domain`). */
  | { readonly type: 'otherName'; readonly value: string };

export interface VerifiedIdentity {
  /** The certificate's issuer (.1.8): the token `iss`, or the `issuer-claim` value for email issuers. */
  readonly issuer: string;
  /** The verified `iss` claim of the token, which chose the issuer configuration. */
  readonly tokenIssuer: string;
  readonly issuerType: IssuerType;
  /** The token `sub`. */
  readonly subject: string;
  readonly san: SubjectAlternativeName;
  /** The exact string the proof of possession must sign (UTF-8). */
  readonly challenge: string;
  /**
   * Fulcio extension values by OID (.1.8 issuer, .1.24 subject, CI extensions .1.9-.1.23), to be
   * DER UTF8String-encoded by the X.509 layer (which also emits the raw .1.1 issuer).
   */
  readonly extensions: Readonly<Record<string, string>>;
}

export type TokenClaims = Readonly<Record<string, unknown>>;

/** Kubernetes namespace and service account names are DNS-1123 names; nothing else may reach a URI. */
const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_KUBERNETES_NAME = 253;
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;
const SPIFFE_PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

function ownClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

/** A claim that must be a non-empty string: absent → CLAIM_MISSING, another JSON type → MALFORMED_TOKEN. */
function requireStringClaim(claims: TokenClaims, name: string): string {
  const value = ownClaim(claims, name);
  if (value === undefined || value === null || value === '') {
    throw new OidcError('CLAIM_MISSING', `token has no ${quoteForMessage(name)} claim`);
  }
  if (typeof value !== 'string') {
    throw new OidcError('MALFORMED_TOKEN', `token claim ${quoteForMessage(name)} is not a string`);
  }
  return value;
}

/** Follows a `$.a.b` path (validated at configuration time) through own properties only. */
function claimAtPath(claims: TokenClaims, path: string): unknown {
  let node: unknown = claims;
  for (const step of path.slice(2).split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = ownClaim(node as Record<string, unknown>, step);
  }
  return node;
}

function isSpiffeIdIn(id: string, trustDomain: string): boolean {
  const prefix = `spiffe://${trustDomain}`;
  if (!id.startsWith(prefix)) return false;
  const path = id.slice(prefix.length);
  if (path === '') return true;
  if (!path.startsWith('/')) return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => SPIFFE_PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

function parseAbsoluteUri(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function emailIdentity(
  issuer: IssuerConfig,
  claims: TokenClaims,
): {
  san: SubjectAlternativeName;
  certIssuer: string;
  name: string;
} {
  const email = requireStringClaim(claims, 'email');
  if (!EMAIL_ADDRESS.test(email)) {
    throw new OidcError('INVALID_CLAIM', 'token "email" claim is not an email address');
  }
  if (!issuer.skipEmailVerification && ownClaim(claims, 'email_verified') !== true) {
    throw new OidcError(
      'EMAIL_NOT_VERIFIED',
      'the identity provider has not verified this email address',
    );
  }
  let certIssuer = requireStringClaim(claims, 'iss');
  if (issuer.issuerClaim !== undefined) {
    const federated = claimAtPath(claims, issuer.issuerClaim);
    if (typeof federated !== 'string' || federated === '') {
      throw new OidcError(
        'CLAIM_MISSING',
        `token has no string claim at ${quoteForMessage(issuer.issuerClaim)} naming its issuer`,
      );
    }
    certIssuer = federated;
  }
  return { san: { type: 'email', value: email }, certIssuer, name: email };
}

function uriIdentity(issuer: IssuerConfig, subject: string): SubjectAlternativeName {
  // parseIssuerConfig guarantees a uri issuer has an http(s) subject domain.
  const domain = new URL(issuer.subjectDomain!);
  const uri = parseAbsoluteUri(subject);
  if (
    uri === undefined ||
    uri.protocol !== domain.protocol ||
    uri.host !== domain.host ||
    uri.username !== '' ||
    uri.password !== ''
  ) {
    throw new OidcError(
      'INVALID_CLAIM',
      `token subject is not a URI under ${quoteForMessage(`${domain.protocol}//${domain.host}`)}`,
    );
  }
  return { type: 'uri', value: subject };
}

function usernameIdentity(issuer: IssuerConfig, subject: string): SubjectAlternativeName {
  if (subject.includes('!') || subject.includes('@')) {
    throw new OidcError('INVALID_CLAIM', 'a username subject must not contain "!" or "@"');
  }
  return { type: 'otherName', value: `${subject}!${issuer.subjectDomain}` };
}

function spiffeIdentity(issuer: IssuerConfig, subject: string): SubjectAlternativeName {
  if (!isSpiffeIdIn(subject, issuer.spiffeTrustDomain!)) {
    throw new OidcError(
      'INVALID_CLAIM',
      `token subject is not a SPIFFE ID in trust domain ${quoteForMessage(issuer.spiffeTrustDomain)}`,
    );
  }
  return { type: 'uri', value: subject };
}

function kubernetesIdentity(claims: TokenClaims): SubjectAlternativeName {
  const k8s = ownClaim(claims, 'kubernetes.io');
  if (typeof k8s !== 'object' || k8s === null || Array.isArray(k8s)) {
    throw new OidcError('CLAIM_MISSING', 'token has no "kubernetes.io" claim object');
  }
  const namespace = ownClaim(k8s as Record<string, unknown>, 'namespace');
  const serviceAccount = ownClaim(k8s as Record<string, unknown>, 'serviceaccount');
  const name =
    typeof serviceAccount === 'object' && serviceAccount !== null
      ? ownClaim(serviceAccount as Record<string, unknown>, 'name')
      : undefined;
  for (const [label, value] of [
    ['kubernetes.io.namespace', namespace],
    ['kubernetes.io.serviceaccount.name', name],
  ] as const) {
    if (value === undefined || value === null) {
      throw new OidcError('CLAIM_MISSING', `token has no ${quoteForMessage(label)} claim`);
    }
    if (
      typeof value !== 'string' ||
      value.length > MAX_KUBERNETES_NAME ||
      !KUBERNETES_NAME.test(value)
    ) {
      throw new OidcError(
        'INVALID_CLAIM',
        `token claim ${quoteForMessage(label)} is not a Kubernetes name`,
      );
    }
  }
  return {
    type: 'uri',
    value: `https://kubernetes.io/namespaces/${namespace}/serviceaccounts/${name}`,
  };
}

/** Template inputs: configured defaults, overridden by the token's scalar claims. */
function templateValues(metadata: CiIssuerMetadata, claims: TokenClaims): Map<string, string> {
  const values = new Map(metadata.defaultTemplateValues);
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string') values.set(name, value);
    else if (typeof value === 'number' || typeof value === 'boolean')
      values.set(name, String(value));
  }
  return values;
}

function ciProviderIdentity(
  metadata: CiIssuerMetadata,
  claims: TokenClaims,
  extensions: Record<string, string>,
): SubjectAlternativeName {
  const values = templateValues(metadata, claims);
  const san = renderClaimTemplate(metadata.subjectAlternativeNameTemplate, values);
  const sanUri = parseAbsoluteUri(san);
  if (sanUri === undefined) {
    throw new OidcError(
      'INVALID_CLAIM',
      'the subject-alternative-name template did not render a URI',
    );
  }
  for (const [name, template] of metadata.extensionTemplates) {
    const value = renderClaimTemplate(template, values);
    // Like Fulcio, an extension whose value renders empty is left out of the certificate.
    if (value !== '') extensions[CI_EXTENSION_OIDS[name]] = value;
  }
  return { type: 'uri', value: san };
}

/**
 * Builds the principal for `claims`, which must already be signature- and time-verified and belong to
 * `issuer`. `ciMetadata` is the `ci-issuer-metadata` entry for ci-provider issuers.
 */
export function mapPrincipal(
  issuer: IssuerConfig,
  claims: TokenClaims,
  ciMetadata?: CiIssuerMetadata,
): VerifiedIdentity {
  const tokenIssuer = requireStringClaim(claims, 'iss');
  const subject = requireStringClaim(claims, 'sub');
  const extensions: Record<string, string> = {};
  let certIssuer = tokenIssuer;
  let name = subject;
  let san: SubjectAlternativeName;

  switch (issuer.type) {
    case 'email': {
      const email = emailIdentity(issuer, claims);
      san = email.san;
      certIssuer = email.certIssuer;
      name = email.name;
      break;
    }
    case 'uri':
      san = uriIdentity(issuer, subject);
      break;
    case 'username':
      san = usernameIdentity(issuer, subject);
      break;
    case 'spiffe':
      san = spiffeIdentity(issuer, subject);
      break;
    case 'kubernetes':
      san = kubernetesIdentity(claims);
      break;
    case 'ci-provider':
      if (ciMetadata === undefined) {
        throw new OidcError('INVALID_CONFIG', 'ci-provider issuer without ci-issuer-metadata');
      }
      san = ciProviderIdentity(ciMetadata, claims, extensions);
      break;
  }

  extensions[FULCIO_OID.issuer] = certIssuer;
  extensions[FULCIO_OID.tokenSubject] = subject;
  const challenge =
    issuer.challengeClaim === undefined ? name : requireStringClaim(claims, issuer.challengeClaim);

  return {
    issuer: certIssuer,
    tokenIssuer,
    issuerType: issuer.type,
    subject,
    san,
    challenge,
    extensions: sortedByOid(extensions),
  };
}

/** Extensions in OID arc order, so certificates and logs list them deterministically. */
function sortedByOid(extensions: Record<string, string>): Record<string, string> {
  const arc = (oid: string): number => Number(oid.slice(oid.lastIndexOf('.') + 1));
  return Object.fromEntries(Object.entries(extensions).sort(([a], [b]) => arc(a) - arc(b)));
}
