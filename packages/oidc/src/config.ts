// Issuer configuration in Fulcio's shape (`oidc-issuers`, `meta-issuers`, `ci-issuer-metadata`), plus
// Airlock's additions for air-gapped IdPs, parsed from a YAML or JSON object with errors naming the key.
import { isAbsolute, resolve } from 'node:path';
import { OidcError, quoteForMessage } from './errors.js';
import { CI_EXTENSION_JSON_NAMES, CI_EXTENSION_OIDS, type CiExtensionName } from './oids.js';
import { type ClaimTemplate, parseClaimTemplate } from './template.js';

export const ISSUER_TYPES = [
  'email',
  'uri',
  'username',
  'spiffe',
  'kubernetes',
  'ci-provider',
] as const;
export type IssuerType = (typeof ISSUER_TYPES)[number];

/** JWS algorithms an issuer may be allowed to use: asymmetric only, so a public key is never a secret. */
export const SUPPORTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export const DEFAULT_ALLOWED_ALGORITHMS: readonly JwsAlgorithm[] = [
  'ES256',
  'ES384',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'EdDSA',
];

/** The `aud` Fulcio expects when an issuer names no `client-id`. */
export const DEFAULT_CLIENT_ID = 'sigstore';

/** Fulcio's legacy hard-coded CI principals; Airlock only implements their successor, `ci-provider`. */
const LEGACY_ISSUER_TYPES = new Set([
  'github-workflow',
  'gitlab-pipeline',
  'buildkite-job',
  'codefresh-workflow',
  'chainguard-identity',
]);

export interface IssuerConfig {
  /** The exact `iss` for `oidc-issuers`; the wildcard pattern for `meta-issuers`. */
  readonly issuerUrl: string;
  /** The `aud` the token must carry. */
  readonly clientId: string;
  readonly type: IssuerType;
  /** `uri`: scheme and host a `sub` must have; `username`: the domain appended after `!`. */
  readonly subjectDomain?: string;
  readonly spiffeTrustDomain?: string;
  /** `ci-provider`: the `ci-issuer-metadata` entry with the templates. */
  readonly ciProvider?: string;
  /** The claim the proof of possession signs, instead of `email` (email type) or `sub`. */
  readonly challengeClaim?: string;
  readonly skipEmailVerification: boolean;
  /** `email` type only: a `$.a.b` path to the claim naming the (federated) issuer for the cert. */
  readonly issuerClaim?: string;
  readonly description?: string;
  readonly contact?: string;
  readonly environment?: string;
  /** PEM certificates trusted for the IdP's TLS, instead of the system store. */
  readonly caCert?: string;
  /** Absolute path of a static JWKS used instead of discovery (for IdPs the CA cannot reach). */
  readonly jwksFile?: string;
  /** JWKS URL used instead of the one discovery announces (discovery is then skipped). */
  readonly jwksUri?: string;
  readonly allowedAlgorithms: readonly JwsAlgorithm[];
}

export interface CiIssuerMetadata {
  /** Values templates fall back to when the token lacks the claim (token claims win). */
  readonly defaultTemplateValues: ReadonlyMap<string, string>;
  readonly extensionTemplates: ReadonlyMap<CiExtensionName, ClaimTemplate>;
  /** Renders the URI SAN. */
  readonly subjectAlternativeNameTemplate: ClaimTemplate;
}

export interface OidcConfig {
  /** Keyed by issuer URL, in file order. */
  readonly oidcIssuers: ReadonlyMap<string, IssuerConfig>;
  /** Keyed by wildcard pattern, in file order (the first matching pattern wins). */
  readonly metaIssuers: ReadonlyMap<string, IssuerConfig>;
  readonly ciIssuerMetadata: ReadonlyMap<string, CiIssuerMetadata>;
}

export interface ParseIssuerConfigOptions {
  /** Folder that relative `jwks-file` paths are resolved against (the config file's folder). */
  readonly baseDir?: string;
}

// Each field accepts Fulcio's YAML spelling and its JSON (Go field) spelling, but never both at once.
const TOP_LEVEL_FIELDS = {
  oidcIssuers: ['oidc-issuers', 'OIDCIssuers'],
  metaIssuers: ['meta-issuers', 'MetaIssuers'],
  ciIssuerMetadata: ['ci-issuer-metadata', 'CIIssuerMetadata'],
} as const;

