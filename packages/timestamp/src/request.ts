// RFC 3161 §2.4.1 TimeStampReq: parsed strictly from DER (what openssl, sigstore-go and
// sigstore-python send), built from fields (sigstore-js's JSON form), and encoded back to DER.
import {
  contextTag,
  type DerElement,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  encodeBoolean,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  Fields,
  readChildren,
  readSingle,
  sequence,
  TAG,
} from './der.js';
import { parsingAs, TimestampError } from './errors.js';
import { HASH_ALGORITHMS, type HashAlgorithm, hashAlgorithmOfOid, OID } from './oids.js';

export interface TimeStampRequest {
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  /** The request's MessageImprint as DER; the token copies it unchanged (RFC 3161 §2.4.2). */
  readonly messageImprint: Uint8Array;
  /** The policy the client asks the token to be issued under. */
  readonly reqPolicy?: string;
  /** Echoed in the token so the client can match the reply to its request. */
  readonly nonce?: bigint;
  /** Whether the client asks for the signer's certificate inside the token. */
  readonly certReq: boolean;
}

export interface TimeStampRequestFields {
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  readonly reqPolicy?: string;
  readonly nonce?: bigint;
  readonly certReq?: boolean;
}

/** A nonce is an INTEGER; more than 64 bytes is not a nonce but an attempt to make the reply large. */
export const MAX_NONCE_BYTES = 64;

const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]{0,17})){1,31}$/;

function checkHashedMessage(hashAlgorithm: HashAlgorithm, hashedMessage: Uint8Array): void {
  const expected = HASH_ALGORITHMS[hashAlgorithm].bytes;
  if (hashedMessage.length !== expected) {
    throw new TimestampError(
      'INVALID_DIGEST_LENGTH',
      `a ${hashAlgorithm} digest has ${expected} bytes, not ${hashedMessage.length}`,
    );
  }
}

function checkNonce(nonce: bigint): void {
  const limit = 1n << BigInt(MAX_NONCE_BYTES * 8 - 1);
  if (nonce >= limit || nonce < -limit) {
    throw new TimestampError('INVALID_INPUT', `a nonce has at most ${MAX_NONCE_BYTES} bytes`);
  }
}

/** The MessageImprint a request built from fields carries: SHA-2 identifiers without parameters (RFC 5754). */
function encodeMessageImprint(hashAlgorithm: HashAlgorithm, hashedMessage: Uint8Array): Uint8Array {
  return sequence(
    sequence(encodeOid(HASH_ALGORITHMS[hashAlgorithm].oid)),
    encodeOctetString(hashedMessage),
  );
}

/** A request from its fields, checked as a DER request would be (digest length, policy, nonce size). */
export function timeStampRequest(fields: TimeStampRequestFields): TimeStampRequest {
  if (!Object.hasOwn(HASH_ALGORITHMS, fields.hashAlgorithm)) {
    throw new TimestampError(
      'UNSUPPORTED_HASH_ALGORITHM',
      `hash algorithm ${String(fields.hashAlgorithm)} is not supported (use sha256, sha384 or sha512)`,
    );
  }
  checkHashedMessage(fields.hashAlgorithm, fields.hashedMessage);
  if (fields.reqPolicy !== undefined && !DOTTED_OID.test(fields.reqPolicy)) {
    throw new TimestampError('MALFORMED_REQUEST', 'the requested policy is not a dotted OID');
  }
  if (fields.nonce !== undefined) checkNonce(fields.nonce);
  const hashedMessage = Uint8Array.from(fields.hashedMessage);
  return {
    hashAlgorithm: fields.hashAlgorithm,
    hashedMessage,
    messageImprint: encodeMessageImprint(fields.hashAlgorithm, hashedMessage),
    ...(fields.reqPolicy !== undefined ? { reqPolicy: fields.reqPolicy } : {}),
    ...(fields.nonce !== undefined ? { nonce: fields.nonce } : {}),
    certReq: fields.certReq ?? false,
  };
}

/** DER TimeStampReq (version 1) for a request. */
export function encodeTimeStampReq(request: TimeStampRequest): Uint8Array {
  return sequence(
    encodeInteger(1n),
    request.messageImprint,
    ...(request.reqPolicy !== undefined ? [encodeOid(request.reqPolicy)] : []),
    ...(request.nonce !== undefined ? [encodeInteger(request.nonce)] : []),
    ...(request.certReq ? [encodeBoolean(true)] : []),
  );
}

