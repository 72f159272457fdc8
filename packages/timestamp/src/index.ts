// @airlock/timestamp: RFC 3161 for a Sigstore TSA — requests parsed strictly, tokens issued through
// a Signer (the key may live in an HSM) in the shape sigstore clients verify, and a verifier.
export { TimestampError, type TimestampErrorCode } from './errors.js';
export {
  HASH_ALGORITHMS,
  type HashAlgorithm,
  SIGSTORE_TSA_POLICY,
} from './oids.js';
export {
  encodeTimeStampReq,
  MAX_NONCE_BYTES,
  parseTimeStampReq,
  type TimeStampRequest,
  type TimeStampRequestFields,
  timeStampRequest,
} from './request.js';
export {
  FAILURE_INFO_BITS,
  type FailureInfo,
  failureInfoFor,
  grantedResponse,
  type ParsedTimeStampResponse,
  PKI_STATUS,
  type PkiStatus,
  parseTimeStampResponse,
  timeStampFailure,
  timeStampFailureFor,
} from './response.js';
export {
  type Accuracy,
  createTimeStampToken,
  DEFAULT_ACCURACY,
  type IssuedTimeStamp,
  randomTokenSerial,
  type TimeStampTokenOptions,
  TOKEN_SERIAL_BYTES,
} from './token.js';
export {
  type VerifiedTimeStamp,
  type VerifyTimeStampOptions,
  verifyTimeStampToken,
} from './verify.js';
