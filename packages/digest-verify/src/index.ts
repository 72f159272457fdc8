// @airlock/digest-verify: ECDSA and RSA PKCS#1 v1.5 signatures checked against a digest the caller
// already has (hashedrekord entries carry only the artifact's digest). OpenSSL does the work, through
// a small N-API addon (src/digest_verify.c) built at install time like the other native modules.
import { createRequire } from 'node:module';

interface Addon {
  verify(spki: Uint8Array, digestName: string, digest: Uint8Array, signature: Uint8Array): boolean;
}

const addon = createRequire(import.meta.url)('../build/Release/digest_verify.node') as Addon;

export type DigestName = 'sha256' | 'sha384' | 'sha512';

/**
 * True iff `signature` is a valid signature over `digest` by the key `spki` (DER
 * SubjectPublicKeyInfo): ECDSA (DER signature) on any curve OpenSSL knows, or RSA PKCS#1 v1.5 with a
 * DigestInfo for `digestName`. Anything malformed is false; Ed25519 keys are always false (they
 * cannot sign a digest except as Ed25519ph, which this OpenSSL does not verify).
 */
export function verifyDigestSignature(
  spki: Uint8Array,
  digestName: DigestName,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  return addon.verify(toBuffer(spki), digestName, toBuffer(digest), toBuffer(signature));
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
