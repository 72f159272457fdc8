// Object identifiers of RFC 3161, CMS (RFC 5652), ESS (RFC 5035) and the hash and signature
// algorithms a Sigstore TSA uses, with the digest lengths requests are checked against.

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha1: '1.3.14.3.2.26',
  extendedKeyUsage: '2.5.29.37',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** Sigstore's timestamp policy (sigstore/timestamp-authority's --default-policy-oid). */
export const SIGSTORE_TSA_POLICY = '1.3.6.1.4.1.57264.2';

/** The digests a messageImprint may use; SHA-1 and everything else are refused. */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export const HASH_ALGORITHMS: Record<
  HashAlgorithm,
  { readonly oid: string; readonly bytes: number }
> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', bytes: 32 },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', bytes: 48 },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', bytes: 64 },
};

export function hashAlgorithmOfOid(oid: string): HashAlgorithm | undefined {
  for (const [name, { oid: known }] of Object.entries(HASH_ALGORITHMS)) {
    if (known === oid) return name as HashAlgorithm;
  }
  return undefined;
}

/** The ecdsa-with-SHA* identifiers sigstore-js maps to a digest (wire-formats §0.1 item 10). */
export const ECDSA_SIGNATURE_HASHES: Readonly<Record<string, HashAlgorithm>> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
};
