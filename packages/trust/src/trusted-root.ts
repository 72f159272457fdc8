// Builds, rotates and checks `trusted_root.json` (dev.sigstore.trustroot.v1.TrustedRoot) in the form
// every Sigstore client accepts: the v0.1 media type, a validity start on every entry, SHA2_256, key
// details named from the key itself, log IDs computed the way each log kind is identified.
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import {
  decodeBase64Strict,
  encodeBase64,
  formatRfc3339,
  type PublicKeyInput,
  pemBlocks,
  spkiOf,
  type TimeInput,
  toDate,
  toPublicKey,
} from './encoding.js';
import { TrustError } from './errors.js';
import { isSupportedKeyDetails, type KeyDetails, keyDetailsOf } from './key-details.js';
import {
  isWithin,
  startOf,
  type ValidityInput,
  type ValidityJson,
  validityFromInput,
  validityFromJson,
} from './validity.js';

/**
 * The only media type sigstore-go and sigstore-python accept. The proto comment asks for
 * `application/vnd.dev.sigstore.trustedroot.v0.2+json`, which both reject.
 */
export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

/** The extended key usage a TSA's signing certificate must carry (id-kp-timeStamping). */
const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

/** Log IDs are SHA-256 outputs (RFC 6962 log ID, C2SP key hash). */
const LOG_ID_BYTES = 32;

export interface TransparencyLogJson {
  readonly baseUrl: string;
  readonly hashAlgorithm: 'SHA2_256';
  readonly publicKey: {
    readonly rawBytes: string;
    readonly keyDetails: KeyDetails;
    readonly validFor: ValidityJson;
  };
  readonly logId: { readonly keyId: string };
  readonly checkpointKeyId?: { readonly keyId: string };
  readonly operator?: string;
}

export interface DistinguishedNameJson {
  readonly organization?: string;
  readonly commonName?: string;
}

export interface CertificateAuthorityJson {
  readonly subject: DistinguishedNameJson;
  readonly uri: string;
  readonly certChain: { readonly certificates: readonly { readonly rawBytes: string }[] };
  readonly validFor: ValidityJson;
  readonly operator?: string;
}

export interface TrustedRootJson {
  readonly mediaType: typeof TRUSTED_ROOT_MEDIA_TYPE;
  readonly tlogs: readonly TransparencyLogJson[];
  readonly certificateAuthorities: readonly CertificateAuthorityJson[];
  readonly ctlogs: readonly TransparencyLogJson[];
  readonly timestampAuthorities: readonly CertificateAuthorityJson[];
}

export interface TransparencyLogInput {
  /** For a Rekor log, the URL whose hostname is the checkpoint's key name. */
  readonly baseUrl: string;
  readonly publicKey: PublicKeyInput;
  readonly validFor: ValidityInput;
  /**
   * Overrides the log ID. Default: SHA-256 of the DER SubjectPublicKeyInfo (Rekor v1, CT logs,
   * ECDSA Rekor v2 logs), or for a tlog with `origin` and an Ed25519 key, the C2SP key hash.
   */
  readonly logId?: Uint8Array;
  /**
   * The checkpoint origin (key name) of a Rekor v2 log: an Ed25519 log's ID is then
   * SHA-256(origin || 0x0A || 0x01 || key), the hash its checkpoint signatures are found by.
   */
  readonly origin?: string;
  /**
   * Also write `checkpointKeyId`. sigstore-js prefers it over `logId` for the checkpoint key hint AND
   * the log ID it compares entries with, so it must be the same 32 bytes as the log ID.
   */
  readonly checkpointKeyId?: Uint8Array;
  readonly operator?: string;
}

export interface CertificateAuthorityInput {
  /** Informational; default: the organization and common name of the first certificate. */
  readonly subject?: DistinguishedNameJson;
  readonly uri: string;
  /**
   * DER certificates or PEM texts, leaf-most first and the root last: for a CA, intermediates then
   * root; for a TSA, the signing (leaf) certificate, intermediates, root.
   */
  readonly chain: string | readonly (Uint8Array | string)[];
  /** Default: from the first certificate's notBefore. */
  readonly validFor?: ValidityInput;
  readonly operator?: string;
}

