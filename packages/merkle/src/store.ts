// Proof generation over any store of perfect-subtree hashes, and an in-memory store.

import { CompactRange } from './compact-range.js';
import { MerkleError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import {
  consistencyProofNodes,
  inclusionProofNodes,
  type NodeId,
  type ProofNodes,
} from './nodes.js';

/**
 * Where proofs read node hashes from. Contract: `readNodes` returns one hash per id, in order, each
 * the hash of that perfect subtree; it throws MerkleError('MISSING_NODE') for a node it does not
 * hold rather than returning anything else. Only nodes of trees the caller has seen are asked for.
 */
export interface HashReader {
  readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> | Uint8Array[];
}

async function prove(reader: HashReader, nodes: ProofNodes): Promise<Uint8Array[]> {
  if (nodes.ids.length === 0) return [];
  return nodes.assemble(await reader.readNodes(nodes.ids));
}

/** Inclusion proof (leaf to root order) for leaf `index` in the tree of `size`. */
export function proveInclusion(
  reader: HashReader,
  index: bigint,
  size: bigint,
): Promise<Uint8Array[]> {
  return prove(reader, inclusionProofNodes(index, size));
}

/** Consistency proof from the tree of `size1` to the tree of `size2` (RFC 9162 order). */
export function proveConsistency(
  reader: HashReader,
  size1: bigint,
  size2: bigint,
): Promise<Uint8Array[]> {
  return prove(reader, consistencyProofNodes(size1, size2));
}

/** One level of a tree: 32-byte hashes back to back in a buffer that doubles as it fills. */
class HashLevel {
  #bytes = new Uint8Array(HASH_SIZE * 16);
  #count = 0;

  push(hash: Uint8Array): void {
    if ((this.#count + 1) * HASH_SIZE > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes.set(hash, this.#count * HASH_SIZE);
    this.#count++;
  }

  get(index: number): Uint8Array | undefined {
    // A negative index would make subarray count from the end and hand out an empty "hash".
    if (index < 0 || index >= this.#count) return undefined;
    return this.#bytes.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/**
 * Every perfect node of one tree, in memory (about 64 bytes per leaf). For tests, benchmarks and
 * tools that rebuild a tree from its leaves (fsck, mirrors); a log keeps its nodes in tiles instead.
 */
export class MemoryHashStore implements HashReader {
  readonly #levels: HashLevel[] = [];
  readonly #range = CompactRange.empty();

  get size(): bigint {
    return this.#range.size;
  }

  append(leafHash: Uint8Array): void {
    this.#range.append(leafHash, (node, hash) => {
      let level = this.#levels[node.level];
      if (!level) {
        level = new HashLevel();
        this.#levels[node.level] = level;
      }
      level.push(hash);
    });
  }

  root(): Uint8Array {
    return this.#range.root();
  }

  readNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map((id) => {
      const hash =
        id.index <= BigInt(Number.MAX_SAFE_INTEGER)
          ? this.#levels[id.level]?.get(Number(id.index))
          : undefined;
      if (!hash)
        throw new MerkleError('MISSING_NODE', `no node at level ${id.level}, index ${id.index}`);
      return hash;
    });
  }

  /** Inclusion proof, synchronously (the store needs no I/O). */
  inclusionProof(index: bigint, size: bigint): Uint8Array[] {
    const nodes = inclusionProofNodes(index, size);
    return nodes.ids.length === 0 ? [] : nodes.assemble(this.readNodes(nodes.ids));
  }

  /** Consistency proof, synchronously. */
  consistencyProof(size1: bigint, size2: bigint): Uint8Array[] {
    const nodes = consistencyProofNodes(size1, size2);
    return nodes.ids.length === 0 ? [] : nodes.assemble(this.readNodes(nodes.ids));
  }
}
