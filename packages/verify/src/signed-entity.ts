// Builds the SignedEntity @sigstore/verify checks, replacing its signature content where it falls
// short: a message signature with only the artifact's digest, and DSSE entries in hashedrekord form.
import { verifyDigestSignature } from '@airlock/digest-verify';
import type { Bundle } from '@sigstore/bundle';
import { crypto, dsse, RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { type SignedEntity, toSignedEntity } from '@sigstore/verify';
import type { DigestAlgorithm } from './artifact.js';
import { VerifyError } from './errors.js';

type SignatureContent = SignedEntity['signature'];

/** RFC 3161 PKIStatus values that mean a token was issued (granted, grantedWithMods). */
const GRANTED_STATUSES: readonly bigint[] = [0n, 1n];

export interface BundleCertificate {
  /** The bytes exactly as the bundle carries them. */
  der: Buffer;
  certificate: X509Certificate;
}

/** The bundle's certificates, leaf first; parse failures are certificate failures, not crashes. */
export function bundleCertificates(bundle: Bundle): BundleCertificate[] {
  const material = bundle.verificationMaterial.content;
  const raw =
    material.$case === 'certificate'
      ? [material.certificate.rawBytes]
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates.map((c) => c.rawBytes)
        : [];
  return raw.map((der, i) => {
    try {
      const certificate = X509Certificate.parse(Buffer.from(der));
      // Fields are decoded lazily: read the ones every check needs while a failure is still ours.
      void [certificate.subject, certificate.issuer, certificate.publicKey, certificate.isCA];
      return { der: Buffer.from(der), certificate };
    } catch (err) {
      throw new VerifyError('CERTIFICATE', `bundle certificate ${i} does not parse`, {
        cause: err,
      });
    }
  });
}

/**
 * Roots come from the trusted root only: chains are built from it, and what a bundle ships after
 * its leaf is never trusted. A shipped root that is not one of the trusted root's own certificates
 * claims a trust anchor we do not have, and is refused. Early sigstore-js bundles (npm provenance
 * of 2023) ship the trusted Fulcio root itself; that one adds nothing and is tolerated, as
 * sigstore-python tolerates it (with a warning).
 */
export function checkBundleCertificates(
  certificates: BundleCertificate[],
  root: TrustedRoot,
): void {
  const anchors = root.certificateAuthorities.flatMap(
    (ca) => ca.certChain?.certificates.map((c) => Buffer.from(c.rawBytes)) ?? [],
  );
  certificates.forEach(({ der, certificate }, i) => {
    const selfSigned = certificate.subject.equals(certificate.issuer) && signsItself(certificate);
    if (selfSigned && !anchors.some((anchor) => anchor.equals(der))) {
      throw new VerifyError(
        'CERTIFICATE',
        `bundle certificate ${i} is a root certificate the trusted root does not contain`,
      );
    }
  });
  if (certificates[0]?.certificate.isCA) {
    throw new VerifyError('CERTIFICATE', 'bundle leaf certificate is a CA certificate');
  }
}

function signsItself(certificate: X509Certificate): boolean {
  try {
    return certificate.verify();
  } catch {
    return false; // an unknown signature algorithm: not a root we could use, so not one we refuse
  }
}

/** Parses every RFC 3161 timestamp and refuses tokens the TSA did not grant. */
export function checkTimestampTokens(bundle: Bundle): void {
  const tokens = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  tokens.forEach((token, i) => {
    let status: bigint;
    try {
      const parsed = RFC3161Timestamp.parse(Buffer.from(token.signedTimestamp));
      status = parsed.status;
      // Fields are decoded lazily: read the ones verification needs so a truncated token fails
      // here, with its own code.
      void [parsed.signingTime, parsed.signerSerialNumber, parsed.signerIssuer];
    } catch (err) {
      throw new VerifyError('TIMESTAMP', `RFC 3161 timestamp ${i} does not parse`, { cause: err });
    }
    if (!GRANTED_STATUSES.includes(status)) {
      throw new VerifyError(
        'TIMESTAMP',
        `RFC 3161 timestamp ${i} has status ${status}, not granted`,
      );
    }
  });
}

/**
 * The entity for @sigstore/verify. With artifact bytes, its own message-signature check runs (it
 * hashes the bytes). With only a digest, the signature is checked over that digest through OpenSSL,
 * since sigstore-js would hash whatever it is given again.
 */
export function signedEntity(
  bundle: Bundle,
  artifactBytes: Buffer | undefined,
  messageDigest: { algorithm: DigestAlgorithm; digest: Buffer } | undefined,
): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, artifactBytes ?? Buffer.alloc(0));
  } catch (err) {
    throw new VerifyError('BUNDLE', `bundle cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (bundle.content.$case === 'messageSignature' && artifactBytes === undefined) {
    if (messageDigest === undefined) {
      throw new VerifyError('ARTIFACT', 'message signature needs the artifact or its digest');
    }
    entity.signature = digestSignatureContent(
      bundle.content.messageSignature.signature,
      messageDigest,
    );
  }
  if (bundle.content.$case === 'dsseEnvelope') {
    const { payloadType, payload } = bundle.content.dsseEnvelope;
    entity.signature = hashedRekordAwareDsse(entity.signature, payloadType, payload);
  }
  return entity;
}

function digestSignatureContent(
  signature: Buffer,
  messageDigest: { algorithm: DigestAlgorithm; digest: Buffer },
): SignatureContent {
  return {
    signature,
    compareSignature: (other) => crypto.bufferEqual(other, signature),
    compareDigest: (other) => crypto.bufferEqual(other, messageDigest.digest),
    verifySignature: (key) => {
      if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') {
        throw new VerifyError(
          'SIGNATURE',
          `an ${key.asymmetricKeyType} signature covers the artifact itself: verify with its bytes`,
        );
      }
      return verifyDigestSignature(
        key.export({ type: 'spki', format: 'der' }),
        messageDigest.algorithm,
        messageDigest.digest,
        signature,
      );
    },
  };
}

/**
 * sigstore-js compares a DSSE log entry's digest with SHA-256(payload) only, which is right for dsse
 * and intoto entries but not for hashedrekord entries over DSSE (Rekor v2's only form), whose digest is
 * SHA-256(PAE). Accept either here; `checkTlogBodies` insists on the one each kind must carry.
 */
function hashedRekordAwareDsse(
  content: SignatureContent,
  payloadType: string,
  payload: Buffer,
): SignatureContent {
  const paeDigest = crypto.digest('sha256', dsse.preAuthEncoding(payloadType, payload));
  return {
    signature: content.signature,
    compareSignature: (other) => content.compareSignature(other),
    compareDigest: (other) => content.compareDigest(other) || crypto.bufferEqual(other, paeDigest),
    verifySignature: (key) => content.verifySignature(key),
  };
}
