// The one error type of @airlock/merkle; callers switch on `code`, never on the message.

export type MerkleErrorCode =
  | 'INVALID_SIZE' // a tree size, index or range that cannot exist (negative, > 2^64-1, index >= size)
  | 'INVALID_HASH' // a hash that is not HASH_SIZE bytes where one is required
  | 'HASH_COUNT_MISMATCH' // a store returned a different number of hashes than asked for
  | 'INVALID_TILE' // a tile path, tile body or entry bundle that does not parse
  | 'MISSING_NODE' // a store does not hold a node the computation needs
  | 'INVALID_PROOF' // a proof of the wrong length or shape for the sizes it claims to cover
  | 'ROOT_MISMATCH'; // a well-formed proof that leads to a different root

export class MerkleError extends Error {
  override readonly name = 'MerkleError';
  constructor(
    readonly code: MerkleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The largest tree size and leaf index representable in RFC 9162 (uint64). */
export const MAX_UINT64 = (1n << 64n) - 1n;

export function checkUint64(name: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) {
    throw new MerkleError(
      'INVALID_SIZE',
      `${name} must be an integer in [0, 2^64-1], got ${value}`,
    );
  }
}
