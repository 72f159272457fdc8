// Fulcio's CSR path: a PKCS#10 request is only a signed envelope for a public key. Its signature
// must verify with the key it carries (hash from its own algorithm); subject and attributes are ignored.
import { type KeyObject, verify } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { signatureCheckFor } from './algorithms.js';
import { expectTag, readChildren, readSingle, TAG } from './der.js';
import { parsingAs, X509Error } from './errors.js';
import { derFromPemOrDer } from './pem.js';
import { type ClientKeyAlgorithm, publicKeyFromSpki, validatePublicKey } from './public-key.js';

export interface ParsedCsr {
  readonly publicKey: KeyObject;
  /** The key's default algorithm, which goodkey allowed. */
  readonly keyAlgorithm: ClientKeyAlgorithm;
}

interface CsrParts {
  readonly signedInfo: Uint8Array;
  readonly spki: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

function csrParts(der: Uint8Array): CsrParts {
  return parsingAs('MALFORMED_CSR', 'not a PKCS#10 certification request', () => {
    // asn1-csr validates the whole structure; the DER walk keeps the exact bytes that were signed.
    AsnConvert.parse(der, CertificationRequest);
    const [info, algorithm, signature, ...extra] = readChildren(
      readSingle(der, TAG.SEQUENCE).content,
    );
    if (
      info === undefined ||
      algorithm === undefined ||
      signature === undefined ||
      extra.length > 0
    ) {
      throw new X509Error('MALFORMED_CSR', 'a CSR is a SEQUENCE of info, algorithm and signature');
    }
    const [version, , spki] = readChildren(expectTag(info, TAG.SEQUENCE).content);
    if (version === undefined || spki === undefined) {
      throw new X509Error('MALFORMED_CSR', 'CSR info lacks a version or a public key');
    }
    if (expectTag(version, TAG.INTEGER).content.length !== 1 || version.content[0] !== 0) {
      throw new X509Error('MALFORMED_CSR', 'CSR version must be 1 (0)');
    }
    const bits = expectTag(signature, TAG.BIT_STRING).content;
    if (bits.length < 1 || bits[0] !== 0) {
      throw new X509Error('MALFORMED_CSR', 'CSR signature BIT STRING has unused bits');
    }
    return {
      signedInfo: info.bytes,
      spki: expectTag(spki, TAG.SEQUENCE).bytes,
      signatureAlgorithm: AsnConvert.parse(algorithm.bytes, AlgorithmIdentifier),
      signature: bits.subarray(1),
    };
  });
}

/**
 * The public key of a PEM (`CERTIFICATE REQUEST`) or DER CSR, after checking the CSR's signature
 * with that key and the key with goodkey. SHA-1, RSA-PSS and unknown algorithms are refused.
 */
export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const { der } = parsingAs('MALFORMED_CSR', 'CSR is not PEM or DER', () =>
    derFromPemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']),
  );
  const parts = csrParts(der);
  const publicKey = publicKeyFromSpki(parts.spki);
  const keyAlgorithm = validatePublicKey(publicKey);
  const check = signatureCheckFor(parts.signatureAlgorithm);
  if (check.keyType !== publicKey.asymmetricKeyType) {
    throw new X509Error(
      'INVALID_CSR_SIGNATURE',
      `CSR signature algorithm ${parts.signatureAlgorithm.algorithm} does not fit its ${publicKey.asymmetricKeyType} key`,
    );
  }
  let valid = false;
  try {
    valid = verify(check.digest, parts.signedInfo, publicKey, parts.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new X509Error('INVALID_CSR_SIGNATURE', 'the CSR is not signed by the key it carries');
  }
  return { publicKey, keyAlgorithm };
}
