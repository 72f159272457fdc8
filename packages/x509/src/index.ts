// @airlock/x509: the Fulcio certificate profile built through Signers (CA certificates, leaves,
// precertificates), Certificate Transparency encodings, and the checks on what clients submit.
// @peculiar/x509 needs the Reflect metadata API loaded before it; this import comes first for that.
import 'reflect-metadata';

export {
  createIntermediateCertificate,
  createRootCertificate,
  type IntermediateCertificateOptions,
  type RootCertificateOptions,
} from './ca-certificates.js';
export {
  assertSignerMatches,
  type RawExtension,
  signTbs,
} from './certificate.js';
export { type ParsedCsr, parseCsr } from './csr.js';
export {
  type CtEntry,
  ctLogId,
  issuerKeyHash,
  LOG_ENTRY_TYPE,
  merkleTreeLeaf,
  sctSignatureInput,
  signSct,
  signTreeHead,
  type TimestampedEntryInput,
  type TreeHeadInput,
  treeHeadSignatureInput,
  verifyDigitallySigned,
  verifySct,
} from './ct.js';
export { X509Error, type X509ErrorCode } from './errors.js';
export { readFulcioExtensions, renderFulcioExtensions } from './fulcio-extensions.js';
export {
  buildLeafTbs,
  LEAF_VALIDITY_MS,
  type LeafTbsOptions,
  type SubjectAlternativeName,
} from './leaf.js';
export {
  FULCIO_EXTENSIONS,
  type FulcioExtensionName,
  type FulcioExtensionSpec,
  type FulcioExtensions,
  OID,
} from './oids.js';
export { pemDecode, pemDecodeAll, pemEncode } from './pem.js';
export {
  embeddedScts,
  finalCertificateTbs,
  precertificateTbs,
  precertTbsFromPrecert,
  tbsForSct,
} from './precertificate.js';
export { verifyProofOfPossession } from './proof-of-possession.js';
export {
  type ClientKeyAlgorithm,
  parsePublicKeyContent,
  RSA_MAX_BITS,
  RSA_MIN_BITS,
  validatePublicKey,
} from './public-key.js';
export {
  type CertificateExtensions,
  certificateExtensions,
  type ReadSubjectAlternativeName,
} from './read-extensions.js';
export {
  type DigitallySigned,
  decodeDigitallySigned,
  decodeSct,
  decodeSctList,
  encodeDigitallySigned,
  encodeSct,
  encodeSctList,
  LOG_ID_BYTES,
  SCT_VERSION_V1,
  type SignedCertificateTimestamp,
  TLS_HASH_SHA256,
  TLS_SIGNATURE_ECDSA,
  TLS_SIGNATURE_RSA,
} from './sct.js';
export {
  type DistinguishedName,
  randomSerialNumber,
  SERIAL_NUMBER_BYTES,
} from './tbs-builder.js';
export {
  createTimestampingCertificate,
  TIME_STAMPING_EKU,
  type TimestampingCertificateOptions,
} from './timestamping-certificate.js';
export { TlsReader, TlsWriter } from './tls.js';