export interface TrustedRootInput {
  readonly certificateAuthorities?: readonly CertificateAuthorityInput[];
  readonly tlogs?: readonly TransparencyLogInput[];
  readonly ctlogs?: readonly TransparencyLogInput[];
  readonly timestampAuthorities?: readonly CertificateAuthorityInput[];
}

type LogKind = 'tlog' | 'ctlog';
type AuthorityKind = 'certificateAuthority' | 'timestampAuthority';

/** One entry to add, tagged with the list it goes in. */
export type TrustedRootAddition =
  | { readonly kind: 'tlog'; readonly entry: TransparencyLogInput }
  | { readonly kind: 'ctlog'; readonly entry: TransparencyLogInput }
  | { readonly kind: 'certificateAuthority'; readonly entry: CertificateAuthorityInput }
  | { readonly kind: 'timestampAuthority'; readonly entry: CertificateAuthorityInput };

/**
 * A key or certificate rotation at `at`: the current entries `replaces` names end at `at`, and the
 * new entry starts then. `replaces` is a base URL or base64 log ID for logs, a URI for CAs and TSAs;
 * default: the new entry's own base URL or URI.
 */
export type TrustedRootRotation =
  | LogRotation<'tlog'>
  | LogRotation<'ctlog'>
  | AuthorityRotation<'certificateAuthority'>
  | AuthorityRotation<'timestampAuthority'>;

interface RotationTime {
  readonly at: TimeInput;
  readonly replaces?: string;
}

interface LogRotation<Kind extends LogKind> extends RotationTime {
  readonly kind: Kind;
  readonly entry: Omit<TransparencyLogInput, 'validFor'>;
}

interface AuthorityRotation<Kind extends AuthorityKind> extends RotationTime {
  readonly kind: Kind;
  readonly entry: Omit<CertificateAuthorityInput, 'validFor'>;
}

const SECTION = {
  tlog: 'tlogs',
  ctlog: 'ctlogs',
  certificateAuthority: 'certificateAuthorities',
  timestampAuthority: 'timestampAuthorities',
} as const;

// ---------------------------------------------------------------------------------------------
// Building

/** A trusted root holding the given CAs, logs and TSAs, each list sorted by validity start. */
export function buildTrustedRoot(input: TrustedRootInput): TrustedRootJson {
  const root: TrustedRootJson = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: sortByStart(
      (input.tlogs ?? []).map((log, i) => logEntry(log, 'tlog', `tlogs[${i}]`)),
      (entry) => entry.publicKey.validFor,
    ),
    certificateAuthorities: sortByStart(
      (input.certificateAuthorities ?? []).map((ca, i) =>
        authorityEntry(ca, 'certificateAuthority', `certificateAuthorities[${i}]`),
      ),
      (entry) => entry.validFor,
    ),
    ctlogs: sortByStart(
      (input.ctlogs ?? []).map((log, i) => logEntry(log, 'ctlog', `ctlogs[${i}]`)),
      (entry) => entry.publicKey.validFor,
    ),
    timestampAuthorities: sortByStart(
      (input.timestampAuthorities ?? []).map((tsa, i) =>
        authorityEntry(tsa, 'timestampAuthority', `timestampAuthorities[${i}]`),
      ),
      (entry) => entry.validFor,
    ),
  };
  // What we publish passes the same checks as what we read.
  return parseTrustedRoot(root);
}

/** The root with one more entry (a new log shard, a further CA generation) in its list. */
export function addKey(root: TrustedRootJson, addition: TrustedRootAddition): TrustedRootJson {
  const checked = parseTrustedRoot(root);
  if (addition.kind === 'tlog' || addition.kind === 'ctlog') {
    const section = SECTION[addition.kind];
    const entry = logEntry(addition.entry, addition.kind, `${section}[new]`);
    return {
      ...checked,
      [section]: sortByStart([...checked[section], entry], (e) => e.publicKey.validFor),
    };
  }
  const section = SECTION[addition.kind];
  const entry = authorityEntry(addition.entry, addition.kind, `${section}[new]`);
  return { ...checked, [section]: sortByStart([...checked[section], entry], (e) => e.validFor) };
}

