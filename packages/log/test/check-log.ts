// The log's invariants, checked from the outside: entries hash to the published root, every published
// checkpoint is signed and consistent with the newest, and indices are dense.
import type { TransparencyLog } from '@airlock/log';
import { bytesEqual, hashLeaf, MemoryHashStore, verifyConsistency } from '@airlock/merkle';
import { type NoteVerifier, openCheckpoint } from '@airlock/note';

export async function checkLog(log: TransparencyLog, verifier: NoteVerifier): Promise<void> {
  const state = log.treeState;
  const entries = await log.entries(0n, state.size);
  const memory = new MemoryHashStore();
  entries.forEach((entry, i) => {
    if (entry.index !== BigInt(i)) throw new Error(`entry ${i} is stored at index ${entry.index}`);
    if (!bytesEqual(hashLeaf(entry.body), entry.leafHash))
      throw new Error(`entry ${i} has the wrong leaf hash`);
    memory.append(entry.leafHash);
  });
  if (memory.size !== state.size)
    throw new Error(`${memory.size} entries for tree size ${state.size}`);
  if (!bytesEqual(memory.root(), state.rootHash))
    throw new Error('entries do not hash to the root');
  for (const { size, note } of await log.checkpoints(0n, 1_000_000)) {
    const { checkpoint } = openCheckpoint(note, [verifier]);
    if (checkpoint.size !== size)
      throw new Error(`checkpoint row ${size} holds size ${checkpoint.size}`);
    if (size === 0n || size === state.size) continue;
    const proof = await log.consistencyProof(size, state.size);
    if (!verifyConsistency(size, state.size, proof, checkpoint.rootHash, state.rootHash)) {
      throw new Error(`checkpoint at size ${size} is not consistent with size ${state.size}`);
    }
  }
}
