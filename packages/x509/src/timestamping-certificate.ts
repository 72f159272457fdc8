// The certificate of an RFC 3161 timestamp authority's signing key, shaped as sigstore verifiers
// demand (wire-formats §7.4): an end entity whose only, critical, EKU is id-kp-timeStamping.
import type { KeyObject } from 'node:crypto';
import { algorithmOf, type Signer, spkiDer } from '@airlock/keys';
import { BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import { assertSignerMatches, issuerProfile, signTbs } from './certificate.js';
import { X509Error } from './errors.js';
import { keyIdentifierExtensions } from './key-identifiers.js';
import { OID } from './oids.js';
import { publicKeyFromSpki } from './public-key.js';
import {
  buildTbs,
  checkInsideIssuer,
  type DistinguishedName,
  der,
  encodeName,
  extension,
  randomSerialNumber,
} from './tbs-builder.js';

/** id-kp-timeStamping (RFC 5280 §4.2.1.12); RFC 3161 §2.3 makes it the critical, sole EKU. */
export const TIME_STAMPING_EKU = '1.3.6.1.5.5.7.3.8';

export interface TimestampingCertificateOptions {
  /** DER certificate of the issuing CA (a root or an intermediate). */
  readonly issuerCert: Uint8Array;
  readonly issuerSigner: Signer;
  /** The TSA's signing key: ECDSA P-256 or P-384 (sigstore-js verifies only ecdsa-with-SHA*). */
  readonly publicKey: KeyObject | Uint8Array;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Default: 20 random bytes. */
  readonly serialNumber?: Uint8Array;
}

function timestampingKeySpki(publicKey: KeyObject | Uint8Array): Uint8Array {
  const key = publicKey instanceof Uint8Array ? publicKeyFromSpki(publicKey) : publicKey;
  let algorithm: string;
  try {
    algorithm = algorithmOf(key);
  } catch (error) {
    throw new X509Error('UNSUPPORTED_KEY', 'a timestamping key is ECDSA P-256 or P-384', {
      cause: error,
    });
  }
  if (algorithm === 'ed25519') {
    throw new X509Error(
      'UNSUPPORTED_KEY',
      'a timestamping key is ECDSA P-256 or P-384 (sigstore-js cannot verify Ed25519 tokens)',
    );
  }
  return spkiDer(key);
}

/**
 * A TSA leaf: KeyUsage digitalSignature (critical), EKU timeStamping only (critical),
 * BasicConstraints not a CA (critical), SKI, and AKI = the issuer's SKI.
 */
export async function createTimestampingCertificate(
  options: TimestampingCertificateOptions,
): Promise<Uint8Array> {
  const issuer = issuerProfile(options.issuerCert);
  assertSignerMatches(options.issuerCert, options.issuerSigner);
  checkInsideIssuer(options.notBefore, options.notAfter, issuer);
  const spki = timestampingKeySpki(options.publicKey);
  const tbs = buildTbs({
    serialNumber: options.serialNumber ?? randomSerialNumber(),
    signatureAlgorithm: options.issuerSigner.algorithm,
    issuer: issuer.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    subject: encodeName(options.subject),
    subjectPublicKeyInfo: spki,
    extensions: [
      extension(OID.keyUsage, true, der(new KeyUsage(KeyUsageFlags.digitalSignature))),
      extension(OID.extendedKeyUsage, true, der(new ExtendedKeyUsage([TIME_STAMPING_EKU]))),
      extension(OID.basicConstraints, true, der(new BasicConstraints({ cA: false }))),
      ...keyIdentifierExtensions(spki, issuer.subjectKeyIdentifier),
    ],
  });
  return signTbs(tbs, options.issuerSigner);
}