/**
 * Rotates a key or chain: ends the validity of the current entries the rotation replaces at `at`
 * (they stay in the file, so signatures made before `at` still verify) and adds the new entry
 * starting at `at`.
 */
export function rotate(root: TrustedRootJson, rotation: TrustedRootRotation): TrustedRootJson {
  const checked = parseTrustedRoot(root);
  const at = toDate(rotation.at, 'rotation time', 'INVALID_INPUT');
  const end = formatRfc3339(at);
  const section = SECTION[rotation.kind];

  if (rotation.kind === 'tlog' || rotation.kind === 'ctlog') {
    const entry = logEntry(
      { ...rotation.entry, validFor: { start: at } },
      rotation.kind,
      `${section}[new]`,
    );
    const replaces = rotation.replaces ?? entry.baseUrl;
    let retired = 0;
    const logs = (checked[section as 'tlogs' | 'ctlogs'] as readonly TransparencyLogJson[]).map(
      (log) => {
        const named = log.baseUrl === replaces || log.logId.keyId === replaces;
        if (!named || !isWithin(log.publicKey.validFor, at)) return log;
        if (log.logId.keyId === entry.logId.keyId) {
          throw new TrustError(
            'INVALID_INPUT',
            `the new ${rotation.kind} key is the one it replaces`,
          );
        }
        retired++;
        return {
          ...log,
          publicKey: { ...log.publicKey, validFor: { ...log.publicKey.validFor, end } },
        };
      },
    );
    if (retired === 0) {
      throw new TrustError(
        'NOTHING_TO_ROTATE',
        `no ${rotation.kind} '${replaces}' is valid at ${end}`,
      );
    }
    return { ...checked, [section]: sortByStart([...logs, entry], (e) => e.publicKey.validFor) };
  }

  const entry = authorityEntry(
    { ...rotation.entry, validFor: { start: at } },
    rotation.kind,
    `${section}[new]`,
  );
  const replaces = rotation.replaces ?? entry.uri;
  let retired = 0;
  const authorities = (
    checked[
      section as 'certificateAuthorities' | 'timestampAuthorities'
    ] as readonly CertificateAuthorityJson[]
  ).map((authority) => {
    if (authority.uri !== replaces || !isWithin(authority.validFor, at)) return authority;
    if (
      authority.certChain.certificates[0]?.rawBytes === entry.certChain.certificates[0]?.rawBytes
    ) {
      throw new TrustError(
        'INVALID_INPUT',
        `the new ${rotation.kind} chain is the one it replaces`,
      );
    }
    retired++;
    return { ...authority, validFor: { ...authority.validFor, end } };
  });
  if (retired === 0) {
    throw new TrustError(
      'NOTHING_TO_ROTATE',
      `no ${rotation.kind} '${replaces}' is valid at ${end}`,
    );
  }
  return { ...checked, [section]: sortByStart([...authorities, entry], (e) => e.validFor) };
}

function logEntry(input: TransparencyLogInput, kind: LogKind, field: string): TransparencyLogJson {
  checkUrl(input.baseUrl, `${field}.baseUrl`);
  const key = toPublicKey(input.publicKey, `${field}.publicKey`);
  const keyDetails = keyDetailsOf(key, `${field}.publicKey`);
  const spki = spkiOf(key);
  const logId = input.logId ?? defaultLogId(key, spki, kind, input.origin, field);
  if (logId.length !== LOG_ID_BYTES) {
    throw new TrustError('INVALID_INPUT', `${field}.logId must be ${LOG_ID_BYTES} bytes`);
  }
  if (input.checkpointKeyId !== undefined && !sameBytes(input.checkpointKeyId, logId)) {
    throw new TrustError(
      'INVALID_INPUT',
      `${field}.checkpointKeyId must equal the log ID: sigstore-js uses it as the log ID too`,
    );
  }
  return {
    baseUrl: input.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: encodeBase64(spki),
      keyDetails,
      validFor: validityFromInput(input.validFor, `${field}.publicKey.validFor`, 'INVALID_INPUT'),
    },
    logId: { keyId: encodeBase64(logId) },
    ...(input.checkpointKeyId !== undefined
      ? { checkpointKeyId: { keyId: encodeBase64(logId) } }
      : {}),
    ...(input.operator !== undefined ? { operator: input.operator } : {}),
  };
}

