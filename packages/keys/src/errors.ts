// The one error type of @airlock/keys. Messages never contain PINs, passwords or key material.

export type KeysErrorCode =
  | 'UNSUPPORTED_KEY' // a key type, curve or size Airlock does not sign with
  | 'INVALID_KEY_URI' // a key URI that does not parse or names an unknown scheme
  | 'KEY_NOT_FOUND' // the URI parses but names no key
  | 'BAD_CREDENTIALS' // wrong PIN or password
  | 'SIGNING_FAILED'; // the backend refused or failed to sign

export class KeysError extends Error {
  override readonly name = 'KeysError';
  constructor(
    readonly code: KeysErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
