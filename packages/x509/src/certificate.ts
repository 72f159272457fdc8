// Certificates as bytes: split a certificate and its TBSCertificate into their DER fields without
// re-encoding anything, sign a TBSCertificate through a Signer, and read what an issuer must have.
import { createHash, type KeyObject } from 'node:crypto';
import { type Signer, verifySignature } from '@airlock/keys';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  BasicConstraints,
  Certificate,
  KeyUsage,
  KeyUsageFlags,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { signatureAlgorithmIdentifier } from './algorithms.js';
import {
  bytesEqual,
  contextTag,
  type DerElement,
  decodeOidContent,
  encodeElement,
  expectTag,
  readChildren,
  readSingle,
  TAG,
} from './der.js';
import { parsingAs, X509Error } from './errors.js';
import { OID } from './oids.js';
import { publicKeyFromSpki } from './public-key.js';

/** The fields of a TBSCertificate, each the exact DER element it was read from. */
export interface TbsFields {
  readonly version: DerElement | undefined;
  readonly serialNumber: DerElement;
  readonly signature: DerElement;
  readonly issuer: DerElement;
  readonly validity: DerElement;
  readonly subject: DerElement;
  readonly subjectPublicKeyInfo: DerElement;
  /** issuerUniqueID and subjectUniqueID, if any (never in certificates Airlock makes). */
  readonly uniqueIds: readonly DerElement[];
  /** The extensions in order, each a whole Extension SEQUENCE; empty if the TBS has none. */
  readonly extensions: readonly DerElement[];
}

/** Splits DER TBSCertificate bytes into their fields; throws MALFORMED_CERTIFICATE. */
export function tbsFields(tbs: Uint8Array): TbsFields {
  return parsingAs('MALFORMED_CERTIFICATE', 'not a DER TBSCertificate', () => {
    const children = readChildren(readSingle(tbs, TAG.SEQUENCE).content);
    let index = 0;
    const version = children[0]?.tag === contextTag(0) ? children[index++] : undefined;
    const next = (tag: number, what: string): DerElement => {
      const element = children[index++];
      if (element === undefined) throw new X509Error('MALFORMED_CERTIFICATE', `TBS lacks ${what}`);
      return expectTag(element, tag);
    };
    const serialNumber = next(TAG.INTEGER, 'a serial number');
    const signature = next(TAG.SEQUENCE, 'a signature algorithm');
    const issuer = next(TAG.SEQUENCE, 'an issuer');
    const validity = next(TAG.SEQUENCE, 'a validity');
    const subject = next(TAG.SEQUENCE, 'a subject');
    const subjectPublicKeyInfo = next(TAG.SEQUENCE, 'a public key');
    const uniqueIds: DerElement[] = [];
    while (children[index]?.tag === 0x81 || children[index]?.tag === 0x82) {
      uniqueIds.push(children[index++]!);
    }
    let extensions: DerElement[] = [];
    const wrapper = children[index];
    if (wrapper !== undefined) {
      expectTag(wrapper, contextTag(3));
      extensions = readChildren(readSingle(wrapper.content, TAG.SEQUENCE).content);
      if (extensions.length === 0) {
        throw new X509Error('MALFORMED_CERTIFICATE', 'an extensions field must not be empty');
      }
      for (const extension of extensions) expectTag(extension, TAG.SEQUENCE);
      index++;
    }
    if (index !== children.length) {
      throw new X509Error('MALFORMED_CERTIFICATE', 'unexpected fields at the end of the TBS');
    }
    return {
      version,
      serialNumber,
      signature,
      issuer,
      validity,
      subject,
      subjectPublicKeyInfo,
      uniqueIds,
      extensions,
    };
  });
}

/** Re-assembles a TBSCertificate from fields, with `extensions` in place of the original list. */
export function encodeTbs(fields: TbsFields, extensions: readonly Uint8Array[]): Uint8Array {
  const parts = [
    ...(fields.version === undefined ? [] : [fields.version.bytes]),
    fields.serialNumber.bytes,
    fields.signature.bytes,
    fields.issuer.bytes,
    fields.validity.bytes,
    fields.subject.bytes,
    fields.subjectPublicKeyInfo.bytes,
    ...fields.uniqueIds.map((element) => element.bytes),
  ];
  if (extensions.length > 0) {
    parts.push(encodeElement(contextTag(3), encodeElement(TAG.SEQUENCE, ...extensions)));
  }
  return encodeElement(TAG.SEQUENCE, ...parts);
}

