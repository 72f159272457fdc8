// A log in memory that signs real checkpoints, for driving a witness: any size, any fork.
import { createHash } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import { MemoryHashStore } from '@airlock/merkle';
import {
  formatVerifierKey,
  type NoteSigner,
  noteSignerFromSigner,
  signCheckpoint,
} from '@airlock/note';

export class MemoryLog {
  readonly store = new MemoryHashStore();
  readonly roots: Uint8Array[] = [];
  readonly noteSigner: NoteSigner;

  constructor(
    readonly origin: string,
    readonly signer: SoftwareSigner = SoftwareSigner.generate('ed25519'),
    /** Distinguishes the leaves of a fork from those of the honest log. */
    readonly leafPrefix = 'leaf',
  ) {
    this.noteSigner = noteSignerFromSigner(origin, signer);
    this.roots.push(this.store.root());
  }

  /** The log's verifier key (Ed25519 logs only). */
  get vkey(): string {
    return formatVerifierKey(this.origin, this.signer.publicKey);
  }

  grow(count: number): this {
    for (let i = 0; i < count; i++) {
      const leaf = `${this.leafPrefix} ${this.store.size}`;
      this.store.append(
        createHash('sha256')
          .update(Buffer.concat([Buffer.of(0), Buffer.from(leaf)]))
          .digest(),
      );
      this.roots.push(this.store.root());
    }
    return this;
  }

  get size(): bigint {
    return this.store.size;
  }

  checkpoint(
    size: bigint = this.size,
    signers: readonly NoteSigner[] = [this.noteSigner],
  ): Promise<string> {
    return signCheckpoint(
      { origin: this.origin, size, rootHash: this.roots[Number(size)]! },
      signers,
    );
  }

  proof(from: bigint, to: bigint = this.size): Uint8Array[] {
    return from === 0n || from === to ? [] : this.store.consistencyProof(from, to);
  }
}
