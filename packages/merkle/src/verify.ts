// Inclusion and consistency proof verification with RFC 9162 §2.1.3.2 and §2.1.4.2 semantics.
// Pure: bytes in, verdict out. `assert*` explain a failure with a MerkleError; `verify*` answer a boolean.
import { bitLength, popCount, trailingZeros } from './bits.js';
import { checkUint64, MerkleError } from './errors.js';
import { bytesEqual, HASH_SIZE, hashChildren } from './hash.js';

function checkHash(name: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new MerkleError('INVALID_HASH', `${name} must be ${HASH_SIZE} bytes`);
  }
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof))
    throw new MerkleError('INVALID_PROOF', 'proof must be a list of hashes');
  for (const [i, hash] of proof.entries()) checkHash(`proof[${i}]`, hash);
}

/**
 * Splits an inclusion proof for `index` in a tree of `size` into its two parts: `inner` hashes on the
 * path below the point where the leaf's path and the right border diverge, then `border` hashes of
 * left siblings on the border.
 */
function decomposeInclusion(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  const border = popCount(index >> BigInt(inner));
  return { inner, border };
}

function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  let hash = seed;
  for (let i = 0; i < proof.length; i++) {
    const sibling = proof[i]!;
    hash = (index >> BigInt(i)) & 1n ? hashChildren(sibling, hash) : hashChildren(hash, sibling);
  }
  return hash;
}

/** Like chainInner, but only for the levels where `index` has a one bit (right-hand children). */
function chainInnerRight(
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  index: bigint,
): Uint8Array {
  let hash = seed;
  for (let i = 0; i < proof.length; i++) {
    if ((index >> BigInt(i)) & 1n) hash = hashChildren(proof[i]!, hash);
  }
  return hash;
}

function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let hash = seed;
  for (const sibling of proof) hash = hashChildren(sibling, hash);
  return hash;
}

/**
 * The root that an inclusion proof for `leafHash` at `index` in a tree of `size` leads to.
 * Throws MerkleError for sizes, hashes or proof lengths that cannot be right.
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkUint64('tree size', size);
  checkUint64('leaf index', index);
  if (index >= size) {
    throw new MerkleError('INVALID_SIZE', `leaf index ${index} is not below tree size ${size}`);
  }
  checkHash('leaf hash', leafHash);
  checkProofHashes(proof);
  const { inner, border } = decomposeInclusion(index, size);
  if (proof.length !== inner + border) {
    throw new MerkleError(
      'INVALID_PROOF',
      `inclusion proof for leaf ${index} in tree of size ${size} has ${proof.length} hashes, want ${inner + border}`,
    );
  }
  const afterInner = chainInner(leafHash, proof.slice(0, inner), index);
  return chainBorderRight(afterInner, proof.slice(inner));
}

/** Throws MerkleError unless `proof` shows `leafHash` at `index` in the tree of `size` with `root`. */
export function assertInclusion(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash('root', root);
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(computed, root)) {
    throw new MerkleError('ROOT_MISMATCH', 'inclusion proof leads to a different root');
  }
}

/** True iff `proof` shows `leafHash` at `index` in the tree of `size` whose root is `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return succeeds(() => assertInclusion(leafHash, index, size, proof, root));
}

/**
 * Throws MerkleError unless `proof` shows that the tree of `size1` with `root1` is a prefix of the
 * tree of `size2` with `root2`. A proof from size 0 is refused: it proves nothing, and accepting it
 * would let a caller skip the check it meant to make.
 */
export function assertConsistency(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkUint64('first size', size1);
  checkUint64('second size', size2);
  if (size2 < size1) {
    throw new MerkleError(
      'INVALID_SIZE',
      `second size ${size2} is smaller than first size ${size1}`,
    );
  }
  if (size1 === 0n) {
    throw new MerkleError('INVALID_SIZE', 'a consistency proof from the empty tree proves nothing');
  }
  if (!Array.isArray(proof))
    throw new MerkleError('INVALID_PROOF', 'proof must be a list of hashes');
  if (size1 === size2) {
    if (proof.length !== 0) {
      throw new MerkleError(
        'INVALID_PROOF',
        'a consistency proof between equal sizes must be empty',
      );
    }
    if (!bytesEqual(root1, root2)) {
      throw new MerkleError('ROOT_MISMATCH', 'equal tree sizes with different roots');
    }
    return;
  }
  checkHash('first root', root1);
  checkHash('second root', root2);
  checkProofHashes(proof);
  if (proof.length === 0) throw new MerkleError('INVALID_PROOF', 'empty consistency proof');

  // Split at the largest perfect subtree that ends at size1: its root is the seed, either given
  // first in the proof or, when size1 is a power of two, known to the verifier as root1.
  // The rest is the suffix of an inclusion proof for leaf size1-1 in the tree of size2, from that
  // subtree's level upwards.
  const shift = trailingZeros(size1);
  const full = decomposeInclusion(size1 - 1n, size2);
  const inner = full.inner - shift;
  const border = full.border;
  const seedInProof = size1 !== 1n << BigInt(shift);
  const start = seedInProof ? 1 : 0;
  if (proof.length !== start + inner + border) {
    throw new MerkleError(
      'INVALID_PROOF',
      `consistency proof ${size1} -> ${size2} has ${proof.length} hashes, want ${start + inner + border}`,
    );
  }
  const seed = seedInProof ? proof[0]! : root1;
  const rest = proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);

  const hash1 = chainBorderRight(
    chainInnerRight(seed, rest.slice(0, inner), mask),
    rest.slice(inner),
  );
  if (!bytesEqual(hash1, root1)) {
    throw new MerkleError('ROOT_MISMATCH', 'consistency proof does not lead to the first root');
  }
  const hash2 = chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!bytesEqual(hash2, root2)) {
    throw new MerkleError('ROOT_MISMATCH', 'consistency proof does not lead to the second root');
  }
}

/** True iff `proof` shows the tree of `size1` with `root1` is a prefix of the tree of `size2` with `root2`. */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  return succeeds(() => assertConsistency(size1, size2, proof, root1, root2));
}

function succeeds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof MerkleError) return false;
    throw error;
  }
}
