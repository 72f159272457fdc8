// The precertificate flow (RFC 6962 §3.1, wire-formats §1.7) as byte surgery on a TBSCertificate:
// add the poison, swap it for the SCT list, and take either out again exactly as verifiers do.
import {
  certificateParts,
  encodeTbs,
  type RawExtension,
  readExtension,
  tbsFields,
} from './certificate.js';
import { bytesEqual, type DerElement, encodeElement, readSingle, TAG } from './der.js';
import { parsingAs, X509Error } from './errors.js';
import { OID } from './oids.js';
import { decodeSctList, encodeSctList, type SignedCertificateTimestamp } from './sct.js';
import { der, extension } from './tbs-builder.js';

const ASN1_NULL = Uint8Array.of(0x05, 0x00);

interface SplitExtensions {
  readonly fields: ReturnType<typeof tbsFields>;
  readonly kept: DerElement[];
  readonly removed: RawExtension | undefined;
}

/** The TBS with extension `oid` taken out; every other byte stays as it was. Duplicates are refused. */
function withoutExtension(tbs: Uint8Array, oid: string): SplitExtensions {
  const fields = tbsFields(tbs);
  const kept: DerElement[] = [];
  let removed: RawExtension | undefined;
  for (const element of fields.extensions) {
    const read = readExtension(element);
    if (read.oid !== oid) {
      kept.push(element);
      continue;
    }
    if (removed !== undefined) {
      throw new X509Error('MALFORMED_CERTIFICATE', `extension ${oid} appears twice`);
    }
    removed = read;
  }
  return { fields, kept, removed };
}

function has(tbs: Uint8Array, oid: string): boolean {
  return withoutExtension(tbs, oid).removed !== undefined;
}

/** A leaf TBS with the critical CT poison extension (value NULL) appended: the precertificate's TBS. */
export function precertificateTbs(leafTbs: Uint8Array): Uint8Array {
  if (has(leafTbs, OID.ctPoison) || has(leafTbs, OID.ctSctList)) {
    throw new X509Error('INVALID_INPUT', 'the TBS already carries a poison or an SCT list');
  }
  const fields = tbsFields(leafTbs);
  return encodeTbs(fields, [
    ...fields.extensions.map((element) => element.bytes),
    der(extension(OID.ctPoison, true, ASN1_NULL)),
  ]);
}

/**
 * The final certificate's TBS: the leaf (or precertificate) TBS without the poison, with the SCT
 * list extension appended last. Its extnValue is an OCTET STRING holding the TLS
 * SignedCertificateTimestampList (RFC 6962 §3.3).
 */
export function finalCertificateTbs(
  tbs: Uint8Array,
  scts: readonly SignedCertificateTimestamp[],
): Uint8Array {
  if (has(tbs, OID.ctSctList)) throw new X509Error('INVALID_INPUT', 'the TBS already carries SCTs');
  const { fields, kept } = withoutExtension(tbs, OID.ctPoison);
  const list = encodeElement(TAG.OCTET_STRING, encodeSctList(scts));
  return encodeTbs(fields, [
    ...kept.map((element) => element.bytes),
    der(extension(OID.ctSctList, false, list)),
  ]);
}

/**
 * The TBS an embedded SCT signs, from a final DER certificate: its TBS with the SCT list
 * extension removed (what sigstore-js, sigstore-go and sigstore-python rebuild to verify SCTs).
 */
export function tbsForSct(finalCert: Uint8Array): Uint8Array {
  const { fields, kept, removed } = withoutExtension(
    certificateParts(finalCert).tbs,
    OID.ctSctList,
  );
  if (removed === undefined) {
    throw new X509Error('MISSING_EXTENSION', 'the certificate carries no embedded SCT list');
  }
  return encodeTbs(
    fields,
    kept.map((element) => element.bytes),
  );
}

/**
 * The TBS a CT log hashes for a precertificate entry: the precertificate's TBS with the poison
 * removed. Refuses certificates without a critical, NULL-valued poison: they are not precertificates.
 */
export function precertTbsFromPrecert(precert: Uint8Array): Uint8Array {
  const { fields, kept, removed } = withoutExtension(certificateParts(precert).tbs, OID.ctPoison);
  if (removed === undefined) {
    throw new X509Error('MISSING_EXTENSION', 'not a precertificate: no CT poison extension');
  }
  if (!removed.critical || !bytesEqual(removed.value, ASN1_NULL)) {
    throw new X509Error('MALFORMED_CERTIFICATE', 'the CT poison must be critical with value NULL');
  }
  return encodeTbs(
    fields,
    kept.map((element) => element.bytes),
  );
}

/** The SCTs embedded in a DER certificate (empty if it has no SCT list extension). */
export function embeddedScts(certificate: Uint8Array): SignedCertificateTimestamp[] {
  const { removed } = withoutExtension(certificateParts(certificate).tbs, OID.ctSctList);
  if (removed === undefined) return [];
  const list = parsingAs('MALFORMED_SCT', 'the SCT list extension is not an OCTET STRING', () =>
    readSingle(removed.value, TAG.OCTET_STRING),
  );
  return decodeSctList(list.content);
}