/** A certificate's three parts, as the exact DER it was read from. */
export interface CertificateParts {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: Uint8Array;
  /** The signature value (BIT STRING contents without the unused-bits octet). */
  readonly signature: Uint8Array;
}

/** Splits a DER certificate; throws MALFORMED_CERTIFICATE. */
export function certificateParts(der: Uint8Array): CertificateParts {
  return parsingAs('MALFORMED_CERTIFICATE', 'not a DER X.509 certificate', () => {
    const [tbs, algorithm, signature, ...extra] = readChildren(
      readSingle(der, TAG.SEQUENCE).content,
    );
    if (
      tbs === undefined ||
      algorithm === undefined ||
      signature === undefined ||
      extra.length > 0
    ) {
      throw new X509Error('MALFORMED_CERTIFICATE', 'a certificate is TBS, algorithm and signature');
    }
    const bits = expectTag(signature, TAG.BIT_STRING).content;
    if (bits[0] !== 0) throw new X509Error('MALFORMED_CERTIFICATE', 'signature has unused bits');
    return {
      tbs: expectTag(tbs, TAG.SEQUENCE).bytes,
      signatureAlgorithm: expectTag(algorithm, TAG.SEQUENCE).bytes,
      signature: bits.subarray(1),
    };
  });
}

/** A certificate parsed by @peculiar/asn1-x509 (for structured reads), MALFORMED_CERTIFICATE otherwise. */
export function parseCertificate(der: Uint8Array): Certificate {
  return parsingAs('MALFORMED_CERTIFICATE', 'not a DER X.509 certificate', () => {
    certificateParts(der);
    return AsnConvert.parse(der, Certificate);
  });
}

/** SHA-1 of the subjectPublicKey bits: RFC 5280 §4.2.1.2 method 1, as Go and Fulcio compute SKIs. */
export function subjectKeyIdentifierOf(spki: Uint8Array): Uint8Array {
  const [, bits] = readChildren(readSingle(spki, TAG.SEQUENCE).content);
  if (bits === undefined) throw new X509Error('MALFORMED_KEY', 'SPKI lacks its key bits');
  return new Uint8Array(
    createHash('sha1').update(expectTag(bits, TAG.BIT_STRING).content.subarray(1)).digest(),
  );
}

