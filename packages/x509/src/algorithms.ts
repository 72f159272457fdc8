// Signature algorithm identifiers: the one a CA signer writes into certificates, and the ones we
// accept when checking signatures others made (CSRs). SHA-1, MD5 and RSA-PSS are refused.
import type { SignatureAlgorithm } from '@airlock/keys';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { X509Error } from './errors.js';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_SHA384 = '1.2.840.10045.4.3.3';
const ECDSA_SHA512 = '1.2.840.10045.4.3.4';
const RSA_SHA256 = '1.2.840.113549.1.1.11';
const RSA_SHA384 = '1.2.840.113549.1.1.12';
const RSA_SHA512 = '1.2.840.113549.1.1.13';
const ED25519 = '1.3.101.112';

/** The AlgorithmIdentifier a signer's certificates carry; ECDSA and Ed25519 take no parameters (RFC 5758, RFC 8410). */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
      return new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
    case 'ecdsa-p384-sha384':
      return new AlgorithmIdentifier({ algorithm: ECDSA_SHA384 });
    case 'ed25519':
      return new AlgorithmIdentifier({ algorithm: ED25519 });
  }
}

/** How to check a signature made with an algorithm identifier: its digest and the key type it needs. */
export interface SignatureCheck {
  /** node:crypto digest name, or null for Ed25519, which hashes internally. */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  readonly keyType: 'ec' | 'rsa' | 'ed25519';
}

const CHECKS: Record<string, SignatureCheck> = {
  [ECDSA_SHA256]: { digest: 'sha256', keyType: 'ec' },
  [ECDSA_SHA384]: { digest: 'sha384', keyType: 'ec' },
  [ECDSA_SHA512]: { digest: 'sha512', keyType: 'ec' },
  [RSA_SHA256]: { digest: 'sha256', keyType: 'rsa' },
  [RSA_SHA384]: { digest: 'sha384', keyType: 'rsa' },
  [RSA_SHA512]: { digest: 'sha512', keyType: 'rsa' },
  [ED25519]: { digest: null, keyType: 'ed25519' },
};

/** The check for an AlgorithmIdentifier; throws UNSUPPORTED_ALGORITHM for anything else or odd parameters. */
export function signatureCheckFor(identifier: AlgorithmIdentifier): SignatureCheck {
  const check = CHECKS[identifier.algorithm];
  if (check === undefined) {
    throw new X509Error(
      'UNSUPPORTED_ALGORITHM',
      `signature algorithm ${identifier.algorithm} is not accepted`,
    );
  }
  const parameters = identifier.parameters;
  const absent = parameters === undefined;
  // RSA PKCS#1 v1.5 identifiers carry NULL (RFC 4055 allows it absent too); the others carry nothing.
  const isNull =
    parameters instanceof ArrayBuffer &&
    parameters.byteLength === 2 &&
    new Uint8Array(parameters)[0] === 0x05 &&
    new Uint8Array(parameters)[1] === 0x00;
  const parametersOk = check.keyType === 'rsa' ? absent || isNull || parameters === null : absent;
  if (!parametersOk) {
    throw new X509Error(
      'UNSUPPORTED_ALGORITHM',
      `signature algorithm ${identifier.algorithm} has unexpected parameters`,
    );
  }
  return check;
}
