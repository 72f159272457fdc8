// Rekor v1 kind hashedrekord 0.0.1: a signature over a digest of an artifact the log never sees.
import { canonicalJson, decodeBase64, decodeHex, encodeBase64, toHex } from './encoding.js';
import { RekorError } from './errors.js';
import { type JsonObject, quoteForError, requiredObject, requiredString } from './json-shape.js';
import { MAX_PEM_BYTES } from './limits.js';
import { SearchKeys } from './search-keys.js';
import { DIGEST_LENGTH, type DigestAlgorithm, verifyDigestSignature } from './signatures.js';
import type { CanonicalEntry, Checked, HashedRekordV001 } from './types.js';
import { canonicalPem, materialFromPem } from './verification-material.js';

function isDigestAlgorithm(name: string): name is DigestAlgorithm {
  return Object.hasOwn(DIGEST_LENGTH, name);
}

/** Checks a hashedrekord 0.0.1 `spec` and verifies its signature over the digest. */
export function parseHashedRekordV001(spec: JsonObject): Checked<HashedRekordV001> {
  const signatureObject = requiredObject(spec, 'signature', 'spec');
  const signature = decodeBase64(
    requiredString(signatureObject, 'content', 'spec.signature'),
    'spec.signature.content',
  );
  const keyObject = requiredObject(signatureObject, 'publicKey', 'spec.signature');
  const keyText = requiredString(keyObject, 'content', 'spec.signature.publicKey');
  // Checked on the base64 text too, so an oversized field is refused before it is decoded.
  if (keyText.length > Math.ceil(MAX_PEM_BYTES / 3) * 4) {
    throw new RekorError('TOO_LARGE', 'spec.signature.publicKey.content is too large');
  }
  const verifier = materialFromPem(
    decodeBase64(keyText, 'spec.signature.publicKey.content'),
    'spec.signature.publicKey.content',
  );

  const hash = requiredObject(requiredObject(spec, 'data', 'spec'), 'hash', 'spec.data');
  const algorithm = requiredString(hash, 'algorithm', 'spec.data.hash');
  if (!isDigestAlgorithm(algorithm)) {
    throw new RekorError(
      'UNSUPPORTED_ALGORITHM',
      `spec.data.hash.algorithm ${quoteForError(algorithm)} is not one of sha256, sha384, sha512`,
    );
  }
  const digest = decodeHex(
    requiredString(hash, 'value', 'spec.data.hash'),
    DIGEST_LENGTH[algorithm],
    'spec.data.hash.value',
  );

  if (!verifyDigestSignature(verifier, algorithm, digest, signature)) {
    throw new RekorError(
      'INVALID_SIGNATURE',
      'the signature does not verify over the digest with the given key',
    );
  }
  const entry: HashedRekordV001 = {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    digestAlgorithm: algorithm,
    digest,
    signature,
    verifier,
  };
  return entry as Checked<HashedRekordV001>;
}

/**
 * The stored form: only `data.hash` (hex normalized to lowercase, the form Rekor documents and
 * clients compare against) and the signature with its verifier re-encoded as Go writes PEM.
 */
export function canonicalizeHashedRekordV001(entry: Checked<HashedRekordV001>): CanonicalEntry {
  const body = {
    apiVersion: entry.apiVersion,
    kind: entry.kind,
    spec: {
      data: { hash: { algorithm: entry.digestAlgorithm, value: toHex(entry.digest) } },
      signature: {
        content: encodeBase64(entry.signature),
        publicKey: { content: encodeBase64(canonicalPem(entry.verifier)) },
      },
    },
  };
  return {
    kind: entry.kind,
    apiVersion: entry.apiVersion,
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    body: canonicalJson(body),
    searchKeys: new SearchKeys()
      .digest(entry.digestAlgorithm, entry.digest)
      .verifier(entry.verifier)
      .toArray(),
  };
}
