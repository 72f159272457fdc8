// Where an issuer's verification keys come from: OIDC discovery then a cached remote JWKS (fetched
// lazily, so an IdP that is down fails only its own tokens), or a static JWKS file.
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { OidcError, quoteForMessage } from './errors.js';
import { type FetchLike, fetchTrusting, readJsonBody } from './http.js';

/** What jose's `jwtVerify` calls to find the key for a token. */
export type KeyResolver = JWTVerifyGetKey;

export interface RemoteKeyOptions {
  /** How long a fetched JWKS is used before it is fetched again. */
  readonly cacheMaxAgeMs: number;
  /** Minimum time between two refetches triggered by an unknown `kid` (bounds load on the IdP). */
  readonly cooldownMs: number;
  /** Per-request timeout for discovery and JWKS. */
  readonly timeoutMs: number;
}

export interface KeySource {
  readonly resolve: KeyResolver;
}

/** JWK members that only private or symmetric keys have; a trust file must hold none of them. */
const SECRET_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

function describeFetchFailure(error: unknown): string {
  if (error instanceof errors.JWKSTimeout) return 'timed out';
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  if (error instanceof errors.JWKSInvalid) return 'returned a malformed JWKS';
  if (error instanceof errors.JOSEError) return error.message;
  return 'could not be reached';
}

/** Errors a key lookup can end in, as OidcErrors; a multiple-match is left for the verifier. */
function translateKeyError(error: unknown, issuer: string, keysFrom: 'remote' | 'static'): unknown {
  if (error instanceof OidcError || error instanceof errors.JWKSMultipleMatchingKeys) return error;
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new OidcError(
      'UNKNOWN_KEY',
      `no key of issuer ${quoteForMessage(issuer)} matches the token's "kid" and "alg"`,
      { cause: error },
    );
  }
  if (error instanceof errors.JOSENotSupported) {
    return new OidcError('ALG_NOT_ALLOWED', 'the token\'s "alg" cannot be used with a JWKS', {
      cause: error,
    });
  }
  if (keysFrom === 'static') {
    return new OidcError(
      'INVALID_CONFIG',
      `the static JWKS of issuer ${quoteForMessage(issuer)} is unusable`,
      {
        cause: error,
      },
    );
  }
  return new OidcError(
    'IDP_UNREACHABLE',
    `the JWKS of issuer ${quoteForMessage(issuer)} ${describeFetchFailure(error)}`,
    { cause: error },
  );
}

/** Parses and checks a JWKS at configuration time, so a bad trust file stops the CA from starting. */
export function parseStaticJwks(json: unknown, where: string): JSONWebKeySet {
  const keys =
    typeof json === 'object' && json !== null ? (json as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new OidcError('INVALID_CONFIG', `${where}: not a JWKS (needs a non-empty "keys" list)`);
  }
  for (const key of keys) {
    if (
      typeof key !== 'object' ||
      key === null ||
      typeof (key as { kty?: unknown }).kty !== 'string'
    ) {
      throw new OidcError('INVALID_CONFIG', `${where}: every key needs a "kty"`);
    }
    if (SECRET_JWK_MEMBERS.some((member) => Object.hasOwn(key, member))) {
      throw new OidcError(
        'INVALID_CONFIG',
        `${where}: holds a private or symmetric key; publish public keys only`,
      );
    }
  }
  try {
    createLocalJWKSet(json as JSONWebKeySet);
  } catch (cause) {
    throw new OidcError('INVALID_CONFIG', `${where}: malformed JWKS`, { cause });
  }
  return json as JSONWebKeySet;
}

