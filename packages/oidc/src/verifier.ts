// Verifies OIDC identity tokens against the configured issuers and maps them to Fulcio principals.
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import {
  type CiIssuerMetadata,
  compileMetaIssuerPattern,
  type IssuerConfig,
  type OidcConfig,
} from './config.js';
import { OidcError, quoteForMessage } from './errors.js';
import {
  type KeySource,
  type RemoteKeyOptions,
  RemoteKeySource,
  staticKeySource,
} from './key-sources.js';
import { mapPrincipal, type VerifiedIdentity } from './principal.js';

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
/** More skew than this would let an expired token live on for minutes; fix the clocks instead. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
export const DEFAULT_JWKS_COOLDOWN_MS = 30 * 1000;
export const DEFAULT_IDP_TIMEOUT_MS = 5 * 1000;
/** Real ID tokens are 1-3 KiB; the cap keeps base64 and JSON decoding of junk bounded. */
export const MAX_TOKEN_LENGTH = 64 * 1024;
/** Concrete issuers matched by meta-issuer patterns whose keys are kept (Fulcio keeps 100 too). */
export const META_ISSUER_CACHE_SIZE = 100;

export interface IdentityVerifierOptions {
  /** Accepted clock skew for exp/nbf/iat, 0..MAX_CLOCK_TOLERANCE_SECONDS (default 60). */
  readonly clockToleranceSeconds?: number;
  readonly jwksCacheMaxAgeMs?: number;
  /** Minimum time between JWKS refetches caused by an unknown `kid` (default 30 s). */
  readonly jwksCooldownMs?: number;
  /** Timeout of each discovery or JWKS request (default 5 s). */
  readonly idpTimeoutMs?: number;
}

interface SelectedIssuer {
  readonly config: IssuerConfig;
  readonly ciMetadata: CiIssuerMetadata | undefined;
  readonly keys: KeySource;
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OidcError('INVALID_CONFIG', `${name} must be a non-negative integer`);
  }
  return value;
}