const ISSUER_FIELDS = {
  issuerUrl: ['issuer-url', 'IssuerURL'],
  clientId: ['client-id', 'ClientID'],
  type: ['type', 'Type'],
  ciProvider: ['ci-provider', 'CIProvider'],
  issuerClaim: ['issuer-claim', 'IssuerClaim'],
  subjectDomain: ['subject-domain', 'SubjectDomain'],
  spiffeTrustDomain: ['spiffe-trust-domain', 'SPIFFETrustDomain'],
  challengeClaim: ['challenge-claim', 'ChallengeClaim'],
  skipEmailVerification: ['skip-email-verification', 'SkipEmailVerification'],
  description: ['description', 'Description'],
  contact: ['contact', 'Contact'],
  environment: ['environment', 'Environment'],
  caCert: ['ca-cert', 'CACert'],
  jwksFile: ['jwks-file', 'JWKSFile'],
  jwksUri: ['jwks-uri', 'JWKSURI'],
  allowedAlgorithms: ['allowed-algorithms', 'AllowedAlgorithms'],
} as const;

const CI_METADATA_FIELDS = {
  defaultTemplateValues: ['default-template-values', 'DefaultTemplateValues'],
  extensionTemplates: ['extension-templates', 'ClaimsTemplates'],
  subjectAlternativeNameTemplate: [
    'subject-alternative-name-template',
    'SubjectAlternativeNameTemplate',
  ],
} as const;

const EXTENSION_FIELDS = Object.fromEntries(
  (Object.keys(CI_EXTENSION_OIDS) as CiExtensionName[]).map((name) => [
    name,
    [name, CI_EXTENSION_JSON_NAMES[name]],
  ]),
) as unknown as Record<CiExtensionName, readonly [string, string]>;

const ISSUER_CLAIM_PATH = /^\$(\.[A-Za-z0-9_-]+)+$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:-]+$/;
const SPIFFE_TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const DNS_NAME =
  /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
/** What one `*` of a meta-issuer pattern matches: one hostname label or path segment, like Fulcio. */
const WILDCARD_SEGMENT = '[-_a-zA-Z0-9]+';

type Raw = Record<string, unknown>;

function fail(where: string, problem: string): never {
  throw new OidcError('INVALID_CONFIG', `${where}: ${problem}`);
}

function isPlainObject(value: unknown): value is Raw {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

/** Reads the known fields of `raw`, rejecting unknown keys (typos must not silently drop a check). */
function readFields<K extends string>(
  raw: unknown,
  fields: Readonly<Record<K, readonly string[]>>,
  where: string,
): Partial<Record<K, { readonly key: string; readonly value: unknown }>> {
  if (!isPlainObject(raw)) fail(where, 'must be a mapping');
  const out: Partial<Record<K, { key: string; value: unknown }>> = {};
  const fieldOfKey = new Map<string, K>();
  for (const field of Object.keys(fields) as K[]) {
    for (const name of fields[field]) fieldOfKey.set(name, field);
  }
  for (const [key, value] of Object.entries(raw)) {
    const field = fieldOfKey.get(key);
    if (field === undefined) fail(where, `unknown key ${quoteForMessage(key)}`);
    const earlier = out[field];
    if (earlier !== undefined) {
      fail(where, `both ${quoteForMessage(earlier.key)} and ${quoteForMessage(key)} are set`);
    }
    // YAML `key:` with no value means "not set", as it does for Fulcio's omitempty fields.
    if (value === null || value === undefined) continue;
    out[field] = { key, value };
  }
  return out;
}

function readString(
  entry: { readonly key: string; readonly value: unknown } | undefined,
  where: string,
): string | undefined {
  if (entry === undefined) return undefined;
  if (typeof entry.value !== 'string' || entry.value.length === 0) {
    fail(`${where}.${entry.key}`, 'must be a non-empty string');
  }
  return entry.value;
}

/** Parses an http(s) URL without credentials, query or fragment, as OIDC issuer identifiers are. */
function parseHttpUrl(text: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(where, `${quoteForMessage(text)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(where, `${quoteForMessage(text)} must be an https:// (or http://) URL`);
  }
  if (url.username !== '' || url.password !== '') fail(where, 'URL must not contain credentials');
  if (url.search !== '' || url.hash !== '') fail(where, 'URL must not have a query or fragment');
  return url;
}

/**
 * Fulcio's ownership rule: the subject domain must be the issuer's host or share its last two labels
 * (so an issuer cannot mint identities under someone else's domain).
 */
function checkSameDomain(subjectHost: string, issuerHost: string, where: string): void {
  if (subjectHost === issuerHost) return;
  const subjectLabels = subjectHost.split('.');
  const issuerLabels = issuerHost.split('.');
  if (subjectLabels.length < 2 || issuerLabels.length < 2) {
    fail(
      where,
      `hostname ${quoteForMessage(subjectHost)} is too short to compare with the issuer's`,
    );
  }
  const sameTail =
    subjectLabels.at(-1) === issuerLabels.at(-1) && subjectLabels.at(-2) === issuerLabels.at(-2);
  if (!sameTail) {
    fail(
      where,
      `${quoteForMessage(subjectHost)} is not in the issuer's domain ${quoteForMessage(issuerHost)}`,
    );
  }
}

/** The regular expression a meta-issuer pattern stands for: `*` matches one label or segment. */
export function compileMetaIssuerPattern(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join(WILDCARD_SEGMENT);
  // Anchored at both ends: an unanchored pattern would accept any issuer that merely contains it.
  return new RegExp(`^${escaped}$`);
}

function parseAlgorithms(
  entry: { readonly key: string; readonly value: unknown } | undefined,
  where: string,
): readonly JwsAlgorithm[] {
  if (entry === undefined) return DEFAULT_ALLOWED_ALGORITHMS;
  const at = `${where}.${entry.key}`;
  if (!Array.isArray(entry.value) || entry.value.length === 0) {
    fail(at, 'must be a non-empty list of JWS algorithms');
  }
  const out: JwsAlgorithm[] = [];
  for (const alg of entry.value) {
    if (typeof alg !== 'string') fail(at, 'must list algorithm names as strings');
    if (alg.toLowerCase() === 'none') fail(at, '"none" (unsigned tokens) is never allowed');
    if (/^HS/i.test(alg)) {
      fail(
        at,
        `${quoteForMessage(alg)} is symmetric (HMAC); only asymmetric algorithms are allowed`,
      );
    }
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      fail(at, `unsupported algorithm ${quoteForMessage(alg)}`);
    }
    if (!out.includes(alg as JwsAlgorithm)) out.push(alg as JwsAlgorithm);
  }
  return out;
}

