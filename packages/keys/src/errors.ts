// The one error type of @airlock/keys. Messages never contain PINs, passwords or key material.

export type KeysErrorCode =
  | 'UNSUPPORTED_KEY' // a key type, curve or size Airlock does not sign with
  | 'INVALID_KEY_URI' // a key URI that does not parse or names an unknown scheme
  | 'KEY_NOT_FOUND' // the URI parses but names no token, key or file
  | 'AMBIGUOUS_KEY' // the URI matches more than one token or key, so using any of them would be a guess
  | 'KEY_EXISTS' // generating or writing a key would duplicate or overwrite an existing one
  | 'BAD_CREDENTIALS' // wrong, missing or unreadable PIN or password
  | 'INSECURE_KEY_FILE' // an unencrypted key file where a password (so encryption) was expected
  | 'BACKEND_FAILED' // the PKCS#11 module or token failed, or was already closed
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