/** jose's verification failures, as OidcErrors with our codes. */
function translateVerifyError(error: unknown): OidcError {
  if (error instanceof OidcError) return error;
  if (error instanceof errors.JWTExpired) {
    return new OidcError('TOKEN_EXPIRED', 'token has expired', { cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'aud') {
      return new OidcError(
        'WRONG_AUDIENCE',
        "token audience does not include the issuer's client ID",
        {
          cause: error,
        },
      );
    }
    if (error.reason === 'missing') {
      return new OidcError('CLAIM_MISSING', `token has no ${quoteForMessage(claim)} claim`, {
        cause: error,
      });
    }
    if (claim === 'nbf' && error.reason === 'check_failed') {
      return new OidcError(
        'TOKEN_NOT_YET_VALID',
        'token is not valid yet ("nbf" is in the future)',
        {
          cause: error,
        },
      );
    }
    if (claim === 'iss') {
      return new OidcError('ISSUER_MISMATCH', 'token issuer does not match the configured issuer', {
        cause: error,
      });
    }
    return new OidcError('MALFORMED_TOKEN', `token claim ${quoteForMessage(claim)} is invalid`, {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new OidcError('ALG_NOT_ALLOWED', 'token "alg" is not allowed for this issuer', {
      cause: error,
    });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new OidcError('BAD_SIGNATURE', 'token signature does not verify', { cause: error });
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new OidcError('MALFORMED_TOKEN', 'token is not a well-formed signed JWT', {
      cause: error,
    });
  }
  // Anything else (a key unusable for the algorithm, an RSA key that is too short) means the
  // signature could not be checked, which must fail like a bad signature.
  return new OidcError('BAD_SIGNATURE', 'token signature could not be verified', { cause: error });
}

/**
 * Verifies identity tokens for the issuers of one configuration. Construction does no network I/O
 * (static JWKS files are read and checked then); each issuer's discovery document and JWKS are
 * fetched when its first token arrives, so an IdP that is down fails only its own tokens, with
 * IDP_UNREACHABLE, until it comes back.
 */
export class IdentityVerifier {
  private readonly exactIssuers = new Map<string, SelectedIssuer>();
  private readonly metaPatterns: readonly {
    readonly pattern: RegExp;
    readonly config: IssuerConfig;
  }[];
  /** Concrete meta-matched issuers, least recently used first. */
  private readonly metaKeySources = new Map<string, KeySource>();
  private readonly clockToleranceSeconds: number;
  private readonly remoteOptions: RemoteKeyOptions;

  constructor(
    private readonly config: OidcConfig,
    options: IdentityVerifierOptions = {},
  ) {
    this.clockToleranceSeconds = nonNegativeInteger(
      options.clockToleranceSeconds,
      DEFAULT_CLOCK_TOLERANCE_SECONDS,
      'clockToleranceSeconds',
    );
    if (this.clockToleranceSeconds > MAX_CLOCK_TOLERANCE_SECONDS) {
      throw new OidcError(
        'INVALID_CONFIG',
        `clockToleranceSeconds must be at most ${MAX_CLOCK_TOLERANCE_SECONDS}`,
      );
    }
    this.remoteOptions = {
      cacheMaxAgeMs: nonNegativeInteger(
        options.jwksCacheMaxAgeMs,
        DEFAULT_JWKS_CACHE_MAX_AGE_MS,
        'jwksCacheMaxAgeMs',
      ),
      cooldownMs: nonNegativeInteger(
        options.jwksCooldownMs,
        DEFAULT_JWKS_COOLDOWN_MS,
        'jwksCooldownMs',
      ),
      timeoutMs: nonNegativeInteger(options.idpTimeoutMs, DEFAULT_IDP_TIMEOUT_MS, 'idpTimeoutMs'),
    };
    for (const [url, issuer] of config.oidcIssuers) {
      const keys =
        issuer.jwksFile === undefined
          ? new RemoteKeySource(url, this.remoteOptions, {
              ...(issuer.jwksUri !== undefined && { jwksUri: issuer.jwksUri }),
              ...(issuer.caCert !== undefined && { caCert: issuer.caCert }),
            })
          : staticKeySource(url, issuer.jwksFile);
      this.exactIssuers.set(url, { config: issuer, ciMetadata: this.ciMetadataOf(issuer), keys });
    }
    this.metaPatterns = [...config.metaIssuers].map(([pattern, issuer]) => ({
      pattern: compileMetaIssuerPattern(pattern),
      config: issuer,
    }));
  }

  /**
   * Verifies `token` and returns the identity to certify. Throws OidcError; its message is safe to
   * return to the client.
   */
  async verify(token: string): Promise<VerifiedIdentity> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new OidcError('MALFORMED_TOKEN', 'no identity token');
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new OidcError(
        'MALFORMED_TOKEN',
        `identity token is longer than ${MAX_TOKEN_LENGTH} characters`,
      );
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch (cause) {
      throw new OidcError('MALFORMED_TOKEN', 'identity token is not a compact signed JWT', {
        cause,
      });
    }

    // The unverified `iss` only chooses which keys to try; it is compared again after verification.
    const iss = unverified.iss;
    if (iss === undefined) throw new OidcError('CLAIM_MISSING', 'token has no "iss" claim');
    if (typeof iss !== 'string' || iss === '') {
      throw new OidcError('MALFORMED_TOKEN', 'token "iss" claim is not a string');
    }
    const selected = this.select(iss);
    if (selected === undefined) {
      throw new OidcError('UNKNOWN_ISSUER', `issuer ${quoteForMessage(iss)} is not configured`);
    }

    // Refused before any key lookup, so `none` and HMAC tokens never make the CA contact an IdP.
    const allowed: readonly string[] = selected.config.allowedAlgorithms;
    if (typeof header.alg !== 'string' || !allowed.includes(header.alg)) {
      const alg = typeof header.alg === 'string' ? header.alg : '';
      throw new OidcError(
        'ALG_NOT_ALLOWED',
        alg.toLowerCase() === 'none'
          ? 'unsigned tokens (alg "none") are never accepted'
          : `token "alg" ${quoteForMessage(alg)} is not allowed for this issuer`,
      );
    }

    const options: JWTVerifyOptions = {
      issuer: iss,
      audience: selected.config.clientId,
      algorithms: [...allowed],
      clockTolerance: this.clockToleranceSeconds,
      requiredClaims: ['exp', 'iss', 'sub'],
    };
    const payload = await this.verifySignatureAndTimes(token, selected, options);

    // jose checks nbf and exp but looks at iat only when a maximum age is set.
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + this.clockToleranceSeconds) {
      throw new OidcError('TOKEN_NOT_YET_VALID', 'token was issued in the future ("iat")');
    }
    if (payload.iss !== iss || this.select(payload.iss)?.config !== selected.config) {
      throw new OidcError(
        'ISSUER_MISMATCH',
        'verified token issuer differs from the one it was routed by',
      );
    }
    return mapPrincipal(selected.config, payload, selected.ciMetadata);
  }

  private async verifySignatureAndTimes(
    token: string,
    selected: SelectedIssuer,
    options: JWTVerifyOptions,
  ): Promise<JWTPayload> {
    try {
      return (await jwtVerify(token, selected.keys.resolve, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw translateVerifyError(error);
      // A token without `kid` and a JWKS with several keys of its type: try each, as go-oidc does.
      let lastError: unknown = error;
      for await (const key of error) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (attempt) {
          if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) {
            throw translateVerifyError(attempt);
          }
          lastError = attempt;
        }
      }
      throw new OidcError('BAD_SIGNATURE', 'token signature does not verify with any issuer key', {
        cause: lastError,
      });
    }
  }

  /** The configuration and keys for `iss`: an exact issuer first, else the first matching pattern. */
  private select(iss: string): SelectedIssuer | undefined {
    const exact = this.exactIssuers.get(iss);
    if (exact !== undefined) return exact;
    const meta = this.metaPatterns.find(({ pattern }) => pattern.test(iss));
    if (meta === undefined) return undefined;
    let keys = this.metaKeySources.get(iss);
    if (keys === undefined) {
      keys = new RemoteKeySource(iss, this.remoteOptions, {
        ...(meta.config.caCert !== undefined && { caCert: meta.config.caCert }),
      });
      if (this.metaKeySources.size >= META_ISSUER_CACHE_SIZE) {
        const oldest = this.metaKeySources.keys().next();
        if (oldest.done !== true) this.metaKeySources.delete(oldest.value);
      }
    } else {
      this.metaKeySources.delete(iss);
    }
    this.metaKeySources.set(iss, keys);
    return { config: meta.config, ciMetadata: this.ciMetadataOf(meta.config), keys };
  }

  private ciMetadataOf(issuer: IssuerConfig): CiIssuerMetadata | undefined {
    return issuer.ciProvider === undefined
      ? undefined
      : this.config.ciIssuerMetadata.get(issuer.ciProvider);
  }
}