function parseIssuer(
  key: string,
  raw: unknown,
  kind: 'oidc-issuers' | 'meta-issuers',
  ciIssuerMetadata: ReadonlyMap<string, CiIssuerMetadata>,
  options: ParseIssuerConfigOptions,
): IssuerConfig {
  const where = `${kind}[${quoteForMessage(key)}]`;
  const fields = readFields(raw, ISSUER_FIELDS, where);
  const isMeta = kind === 'meta-issuers';

  const issuerUrl = readString(fields.issuerUrl, where) ?? key;
  // The map key is what tokens are matched against; a different issuer-url would make it ambiguous
  // which string the token's `iss` must equal.
  if (issuerUrl !== key) {
    fail(`${where}.${fields.issuerUrl?.key}`, 'must equal the key it is listed under');
  }
  let issuer: URL;
  if (isMeta) {
    if (!key.includes('*'))
      fail(where, 'a meta-issuer pattern needs a "*"; list it under oidc-issuers');
    if (!/^https?:\/\/./.test(key)) fail(where, 'pattern must start with https:// or http://');
    // "0" is valid wherever a "*" may stand: a hostname label, a port, a path segment.
    issuer = parseHttpUrl(key.replaceAll('*', '0'), where);
  } else {
    issuer = parseHttpUrl(key, where);
  }

  const typeText = readString(fields.type, where);
  if (typeText === undefined) fail(where, `"type" is required (one of ${ISSUER_TYPES.join(', ')})`);
  if (LEGACY_ISSUER_TYPES.has(typeText)) {
    fail(
      `${where}.${fields.type?.key}`,
      `legacy type ${quoteForMessage(typeText)} is not supported; use type "ci-provider" with ci-issuer-metadata`,
    );
  }
  if (!(ISSUER_TYPES as readonly string[]).includes(typeText)) {
    fail(`${where}.${fields.type?.key}`, `unknown issuer type ${quoteForMessage(typeText)}`);
  }
  const type = typeText as IssuerType;

  const clientId = readString(fields.clientId, where) ?? DEFAULT_CLIENT_ID;
  const subjectDomain = readString(fields.subjectDomain, where);
  const spiffeTrustDomain = readString(fields.spiffeTrustDomain, where);
  const ciProvider = readString(fields.ciProvider, where);
  const challengeClaim = readString(fields.challengeClaim, where);
  const issuerClaim = readString(fields.issuerClaim, where);
  const caCert = readString(fields.caCert, where);
  const jwksFileText = readString(fields.jwksFile, where);
  const jwksUri = readString(fields.jwksUri, where);

  let skipEmailVerification = false;
  if (fields.skipEmailVerification !== undefined) {
    if (typeof fields.skipEmailVerification.value !== 'boolean') {
      fail(`${where}.${fields.skipEmailVerification.key}`, 'must be true or false');
    }
    skipEmailVerification = fields.skipEmailVerification.value;
  }

  const onlyFor = (
    field: { readonly key: string } | undefined,
    types: readonly IssuerType[],
  ): void => {
    if (field !== undefined && !types.includes(type)) {
      fail(`${where}.${field.key}`, `is only used by ${types.join('/')} issuers, not ${type}`);
    }
  };
  onlyFor(fields.subjectDomain, ['uri', 'username']);
  onlyFor(fields.spiffeTrustDomain, ['spiffe']);
  onlyFor(fields.ciProvider, ['ci-provider']);
  onlyFor(fields.issuerClaim, ['email']);
  if (skipEmailVerification) onlyFor(fields.skipEmailVerification, ['email']);

  if (type === 'uri') {
    if (subjectDomain === undefined) fail(where, 'a uri issuer needs "subject-domain"');
    const domain = parseHttpUrl(subjectDomain, `${where}.${fields.subjectDomain?.key}`);
    if (domain.protocol !== issuer.protocol) {
      fail(`${where}.${fields.subjectDomain?.key}`, 'must use the same scheme as the issuer');
    }
    if (!isMeta)
      checkSameDomain(domain.hostname, issuer.hostname, `${where}.${fields.subjectDomain?.key}`);
  }
  if (type === 'username') {
    if (subjectDomain === undefined) fail(where, 'a username issuer needs "subject-domain"');
    if (!DNS_NAME.test(subjectDomain)) {
      fail(`${where}.${fields.subjectDomain?.key}`, 'must be a bare domain name, without a scheme');
    }
    if (!isMeta)
      checkSameDomain(subjectDomain, issuer.hostname, `${where}.${fields.subjectDomain?.key}`);
  }
  if (type === 'spiffe') {
    if (isMeta) fail(where, 'spiffe issuers cannot be meta-issuers (one trust domain per issuer)');
    if (spiffeTrustDomain === undefined) fail(where, 'a spiffe issuer needs "spiffe-trust-domain"');
    if (!SPIFFE_TRUST_DOMAIN.test(spiffeTrustDomain)) {
      fail(`${where}.${fields.spiffeTrustDomain?.key}`, 'is not a valid SPIFFE trust domain');
    }
  }
  if (type === 'ci-provider') {
    if (ciProvider === undefined) fail(where, 'a ci-provider issuer needs "ci-provider"');
    if (!ciIssuerMetadata.has(ciProvider)) {
      fail(
        `${where}.${fields.ciProvider?.key}`,
        `names ${quoteForMessage(ciProvider)}, which ci-issuer-metadata does not define`,
      );
    }
  }
  if (issuerClaim !== undefined && !ISSUER_CLAIM_PATH.test(issuerClaim)) {
    fail(`${where}.${fields.issuerClaim?.key}`, 'must be a simple JSON path like "$.a.b"');
  }
  if (challengeClaim !== undefined && !CLAIM_NAME.test(challengeClaim)) {
    fail(`${where}.${fields.challengeClaim?.key}`, 'must be a claim name');
  }

  if (jwksFileText !== undefined && jwksUri !== undefined) {
    fail(where, '"jwks-file" and "jwks-uri" cannot both be set');
  }
  if (isMeta && (jwksFileText !== undefined || jwksUri !== undefined)) {
    fail(
      where,
      'meta-issuers always use discovery; "jwks-file" and "jwks-uri" need an exact issuer',
    );
  }
  if (jwksFileText !== undefined && caCert !== undefined) {
    fail(where, '"ca-cert" has no effect with "jwks-file" (nothing is fetched)');
  }
  if (jwksUri !== undefined) parseHttpUrl(jwksUri, `${where}.${fields.jwksUri?.key}`);
  if (caCert !== undefined && !caCert.includes('-----BEGIN CERTIFICATE-----')) {
    fail(`${where}.${fields.caCert?.key}`, 'must hold PEM certificates');
  }
  const jwksFile =
    jwksFileText === undefined || isAbsolute(jwksFileText)
      ? jwksFileText
      : resolve(options.baseDir ?? process.cwd(), jwksFileText);

  return {
    issuerUrl,
    clientId,
    type,
    skipEmailVerification,
    allowedAlgorithms: parseAlgorithms(fields.allowedAlgorithms, where),
    ...(subjectDomain !== undefined && { subjectDomain }),
    ...(spiffeTrustDomain !== undefined && { spiffeTrustDomain }),
    ...(ciProvider !== undefined && { ciProvider }),
    ...(challengeClaim !== undefined && { challengeClaim }),
    ...(issuerClaim !== undefined && { issuerClaim }),
    ...(caCert !== undefined && { caCert }),
    ...(jwksFile !== undefined && { jwksFile }),
    ...(jwksUri !== undefined && { jwksUri }),
    ...optionalText('description', fields.description, where),
    ...optionalText('contact', fields.contact, where),
    ...optionalText('environment', fields.environment, where),
  };
}

