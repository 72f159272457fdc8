// Properties over random trees: generated proofs equal RFC 6962's and verify, every corruption of a
// proof is refused, compact ranges are exact, and verifiers answer garbage with `false`, never a throw.
import {
  assertConsistency,
  assertInclusion,
  CompactRange,
  hashLeaf,
  MAX_UINT64,
  MemoryHashStore,
  MerkleError,
  rangeNodes,
  rangeSize,
  verifyConsistency,
  verifyInclusion,
} from '@airlock/merkle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ReferenceTree,
  referenceLeafHash,
  referenceNodeHash,
  specVerifyConsistency,
  specVerifyInclusion,
} from './rfc-reference.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hexes = (hashes: readonly Uint8Array[]) => hashes.map(hex);

/** One tree serves every size up to its own: the tree of size n is its prefix of n leaves. */
const TREE_SIZE = 4100;
const leafHashes = Array.from({ length: TREE_SIZE }, (_, i) =>
  referenceLeafHash(new TextEncoder().encode(`leaf ${i}`)),
);
const reference = new ReferenceTree(leafHashes);
const store = new MemoryHashStore();
for (const leaf of leafHashes) store.append(leaf);

const inclusionCase = fc
  .integer({ min: 1, max: TREE_SIZE })
  .chain((size) =>
    fc.record({ size: fc.constant(size), index: fc.integer({ min: 0, max: size - 1 }) }),
  );
const consistencyCase = fc
  .integer({ min: 1, max: TREE_SIZE })
  .chain((size2) =>
    fc.record({ size1: fc.integer({ min: 1, max: size2 }), size2: fc.constant(size2) }),
  );
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const bit = fc.integer({ min: 0, max: 255 });

function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bitIndex >> 3]! ^= 1 << (bitIndex & 7);
  return copy;
}

/** 'ok', the MerkleError code, or 'not a MerkleError: ...' for anything else thrown. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof MerkleError ? error.code : `not a MerkleError: ${String(error)}`;
  }
}

describe('generated proofs', () => {
  it('inclusion proofs equal RFC 6962 PATH and verify', () => {
    fc.assert(
      fc.property(inclusionCase, ({ index, size }) => {
        const proof = store.inclusionProof(BigInt(index), BigInt(size));
        expect(hexes(proof)).toEqual(hexes(reference.inclusionProof(index, size)));
        const root = reference.root(size);
        expect(verifyInclusion(leafHashes[index]!, BigInt(index), BigInt(size), proof, root)).toBe(
          true,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('consistency proofs equal RFC 6962 PROOF and verify', () => {
    fc.assert(
      fc.property(consistencyCase, ({ size1, size2 }) => {
        const proof = store.consistencyProof(BigInt(size1), BigInt(size2));
        expect(hexes(proof)).toEqual(hexes(reference.consistencyProof(size1, size2)));
        expect(
          verifyConsistency(
            BigInt(size1),
            BigInt(size2),
            proof,
            reference.root(size1),
            reference.root(size2),
          ),
        ).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('hold for trees of random leaves too', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        (leaves, pickIndex, pickSize1) => {
          const hashes = leaves.map(hashLeaf);
          const tree = new ReferenceTree(hashes);
          const randomStore = new MemoryHashStore();
          for (const leaf of hashes) randomStore.append(leaf);
          const size = hashes.length;
          expect(hex(randomStore.root())).toBe(hex(tree.root(size)));
          const index = pickIndex % size;
          const inclusion = randomStore.inclusionProof(BigInt(index), BigInt(size));
          expect(hexes(inclusion)).toEqual(hexes(tree.inclusionProof(index, size)));
          const size1 = 1 + (pickSize1 % size);
          const consistency = randomStore.consistencyProof(BigInt(size1), BigInt(size));
          expect(hexes(consistency)).toEqual(hexes(tree.consistencyProof(size1, size)));
        },
      ),
      { numRuns: 60 },
    );
  });
});

type SizeChange = 'plus1' | 'minus1' | 'times2';
const sizeChange = fc.constantFrom<SizeChange>('plus1', 'minus1', 'times2');
const changeSize = (size: bigint, change: SizeChange) =>
  change === 'plus1' ? size + 1n : change === 'minus1' ? size - 1n : size * 2n;

type ProofEdit =
  | { kind: 'flipProof'; element: number; bit: number }
  | { kind: 'drop'; at: number }
  | { kind: 'add'; at: number; hash: Uint8Array };
const proofEdit: fc.Arbitrary<ProofEdit> = fc.oneof(
  fc.record({ kind: fc.constant('flipProof' as const), element: fc.nat(), bit }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), hash: hash32 }),
);

/** Applies one edit; undefined when the edit is impossible (nothing to flip or drop). */
function editProof(proof: readonly Uint8Array[], edit: ProofEdit): Uint8Array[] | undefined {
  const edited = [...proof];
  switch (edit.kind) {
    case 'flipProof': {
      if (proof.length === 0) return undefined;
      const at = edit.element % proof.length;
      edited[at] = flipBit(proof[at]!, edit.bit);
      return edited;
    }
    case 'drop':
      if (proof.length === 0) return undefined;
      edited.splice(edit.at % proof.length, 1);
      return edited;
    case 'add':
      edited.splice(edit.at % (proof.length + 1), 0, edit.hash);
      return edited;
  }
}

