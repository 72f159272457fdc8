// Reading a certificate's extensions the way the CA's tests and Sigstore clients look at them:
// Fulcio values decoded, the SAN, key identifiers, usages and any embedded SCTs.
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  KeyUsage,
  type KeyUsageType,
  SubjectAlternativeName as SubjectAltNameValue,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { certificateParts, type RawExtension, readExtension, tbsFields } from './certificate.js';
import { readSingle, TAG } from './der.js';
import { parsingAs, X509Error } from './errors.js';
import { readFulcioExtensions } from './fulcio-extensions.js';
import type { SubjectAlternativeName } from './leaf.js';
import { type FulcioExtensionName, OID } from './oids.js';
import { embeddedScts } from './precertificate.js';
import type { SignedCertificateTimestamp } from './sct.js';

/** A SAN as read: one of the kinds Fulcio issues, or another kind, kept as the GeneralName's DER. */
export type ReadSubjectAlternativeName =
  | SubjectAlternativeName
  | { readonly type: 'other'; readonly der: Uint8Array };

export interface CertificateExtensions {
  /** Every extension in certificate order. */
  readonly all: readonly RawExtension[];
  /** Fulcio values; `issuer` is .1.8 if present, else the raw .1.1. */
  readonly fulcio: Partial<Record<FulcioExtensionName, string>>;
  readonly subjectAlternativeNames: readonly ReadSubjectAlternativeName[];
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly authorityKeyIdentifier?: Uint8Array;
  readonly keyUsage?: readonly KeyUsageType[];
  readonly extendedKeyUsage?: readonly string[];
  readonly basicConstraints?: { readonly cA: boolean; readonly pathLenConstraint?: number };
  /** True for a precertificate (it carries the CT poison). */
  readonly precertificatePoison: boolean;
  readonly scts: readonly SignedCertificateTimestamp[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function readSans(value: Uint8Array): ReadSubjectAlternativeName[] {
  return AsnConvert.parse(value, SubjectAltNameValue).map((name): ReadSubjectAlternativeName => {
    if (name.rfc822Name !== undefined) return { type: 'email', value: name.rfc822Name };
    if (name.uniformResourceIdentifier !== undefined) {
      return { type: 'uri', value: name.uniformResourceIdentifier };
    }
    if (name.otherName?.typeId === OID.fulcioUsernameSan) {
      const inner = readSingle(new Uint8Array(name.otherName.value), TAG.UTF8_STRING);
      return { type: 'otherName-username', value: strictUtf8.decode(inner.content) };
    }
    return { type: 'other', der: new Uint8Array(AsnConvert.serialize(name)) };
  });
}

/** The extensions of a DER certificate, decoded; MALFORMED_CERTIFICATE for duplicates or bad values. */
export function certificateExtensions(certificate: Uint8Array): CertificateExtensions {
  const all = tbsFields(certificateParts(certificate).tbs).extensions.map(readExtension);
  const seen = new Set<string>();
  for (const { oid } of all) {
    if (seen.has(oid))
      throw new X509Error('MALFORMED_CERTIFICATE', `extension ${oid} appears twice`);
    seen.add(oid);
  }
  const find = (oid: string) => all.find((extension) => extension.oid === oid)?.value;
  return parsingAs('MALFORMED_CERTIFICATE', 'a certificate extension is malformed', () => {
    const san = find(OID.subjectAltName);
    const ski = find(OID.subjectKeyIdentifier);
    const aki = find(OID.authorityKeyIdentifier);
    const keyUsage = find(OID.keyUsage);
    const eku = find(OID.extendedKeyUsage);
    const basic = find(OID.basicConstraints);
    const akiValue = aki === undefined ? undefined : AsnConvert.parse(aki, AuthorityKeyIdentifier);
    const constraints = basic === undefined ? undefined : AsnConvert.parse(basic, BasicConstraints);
    return {
      all,
      fulcio: readFulcioExtensions(all),
      subjectAlternativeNames: san === undefined ? [] : readSans(san),
      ...(ski === undefined
        ? {}
        : {
            subjectKeyIdentifier: new Uint8Array(
              AsnConvert.parse(ski, SubjectKeyIdentifier).buffer,
            ),
          }),
      ...(akiValue?.keyIdentifier === undefined
        ? {}
        : { authorityKeyIdentifier: new Uint8Array(akiValue.keyIdentifier.buffer) }),
      ...(keyUsage === undefined
        ? {}
        : { keyUsage: AsnConvert.parse(keyUsage, KeyUsage).toJSON() }),
      ...(eku === undefined
        ? {}
        : { extendedKeyUsage: [...AsnConvert.parse(eku, ExtendedKeyUsage)] }),
      ...(constraints === undefined
        ? {}
        : {
            basicConstraints: {
              cA: constraints.cA,
              ...(constraints.pathLenConstraint === undefined
                ? {}
                : { pathLenConstraint: constraints.pathLenConstraint }),
            },
          }),
      precertificatePoison: seen.has(OID.ctPoison),
      scts: embeddedScts(certificate),
    };
  });
}
