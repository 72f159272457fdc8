// Where the identity token for keyless signing comes from, in cosign's order, and the checks made on
// it before it leaves the machine. No message here ever contains the token.
//
// The order, first found wins: the explicit token (`--identity-token`: a JWT or a file holding one),
// $SIGSTORE_ID_TOKEN, a token file, a login to the development IdP (`--dev-email`), and last an
// interactive login (the device flow, set up by openSigningSetup only for an issuer that was named
// or configured).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClientError, describeCause } from './errors.js';

/** The environment variable cosign and sigstore clients read an identity token from. */
export const IDENTITY_TOKEN_ENV = 'SIGSTORE_ID_TOKEN';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface IdentityTokenSources {
  /** `--identity-token`: the token itself, or the path of a file that holds it (as cosign accepts). */
  readonly token?: string;
  /** Environment to read SIGSTORE_ID_TOKEN from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A file holding a token, tried after the environment (a CI runner's token path). */
  readonly tokenFile?: string;
  /** Log in to a development IdP; used only when the user asked for it (`--dev-email`). */
  readonly devLogin?: { readonly issuer: string; readonly email: string };
  /** An interactive login (the device flow) tried last, when nothing before it gave a token. */
  readonly login?: () => Promise<string>;
  /** Base for relative paths (default process.cwd()). */
  readonly baseDir?: string;
}

/** What the client reads from a token: enough to name the signer and to fail early. */
export interface IdentityTokenClaims {
  readonly issuer: string;
  /** What the CA binds the certificate to and the proof of possession signs: email, else `sub`. */
  readonly subject: string;
  /** `aud`, as a list (empty when the token has none). */
  readonly audience: readonly string[];
  readonly expiresAt?: Date;
}

function readTokenFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClientError(
      'INVALID_TOKEN',
      `cannot read the identity token file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const token = text.trim();
  if (!JWT.test(token)) throw new ClientError('INVALID_TOKEN', `${what} ${path} holds no JWT`);
  return token;
}

/**
 * The identity token to sign with: the explicit one (a JWT, or a file holding one), else
 * $SIGSTORE_ID_TOKEN, else the token file, else a login to the development IdP when asked for, else
 * the interactive login when given. Undefined when there is none. Every token returned has passed
 * inspectIdentityToken.
 */
export async function resolveIdentityToken(
  sources: IdentityTokenSources,
): Promise<string | undefined> {
  const baseDir = sources.baseDir ?? process.cwd();
  let token: string | undefined;
  if (sources.token !== undefined && sources.token !== '') {
    const value = sources.token.trim();
    if (JWT.test(value)) token = value;
    else if (existsSync(resolve(baseDir, value)))
      token = readTokenFile(resolve(baseDir, value), 'the file');
    else {
      throw new ClientError(
        'INVALID_TOKEN',
        'the identity token given is neither a JWT nor the path of a file that holds one',
      );
    }
  } else {
    const fromEnv = (sources.env ?? process.env)[IDENTITY_TOKEN_ENV]?.trim();
    if (fromEnv !== undefined && fromEnv !== '') {
      if (!JWT.test(fromEnv))
        throw new ClientError('INVALID_TOKEN', `${IDENTITY_TOKEN_ENV} is not a JWT`);
      token = fromEnv;
    } else if (sources.tokenFile !== undefined) {
      token = readTokenFile(resolve(baseDir, sources.tokenFile), 'the token file');
    } else if (sources.devLogin !== undefined) {
      const { issuer, email } = sources.devLogin;
      try {
        // Loaded only when asked for: oidc-provider, under the dev IdP, prints warnings on import.
        const { loginToken } = await import('@airlock/dev-idp');
        token = await loginToken(issuer, email);
      } catch (error) {
        throw new ClientError(
          'TOKEN_UNAVAILABLE',
          `the development IdP at ${issuer} gave no token: ${describeCause(error)} (is the stack running?)`,
          { cause: error },
        );
      }
    } else if (sources.login !== undefined) {
      token = await sources.login();
    }
  }
  if (token !== undefined) inspectIdentityToken(token);
  return token;
}

/**
 * Reads the claims the CA will look at, without verifying the signature (the CA does that): refuses a
 * token that is not a JWT, has no issuer, names an unverified email, has no subject, or has expired.
 */
export function inspectIdentityToken(token: string, now: Date = new Date()): IdentityTokenClaims {
  const payloadPart = JWT.test(token) ? token.split('.')[1] : undefined;
  if (payloadPart === undefined)
    throw new ClientError('INVALID_TOKEN', 'the identity token is not a JWT');
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
    claims = parsed as Record<string, unknown>;
  } catch {
    throw new ClientError('INVALID_TOKEN', 'the identity token payload is not a JSON object');
  }
  if (typeof claims.iss !== 'string' || claims.iss === '') {
    throw new ClientError('INVALID_TOKEN', 'the identity token has no issuer (iss)');
  }
  let subject: string;
  if (typeof claims.email === 'string' && claims.email !== '') {
    // The CA binds the email only if the issuer vouches for it; sigstore-js refuses it otherwise too.
    if (claims.email_verified !== true && claims.email_verified !== 'true') {
      throw new ClientError(
        'INVALID_TOKEN',
        `the identity token's email is not verified by its issuer ${claims.iss}`,
      );
    }
    subject = claims.email;
  } else if (typeof claims.sub === 'string' && claims.sub !== '') {
    subject = claims.sub;
  } else {
    throw new ClientError('INVALID_TOKEN', 'the identity token has neither an email nor a subject');
  }
  let expiresAt: Date | undefined;
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number') {
      throw new ClientError('INVALID_TOKEN', 'the identity token expiry (exp) is not a number');
    }
    expiresAt = new Date(claims.exp * 1000);
    if (expiresAt.getTime() <= now.getTime()) {
      throw new ClientError(
        'INVALID_TOKEN',
        `the identity token expired at ${expiresAt.toISOString()}; get a new one`,
      );
    }
  }
  const audience =
    typeof claims.aud === 'string'
      ? [claims.aud]
      : Array.isArray(claims.aud)
        ? claims.aud.filter((entry): entry is string => typeof entry === 'string')
        : [];
  return {
    issuer: claims.iss,
    subject,
    audience,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
