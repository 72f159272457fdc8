// Builds TBSCertificate structures with @peculiar/asn1-x509 for the certificates Airlock issues:
// names, validity, serial numbers and extensions, checked before anything is encoded.
import { randomBytes } from 'node:crypto';
import type { SignatureAlgorithm } from '@airlock/keys';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { signatureAlgorithmIdentifier } from './algorithms.js';
import { tbsFields } from './certificate.js';
import { bytesEqual } from './der.js';
import { X509Error } from './errors.js';
import { OID } from './oids.js';

/** A CA's distinguished name; encoded C, O, OU, CN, one attribute per RDN. */
export interface DistinguishedName {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  /** Two-letter ISO 3166 code. */
  readonly country?: string;
}

/** Serial numbers are 20 bytes, the most RFC 5280 allows, as Fulcio's 160-bit random serials. */
export const SERIAL_NUMBER_BYTES = 20;

/** A fresh random serial: 20 bytes, positive and minimally encoded (first byte 0x01–0x7f). */
export function randomSerialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(SERIAL_NUMBER_BYTES));
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}

/** Refuses serials that are not positive, minimally encoded DER INTEGER contents of at most 20 bytes. */
export function checkSerialNumber(serial: Uint8Array): void {
  const [first, second] = serial;
  if (first === undefined || serial.length > SERIAL_NUMBER_BYTES) {
    throw new X509Error('INVALID_INPUT', 'a serial number has 1 to 20 bytes');
  }
  if (first >= 0x80) throw new X509Error('INVALID_INPUT', 'a serial number must be positive');
  if (first === 0 && (second === undefined || second < 0x80)) {
    throw new X509Error('INVALID_INPUT', 'a serial number must be positive and minimally encoded');
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses strings UTF-8 cannot carry faithfully (lone surrogates would silently become U+FFFD). */
export function checkUtf8(value: string, what: string): void {
  if (LONE_SURROGATE.test(value))
    throw new X509Error('INVALID_INPUT', `${what} is not valid Unicode`);
}

export function encodeName(name: DistinguishedName): Name {
  const attribute = (type: string, value: AttributeValue) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
  const rdns: RelativeDistinguishedName[] = [];
  if (name.country !== undefined) {
    if (!/^[A-Z]{2}$/.test(name.country)) {
      throw new X509Error('INVALID_INPUT', 'country must be a two-letter upper-case code');
    }
    rdns.push(attribute(OID.countryName, new AttributeValue({ printableString: name.country })));
  }
  const text: [string, string | undefined][] = [
    [OID.organizationName, name.organization],
    [OID.organizationalUnitName, name.organizationalUnit],
    [OID.commonName, name.commonName],
  ];
  for (const [type, value] of text) {
    if (value === undefined) continue;
    // X.520 upper bound ub-common-name / ub-organization-name is 64 characters.
    if (value.length === 0 || value.length > 64) {
      throw new X509Error('INVALID_INPUT', 'name attributes have 1 to 64 characters');
    }
    checkUtf8(value, 'a name attribute');
    rdns.push(attribute(type, new AttributeValue({ utf8String: value })));
  }
  return new Name(rdns);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds either way. */
function encodeTime(date: Date): Time {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return seconds.getUTCFullYear() < 2050
    ? new Time({ utcTime: seconds })
    : new Time({ generalTime: seconds });
}

export function checkValidity(notBefore: Date, notAfter: Date): void {
  for (const date of [notBefore, notAfter]) {
    if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1950) {
      throw new X509Error('INVALID_INPUT', 'validity times must be dates from 1950 on');
    }
    if (date.getUTCFullYear() > 9999) {
      throw new X509Error('INVALID_INPUT', 'validity times must be before year 10000');
    }
  }
  if (Math.floor(notAfter.getTime() / 1000) <= Math.floor(notBefore.getTime() / 1000)) {
    throw new X509Error('INVALID_INPUT', 'notAfter must be after notBefore');
  }
}

/** Refuses a child whose validity is not inside its issuer's (RFC 5280 path validation would fail later). */
export function checkInsideIssuer(
  notBefore: Date,
  notAfter: Date,
  issuer: { readonly notBefore: Date; readonly notAfter: Date },
): void {
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
  if (
    seconds(notBefore) < seconds(issuer.notBefore) ||
    seconds(notAfter) > seconds(issuer.notAfter)
  ) {
    throw new X509Error(
      'INVALID_ISSUER',
      `the certificate's validity must lie inside its issuer's (${issuer.notBefore.toISOString()} to ${issuer.notAfter.toISOString()})`,
    );
  }
}

/** An Extension whose extnValue holds `value` (DER, or raw bytes for Fulcio's deprecated .1.1–.1.6). */
export function extension(
  oid: string,
  critical: boolean,
  value: Uint8Array | ArrayBuffer,
): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(value) });
}

/** DER of an ASN.1 value built with @peculiar/asn1-schema. */
export function der(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

export interface TbsInput {
  readonly serialNumber: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** The issuer's subject, as the exact DER in the issuer's certificate (or the subject, if self-signed). */
  readonly issuer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: Name;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** DER TBSCertificate (v3). The issuer name comes out byte for byte as the issuer certificate has it. */
export function buildTbs(input: TbsInput): Uint8Array {
  checkSerialNumber(input.serialNumber);
  checkValidity(input.notBefore, input.notAfter);
  const oids = input.extensions.map((ext) => ext.extnID);
  if (new Set(oids).size !== oids.length) {
    throw new X509Error('INVALID_INPUT', 'a certificate may carry each extension once');
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: input.serialNumber.slice().buffer,
    signature: signatureAlgorithmIdentifier(input.signatureAlgorithm),
    issuer: AsnConvert.parse(input.issuer, Name),
    validity: Object.assign(new Validity(), {
      notBefore: encodeTime(input.notBefore),
      notAfter: encodeTime(input.notAfter),
    }),
    subject: input.subject,
    subjectPublicKeyInfo: AsnConvert.parse(input.subjectPublicKeyInfo, SubjectPublicKeyInfo),
    extensions: new Extensions([...input.extensions]),
  });
  const encoded = der(tbs);
  // Name chaining compares bytes in many verifiers; a re-encoded issuer name must not drift.
  const fields = tbsFields(encoded);
  if (!bytesEqual(fields.issuer.bytes, input.issuer)) {
    throw new X509Error('INVALID_ISSUER', 'the issuer name does not survive re-encoding as DER');
  }
  if (!bytesEqual(fields.subjectPublicKeyInfo.bytes, input.subjectPublicKeyInfo)) {
    throw new X509Error('INVALID_INPUT', 'the public key does not survive re-encoding as DER');
  }
  return encoded;
}
