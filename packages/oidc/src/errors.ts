// The one error type of @airlock/oidc. Messages are safe to return to clients: they never contain the
// token, its signature or key material, and claim values they quote are escaped and truncated.

export type OidcErrorCode =
  | 'MALFORMED_TOKEN' // not a compact JWS JWT, an oversized token, or a claim of the wrong JSON type
  | 'UNKNOWN_ISSUER' // no `oidc-issuers` entry or `meta-issuers` pattern matches the token's `iss`
  | 'ISSUER_MISMATCH' // the issuer the IdP names (discovery, verified claims) differs from the token's
  | 'ALG_NOT_ALLOWED' // the JWS `alg` is not on the issuer's allow-list (`none` and HS* never are)
  | 'UNKNOWN_KEY' // no key of the issuer's JWKS matches the token's `kid`/`alg`, even after a refresh
  | 'BAD_SIGNATURE' // a matching key exists but the signature does not verify with it
  | 'TOKEN_EXPIRED' // `exp` is in the past beyond the allowed clock skew
  | 'TOKEN_NOT_YET_VALID' // `nbf` or `iat` is in the future beyond the allowed clock skew
  | 'WRONG_AUDIENCE' // `aud` is missing or does not contain the issuer's client ID
  | 'EMAIL_NOT_VERIFIED' // an email issuer's token without `email_verified: true`
  | 'CLAIM_MISSING' // a claim the mapping needs (exp, sub, email, a template claim...) is absent
  | 'INVALID_CLAIM' // a claim is present but its value is not an allowed identity for this issuer
  | 'INVALID_CONFIG' // the issuer configuration (or a static JWKS file it names) is unusable
  | 'IDP_UNREACHABLE'; // discovery or JWKS could not be fetched or parsed from the identity provider

export class OidcError extends Error {
  override readonly name = 'OidcError';
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MAX_QUOTED_LENGTH = 120;

/** A claim value fit for an error message: JSON-quoted (so control characters are escaped), truncated. */
export function quoteForMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const shortened =
    text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}...` : text;
  return JSON.stringify(shortened);
}
