// An independent oracle for the property tests: RFC 6962 §2.1 trees and proofs by their recursive
// definitions, and RFC 9162 §2.1.3.2/§2.1.4.2 verification as the spec's loops, sharing no code with src.
import { createHash } from 'node:crypto';

const MAX_UINT64 = (1n << 64n) - 1n;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return new Uint8Array(digest.digest());
}

export function referenceLeafHash(leaf: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), leaf);
}

export function referenceNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1), left, right);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Largest power of two strictly below n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A tree over a fixed list of leaf hashes; MTH results are memoised so big trees stay cheap. */
export class ReferenceTree {
  readonly #memo = new Map<string, Uint8Array>();

  constructor(readonly leafHashes: readonly Uint8Array[]) {}

  /** MTH(D[begin:end]). */
  mth(begin: number, end: number): Uint8Array {
    const n = end - begin;
    if (n === 0) return sha256();
    if (n === 1) return this.leafHashes[begin]!;
    const key = `${begin}:${end}`;
    let hash = this.#memo.get(key);
    if (!hash) {
      const k = split(n);
      hash = referenceNodeHash(this.mth(begin, begin + k), this.mth(begin + k, end));
      this.#memo.set(key, hash);
    }
    return hash;
  }

  root(size: number): Uint8Array {
    return this.mth(0, size);
  }

  /** PATH(m, D[0:size]), leaf to root. */
  inclusionProof(m: number, size: number): Uint8Array[] {
    return this.#path(m, 0, size);
  }

  #path(m: number, begin: number, end: number): Uint8Array[] {
    const n = end - begin;
    if (n <= 1) return [];
    const k = split(n);
    if (m < k) return [...this.#path(m, begin, begin + k), this.mth(begin + k, end)];
    return [...this.#path(m - k, begin + k, end), this.mth(begin, begin + k)];
  }

  /** PROOF(m, D[0:size]). */
  consistencyProof(m: number, size: number): Uint8Array[] {
    if (m === 0 || m === size) return [];
    return this.#subproof(m, 0, size, true);
  }

  #subproof(m: number, begin: number, end: number, complete: boolean): Uint8Array[] {
    const n = end - begin;
    if (m === n) return complete ? [] : [this.mth(begin, end)];
    const k = split(n);
    if (m <= k) return [...this.#subproof(m, begin, begin + k, complete), this.mth(begin + k, end)];
    return [...this.#subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)];
  }
}

const inRange = (x: bigint) => x >= 0n && x <= MAX_UINT64;
const isHash = (x: Uint8Array) => x.length === 32;

/** RFC 9162 §2.1.3.2, with the input checks a byte-level API needs (uint64 range, 32-byte hashes). */
export function specVerifyInclusion(
  leafHash: Uint8Array,
  index: bigint,
  size: bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!inRange(index) || !inRange(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = referenceNodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = referenceNodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && sameBytes(r, root);
}

/**
 * RFC 9162 §2.1.4.2. Deliberate choices, as in transparency-dev/merkle: a proof from size 0 is an
 * error, and equal sizes compare the roots byte for byte without checking their length.
 */
export function specVerifyConsistency(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!inRange(size1) || !inRange(size2) || size1 === 0n || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && sameBytes(root1, root2);
  if (!isHash(root1) || !isHash(root2) || !proof.every(isHash)) return false;
  if (proof.length === 0) return false;
  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = referenceNodeHash(c, fr);
      sr = referenceNodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = referenceNodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && sameBytes(fr, root1) && sameBytes(sr, root2);
}
