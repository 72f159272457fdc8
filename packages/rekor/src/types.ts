// The values this package hands out: proposed entries and Rekor v2 requests that passed every
// check, and the canonical entries (log leaf plus search keys) built from them.
import type { DigestAlgorithm } from './signatures.js';
import type { VerificationMaterial } from './verification-material.js';

declare const checked: unique symbol;

/**
 * A value only this package's parsers produce, after the shape, sizes, keys and signatures have
 * all been checked. The brand keeps hand-built objects (which skipped verification) out of
 * canonicalizeV1 / canonicalizeV2.
 */
export type Checked<T> = T & { readonly [checked]: true };

/** A hashedrekord 0.0.1 proposed entry: a signature over a digest the client computed. */
export interface HashedRekordV001 {
  readonly kind: 'hashedrekord';
  readonly apiVersion: '0.0.1';
  readonly digestAlgorithm: DigestAlgorithm;
  readonly digest: Uint8Array;
  readonly signature: Uint8Array;
  readonly verifier: VerificationMaterial;
}

/** One signature of a DSSE envelope and the verifier that verified it. */
export interface VerifiedDsseSignature {
  /** The `sig` string exactly as the envelope carries it (base64 of the signature). */
  readonly sig: string;
  readonly keyid: string;
  readonly verifier: VerificationMaterial;
}

/** A dsse 0.0.1 proposed entry: a DSSE envelope whose every signature verified. */
export interface DsseV001 {
  readonly kind: 'dsse';
  readonly apiVersion: '0.0.1';
  /** SHA-256 of the envelope string exactly as submitted. */
  readonly envelopeHash: Uint8Array;
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly payloadHash: Uint8Array;
  /** One per distinct `sig` string, sorted by it (the order Rekor stores). */
  readonly signatures: readonly VerifiedDsseSignature[];
}

/** One signature of an intoto 0.0.2 entry, with the PEM the client sent beside it. */
export interface IntotoSignature extends VerifiedDsseSignature {
  /** The PEM text as submitted; Rekor v1 stored it verbatim (see intoto-v002.ts). */
  readonly publicKeyPem: Uint8Array;
}

/** An intoto 0.0.2 proposed entry: the legacy double-base64 DSSE form. */
export interface IntotoV002 {
  readonly kind: 'intoto';
  readonly apiVersion: '0.0.2';
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly payloadHash: Uint8Array;
  /** The client's SHA-256 of its envelope (lowercase hex); it cannot be recomputed here. */
  readonly envelopeHashHex: string;
  /** In the order submitted. */
  readonly signatures: readonly IntotoSignature[];
}

/** A Rekor v1 proposed entry (POST /api/v1/log/entries) that passed every check. */
export type ProposedEntry = Checked<HashedRekordV001> | Checked<DsseV001> | Checked<IntotoV002>;

/** Rekor v2 PublicKeyDetails a request may name and this log verifies. */
export type KeyDetails =
  | 'PKIX_ECDSA_P256_SHA_256'
  | 'PKIX_ECDSA_P384_SHA_384'
  | 'PKIX_ECDSA_P521_SHA_512'
  | 'PKIX_RSA_PKCS1V15_2048_SHA256'
  | 'PKIX_RSA_PKCS1V15_3072_SHA256'
  | 'PKIX_RSA_PKCS1V15_4096_SHA256';

/** A Rekor v2 request reduced to the hashedrekord 0.0.2 entry it becomes. */
export interface HashedRekordV002 {
  readonly requestType: 'hashedRekordRequestV002' | 'dsseRequestV002';
  readonly digestAlgorithm: DigestAlgorithm;
  /** The artifact digest, or H(PAE(payloadType, payload)) for a DSSE request. */
  readonly digest: Uint8Array;
  readonly signature: Uint8Array;
  readonly verifier: VerificationMaterial;
  readonly keyDetails: KeyDetails;
  /** For a DSSE request: the envelope's payload, kept for search keys only. */
  readonly dsse?: { readonly payloadType: string; readonly payload: Uint8Array };
}

/**
 * A Rekor v2 CreateEntryRequest (POST /api/v2/log/entries) that passed every check. Both request
 * types become a hashedrekord 0.0.2 entry; a DSSE envelope becomes one over H(PAE).
 */
export type CreateEntryRequestV2 = Checked<HashedRekordV002>;

/**
 * What the log stores for an entry.
 *
 * `searchKeys` are the strings the search index (POST /api/v1/index/retrieve) maps to this entry,
 * deduplicated, in this exact form:
 * - `sha256:<hex>`, `sha384:<hex>`, `sha512:<hex>`: an artifact digest, lowercase hex: the
 *   hashedrekord digest, the DSSE / in-toto payload hash (`sha256:`), and each digest of each
 *   in-toto statement subject under the statement's own algorithm name (e.g. `sha512:`);
 * - `key:sha256:<hex>`: SHA-256 of the DER SubjectPublicKeyInfo of each signing key, whether
 *   it came bare or in a certificate;
 * - `email:<address>`: each rfc822Name SAN of a signing certificate, lowercased;
 * - `subject:<value>`: each URI and DNS SAN, and Fulcio's username otherName, as written.
 */
export interface CanonicalEntry {
  readonly kind: 'hashedrekord' | 'dsse' | 'intoto';
  readonly apiVersion: '0.0.1' | '0.0.2';
  /** As a TransparencyLogEntry carries it (`kindVersion.kind`, `kindVersion.version`). */
  readonly kindVersion: { readonly kind: string; readonly version: string };
  /** JCS bytes of the entry: the log leaf, and `canonicalizedBody` in bundles. */
  readonly body: Uint8Array;
  readonly searchKeys: readonly string[];
}
