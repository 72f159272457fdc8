// RFC 6962 leaf and node hashes for fsck's inner loop: the same values as @airlock/merkle's hashLeaf
// and hashChildren, written into one reused buffer instead of a fresh one per hash, because a log of
// 10^6 entries takes 2·10^6 of them and allocation, not SHA-256, was what a profile showed on top.
import { hash } from 'node:crypto';
import { HASH_SIZE, MAX_BUNDLED_ENTRY } from '@airlock/merkle';

/** SHA-256(0x00 || entry), for entries up to the largest an entry bundle holds. */
export class LeafHasher {
  readonly #input = new Uint8Array(1 + MAX_BUNDLED_ENTRY);

  hash(entry: Uint8Array): Uint8Array {
    // #input[0] stays 0x00, the leaf prefix.
    this.#input.set(entry, 1);
    return hash('sha256', this.#input.subarray(0, 1 + entry.length), 'buffer');
  }
}

/** SHA-256(0x01 || left || right) of two hashes lying side by side in `pair` from `offset`. */
export class NodeHasher {
  readonly #input = Uint8Array.of(0x01, ...new Uint8Array(2 * HASH_SIZE));

  hash(pair: Uint8Array, offset: number): Uint8Array {
    this.#input.set(pair.subarray(offset, offset + 2 * HASH_SIZE), 1);
    return hash('sha256', this.#input, 'buffer');
  }
}
