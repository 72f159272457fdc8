// What a person (the explorer) or a rule (the monitor) needs to know about a log entry: the artifact
// digests, the signing keys' fingerprints, and each certificate's identity, issuer, validity and
// extensions. Pure: bytes in, plain JSON-ready objects out.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import {
  certificateExtensions,
  FULCIO_EXTENSIONS,
  OID,
  readFulcioExtensions,
  TlsReader,
} from '@airlock/x509';
import { MonitorError } from './errors.js';

export interface SubjectAlternativeNameSummary {
  /** `email`, `uri`, `otherName-username`, or `other` (then `value` is the GeneralName's DER in hex). */
  readonly type: string;
  readonly value: string;
}

export interface ExtensionSummary {
  readonly oid: string;
  /** The extension's name when it is a standard or Fulcio one. */
  readonly name?: string;
  readonly critical: boolean;
  /** Fulcio values decoded as text; anything else as hex of extnValue. */
  readonly value: string;
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as node prints it. */
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER certificate, hex. */
  readonly sha256: string;
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo: what Rekor's `key:` search keys hold. */
  readonly keyFingerprint: string;
  readonly keyAlgorithm: string;
  readonly subjectAlternativeNames: readonly SubjectAlternativeNameSummary[];
  /** The OIDC issuer (Fulcio extension .1.8, else .1.1). */
  readonly oidcIssuer?: string;
  readonly extensions: readonly ExtensionSummary[];
  readonly precertificate: boolean;
  readonly pem: string;
}

export interface VerifierSummary {
  readonly kind: 'certificate' | 'publicKey';
  readonly keyFingerprint: string;
  readonly keyAlgorithm: string;
  readonly certificate?: CertificateSummary;
}

export interface EntrySummary {
  readonly kind: string;
  readonly apiVersion: string;
  /** Every `{algorithm, value}` digest in the entry: the artifact's, the payload's, the envelope's. */
  readonly digests: readonly { readonly algorithm: string; readonly value: string }[];
  readonly verifiers: readonly VerifierSummary[];
}

const STANDARD_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(OID).map(([name, oid]) => [oid, name]),
);

function extensionName(oid: string): string | undefined {
  const fulcio = FULCIO_EXTENSIONS.find((spec) => spec.oid === oid);
  if (fulcio) return oid.endsWith('.1.1') ? 'issuer (v1, deprecated)' : fulcio.name;
  return STANDARD_NAMES[oid];
}

