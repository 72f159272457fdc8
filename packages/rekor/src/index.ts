// @airlock/rekor: Rekor entry kinds. Checks what clients submit, verifies their signatures and
// builds the canonical bodies (log leaves) and search keys. Pure: no I/O.
export { entryId, entryUuid, parseEntryId } from './entry-id.js';
export { RekorError, type RekorErrorCode } from './errors.js';
export {
  MAX_DER_BYTES,
  MAX_DSSE_SIGNATURES,
  MAX_DSSE_VERIFIERS,
  MAX_PEM_BYTES,
  MAX_REQUEST_BODY_BYTES,
  MAX_SUBJECT_SEARCH_KEYS,
} from './limits.js';
export { canonicalizeV1, parseProposedEntryV1, SUPPORTED_KINDS_V1 } from './proposed-entry.js';
export { parseRequestBody } from './request-body.js';
export {
  DIGEST_LENGTH,
  type DigestAlgorithm,
  verifyDigestSignature,
  verifyMessageSignature,
} from './signatures.js';
export type {
  CanonicalEntry,
  Checked,
  CreateEntryRequestV2,
  DsseV001,
  HashedRekordV001,
  HashedRekordV002,
  IntotoSignature,
  IntotoV002,
  KeyDetails,
  ProposedEntry,
  VerifiedDsseSignature,
} from './types.js';
export { canonicalizeV2, KEY_DETAILS, parseCreateEntryRequestV2 } from './v2.js';
export {
  canonicalPem,
  type EcCurveName,
  type KeyAlgorithm,
  keyAlgorithmOf,
  materialFromCertificateDer,
  materialFromPem,
  materialFromPublicKeyDer,
  type VerificationMaterial,
} from './verification-material.js';
