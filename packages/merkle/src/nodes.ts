// Which stored nodes a proof needs, and how to turn their hashes into the proof.
// A log stores only perfect subtrees (node (level, index) covers leaves [index·2^level, (index+1)·2^level));
// a proof may also need one "ephemeral" node on the right border, which is recomputed from the
// perfect subtrees that cover it.
import { bitLength, popCount, trailingZeros } from './bits.js';
import { checkUint64, MerkleError } from './errors.js';
import { hashChildren } from './hash.js';

/** A perfect subtree: `level` 0 is a leaf hash; the node covers 2^level leaves from index·2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

export function nodeId(level: number, index: bigint): NodeId {
  return { level, index };
}

/** The leaves [begin, end) that a node covers. */
export function nodeCoverage(node: NodeId): { begin: bigint; end: bigint } {
  const level = BigInt(node.level);
  return { begin: node.index << level, end: (node.index + 1n) << level };
}

/**
 * The compact range of leaves [begin, end): the fewest perfect subtrees that cover it, left to right.
 * For begin = 0 these are the peaks of the tree of size `end`, largest first.
 */
export function rangeNodes(begin: bigint, end: bigint): NodeId[] {
  const [left, right] = decomposeRange(begin, end);
  const nodes: NodeId[] = [];
  let pos = begin;
  // Left border: perfect subtrees growing in size.
  for (let rest = left; rest !== 0n; ) {
    const level = trailingZeros(rest);
    const bit = 1n << BigInt(level);
    nodes.push({ level, index: pos >> BigInt(level) });
    pos += bit;
    rest ^= bit;
  }
  // Right border: perfect subtrees shrinking in size.
  for (let rest = right; rest !== 0n; ) {
    const level = bitLength(rest) - 1;
    const bit = 1n << BigInt(level);
    nodes.push({ level, index: pos >> BigInt(level) });
    pos += bit;
    rest ^= bit;
  }
  return nodes;
}

/** Number of nodes in the compact range [begin, end). */
export function rangeSize(begin: bigint, end: bigint): number {
  const [left, right] = decomposeRange(begin, end);
  return popCount(left) + popCount(right);
}

/**
 * Splits [begin, end) at the node where the paths to leaf begin-1 and leaf end diverge: the one bits
 * of `left` are the sizes of the subtrees on the left border, those of `right` on the right border.
 */
function decomposeRange(begin: bigint, end: bigint): [left: bigint, right: bigint] {
  if (begin > end) throw new MerkleError('INVALID_SIZE', `range [${begin}, ${end}) is reversed`);
  if (begin === 0n) return [0n, end];
  const beforeBegin = begin - 1n;
  const divergence = bitLength(beforeBegin ^ end) - 1;
  const mask = (1n << BigInt(divergence)) - 1n;
  return [~beforeBegin & mask, end & mask];
}

/**
 * The nodes a proof is made of, in proof order, and which run of them must be hashed together
 * (right to left) into the single ephemeral node the proof actually contains.
 */
export class ProofNodes {
  constructor(
    /** Perfect subtrees to read from a store, in the order `assemble` expects their hashes. */
    readonly ids: readonly NodeId[],
    /** ids[ephemeralBegin, ephemeralEnd) are rehashed into one hash; empty when begin === end. */
    readonly ephemeralBegin: number,
    readonly ephemeralEnd: number,
  ) {}

  /** Turns the hashes of `ids` (same order) into the proof. */
  assemble(hashes: readonly Uint8Array[]): Uint8Array[] {
    if (hashes.length !== this.ids.length) {
      throw new MerkleError(
        'HASH_COUNT_MISMATCH',
        `got ${hashes.length} node hashes, the proof needs ${this.ids.length}`,
      );
    }
    const proof: Uint8Array[] = [];
    for (let i = 0; i < hashes.length; i++) {
      let hash = hashes[i]!;
      if (i === this.ephemeralBegin && this.ephemeralEnd - this.ephemeralBegin > 1) {
        for (i++; i < this.ephemeralEnd; i++) hash = hashChildren(hashes[i]!, hash);
        i--;
      }
      proof.push(hash);
    }
    return proof;
  }

  /** The same proof without its first node (its seed is known to the verifier). */
  withoutFirst(): ProofNodes {
    const hasEphemeral = this.ephemeralBegin < this.ephemeralEnd;
    return new ProofNodes(
      this.ids.slice(1),
      hasEphemeral ? this.ephemeralBegin - 1 : 0,
      hasEphemeral ? this.ephemeralEnd - 1 : 0,
    );
  }
}

/**
 * Nodes proving that node (level, index) is in the tree of `size`, starting with that node itself:
 * its siblings up to the fork with the right border, then the subtrees right of the fork (lowest
 * first; they form the ephemeral node), then those left of it (lowest first).
 */
function pathNodes(index: bigint, level: number, size: bigint): ProofNodes {
  const inner = bitLength(index ^ (size >> BigInt(level))) - 1;
  const forkLevel = level + inner;
  const forkIndex = index >> BigInt(inner);
  const { begin, end } = nodeCoverage({ level: forkLevel, index: forkIndex });

  const ids: NodeId[] = [{ level, index }];
  for (let node: NodeId = { level, index }; node.level < forkLevel; ) {
    ids.push({ level: node.level, index: node.index ^ 1n });
    node = { level: node.level + 1, index: node.index >> 1n };
  }
  let ephemeralBegin = ids.length;
  ids.push(...rangeNodes(end, size).reverse());
  let ephemeralEnd = ids.length;
  ids.push(...rangeNodes(0n, begin).reverse());
  if (ephemeralBegin >= ephemeralEnd) {
    ephemeralBegin = 0;
    ephemeralEnd = 0;
  }
  return new ProofNodes(ids, ephemeralBegin, ephemeralEnd);
}

/** The nodes of an inclusion proof for leaf `index` in the tree of `size`. */
export function inclusionProofNodes(index: bigint, size: bigint): ProofNodes {
  checkUint64('tree size', size);
  checkUint64('leaf index', index);
  if (index >= size) {
    throw new MerkleError('INVALID_SIZE', `leaf index ${index} is not below tree size ${size}`);
  }
  return pathNodes(index, 0, size).withoutFirst();
}

/** The nodes of a consistency proof from the tree of `size1` to the tree of `size2`. */
export function consistencyProofNodes(size1: bigint, size2: bigint): ProofNodes {
  checkUint64('first size', size1);
  checkUint64('second size', size2);
  if (size1 > size2) {
    throw new MerkleError(
      'INVALID_SIZE',
      `first size ${size1} is larger than second size ${size2}`,
    );
  }
  if (size1 === size2 || size1 === 0n) return new ProofNodes([], 0, 0);
  // Start from the largest perfect subtree that ends at size1 and prove it is in the tree of size2.
  const level = trailingZeros(size1);
  const index = (size1 - 1n) >> BigInt(level);
  const nodes = pathNodes(index, level, size2);
  // When size1 is a power of two that subtree is the whole first tree: the verifier has its root.
  return index === 0n ? nodes.withoutFirst() : nodes;
}