function keyAlgorithmOf(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails;
  if (type === 'ec') return `ecdsa-${details?.namedCurve ?? 'unknown'}`;
  if (type === 'rsa') return `rsa-${details?.modulusLength ?? 0}`;
  return type;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function pemOf(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/** Decodes a DER certificate (or precertificate). Throws MonitorError MALFORMED_ENTRY. */
export function describeCertificate(der: Uint8Array): CertificateSummary {
  let certificate: X509Certificate;
  let extensions: ReturnType<typeof certificateExtensions>;
  try {
    certificate = new X509Certificate(der);
    extensions = certificateExtensions(der);
  } catch (error) {
    throw new MonitorError('MALFORMED_ENTRY', `not a certificate: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  const oidcIssuer = extensions.fulcio.issuer;
  return {
    // Node writes one RDN per line; one line reads better in JSON and on a page.
    subject: (certificate.subject ?? '').split('\n').join(', '),
    issuer: (certificate.issuer ?? '').split('\n').join(', '),
    serialNumber: certificate.serialNumber,
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    sha256: sha256Hex(der),
    keyFingerprint: `sha256:${sha256Hex(spki)}`,
    keyAlgorithm: keyAlgorithmOf(certificate.publicKey),
    subjectAlternativeNames: extensions.subjectAlternativeNames.map((san) =>
      san.type === 'other'
        ? { type: 'other', value: Buffer.from(san.der).toString('hex') }
        : { type: san.type, value: san.value },
    ),
    ...(oidcIssuer === undefined ? {} : { oidcIssuer }),
    extensions: extensions.all.map((extension) => {
      const name = extensionName(extension.oid);
      let value = Buffer.from(extension.value).toString('hex');
      if (FULCIO_EXTENSIONS.some((spec) => spec.oid === extension.oid)) {
        const decoded = Object.values(readFulcioExtensions([extension]))[0];
        if (decoded !== undefined) value = decoded;
      }
      return { oid: extension.oid, ...(name ? { name } : {}), critical: extension.critical, value };
    }),
    precertificate: extensions.precertificatePoison,
    pem: pemOf(der),
  };
}

/** A PEM certificate or public key, as entries carry verifiers (base64 of the PEM text). */
function describePem(pem: string): VerifierSummary | null {
  const certificate =
    /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (certificate) {
    const summary = describeCertificate(Buffer.from(certificate[1]!.replace(/\s+/g, ''), 'base64'));
    return {
      kind: 'certificate',
      keyFingerprint: summary.keyFingerprint,
      keyAlgorithm: summary.keyAlgorithm,
      certificate: summary,
    };
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) return null;
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return null;
  }
  return {
    kind: 'publicKey',
    keyFingerprint: `sha256:${sha256Hex(key.export({ type: 'spki', format: 'der' }))}`,
    keyAlgorithm: keyAlgorithmOf(key),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_BASE64_PREFIX = 'LS0tLS1CRUdJTi'; // base64 of "-----BEGIN"

/**
 * Decodes a Rekor v1 canonical body (hashedrekord, dsse, intoto, ...). Rather than one parser per
 * kind, it walks the JSON: every base64 PEM is a verifier and every {algorithm, value} a digest, which
 * is where each kind keeps them. Throws MALFORMED_ENTRY for a body that is not such JSON.
 */
export function describeRekorBody(body: Uint8Array): EntrySummary {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    throw new MonitorError('MALFORMED_ENTRY', 'the entry body is not JSON', { cause: error });
  }
  const root = json as { kind?: unknown; apiVersion?: unknown };
  if (typeof root !== 'object' || root === null || typeof root.kind !== 'string')
    throw new MonitorError('MALFORMED_ENTRY', 'the entry body has no kind');
  const digests: { algorithm: string; value: string }[] = [];
  const verifiers: VerifierSummary[] = [];
  const seenDigests = new Set<string>();
  const seenVerifiers = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 16) return;
    if (typeof value === 'string') {
      if (!value.startsWith(PEM_BASE64_PREFIX) || !BASE64.test(value)) return;
      const verifier = describePem(Buffer.from(value, 'base64').toString('utf8'));
      const key = verifier ? (verifier.certificate?.sha256 ?? verifier.keyFingerprint) : '';
      if (verifier && !seenVerifiers.has(key)) {
        seenVerifiers.add(key);
        verifiers.push(verifier);
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    if (typeof object.algorithm === 'string' && typeof object.value === 'string') {
      const digest = `${object.algorithm.toLowerCase()}:${object.value.toLowerCase()}`;
      if (/^[a-z0-9-]+:[0-9a-f]+$/.test(digest) && !seenDigests.has(digest)) {
        seenDigests.add(digest);
        digests.push({
          algorithm: object.algorithm.toLowerCase(),
          value: object.value.toLowerCase(),
        });
      }
    }
    for (const item of Object.values(object)) walk(item, depth + 1);
  };
  walk(json, 0);
  return {
    kind: root.kind,
    apiVersion: typeof root.apiVersion === 'string' ? root.apiVersion : '',
    digests,
    verifiers,
  };
}

export interface CtEntrySummary {
  readonly entryType: 'x509' | 'precert';
  /** The entry's timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly certificate: CertificateSummary;
}

/**
 * Decodes a CT log entry (get-entries' leaf_input and extra_data, RFC 6962 §3.4 and §4.6). A precert
 * entry's leaf holds only the TBS, so the certificate described is the precertificate in extra_data.
 */
export function describeCtEntry(leafInput: Uint8Array, extraData: Uint8Array): CtEntrySummary {
  try {
    const leaf = new TlsReader(leafInput, 'MerkleTreeLeaf');
    if (leaf.uint(1) !== 0 || leaf.uint(1) !== 0)
      throw new MonitorError('MALFORMED_ENTRY', 'not a v1 timestamped_entry leaf');
    const timestamp = leaf.uint64();
    const entryType = leaf.uint(2);
    if (entryType === 0) {
      const certificate = leaf.vector(3);
      leaf.vector(2);
      leaf.end();
      return { entryType: 'x509', timestamp, certificate: describeCertificate(certificate) };
    }
    if (entryType !== 1)
      throw new MonitorError('MALFORMED_ENTRY', `unknown entry type ${entryType}`);
    leaf.bytes(32);
    leaf.vector(3);
    leaf.vector(2);
    leaf.end();
    const extra = new TlsReader(extraData, 'PrecertChainEntry');
    const precertificate = extra.vector(3);
    return { entryType: 'precert', timestamp, certificate: describeCertificate(precertificate) };
  } catch (error) {
    if (error instanceof MonitorError) throw error;
    throw new MonitorError('MALFORMED_ENTRY', `malformed CT entry: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
