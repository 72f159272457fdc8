// The one error type of @airlock/rekor. Messages describe what is wrong with the client's request
// and are safe to return to that client: they never echo keys, signatures or unbounded input.

export type RekorErrorCode =
  | 'MALFORMED' // not the JSON shape a kind requires, or bad base64, hex, PEM, DER or digest length
  | 'TOO_LARGE' // a request, envelope, PEM or list over one of the limits in limits.ts
  | 'UNSUPPORTED_KIND' // a kind or apiVersion this log does not accept
  | 'UNSUPPORTED_ALGORITHM' // a hash algorithm or keyDetails value this log does not accept
  | 'UNSUPPORTED_KEY' // a key type, curve or size this log does not accept
  | 'KEY_DETAILS_MISMATCH' // a Rekor v2 keyDetails that does not describe the key it comes with
  | 'INVALID_SIGNATURE'; // a signature that does not verify, or a verifier that verifies nothing

export class RekorError extends Error {
  override readonly name = 'RekorError';
  constructor(
    readonly code: RekorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
