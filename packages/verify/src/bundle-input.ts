// Turns the caller's parsed bundle JSON into a validated @sigstore/bundle Bundle, refusing what the
// protobuf JSON decoder would silently accept (unknown media types, base64 it would half-decode).
import { type Bundle, bundleFromJSON, ValidationError } from '@sigstore/bundle';
import { VerifyError } from './errors.js';

/** Bundle media types of versions 0.1 to 0.3; sigstore-go refuses anything newer, and so do we. */
export const BUNDLE_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

// Every bytes field the verifier reads. '*' walks an array. Node's base64 decoder skips characters
// it does not know, so "INVALID!!!" would decode to something instead of being refused.
const BASE64_FIELDS: readonly (readonly string[])[] = [
  ['messageSignature', 'signature'],
  ['messageSignature', 'messageDigest', 'digest'],
  ['dsseEnvelope', 'payload'],
  ['dsseEnvelope', 'signatures', '*', 'sig'],
  ['verificationMaterial', 'certificate', 'rawBytes'],
  ['verificationMaterial', 'x509CertificateChain', 'certificates', '*', 'rawBytes'],
  ['verificationMaterial', 'tlogEntries', '*', 'logId', 'keyId'],
  ['verificationMaterial', 'tlogEntries', '*', 'canonicalizedBody'],
  ['verificationMaterial', 'tlogEntries', '*', 'inclusionPromise', 'signedEntryTimestamp'],
  ['verificationMaterial', 'tlogEntries', '*', 'inclusionProof', 'rootHash'],
  ['verificationMaterial', 'tlogEntries', '*', 'inclusionProof', 'hashes', '*'],
  [
    'verificationMaterial',
    'timestampVerificationData',
    'rfc3161Timestamps',
    '*',
    'signedTimestamp',
  ],
];

/** Parses bundle JSON text; the CLI reads the file, this gives its failure the bundle's code. */
export function parseBundleJson(text: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text));
  } catch (err) {
    throw new VerifyError('BUNDLE', `bundle is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Validates parsed bundle JSON (`bundle.sigstore.json`) and decodes it. */
export function parseBundle(json: unknown): Bundle {
  if (!isRecord(json)) throw new VerifyError('BUNDLE', 'bundle is not a JSON object');
  const mediaType = json.mediaType;
  if (typeof mediaType !== 'string' || !BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw new VerifyError('BUNDLE', `unsupported bundle media type ${JSON.stringify(mediaType)}`);
  }
  for (const path of BASE64_FIELDS) checkBase64(json, path, []);
  try {
    return bundleFromJSON(json);
  } catch (err) {
    const detail = err instanceof ValidationError ? err.fields.join(', ') : (err as Error).message;
    throw new VerifyError('BUNDLE', `invalid bundle: ${detail}`, { cause: err });
  }
}

// Standard alphabet; padding optional, as proto3 JSON allows, but a lone trailing character (length
// 1 mod 4) cannot be a whole byte and is refused. Line breaks are skipped, as Go's decoder (and so
// cosign and sigstore-go) skips them: `base64` wraps its output and such bundles exist.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isStrictBase64(text: string): boolean {
  const joined = text.replace(/\r?\n/g, '');
  if (!BASE64.test(joined)) return false;
  const padded = joined.endsWith('=');
  return padded ? joined.length % 4 === 0 : joined.length % 4 !== 1;
}

function checkBase64(value: unknown, path: readonly string[], at: string[]): void {
  if (value === undefined || value === null) return;
  const [head, ...rest] = path;
  if (head === undefined) {
    if (typeof value !== 'string' || !isStrictBase64(value)) {
      throw new VerifyError('BUNDLE', `bundle field ${at.join('.')} is not valid base64`);
    }
    return;
  }
  if (head === '*') {
    if (!Array.isArray(value)) return; // the schema check reports a wrong shape
    value.forEach((item, i) => {
      checkBase64(item, rest, [...at.slice(0, -1), `${at.at(-1)}[${i}]`]);
    });
    return;
  }
  if (isRecord(value)) checkBase64(value[head], rest, [...at, head]);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