describe('corrupted inclusion proofs', () => {
  const verifyBoth = (
    leaf: Uint8Array,
    index: bigint,
    size: bigint,
    proof: Uint8Array[],
    root: Uint8Array,
  ) => {
    const verdict = verifyInclusion(leaf, index, size, proof, root);
    expect(verdict).toBe(specVerifyInclusion(leaf, index, size, proof, root));
    return verdict;
  };

  it('fail with any bit of any proof hash flipped, an element dropped or added', () => {
    fc.assert(
      fc.property(inclusionCase, proofEdit, ({ index, size }, edit) => {
        const proof = editProof(store.inclusionProof(BigInt(index), BigInt(size)), edit);
        fc.pre(proof !== undefined);
        const leaf = leafHashes[index]!;
        expect(verifyBoth(leaf, BigInt(index), BigInt(size), proof!, reference.root(size))).toBe(
          false,
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('fail with any bit of the leaf hash or the root flipped', () => {
    fc.assert(
      fc.property(inclusionCase, bit, fc.boolean(), ({ index, size }, bitIndex, flipLeaf) => {
        const proof = store.inclusionProof(BigInt(index), BigInt(size));
        const leaf = leafHashes[index]!;
        const root = reference.root(size);
        const verdict = flipLeaf
          ? verifyBoth(flipBit(leaf, bitIndex), BigInt(index), BigInt(size), proof, root)
          : verifyBoth(leaf, BigInt(index), BigInt(size), proof, flipBit(root, bitIndex));
        expect(verdict).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('fail at the index next door', () => {
    fc.assert(
      fc.property(inclusionCase, fc.constantFrom(-1n, 1n), ({ index, size }, delta) => {
        const proof = store.inclusionProof(BigInt(index), BigInt(size));
        const root = reference.root(size);
        const leaf = leafHashes[index]!;
        expect(verifyBoth(leaf, BigInt(index) + delta, BigInt(size), proof, root)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('fail for a doubled size; for size ±1 only where the path has exactly the same shape', () => {
    // RFC 9162 verification binds the root, not the size: when size±1 gives the same sequence of
    // left/right steps, the same hashes reach the same root and the proof is accepted (the signed
    // checkpoint is what binds size to root). The spec oracle decides which case each one is.
    const plusMinusOne = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(inclusionCase, sizeChange, ({ index, size }, change) => {
        const proof = store.inclusionProof(BigInt(index), BigInt(size));
        const wrongSize = changeSize(BigInt(size), change);
        const verdict = verifyBoth(
          leafHashes[index]!,
          BigInt(index),
          wrongSize,
          proof,
          reference.root(size),
        );
        if (change === 'times2') expect(verdict).toBe(false);
        if (change !== 'times2') plusMinusOne[verdict ? 'accepted' : 'refused']++;
      }),
      { numRuns: 1000 },
    );
    // Both happen: the size does steer verification, it just does not always change the path.
    expect(plusMinusOne.refused).toBeGreaterThan(0);
    expect(plusMinusOne.accepted).toBeGreaterThan(0);
  });

  it('is accepted at a wrong size only with the same shape: leaf 0 of 8 as leaf 0 of 7', () => {
    const proof = store.inclusionProof(0n, 8n);
    expect(verifyInclusion(leafHashes[0]!, 0n, 7n, proof, reference.root(8))).toBe(true);
    expect(verifyInclusion(leafHashes[0]!, 0n, 7n, proof, reference.root(7))).toBe(false);
    expect(verifyInclusion(leafHashes[0]!, 0n, 9n, proof, reference.root(8))).toBe(false);
  });
});

describe('corrupted consistency proofs', () => {
  const verifyBoth = (
    size1: bigint,
    size2: bigint,
    proof: Uint8Array[],
    root1: Uint8Array,
    root2: Uint8Array,
  ) => {
    const verdict = verifyConsistency(size1, size2, proof, root1, root2);
    expect(verdict).toBe(specVerifyConsistency(size1, size2, proof, root1, root2));
    return verdict;
  };

  it('fail with any bit of any proof hash flipped, an element dropped or added', () => {
    fc.assert(
      fc.property(consistencyCase, proofEdit, ({ size1, size2 }, edit) => {
        const proof = editProof(store.consistencyProof(BigInt(size1), BigInt(size2)), edit);
        fc.pre(proof !== undefined);
        const [root1, root2] = [reference.root(size1), reference.root(size2)];
        expect(verifyBoth(BigInt(size1), BigInt(size2), proof!, root1, root2)).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });

  it('fail with any bit of either root flipped', () => {
    fc.assert(
      fc.property(consistencyCase, bit, fc.boolean(), ({ size1, size2 }, bitIndex, first) => {
        const proof = store.consistencyProof(BigInt(size1), BigInt(size2));
        let root1 = reference.root(size1);
        let root2 = reference.root(size2);
        if (first) root1 = flipBit(root1, bitIndex);
        else root2 = flipBit(root2, bitIndex);
        expect(verifyBoth(BigInt(size1), BigInt(size2), proof, root1, root2)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('fail for a doubled size; for a size ±1 only where the path has the same shape', () => {
    const plusMinusOne = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(
        consistencyCase.filter(({ size1, size2 }) => size1 < size2),
        sizeChange,
        fc.boolean(),
        ({ size1, size2 }, change, first) => {
          const proof = store.consistencyProof(BigInt(size1), BigInt(size2));
          const s1 = first ? changeSize(BigInt(size1), change) : BigInt(size1);
          const s2 = first ? BigInt(size2) : changeSize(BigInt(size2), change);
          const verdict = verifyBoth(s1, s2, proof, reference.root(size1), reference.root(size2));
          if (change === 'times2') expect(verdict).toBe(false);
          if (change !== 'times2') plusMinusOne[verdict ? 'accepted' : 'refused']++;
        },
      ),
      { numRuns: 1000 },
    );
    expect(plusMinusOne.refused).toBeGreaterThan(0);
    expect(plusMinusOne.accepted).toBeGreaterThan(0);
  });

  it('refuses a proof between equal sizes that is not empty, and a swapped pair of roots', () => {
    const root = reference.root(100);
    expect(verifyConsistency(100n, 100n, [root], root, root)).toBe(false);
    const proof = store.consistencyProof(6n, 8n);
    expect(verifyConsistency(6n, 8n, proof, reference.root(8), reference.root(6))).toBe(false);
    expect(verifyConsistency(8n, 6n, proof, reference.root(6), reference.root(8))).toBe(false);
  });
});

describe('CompactRange', () => {
  it('round-trips through fromPeaks(size, peaks()) and keeps growing the same tree', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: TREE_SIZE - 64 }),
        fc.integer({ min: 0, max: 64 }),
        (size, more) => {
          const range = CompactRange.empty();
          for (const leaf of leafHashes.slice(0, size)) range.append(leaf);
          const peaks = range.peaks();
          expect(peaks.map((peak) => peak.node)).toEqual(rangeNodes(0n, BigInt(size)));
          expect(hexes(peaks.map((peak) => peak.hash))).toEqual(
            hexes(store.readNodes(peaks.map((peak) => peak.node))),
          );
          const restored = CompactRange.fromPeaks(
            BigInt(size),
            peaks.map((peak) => peak.hash),
          );
          expect(restored.size).toBe(BigInt(size));
          expect(hex(restored.root())).toBe(hex(reference.root(size)));
          for (const leaf of leafHashes.slice(size, size + more)) {
            restored.append(leaf);
            range.append(leaf);
          }
          expect(hex(restored.root())).toBe(hex(reference.root(size + more)));
          expect(hex(range.root())).toBe(hex(reference.root(size + more)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands out copies: changing a returned peak does not change the tree', () => {
    const range = CompactRange.empty();
    for (const leaf of leafHashes.slice(0, 11)) range.append(leaf);
    const [first] = range.peaks();
    first!.hash.fill(0);
    expect(hex(range.root())).toBe(hex(reference.root(11)));
  });

  it('refuses peaks that cannot belong to the size', () => {
    const range = CompactRange.empty();
    for (const leaf of leafHashes.slice(0, 11)) range.append(leaf);
    const peaks = range.peaks().map((peak) => peak.hash);
    expect(peaks).toHaveLength(3);
    expect(outcome(() => CompactRange.fromPeaks(11n, peaks.slice(1)))).toBe('INVALID_SIZE');
    expect(outcome(() => CompactRange.fromPeaks(11n, [...peaks, peaks[0]!]))).toBe('INVALID_SIZE');
    expect(outcome(() => CompactRange.fromPeaks(12n, peaks))).toBe('INVALID_SIZE');
    expect(outcome(() => CompactRange.fromPeaks(-1n, []))).toBe('INVALID_SIZE');
    expect(
      outcome(() => CompactRange.fromPeaks(11n, [peaks[0]!, peaks[1]!.subarray(1), peaks[2]!])),
    ).toBe('INVALID_HASH');
    expect(outcome(() => range.append(new Uint8Array(31)))).toBe('INVALID_HASH');
  });
});

describe('rangeNodes', () => {
  const uint64 = fc.oneof(
    fc.bigInt({ min: 0n, max: MAX_UINT64 }),
    fc.bigInt({ min: 0n, max: 1n << 20n }),
    fc.constantFrom(0n, 1n, MAX_UINT64, MAX_UINT64 - 1n, 1n << 63n),
  );
  const range = fc.tuple(uint64, uint64).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

  it('covers exactly [begin, end) with the fewest perfect subtrees', () => {
    fc.assert(
      fc.property(range, ([begin, end]) => {
        const nodes = rangeNodes(begin!, end!);
        expect(nodes).toHaveLength(rangeSize(begin!, end!));
        let position = begin!;
        for (const node of nodes) {
          expect(node.level).toBeGreaterThanOrEqual(0);
          expect(node.level).toBeLessThanOrEqual(64);
          expect(node.index << BigInt(node.level)).toBe(position);
          position = (node.index + 1n) << BigInt(node.level);
        }
        expect(position).toBe(end);
        // Fewest: no two neighbours are siblings that their parent could replace, and levels rise
        // strictly along the left border, then fall strictly along the right one.
        const levels = nodes.map((node) => node.level);
        let top = 0;
        while (top + 1 < levels.length && levels[top]! < levels[top + 1]!) top++;
        for (let i = top + 1; i + 1 < levels.length; i++)
          expect(levels[i]!).toBeGreaterThan(levels[i + 1]!);
        for (let i = 1; i < nodes.length; i++) {
          const [left, right] = [nodes[i - 1]!, nodes[i]!];
          const siblings =
            left.level === right.level && left.index % 2n === 0n && right.index === left.index + 1n;
          expect(siblings).toBe(false);
        }
        if (begin === 0n) {
          for (let i = 1; i < nodes.length; i++)
            expect(nodes[i]!.level).toBeLessThan(nodes[i - 1]!.level);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a reversed range', () => {
    expect(() => rangeNodes(5n, 4n)).toThrow(
      expect.objectContaining({ name: 'MerkleError', code: 'INVALID_SIZE' }),
    );
  });
});

describe('verifiers given garbage', () => {
  const anySize = fc.oneof(
    fc.bigInt({ min: 0n, max: 64n }),
    fc.bigInt({ min: 0n, max: MAX_UINT64 }),
    fc.constantFrom(MAX_UINT64, MAX_UINT64 + 1n, -1n, 0n, 1n),
    fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }),
  );
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 70 }),
    hash32,
    fc.constant(new Uint8Array(0)),
  );
  const anyProof = fc.oneof(
    fc.array(anyBytes, { maxLength: 70 }),
    fc.array(hash32, { maxLength: 66 }),
  );

  it('verifyInclusion returns false (never throws) and assertInclusion throws only MerkleError', () => {
    fc.assert(
      fc.property(
        anyBytes,
        anySize,
        anySize,
        anyProof,
        anyBytes,
        (leaf, index, size, proof, root) => {
          const verdict = verifyInclusion(leaf, index, size, proof, root);
          expect(verdict).toBe(specVerifyInclusion(leaf, index, size, proof, root));
          // The one garbage input that legitimately verifies: a 1-leaf tree whose root is the leaf.
          const trivial =
            size === 1n &&
            index === 0n &&
            proof.length === 0 &&
            leaf.length === 32 &&
            hex(leaf) === hex(root);
          expect(verdict).toBe(trivial);
          expect(outcome(() => assertInclusion(leaf, index, size, proof, root))).toMatch(
            trivial ? 'ok' : /^[A-Z_]+$/,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('verifyConsistency returns false (never throws) and assertConsistency throws only MerkleError', () => {
    fc.assert(
      fc.property(anySize, anySize, anyProof, anyBytes, anyBytes, (size1, size2, proof, r1, r2) => {
        const verdict = verifyConsistency(size1, size2, proof, r1, r2);
        expect(verdict).toBe(specVerifyConsistency(size1, size2, proof, r1, r2));
        // The one garbage input that is legitimately consistent: equal sizes, no proof, same bytes.
        const trivial =
          size1 === size2 &&
          size1 > 0n &&
          size1 <= MAX_UINT64 &&
          proof.length === 0 &&
          hex(r1) === hex(r2);
        expect(verdict).toBe(trivial);
        expect(outcome(() => assertConsistency(size1, size2, proof, r1, r2))).toMatch(
          trivial ? 'ok' : /^[A-Z_]+$/,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('size 2^64-1 is usable; 2^64 and negative sizes are refused with INVALID_SIZE', () => {
    // Leaf 0 of the largest tree sits under 64 left turns: its root is the leaf chained with 64 hashes.
    const leaf = leafHashes[0]!;
    const proof = leafHashes.slice(1, 65);
    const root = proof.reduce((hash, sibling) => referenceNodeHash(hash, sibling), leaf);
    expect(verifyInclusion(leaf, 0n, MAX_UINT64, proof, root)).toBe(true);
    expect(outcome(() => assertInclusion(leaf, 0n, MAX_UINT64, proof.slice(1), root))).toBe(
      'INVALID_PROOF',
    );
    expect(outcome(() => assertInclusion(leaf, 0n, MAX_UINT64, proof, leaf))).toBe('ROOT_MISMATCH');
    for (const size of [MAX_UINT64 + 1n, -1n]) {
      expect(outcome(() => assertInclusion(leaf, 0n, size, [], leaf))).toBe('INVALID_SIZE');
      expect(outcome(() => assertConsistency(1n, size, [], leaf, leaf))).toBe('INVALID_SIZE');
    }
  });
});
