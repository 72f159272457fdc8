// Reads the X.509 certificates of a TSA chain as exact DER fields (issuer and serial bytes are
// compared byte for byte with a token's signer identifier) and checks the TSA leaf profile.
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  contextTag,
  type DerElement,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeTime,
  expectTag,
  Fields,
  readChildren,
  readSingle,
  TAG,
} from './der.js';
import { parsingAs, TimestampError, type TimestampErrorCode } from './errors.js';
import { OID } from './oids.js';

export interface CertificateExtension {
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents. */
  readonly value: Uint8Array;
}

/** A certificate's fields, each as the exact DER it was read from where byte equality matters. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The issuer Name, whole DER. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  /** The serial number INTEGER's contents. */
  readonly serialNumber: Uint8Array;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** By extension OID; a certificate carrying one twice is refused. */
  readonly extensions: ReadonlyMap<string, CertificateExtension>;
}

function readExtensions(wrapper: DerElement | undefined): Map<string, CertificateExtension> {
  const extensions = new Map<string, CertificateExtension>();
  if (wrapper === undefined) return extensions;
  const list = readChildren(readSingle(wrapper.content, TAG.SEQUENCE).content);
  for (const element of list) {
    const fields = Fields.of(element, TAG.SEQUENCE, 'Extension');
    const oid = decodeOid(fields.required(TAG.OID, 'an OID'));
    const criticalElement = fields.optional(TAG.BOOLEAN);
    const value = fields.required(TAG.OCTET_STRING, 'a value').content;
    fields.end();
    if (extensions.has(oid)) throw new Error(`extension ${oid} appears twice`);
    extensions.set(oid, {
      critical: criticalElement === undefined ? false : decodeBoolean(criticalElement),
      value,
    });
  }
  return extensions;
}

/** Parses a DER certificate; `code` is the error code a malformed one is reported with. */
export function parseCertificate(der: Uint8Array, code: TimestampErrorCode): ParsedCertificate {
  return parsingAs(code, 'not a DER X.509 certificate', () => {
    const certificate = Fields.of(readSingle(der), TAG.SEQUENCE, 'Certificate');
    const tbsElement = certificate.required(TAG.SEQUENCE, 'a TBSCertificate');
    certificate.required(TAG.SEQUENCE, 'a signature algorithm');
    certificate.required(TAG.BIT_STRING, 'a signature');
    certificate.end();
    const tbs = Fields.of(tbsElement, TAG.SEQUENCE, 'TBSCertificate');
    tbs.optional(contextTag(0));
    const serialNumber = tbs.required(TAG.INTEGER, 'a serial number');
    decodeInteger(serialNumber);
    tbs.required(TAG.SEQUENCE, 'a signature algorithm');
    const issuer = tbs.required(TAG.SEQUENCE, 'an issuer');
    const validity = Fields.of(tbs.required(TAG.SEQUENCE, 'a validity'), TAG.SEQUENCE, 'Validity');
    const notBefore = validity.required(validityTag(validity), 'notBefore');
    const notAfter = validity.required(validityTag(validity), 'notAfter');
    validity.end();
    const subject = tbs.required(TAG.SEQUENCE, 'a subject');
    const spki = tbs.required(TAG.SEQUENCE, 'a public key');
    tbs.optional(0x81);
    tbs.optional(0x82);
    const extensions = readExtensions(tbs.optional(contextTag(3)));
    tbs.end();
    return {
      der,
      issuer: issuer.bytes,
      subject: subject.bytes,
      serialNumber: serialNumber.content,
      subjectPublicKeyInfo: spki.bytes,
      publicKey: createPublicKey({ key: Buffer.from(spki.bytes), format: 'der', type: 'spki' }),
      notBefore: decodeTime(notBefore),
      notAfter: decodeTime(notAfter),
      extensions,
    };
  });
}

/** Validity times are UTCTime or GeneralizedTime; peek at the next one's tag to read either. */
function validityTag(validity: Fields): number {
  return validity.peekTag() === TAG.GENERALIZED_TIME ? TAG.GENERALIZED_TIME : TAG.UTC_TIME;
}

/** The OIDs of an ExtendedKeyUsage value. */
export function extendedKeyUsages(extension: CertificateExtension): string[] {
  return readChildren(readSingle(extension.value, TAG.SEQUENCE).content).map(decodeOid);
}

/** Whether BasicConstraints says CA. */
export function isCa(certificate: ParsedCertificate): boolean {
  const extension = certificate.extensions.get(OID.basicConstraints);
  if (extension === undefined) return false;
  const fields = Fields.of(readSingle(extension.value), TAG.SEQUENCE, 'BasicConstraints');
  const ca = fields.optional(TAG.BOOLEAN);
  return ca !== undefined && decodeBoolean(ca);
}

/** Whether KeyUsage, if present, allows `bit` (0 digitalSignature, 5 keyCertSign). */
export function keyUsageAllows(certificate: ParsedCertificate, bit: number): boolean {
  const extension = certificate.extensions.get(OID.keyUsage);
  if (extension === undefined) return true;
  const bits = expectTag(readSingle(extension.value), TAG.BIT_STRING).content;
  const byte = bits[1 + Math.floor(bit / 8)];
  return byte !== undefined && (byte & (0x80 >> (bit % 8))) !== 0;
}

/**
 * Throws `code` unless the certificate may sign timestamps as sigstore verifiers require
 * (wire-formats §7.4): not a CA, KeyUsage (if any) allows digitalSignature, and an EKU extension
 * that is critical and holds exactly id-kp-timeStamping.
 */
export function checkTimestampingLeaf(
  certificate: ParsedCertificate,
  code: TimestampErrorCode,
): void {
  parsingAs(code, 'the TSA certificate has malformed extensions', () => {
    if (isCa(certificate)) throw new TimestampError(code, 'the TSA certificate is a CA');
    if (!keyUsageAllows(certificate, 0)) {
      throw new TimestampError(code, 'the TSA certificate may not make digital signatures');
    }
    const eku = certificate.extensions.get(OID.extendedKeyUsage);
    if (eku === undefined || !eku.critical) {
      throw new TimestampError(code, 'the TSA certificate needs a critical ExtendedKeyUsage');
    }
    const purposes = extendedKeyUsages(eku);
    if (purposes.length !== 1 || purposes[0] !== OID.timeStamping) {
      throw new TimestampError(
        code,
        `the TSA certificate's only EKU must be timeStamping, not ${purposes.join(', ')}`,
      );
    }
  });
}

/** Whether `at` lies inside the certificate's validity (both ends inclusive, as RFC 5280 says). */
export function validAt(certificate: ParsedCertificate, at: Date): boolean {
  return (
    at.getTime() >= certificate.notBefore.getTime() &&
    at.getTime() <= certificate.notAfter.getTime()
  );
}