function defaultLogId(
  key: KeyObject,
  spki: Uint8Array,
  kind: LogKind,
  origin: string | undefined,
  field: string,
): Uint8Array {
  if (kind === 'tlog' && key.asymmetricKeyType === 'ed25519') {
    // A Rekor v2 Ed25519 log is found by its C2SP key hash; SHA-256(SPKI) would match nothing.
    if (origin === undefined) {
      throw new TrustError(
        'INVALID_INPUT',
        `${field}: an Ed25519 log's ID is its C2SP key hash; give the checkpoint origin or the logId`,
      );
    }
    if (origin === '' || /[\s+]/.test(origin)) {
      throw new TrustError('INVALID_INPUT', `${field}.origin is not a note key name`);
    }
    const raw = spki.subarray(spki.length - 32);
    return sha256(Buffer.concat([Buffer.from(`${origin}\n`, 'utf8'), Buffer.of(0x01), raw]));
  }
  // CT log IDs (RFC 6962) and Sigstore's ECDSA note key hashes are both SHA-256(SPKI).
  return sha256(spki);
}

function authorityEntry(
  input: CertificateAuthorityInput,
  kind: AuthorityKind,
  field: string,
): CertificateAuthorityJson {
  if (input.uri === '') throw new TrustError('INVALID_INPUT', `${field}.uri is empty`);
  checkUrl(input.uri, `${field}.uri`);
  const ders = chainDers(input.chain, `${field}.chain`);
  const certificates = checkChain(ders, kind, `${field}.chain`);
  const first = certificates[0]!;
  return {
    subject: input.subject ?? subjectOf(first),
    uri: input.uri,
    certChain: { certificates: ders.map((der) => ({ rawBytes: encodeBase64(der) })) },
    validFor: validityFromInput(
      input.validFor ?? { start: new Date(first.validFrom) },
      `${field}.validFor`,
      'INVALID_INPUT',
    ),
    ...(input.operator !== undefined ? { operator: input.operator } : {}),
  };
}

function chainDers(chain: CertificateAuthorityInput['chain'], field: string): Uint8Array[] {
  const parts = typeof chain === 'string' ? [chain] : chain;
  const ders = parts.flatMap((part) =>
    typeof part === 'string' ? pemBlocks(part, 'CERTIFICATE', field) : [part],
  );
  if (ders.length === 0) throw new TrustError('INVALID_INPUT', `${field} is empty`);
  return ders;
}

/**
 * Parses a chain and checks what clients will rely on: each certificate is issued and signed by the
 * next; CA chains hold only CA certificates; a TSA chain starts with a non-CA timeStamping leaf
 * (sigstore-js matches the token's signer against it) and ends with a CA.
 */
