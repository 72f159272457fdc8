// Hand-made JWTs for negative tests (and for issuers the CA trusts through a static JWKS): sign any
// claims with any key, algorithm and header, including the unsigned and HMAC forms a verifier must refuse.
import {
  base64url,
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export interface TestSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK with `kid`, `alg` and `use`, ready for a JWKS. */
  readonly publicJwk: JWK;
}

let keyCounter = 0;

/** A fresh asymmetric signing key (ES256 unless told otherwise). */
export async function generateSigningKey(
  alg = 'ES256',
  kid = `test-key-${++keyCounter}`,
): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** A JWKS document publishing the public halves of `keys`. */
export function jwksOf(...keys: readonly TestSigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

export interface ForgeOptions {
  /** Signing key: a generated key, a raw CryptoKey, or bytes as an HMAC secret. Not needed for `none`. */
  readonly key?: TestSigningKey | CryptoKey | Uint8Array;
  /** Defaults to the key's algorithm; `none` produces an unsigned token. */
  readonly alg?: string;
  /** Defaults to the generated key's kid; `null` leaves `kid` out of the header. */
  readonly kid?: string | null;
  /** Extra protected-header members (they override `alg`/`kid`/`typ`). */
  readonly header?: Record<string, unknown>;
}

function isTestSigningKey(key: unknown): key is TestSigningKey {
  return typeof key === 'object' && key !== null && 'publicJwk' in key && 'privateKey' in key;
}

/** Signs `claims` exactly as given (no iat/exp are added) into a compact JWS. */
export async function forgeToken(claims: JWTPayload, options: ForgeOptions = {}): Promise<string> {
  const generated = isTestSigningKey(options.key) ? options.key : undefined;
  const alg = options.alg ?? generated?.alg;
  if (alg === undefined) throw new Error('forgeToken: give an alg or a generated key');
  const kid = options.kid === undefined ? generated?.kid : (options.kid ?? undefined);
  const header = {
    alg,
    typ: 'JWT',
    ...(kid !== undefined && { kid }),
    ...options.header,
  };
  if (alg === 'none') {
    // jose refuses to produce unsigned tokens, so build `header.payload.` by hand.
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    return `${encode(header)}.${encode(claims)}.`;
  }
  const key = generated?.privateKey ?? options.key;
  if (key === undefined || isTestSigningKey(key)) throw new Error('forgeToken: a key is needed');
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

/** Seconds since the epoch, the unit of JWT time claims. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
