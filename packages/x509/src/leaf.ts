// The Fulcio leaf certificate profile (wire-formats §1.5): empty subject, one critical SAN, KeyUsage
// digitalSignature, EKU codeSigning, SKI/AKI and the Sigstore extensions, valid for ten minutes.
import type { KeyObject } from 'node:crypto';
import { algorithmOf, spkiDer } from '@airlock/keys';
import {
  ExtendedKeyUsage,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  Name,
  OtherName,
  SubjectAlternativeName as SubjectAltNameValue,
} from '@peculiar/asn1-x509';
import { issuerProfile } from './certificate.js';
import { encodeElement, TAG } from './der.js';
import { X509Error } from './errors.js';
import { renderFulcioExtensions } from './fulcio-extensions.js';
import { keyIdentifierExtensions } from './key-identifiers.js';
import { type FulcioExtensions, OID } from './oids.js';
import { publicKeyFromSpki, validatePublicKey } from './public-key.js';
import {
  buildTbs,
  checkInsideIssuer,
  checkUtf8,
  der,
  extension,
  randomSerialNumber,
} from './tbs-builder.js';

/** Fulcio leaves live ten minutes: long enough to sign and log, too short to be worth stealing. */
export const LEAF_VALIDITY_MS = 10 * 60 * 1000;

/**
 * The one identity a leaf certifies: an rfc822Name (email issuers), a URI (URI, SPIFFE, Kubernetes
 * and CI issuers), or Fulcio's username otherName whose value is the whole `username!domain`.
 */
export type SubjectAlternativeName =
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'otherName-username'; readonly value: string };

export interface LeafTbsOptions {
  /** DER certificate of the issuing CA; its key decides the signature algorithm. */
  readonly issuerCert: Uint8Array;
  /** The client's key (already proven by PoP or CSR); it must pass goodkey. */
  readonly publicKey: KeyObject | Uint8Array;
  /** Default: 20 random bytes. */
  readonly serialNumber?: Uint8Array;
  readonly notBefore: Date;
  /** Default: notBefore + 10 minutes. */
  readonly notAfter?: Date;
  readonly subjectAlternativeName: SubjectAlternativeName;
  readonly extensions: FulcioExtensions;
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function generalName(san: SubjectAlternativeName): GeneralName {
  switch (san.type) {
    case 'email': {
      // rfc822Name is an IA5String: an internationalized address cannot be carried as is.
      const at = san.value.indexOf('@');
      if (
        !PRINTABLE_ASCII.test(san.value) ||
        at < 1 ||
        at !== san.value.lastIndexOf('@') ||
        at === san.value.length - 1
      ) {
        throw new X509Error('INVALID_INPUT', 'an email SAN is one ASCII local@domain address');
      }
      return new GeneralName({ rfc822Name: san.value });
    }
    case 'uri': {
      if (!PRINTABLE_ASCII.test(san.value) || !URL.canParse(san.value)) {
        throw new X509Error('INVALID_INPUT', 'a URI SAN is an absolute ASCII URI');
      }
      return new GeneralName({ uniformResourceIdentifier: san.value });
    }
    case 'otherName-username': {
      if (san.value === '')
        throw new X509Error('INVALID_INPUT', 'a username SAN must not be empty');
      checkUtf8(san.value, 'a username SAN');
      return new GeneralName({
        otherName: new OtherName({
          typeId: OID.fulcioUsernameSan,
          value: encodeElement(TAG.UTF8_STRING, new TextEncoder().encode(san.value)).slice().buffer,
        }),
      });
    }
    default:
      throw new X509Error('INVALID_INPUT', 'a SAN is of type email, uri or otherName-username');
  }
}

/**
 * DER TBSCertificate of a Fulcio leaf, without the poison or SCT-list extension: turn it into a
 * precertificate with `precertificateTbs` and into the final certificate with `finalCertificateTbs`.
 * Extensions, in Fulcio's order: KeyUsage digitalSignature (critical), EKU codeSigning, SKI,
 * AKI (= issuer SKI), SAN (critical, as the subject is empty), Fulcio extensions.
 */
export function buildLeafTbs(options: LeafTbsOptions): Uint8Array {
  const issuer = issuerProfile(options.issuerCert);
  let signatureAlgorithm: ReturnType<typeof algorithmOf>;
  try {
    signatureAlgorithm = algorithmOf(issuer.publicKey);
  } catch (error) {
    throw new X509Error('INVALID_ISSUER', 'the issuing CA key is not one Airlock signs with', {
      cause: error,
    });
  }
  const key =
    options.publicKey instanceof Uint8Array
      ? publicKeyFromSpki(options.publicKey)
      : options.publicKey;
  validatePublicKey(key);
  const spki = spkiDer(key);
  const notAfter = options.notAfter ?? new Date(options.notBefore.getTime() + LEAF_VALIDITY_MS);
  checkInsideIssuer(options.notBefore, notAfter, issuer);
  return buildTbs({
    serialNumber: options.serialNumber ?? randomSerialNumber(),
    signatureAlgorithm,
    issuer: issuer.subject,
    notBefore: options.notBefore,
    notAfter,
    subject: new Name(),
    subjectPublicKeyInfo: spki,
    extensions: [
      extension(OID.keyUsage, true, der(new KeyUsage(KeyUsageFlags.digitalSignature))),
      extension(OID.extendedKeyUsage, false, der(new ExtendedKeyUsage([OID.codeSigning]))),
      ...keyIdentifierExtensions(spki, issuer.subjectKeyIdentifier),
      extension(
        OID.subjectAltName,
        true,
        der(new SubjectAltNameValue([generalName(options.subjectAlternativeName)])),
      ),
      ...renderFulcioExtensions(options.extensions),
    ],
  });
}