/** What issuing under a CA certificate needs from it. */
export interface IssuerProfile {
  readonly subject: Uint8Array;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKey: KeyObject;
  readonly subjectKeyIdentifier: Uint8Array;
  readonly pathLenConstraint: number | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Reads a CA certificate that is to issue: it must be a CA (BasicConstraints cA) whose KeyUsage,
 * if present, allows keyCertSign, and carry a SubjectKeyIdentifier for its children's AKI.
 */
export function issuerProfile(issuerCert: Uint8Array): IssuerProfile {
  // A CA issues thousands of certificates with the same issuer: read it once (keyed by content).
  const key = createHash('sha256').update(issuerCert).digest('hex');
  const cached = issuerProfiles.get(key);
  if (cached !== undefined) return cached;
  const profile = readIssuerProfile(issuerCert);
  if (issuerProfiles.size >= 64) issuerProfiles.clear();
  issuerProfiles.set(key, profile);
  return profile;
}

const issuerProfiles = new Map<string, IssuerProfile>();

function readIssuerProfile(issuerCert: Uint8Array): IssuerProfile {
  return parsingAs('MALFORMED_CERTIFICATE', 'the issuing certificate is malformed', () => {
    const certificate = parseCertificate(issuerCert);
    const fields = tbsFields(certificateParts(issuerCert).tbs);
    const extensions = certificate.tbsCertificate.extensions ?? [];
    const find = (oid: string) => extensions.find((extension) => extension.extnID === oid);
    const basic = find(OID.basicConstraints);
    const constraints =
      basic === undefined ? undefined : AsnConvert.parse(basic.extnValue, BasicConstraints);
    if (constraints?.cA !== true) {
      throw new X509Error(
        'INVALID_ISSUER',
        'the issuing certificate is not a CA (BasicConstraints)',
      );
    }
    const usage = find(OID.keyUsage);
    if (usage !== undefined) {
      const flags = AsnConvert.parse(usage.extnValue, KeyUsage).toNumber();
      if ((flags & KeyUsageFlags.keyCertSign) === 0) {
        throw new X509Error('INVALID_ISSUER', 'the issuing certificate may not sign certificates');
      }
    }
    const ski = find(OID.subjectKeyIdentifier);
    if (ski === undefined) {
      throw new X509Error('INVALID_ISSUER', 'the issuing certificate has no SubjectKeyIdentifier');
    }
    const validity = certificate.tbsCertificate.validity;
    return {
      subject: fields.subject.bytes,
      subjectPublicKeyInfo: fields.subjectPublicKeyInfo.bytes,
      publicKey: publicKeyFromSpki(fields.subjectPublicKeyInfo.bytes),
      subjectKeyIdentifier: new Uint8Array(
        AsnConvert.parse(ski.extnValue, SubjectKeyIdentifier).buffer,
      ),
      pathLenConstraint: constraints.pathLenConstraint,
      notBefore: validity.notBefore.getTime(),
      notAfter: validity.notAfter.getTime(),
    };
  });
}

/** Throws KEY_MISMATCH unless `signer` holds the key `certificate` certifies. */
export function assertSignerMatches(certificate: Uint8Array, signer: Signer): void {
  const fields = tbsFields(certificateParts(certificate).tbs);
  const certified = publicKeyFromSpki(fields.subjectPublicKeyInfo.bytes);
  if (!certified.equals(signer.publicKey)) {
    throw new X509Error(
      'KEY_MISMATCH',
      'the signer does not hold the key of the issuing certificate',
    );
  }
}

/**
 * Signs DER TBSCertificate bytes and returns the DER certificate. The TBS must name the signer's
 * algorithm; the signature is verified before it is returned, so a failing HSM cannot emit junk.
 */
export async function signTbs(tbs: Uint8Array, signer: Signer): Promise<Uint8Array> {
  const fields = tbsFields(tbs);
  const algorithm = new Uint8Array(
    AsnConvert.serialize(signatureAlgorithmIdentifier(signer.algorithm)),
  );
  if (!bytesEqual(fields.signature.bytes, algorithm)) {
    const named = parsingAs('MALFORMED_CERTIFICATE', 'bad TBS signature algorithm', () =>
      AsnConvert.parse(fields.signature.bytes, AlgorithmIdentifier),
    );
    throw new X509Error(
      'KEY_MISMATCH',
      `the TBS names signature algorithm ${named.algorithm}, but the signer signs ${signer.algorithm}`,
    );
  }
  let signature: Uint8Array;
  try {
    signature = await signer.sign(tbs);
  } catch (error) {
    throw new X509Error('SIGNING_FAILED', 'the signer failed to sign a certificate', {
      cause: error,
    });
  }
  if (!verifySignature(signer.publicKey, signer.algorithm, tbs, signature)) {
    throw new X509Error('SIGNING_FAILED', 'the signer returned a signature that does not verify');
  }
  return encodeElement(
    TAG.SEQUENCE,
    tbs,
    algorithm,
    encodeElement(TAG.BIT_STRING, Uint8Array.of(0), signature),
  );
}

/** One extension read from its DER element. */
export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents. */
  readonly value: Uint8Array;
}

/** Reads an Extension SEQUENCE (an explicit FALSE is tolerated: some encoders write it). */
export function readExtension(element: DerElement): RawExtension {
  return parsingAs('MALFORMED_CERTIFICATE', 'malformed extension', () => {
    const children = readChildren(expectTag(element, TAG.SEQUENCE).content);
    const [oid, second, third, ...extra] = children;
    if (oid === undefined || second === undefined || extra.length > 0) {
      throw new X509Error('MALFORMED_CERTIFICATE', 'an extension is OID, critical, value');
    }
    let critical = false;
    let value = second;
    if (third !== undefined) {
      const flag = expectTag(second, TAG.BOOLEAN).content;
      if (flag.length !== 1 || (flag[0] !== 0x00 && flag[0] !== 0xff)) {
        throw new X509Error('MALFORMED_CERTIFICATE', 'extension criticality is not a DER BOOLEAN');
      }
      critical = flag[0] === 0xff;
      value = third;
    }
    return {
      oid: decodeOidContent(expectTag(oid, TAG.OID).content),
      critical,
      value: expectTag(value, TAG.OCTET_STRING).content,
    };
  });
}
