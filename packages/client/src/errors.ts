// The one error type of @airlock/client. Messages are one line and never contain an identity token,
// a PIN, a password or key material.

export type ClientErrorCode =
  | 'NO_IDENTITY' // neither an identity token nor a key to sign with
  | 'INVALID_TOKEN' // a token that is not a JWT, has no subject, is expired, or could not be read
  | 'TOKEN_UNAVAILABLE' // the development IdP did not hand out a token
  | 'NO_DEVICE_FLOW' // the OpenID provider's discovery document names no device authorization endpoint
  | 'ACCESS_DENIED' // the user declined the device login at the OpenID provider
  | 'DEVICE_CODE_EXPIRED' // the device login's code expired before the user approved it
  | 'CANCELLED' // the caller aborted a device login
  | 'CONFLICTING_OPTIONS' // options that cannot be combined (service URLs and a signing config; a key and a token)
  | 'NO_SERVICE' // no CA, transparency log or (where required) timestamp authority to sign with
  | 'INVALID_CONFIG' // an unreadable or invalid signing config, trusted root or stack.json
  | 'INVALID_INPUT' // a predicate, predicate type or in-toto statement that cannot be signed as given
  | 'UNSUPPORTED_KEY' // a signing key this client cannot log and bundle (only ECDSA P-256 here)
  | 'SERVICE_FAILED' // the CA, a transparency log, a TSA or the OpenID provider refused or could not be reached
  | 'INVALID_RESPONSE' // a service answered, but with something unusable (not a valid bundle, not a login)
  | 'CHECK_FAILED' // the new bundle does not verify against the trusted root it was checked with
  | 'OUTPUT_EXISTS'; // writing a file would replace one that exists

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A cause's message on one line, short enough to print, for the tail of a ClientError message. */
export function describeCause(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const text = raw.replace(/\s+/g, ' ').trim();
  const withCode = typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
  return withCode.length > 300 ? `${withCode.slice(0, 297)}...` : withCode;
}