function checkChain(ders: Uint8Array[], kind: AuthorityKind, field: string): X509Certificate[] {
  const certificates = ders.map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (error) {
      throw new TrustError('INVALID_INPUT', `${field}[${i}] is not an X.509 certificate`, {
        cause: error,
      });
    }
  });
  for (let i = 0; i + 1 < certificates.length; i++) {
    const [cert, issuer] = [certificates[i]!, certificates[i + 1]!];
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new TrustError(
        'INVALID_INPUT',
        `${field}[${i}] is not issued by ${field}[${i + 1}]: order the chain leaf-most first, root last`,
      );
    }
  }
  if (kind === 'certificateAuthority') {
    const notCa = certificates.findIndex((cert) => !cert.ca);
    if (notCa >= 0) {
      throw new TrustError('INVALID_INPUT', `${field}[${notCa}] is not a CA certificate`);
    }
  } else {
    const leaf = certificates[0]!;
    if (leaf.ca || !(leaf.keyUsage ?? []).includes(EKU_TIME_STAMPING)) {
      throw new TrustError(
        'INVALID_INPUT',
        `${field}[0] must be the TSA's signing certificate: not a CA, with the timeStamping EKU`,
      );
    }
    if (certificates.length < 2 || !certificates[certificates.length - 1]!.ca) {
      throw new TrustError('INVALID_INPUT', `${field} must end with the TSA's root CA certificate`);
    }
  }
  return certificates;
}

function subjectOf(certificate: X509Certificate): DistinguishedNameJson {
  const attributes = new Map<string, string>();
  for (const line of certificate.subject.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) attributes.set(line.slice(0, equals), line.slice(equals + 1));
  }
  const organization = attributes.get('O');
  const commonName = attributes.get('CN');
  return {
    ...(organization !== undefined ? { organization } : {}),
    ...(commonName !== undefined ? { commonName } : {}),
  };
}

function checkUrl(text: string, field: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TrustError('INVALID_INPUT', `${field} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TrustError('INVALID_INPUT', `${field} is not an http(s) URL`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses and checks a trusted root (JSON text, bytes or an object) against the rules of every client
 * (sigstore-go is the strictest): the v0.1 media type, SHA2_256, supported key details that match the
 * key, a validity start on every entry, 32-byte log IDs, parseable certificates. Returns the known
 * fields only, with every list present.
 */
export function parseTrustedRoot(input: unknown): TrustedRootJson {
  const json = typeof input === 'string' || input instanceof Uint8Array ? parseText(input) : input;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('a trusted root is a JSON object');
  }
  const root = json as Record<string, unknown>;
  if (root.mediaType !== TRUSTED_ROOT_MEDIA_TYPE) {
    throw invalid(
      `mediaType ${JSON.stringify(root.mediaType)} is not '${TRUSTED_ROOT_MEDIA_TYPE}', the only one sigstore-go and sigstore-python accept`,
    );
  }
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: list(root.tlogs, 'tlogs').map((log, i) => parseLog(log, `tlogs[${i}]`)),
    certificateAuthorities: list(root.certificateAuthorities, 'certificateAuthorities').map(
      (ca, i) => parseAuthority(ca, `certificateAuthorities[${i}]`),
    ),
    ctlogs: list(root.ctlogs, 'ctlogs').map((log, i) => parseLog(log, `ctlogs[${i}]`)),
    timestampAuthorities: list(root.timestampAuthorities, 'timestampAuthorities').map((tsa, i) =>
      parseAuthority(tsa, `timestampAuthorities[${i}]`),
    ),
  };
}

function parseText(input: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'));
  } catch (error) {
    throw new TrustError('INVALID_TRUSTED_ROOT', 'the trusted root is not JSON', { cause: error });
  }
}

function invalid(message: string): TrustError {
  return new TrustError('INVALID_TRUSTED_ROOT', message);
}

/** A repeated field: protojson leaves out empty lists, so missing means empty. */
function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${field} is not a list`);
  return value;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${field} is missing or not an object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} is missing or empty`);
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} is not a string`);
  return value;
}

function bytes(value: unknown, field: string): Uint8Array {
  const decoded = typeof value === 'string' ? decodeBase64Strict(value) : null;
  if (decoded === null || decoded.length === 0) {
    throw invalid(`${field} is missing, empty or not base64`);
  }
  return decoded;
}

function parseLogId(value: unknown, field: string): { keyId: string } {
  const keyId = record(value, field).keyId;
  const decoded = bytes(keyId, `${field}.keyId`);
  if (decoded.length !== LOG_ID_BYTES) {
    throw invalid(`${field}.keyId is ${decoded.length} bytes, not the ${LOG_ID_BYTES} of a log ID`);
  }
  return { keyId: keyId as string };
}

