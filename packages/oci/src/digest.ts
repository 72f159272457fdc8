// Content digests (`sha256:<hex>`): parsing, computing, and the check every fetched byte goes through.
import { createHash } from 'node:crypto';
import { OciError } from './errors.js';

const DIGEST_PATTERN = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export type DigestAlgorithm = 'sha256' | 'sha512';

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/** Returns `value` if it is a digest this package can verify; throws INVALID_DIGEST otherwise. */
export function parseDigest(value: string): string {
  if (!isDigest(value)) {
    throw new OciError(
      'INVALID_DIGEST',
      `not a sha256 or sha512 digest: ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  }
  return value;
}

export function digestAlgorithm(digest: string): DigestAlgorithm {
  return parseDigest(digest).startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The hex part of a digest. */
export function digestHex(digest: string): string {
  return parseDigest(digest).slice(digest.indexOf(':') + 1);
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Throws DIGEST_MISMATCH unless `bytes` hash to `expected` (and, when given, are `expectedSize` long).
 * `what` names the content in the message.
 */
export function verifyDigest(
  bytes: Uint8Array,
  expected: string,
  what: string,
  expectedSize?: number,
): void {
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new OciError('DIGEST_MISMATCH', `${what}: content hashes to ${actual}, not ${expected}`);
  }
  if (expectedSize !== undefined && bytes.length !== expectedSize) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${what}: ${bytes.length} bytes where the descriptor says ${expectedSize}`,
    );
  }
}