/** Reads a MessageImprint: a SHA-2 AlgorithmIdentifier (parameters absent or NULL) and a digest of its length. */
function readMessageImprint(element: DerElement): {
  hashAlgorithm: HashAlgorithm;
  hashedMessage: Uint8Array;
} {
  const fields = Fields.of(element, TAG.SEQUENCE, 'MessageImprint');
  const algorithm = Fields.of(
    fields.required(TAG.SEQUENCE, 'a hash algorithm'),
    TAG.SEQUENCE,
    'AlgorithmIdentifier',
  );
  const oid = decodeOid(algorithm.required(TAG.OID, 'an OID'));
  const parameters = algorithm.optional(TAG.NULL);
  if (parameters !== undefined && parameters.content.length !== 0) {
    throw new TimestampError('MALFORMED_REQUEST', 'NULL parameters have no contents');
  }
  algorithm.end();
  const hashedMessage = fields.required(TAG.OCTET_STRING, 'a hashed message').content;
  fields.end();
  const hashAlgorithm = hashAlgorithmOfOid(oid);
  if (hashAlgorithm === undefined) {
    throw new TimestampError(
      'UNSUPPORTED_HASH_ALGORITHM',
      oid === OID.sha1
        ? 'SHA-1 is a weak hash algorithm; use sha256, sha384 or sha512'
        : `hash algorithm ${oid} is not supported (use sha256, sha384 or sha512)`,
    );
  }
  checkHashedMessage(hashAlgorithm, hashedMessage);
  return { hashAlgorithm, hashedMessage: Uint8Array.from(hashedMessage) };
}

/**
 * Parses one DER TimeStampReq and nothing after it. Throws TimestampError: MALFORMED_REQUEST (not
 * DER, trailing bytes, version ≠ 1, odd fields), UNSUPPORTED_HASH_ALGORITHM (SHA-1 and anything but
 * SHA-256/384/512), INVALID_DIGEST_LENGTH, UNACCEPTED_EXTENSION (this TSA knows no request extension).
 */
export function parseTimeStampReq(der: Uint8Array): TimeStampRequest {
  return parsingAs('MALFORMED_REQUEST', 'not a DER TimeStampReq', () => {
    const fields = new Fields(readChildren(readSingle(der, TAG.SEQUENCE).content), 'TimeStampReq');
    if (decodeInteger(fields.required(TAG.INTEGER, 'a version')) !== 1n) {
      throw new TimestampError('MALFORMED_REQUEST', 'only TimeStampReq version 1 exists');
    }
    const imprintElement = fields.required(TAG.SEQUENCE, 'a messageImprint');
    const policyElement = fields.optional(TAG.OID);
    const nonceElement = fields.optional(TAG.INTEGER);
    const certReqElement = fields.optional(TAG.BOOLEAN);
    const extensions = fields.optional(contextTag(0));
    fields.end();
    const { hashAlgorithm, hashedMessage } = readMessageImprint(imprintElement);
    const reqPolicy = policyElement === undefined ? undefined : decodeOid(policyElement);
    const nonce = nonceElement === undefined ? undefined : decodeInteger(nonceElement);
    if (nonce !== undefined) checkNonce(nonce);
    // DER omits a DEFAULT FALSE; an explicit FALSE is tolerated because it means the same thing.
    const certReq = certReqElement === undefined ? false : decodeBoolean(certReqElement);
    if (extensions !== undefined) {
      throw new TimestampError('UNACCEPTED_EXTENSION', 'this TSA accepts no request extensions');
    }
    return {
      hashAlgorithm,
      hashedMessage,
      messageImprint: Uint8Array.from(imprintElement.bytes),
      ...(reqPolicy !== undefined ? { reqPolicy } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      certReq,
    };
  });
}

/** Reads a DER MessageImprint a caller hands in, to check it agrees with the request's fields. */
export function readMessageImprintDer(messageImprint: Uint8Array): {
  hashAlgorithm: HashAlgorithm;
  hashedMessage: Uint8Array;
} {
  return parsingAs('MALFORMED_REQUEST', 'not a DER MessageImprint', () =>
    readMessageImprint(readSingle(messageImprint, TAG.SEQUENCE)),
  );
}