/** Keys from a JWKS file that the CA trusts as published by the issuer; read once, at construction. */
export function staticKeySource(issuer: string, jwksFile: string): KeySource {
  const where = `jwks-file of issuer ${quoteForMessage(issuer)}`;
  let text: string;
  try {
    text = readFileSync(jwksFile, 'utf8');
  } catch (cause) {
    throw new OidcError('INVALID_CONFIG', `${where}: cannot read ${quoteForMessage(jwksFile)}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new OidcError('INVALID_CONFIG', `${where}: not JSON`, { cause });
  }
  const localSet = createLocalJWKSet(parseStaticJwks(json, where));
  return {
    resolve: async (header, token) => {
      try {
        return await localSet(header, token);
      } catch (error) {
        throw translateKeyError(error, issuer, 'static');
      }
    },
  };
}

/** The discovery URL of an issuer (OIDC Discovery 1.0 §4: a terminating "/" is removed first). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Keys fetched from the IdP. Nothing is fetched before the first token of this issuer arrives; a failed
 * discovery is not remembered, so the next token retries. jose's remote JWKS caches the keys, refetches
 * when they are older than `cacheMaxAgeMs`, and refetches on an unknown `kid` at most once per
 * `cooldownMs` (which is how an IdP key rotation is picked up).
 */
export class RemoteKeySource implements KeySource {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  private readonly fetchImpl: FetchLike;

  constructor(
    private readonly issuer: string,
    private readonly options: RemoteKeyOptions,
    overrides: { readonly jwksUri?: string; readonly caCert?: string } = {},
  ) {
    this.fetchImpl = overrides.caCert === undefined ? fetch : fetchTrusting(overrides.caCert);
    if (overrides.jwksUri !== undefined) this.jwks = this.remoteSet(new URL(overrides.jwksUri));
  }

  readonly resolve: KeyResolver = async (header, token) => {
    const jwks = this.jwks ?? (await this.discover());
    try {
      return await jwks(header, token);
    } catch (error) {
      throw translateKeyError(error, this.issuer, 'remote');
    }
  };

  private remoteSet(jwksUri: URL): ReturnType<typeof createRemoteJWKSet> {
    return createRemoteJWKSet(jwksUri, {
      cacheMaxAge: this.options.cacheMaxAgeMs,
      cooldownDuration: this.options.cooldownMs,
      timeoutDuration: this.options.timeoutMs,
      [customFetch]: this.fetchImpl,
    });
  }

  private discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    // Concurrent first tokens share one discovery request.
    this.discovering ??= this.fetchDiscovery()
      .then((jwksUri) => {
        this.jwks = this.remoteSet(jwksUri);
        return this.jwks;
      })
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  private async fetchDiscovery(): Promise<URL> {
    const url = discoveryUrl(this.issuer);
    const unreachable = (why: string, cause?: unknown): OidcError =>
      new OidcError(
        'IDP_UNREACHABLE',
        `discovery for issuer ${quoteForMessage(this.issuer)} ${why}`,
        {
          cause,
        },
      );
    let document: unknown;
    try {
      const response = await this.fetchImpl(url, {
        method: 'GET',
        headers: new Headers({ accept: 'application/json' }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'manual',
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw unreachable(`returned HTTP ${response.status}`);
      }
      document = await readJsonBody(response);
    } catch (error) {
      if (error instanceof OidcError) throw error;
      throw unreachable(describeFetchFailure(error), error);
    }
    if (typeof document !== 'object' || document === null) {
      throw unreachable('returned something other than a JSON object');
    }
    const { issuer, jwks_uri: jwksUri } = document as { issuer?: unknown; jwks_uri?: unknown };
    // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for; otherwise
    // one IdP could speak for another.
    if (issuer !== this.issuer) {
      throw new OidcError(
        'ISSUER_MISMATCH',
        `the discovery document at ${quoteForMessage(url)} names issuer ${quoteForMessage(issuer)}, not ${quoteForMessage(this.issuer)}`,
      );
    }
    if (typeof jwksUri !== 'string') throw unreachable('names no "jwks_uri"');
    let parsed: URL;
    try {
      parsed = new URL(jwksUri);
    } catch {
      throw unreachable('names a "jwks_uri" that is not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw unreachable('names a "jwks_uri" that is not http(s)');
    }
    return parsed;
  }
}
