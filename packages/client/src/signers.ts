// The two ways a signature is made, as sigstore-js Signers: keyless (an ephemeral P-256 key and a
// certificate from the CA for the token's identity) and keyed (an @airlock/keys Signer, any backend).
import { createHash, type KeyObject } from 'node:crypto';
import type { Signer as KeySigner } from '@airlock/keys';
import { FulcioSigner, type Signer as SigstoreSigner } from '@sigstore/sign';
import { ClientError } from './errors.js';

/** How long one HTTP call to a service may take, and how often a 5xx/429/network failure is retried. */
export const CLIENT_DEFAULTS = { timeoutMs: 20_000, retries: 2 } as const;

export interface FetchOptions {
  readonly timeoutMs: number;
  readonly retries: number;
}

/** A signer that gets a certificate from the CA at `caUrl` for `identityToken` and an ephemeral key. */
export function keylessSigner(
  caUrl: string,
  identityToken: string,
  fetch: FetchOptions = CLIENT_DEFAULTS,
): SigstoreSigner {
  return new FulcioSigner({
    fulcioBaseURL: caUrl,
    identityProvider: { getToken: async () => identityToken },
    timeout: fetch.timeoutMs,
    retry: { retries: fetch.retries },
  });
}

/** The key hint a keyed bundle carries (and a DSSE signature's keyid): base64(SHA-256(SPKI DER)). */
export function keyHint(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * Wraps a key for sigstore-js. Only ECDSA P-256 is accepted: a hashedrekord entry and the bundle's
 * message digest say SHA-256, and a Rekor v2 entry must name the key's details, so a key that hashes
 * with anything else would make entries no verifier reproduces.
 */
export function keyedSigner(key: KeySigner): SigstoreSigner {
  if (key.algorithm !== 'ecdsa-p256-sha256') {
    throw new ClientError(
      'UNSUPPORTED_KEY',
      `only ECDSA P-256 keys can sign here; this key is ${key.algorithm}`,
    );
  }
  const publicKey = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const hint = keyHint(key.publicKey);
  return {
    sign: async (data) => ({
      signature: Buffer.from(await key.sign(data)),
      key: { $case: 'publicKey', publicKey, hint },
    }),
  };
}
