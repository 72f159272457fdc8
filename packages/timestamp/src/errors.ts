// The one error type of @airlock/timestamp; callers switch on `code`, never on the message.

export type TimestampErrorCode =
  | 'MALFORMED_REQUEST' // bytes that are not one DER TimeStampReq (junk, BER, trailing data, version ≠ 1)
  | 'UNSUPPORTED_HASH_ALGORITHM' // a messageImprint hash other than SHA-256/384/512 (SHA-1 included)
  | 'INVALID_DIGEST_LENGTH' // a hashedMessage whose length is not its algorithm's digest length
  | 'UNACCEPTED_POLICY' // a reqPolicy the TSA does not issue under
  | 'UNACCEPTED_EXTENSION' // request extensions: this TSA understands none
  | 'INVALID_INPUT' // options a token cannot be made from (serial, accuracy, time, nonce)
  | 'UNSUPPORTED_KEY' // a TSA key sigstore clients cannot verify (Ed25519)
  | 'INVALID_SIGNER_CERTIFICATE' // a signer certificate that may not sign timestamps (EKU, CA, validity)
  | 'KEY_MISMATCH' // a signer whose key is not the one its certificate certifies
  | 'SIGNING_FAILED' // the signer failed or returned a signature that does not verify
  | 'MALFORMED_RESPONSE' // bytes that are not a DER TimeStampResp / timestamp token we can read
  | 'NOT_GRANTED' // a response whose status is not granted, or that carries no token
  | 'UNSUPPORTED_ALGORITHM' // a token digest or signature algorithm we do not accept
  | 'SIGNER_MISMATCH' // the token's signer (sid, ESSCertIDv2, embedded certificate) is not the trusted leaf
  | 'UNTRUSTED_CHAIN' // the trusted chain does not verify (signatures, names, CA flags, EKU, times)
  | 'MESSAGE_DIGEST_MISMATCH' // the messageDigest attribute is not the hash of the TSTInfo
  | 'INVALID_SIGNATURE' // the signature over the signed attributes does not verify
  | 'IMPRINT_MISMATCH' // the token timestamps other data than the caller's
  | 'NONCE_MISMATCH' // the token's nonce is not the one the caller sent
  | 'POLICY_MISMATCH'; // the token was issued under another policy than the caller requires

export class TimestampError extends Error {
  override readonly name = 'TimestampError';
  constructor(
    readonly code: TimestampErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs `parse`; anything it throws that is not already a TimestampError becomes one with `code`. */
export function parsingAs<T>(code: TimestampErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    const detail = error instanceof Error ? `: ${error.message}` : '';
    throw new TimestampError(code, `${what}${detail}`, { cause: error });
  }
}
