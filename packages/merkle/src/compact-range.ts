// The state of an append-only tree kept in O(log n) space: the roots of its perfect subtrees (peaks).
// A sequencer appends leaf hashes to it and learns every new perfect node it must store.
import { checkUint64, MerkleError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';
import { type NodeId, rangeNodes } from './nodes.js';

/** Called for every perfect node an append completes, the leaf itself first, then upwards. */
export type NodeVisitor = (node: NodeId, hash: Uint8Array) => void;

export class CompactRange {
  #size: bigint;
  /** Peaks, largest (leftmost) first; peaks[i] is the root of a perfect subtree. */
  readonly #peaks: Uint8Array[];

  private constructor(size: bigint, peaks: Uint8Array[]) {
    this.#size = size;
    this.#peaks = peaks;
  }

  static empty(): CompactRange {
    return new CompactRange(0n, []);
  }

  /**
   * Restores a tree state from its size and peaks (as `peaks` returned them). The peak count must
   * match the size, or the state could not have come from a tree.
   */
  static fromPeaks(size: bigint, peaks: readonly Uint8Array[]): CompactRange {
    checkUint64('tree size', size);
    const want = rangeNodes(0n, size).length;
    if (peaks.length !== want) {
      throw new MerkleError(
        'INVALID_SIZE',
        `a tree of size ${size} has ${want} peaks, got ${peaks.length}`,
      );
    }
    for (const peak of peaks) {
      if (peak.length !== HASH_SIZE)
        throw new MerkleError('INVALID_HASH', `peaks must be ${HASH_SIZE} bytes`);
    }
    return new CompactRange(
      size,
      peaks.map((peak) => Uint8Array.from(peak)),
    );
  }

  get size(): bigint {
    return this.#size;
  }

  /** Copies of the peak hashes, largest first, and the node each one is. */
  peaks(): { node: NodeId; hash: Uint8Array }[] {
    return rangeNodes(0n, this.#size).map((node, i) => ({
      node,
      hash: Uint8Array.from(this.#peaks[i]!),
    }));
  }

  /** Appends one leaf hash; `visit` sees the leaf node and every perfect node it completes. */
  append(leafHash: Uint8Array, visit?: NodeVisitor): void {
    if (leafHash.length !== HASH_SIZE) {
      throw new MerkleError('INVALID_HASH', `leaf hash must be ${HASH_SIZE} bytes`);
    }
    let index = this.#size;
    let hash = leafHash;
    visit?.({ level: 0, index }, hash);
    // Each trailing one bit of the old size is a peak that the new node completes a pair with.
    let level = 0;
    while ((index & 1n) === 1n) {
      const left = this.#peaks.pop()!;
      hash = hashChildren(left, hash);
      index >>= 1n;
      level++;
      visit?.({ level, index }, hash);
    }
    this.#peaks.push(hash);
    this.#size++;
  }

  /** The tree head: peaks folded right to left (RFC 6962's MTH of all appended leaves). */
  root(): Uint8Array {
    if (this.#peaks.length === 0) return EMPTY_ROOT;
    let hash = this.#peaks[this.#peaks.length - 1]!;
    for (let i = this.#peaks.length - 2; i >= 0; i--) hash = hashChildren(this.#peaks[i]!, hash);
    return hash;
  }

  clone(): CompactRange {
    return new CompactRange(this.#size, [...this.#peaks]);
  }
}

/** MTH(D[0:n]) of a list of leaf hashes. */
export function rootOfLeafHashes(leafHashes: Iterable<Uint8Array>): Uint8Array {
  const range = CompactRange.empty();
  for (const leafHash of leafHashes) range.append(leafHash);
  return range.root();
}