function optionalText<K extends string>(
  name: K,
  entry: { readonly key: string; readonly value: unknown } | undefined,
  where: string,
): Partial<Record<K, string>> {
  const value = readString(entry, where);
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function parseCiMetadata(name: string, raw: unknown): CiIssuerMetadata {
  const where = `ci-issuer-metadata[${quoteForMessage(name)}]`;
  const fields = readFields(raw, CI_METADATA_FIELDS, where);

  const defaults = new Map<string, string>();
  if (fields.defaultTemplateValues !== undefined) {
    const at = `${where}.${fields.defaultTemplateValues.key}`;
    if (!isPlainObject(fields.defaultTemplateValues.value)) fail(at, 'must be a mapping');
    for (const [key, value] of Object.entries(fields.defaultTemplateValues.value)) {
      if (typeof value !== 'string') fail(`${at}.${key}`, 'must be a string');
      defaults.set(key, value);
    }
  }

  const templates = new Map<CiExtensionName, ClaimTemplate>();
  if (fields.extensionTemplates !== undefined) {
    const at = `${where}.${fields.extensionTemplates.key}`;
    if (isPlainObject(fields.extensionTemplates.value)) {
      for (const key of Object.keys(fields.extensionTemplates.value)) {
        if (key.toLowerCase().startsWith('github-workflow') || key.startsWith('GithubWorkflow')) {
          fail(
            `${at}.${key}`,
            'the deprecated raw-encoded GitHub extensions (.1.2-.1.6) are not issued; use their successors',
          );
        }
        if (key.toLowerCase() === 'issuer') {
          fail(`${at}.${key}`, 'the issuer extension always comes from the token, not a template');
        }
      }
    }
    const extensionFields = readFields(fields.extensionTemplates.value, EXTENSION_FIELDS, at);
    for (const extension of Object.keys(EXTENSION_FIELDS) as CiExtensionName[]) {
      const entry = extensionFields[extension];
      if (entry === undefined) continue;
      const source = readString(entry, at);
      if (source !== undefined) {
        templates.set(extension, parseClaimTemplate(source, `${at}.${entry.key}`));
      }
    }
  }

  const sanSource = readString(fields.subjectAlternativeNameTemplate, where);
  if (sanSource === undefined) fail(where, '"subject-alternative-name-template" is required');
  const sanTemplate = parseClaimTemplate(
    sanSource,
    `${where}.${fields.subjectAlternativeNameTemplate?.key}`,
  );

  return {
    defaultTemplateValues: defaults,
    extensionTemplates: templates,
    subjectAlternativeNameTemplate: sanTemplate,
  };
}

function entriesOf(
  entry: { readonly key: string; readonly value: unknown } | undefined,
): [string, unknown][] {
  if (entry === undefined) return [];
  if (!isPlainObject(entry.value)) fail(entry.key, 'must be a mapping');
  return Object.entries(entry.value);
}

/**
 * Validates a parsed YAML/JSON issuer configuration (Fulcio's `--config-path` format). Throws
 * OidcError INVALID_CONFIG naming the offending key.
 */
export function parseIssuerConfig(
  raw: unknown,
  options: ParseIssuerConfigOptions = {},
): OidcConfig {
  const fields = readFields(raw, TOP_LEVEL_FIELDS, 'issuer configuration');

  const ciIssuerMetadata = new Map<string, CiIssuerMetadata>();
  for (const [name, value] of entriesOf(fields.ciIssuerMetadata)) {
    ciIssuerMetadata.set(name, parseCiMetadata(name, value));
  }
  const oidcIssuers = new Map<string, IssuerConfig>();
  for (const [key, value] of entriesOf(fields.oidcIssuers)) {
    oidcIssuers.set(key, parseIssuer(key, value, 'oidc-issuers', ciIssuerMetadata, options));
  }
  const metaIssuers = new Map<string, IssuerConfig>();
  for (const [key, value] of entriesOf(fields.metaIssuers)) {
    metaIssuers.set(key, parseIssuer(key, value, 'meta-issuers', ciIssuerMetadata, options));
  }
  if (oidcIssuers.size === 0 && metaIssuers.size === 0) {
    fail('issuer configuration', 'no issuers: set "oidc-issuers" or "meta-issuers"');
  }
  return { oidcIssuers, metaIssuers, ciIssuerMetadata };
}
