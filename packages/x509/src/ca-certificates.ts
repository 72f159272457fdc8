// The CA certificates of a Fulcio-compatible CA: a self-signed root and intermediates under it,
// shaped as Fulcio's certificate specification asks (and as Go's verifier needs for EKU chaining).
import type { KeyObject } from 'node:crypto';
import { algorithmOf, type Signer, spkiDer } from '@airlock/keys';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import {
  assertSignerMatches,
  issuerProfile,
  signTbs,
  subjectKeyIdentifierOf,
} from './certificate.js';
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

export interface RootCertificateOptions {
  readonly signer: Signer;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Default: 20 random bytes. */
  readonly serialNumber?: Uint8Array;
}

export interface IntermediateCertificateOptions {
  /** DER certificate of the issuing CA (the root, or another intermediate without pathlen 0). */
  readonly issuerCert: Uint8Array;
  readonly issuerSigner: Signer;
  /** The intermediate's key (it will sign through a Signer, so P-256, P-384 or Ed25519). */
  readonly publicKey: KeyObject | Uint8Array;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumber?: Uint8Array;
}

/** DER SPKI of a CA key, which must be a kind of key Airlock signs with. */
function caKeySpki(publicKey: KeyObject | Uint8Array): Uint8Array {
  const key = publicKey instanceof Uint8Array ? publicKeyFromSpki(publicKey) : publicKey;
  try {
    algorithmOf(key);
  } catch (error) {
    throw new X509Error('UNSUPPORTED_KEY', 'CA keys are ECDSA P-256, P-384 or Ed25519', {
      cause: error,
    });
  }
  return spkiDer(key);
}

const caKeyUsage = () =>
  extension(
    OID.keyUsage,
    true,
    der(new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
  );

/** A self-signed root: KeyUsage keyCertSign|cRLSign (critical), BasicConstraints CA (critical), SKI. */
export async function createRootCertificate(options: RootCertificateOptions): Promise<Uint8Array> {
  const spki = caKeySpki(options.signer.publicKey);
  const subject = encodeName(options.subject);
  const tbs = buildTbs({
    serialNumber: options.serialNumber ?? randomSerialNumber(),
    signatureAlgorithm: options.signer.algorithm,
    issuer: der(subject),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    subject,
    subjectPublicKeyInfo: spki,
    extensions: [
      caKeyUsage(),
      extension(OID.basicConstraints, true, der(new BasicConstraints({ cA: true }))),
      extension(
        OID.subjectKeyIdentifier,
        false,
        der(new SubjectKeyIdentifier(subjectKeyIdentifierOf(spki))),
      ),
    ],
  });
  return signTbs(tbs, options.signer);
}

/**
 * An intermediate CA: KeyUsage keyCertSign|cRLSign (critical), EKU codeSigning (Go verifiers
 * chain EKUs through intermediates), BasicConstraints CA pathlen 0 (critical), SKI, AKI = issuer SKI.
 */
export async function createIntermediateCertificate(
  options: IntermediateCertificateOptions,
): Promise<Uint8Array> {
  const issuer = issuerProfile(options.issuerCert);
  if (issuer.pathLenConstraint === 0) {
    throw new X509Error('INVALID_ISSUER', 'a CA with pathlen 0 cannot issue another CA');
  }
  assertSignerMatches(options.issuerCert, options.issuerSigner);
  checkInsideIssuer(options.notBefore, options.notAfter, issuer);
  const spki = caKeySpki(options.publicKey);
  const tbs = buildTbs({
    serialNumber: options.serialNumber ?? randomSerialNumber(),
    signatureAlgorithm: options.issuerSigner.algorithm,
    issuer: issuer.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    subject: encodeName(options.subject),
    subjectPublicKeyInfo: spki,
    extensions: [
      caKeyUsage(),
      extension(OID.extendedKeyUsage, false, der(new ExtendedKeyUsage([OID.codeSigning]))),
      extension(
        OID.basicConstraints,
        true,
        der(new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      ),
      ...keyIdentifierExtensions(spki, issuer.subjectKeyIdentifier),
    ],
  });
  return signTbs(tbs, options.issuerSigner);
}