function parseLog(value: unknown, field: string): TransparencyLogJson {
  const log = record(value, field);
  const baseUrl = text(log.baseUrl, `${field}.baseUrl`);
  if (log.hashAlgorithm !== 'SHA2_256') {
    throw invalid(`${field}.hashAlgorithm must be SHA2_256 (sigstore-go accepts no other)`);
  }
  const publicKey = record(log.publicKey, `${field}.publicKey`);
  const rawBytes = bytes(publicKey.rawBytes, `${field}.publicKey.rawBytes`);
  const keyDetails = publicKey.keyDetails;
  if (!isSupportedKeyDetails(keyDetails)) {
    throw invalid(`${field}.publicKey.keyDetails ${JSON.stringify(keyDetails)} is not supported`);
  }
  let key: KeyObject;
  try {
    key = toPublicKey(rawBytes, `${field}.publicKey.rawBytes`);
  } catch (error) {
    throw new TrustError(
      'INVALID_TRUSTED_ROOT',
      `${field}.publicKey.rawBytes is not a SubjectPublicKeyInfo`,
      { cause: error },
    );
  }
  const actual = keyDetailsOf(key, `${field}.publicKey`, 'INVALID_TRUSTED_ROOT');
  if (actual !== keyDetails) {
    throw invalid(`${field}.publicKey.keyDetails says ${keyDetails} but the key is ${actual}`);
  }
  const operator = optionalText(log.operator, `${field}.operator`);
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: publicKey.rawBytes as string,
      keyDetails,
      validFor: validityFromJson(
        publicKey.validFor,
        `${field}.publicKey.validFor`,
        'INVALID_TRUSTED_ROOT',
      ),
    },
    logId: parseLogId(log.logId, `${field}.logId`),
    ...(log.checkpointKeyId !== undefined
      ? { checkpointKeyId: parseLogId(log.checkpointKeyId, `${field}.checkpointKeyId`) }
      : {}),
    ...(operator !== undefined ? { operator } : {}),
  };
}

function parseAuthority(value: unknown, field: string): CertificateAuthorityJson {
  const authority = record(value, field);
  const subject =
    authority.subject === undefined ? {} : record(authority.subject, `${field}.subject`);
  const organization = optionalText(subject.organization, `${field}.subject.organization`);
  const commonName = optionalText(subject.commonName, `${field}.subject.commonName`);
  const uri = optionalText(authority.uri, `${field}.uri`) ?? '';
  const certificates = list(
    record(authority.certChain, `${field}.certChain`).certificates,
    `${field}.certChain.certificates`,
  );
  if (certificates.length === 0) throw invalid(`${field}.certChain.certificates is empty`);
  const chain = certificates.map((certificate, i) => {
    const path = `${field}.certChain.certificates[${i}].rawBytes`;
    const rawBytes = record(certificate, path).rawBytes;
    try {
      new X509Certificate(bytes(rawBytes, path));
    } catch (error) {
      if (error instanceof TrustError) throw error;
      throw new TrustError('INVALID_TRUSTED_ROOT', `${path} is not an X.509 certificate`, {
        cause: error,
      });
    }
    return { rawBytes: rawBytes as string };
  });
  const operator = optionalText(authority.operator, `${field}.operator`);
  return {
    subject: {
      ...(organization !== undefined ? { organization } : {}),
      ...(commonName !== undefined ? { commonName } : {}),
    },
    uri,
    certChain: { certificates: chain },
    validFor: validityFromJson(authority.validFor, `${field}.validFor`, 'INVALID_TRUSTED_ROOT'),
    ...(operator !== undefined ? { operator } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

function sortByStart<T>(entries: T[], validity: (entry: T) => ValidityJson): T[] {
  // Array.prototype.sort is stable, so entries with the same start keep the caller's order.
  return entries.sort((a, b) => startOf(validity(a)) - startOf(validity(b)));
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
