// Sigstore's Fulcio extensions (1.3.6.1.4.1.57264.1.*): rendering OIDC claims into extensions the
// way Fulcio does, and reading them back the way clients do (.1.8 first, then the raw .1.1).
import type { Extension } from '@peculiar/asn1-x509';
import { encodeElement, readSingle, TAG } from './der.js';
import { parsingAs, X509Error } from './errors.js';
import {
  FULCIO_EXTENSIONS,
  FULCIO_ISSUER_V1_OID,
  type FulcioExtensionName,
  type FulcioExtensions,
} from './oids.js';
import { checkUtf8, extension } from './tbs-builder.js';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The Fulcio extensions for `values`, non-critical, in Fulcio's order: the issuer as .1.1 (raw)
 * and .1.8 (UTF8String), then every other value that is set and non-empty, by ascending OID.
 */
export function renderFulcioExtensions(values: FulcioExtensions): Extension[] {
  if (typeof values.issuer !== 'string' || values.issuer === '') {
    throw new X509Error('INVALID_INPUT', 'Fulcio extensions need a non-empty issuer');
  }
  const rendered: Extension[] = [];
  for (const spec of FULCIO_EXTENSIONS) {
    const value = values[spec.name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      throw new X509Error('INVALID_INPUT', `Fulcio extension ${spec.name} must be a string`);
    }
    checkUtf8(value, `Fulcio extension ${spec.name}`);
    const bytes = utf8.encode(value);
    rendered.push(
      extension(
        spec.oid,
        false,
        spec.encoding === 'raw' ? bytes : encodeElement(TAG.UTF8_STRING, bytes),
      ),
    );
  }
  return rendered;
}

/** The Fulcio values a certificate carries, read from (OID, extnValue) pairs; others are ignored. */
export function readFulcioExtensions(
  extensions: readonly { readonly oid: string; readonly value: Uint8Array }[],
): Partial<Record<FulcioExtensionName, string>> {
  const read: Partial<Record<FulcioExtensionName, string>> = {};
  let issuerV1: string | undefined;
  for (const { oid, value } of extensions) {
    const spec = FULCIO_EXTENSIONS.find((candidate) => candidate.oid === oid);
    if (spec === undefined) continue;
    const text = parsingAs('MALFORMED_CERTIFICATE', `Fulcio extension ${oid} is malformed`, () =>
      strictUtf8.decode(
        spec.encoding === 'raw' ? value : readSingle(value, TAG.UTF8_STRING).content,
      ),
    );
    if (oid === FULCIO_ISSUER_V1_OID) issuerV1 = text;
    else read[spec.name] = text;
  }
  // Clients prefer the correctly encoded .1.8 issuer and fall back to the deprecated raw .1.1.
  if (read.issuer === undefined && issuerV1 !== undefined) read.issuer = issuerV1;
  return read;
}
