// Rekor v1 entry identifiers: the UUID (RFC 6962 leaf hash of the canonical body) and the EntryID
// that prefixes it with the log shard's tree ID.
import { hashLeaf } from '@airlock/merkle';
import { toHex } from './encoding.js';
import { RekorError } from './errors.js';

const MAX_TREE_ID = (1n << 63n) - 1n;
const UUID = /^[0-9a-f]{64}$/;

/** Lowercase hex of SHA-256(0x00 ‖ body): 64 characters. */
export function entryUuid(body: Uint8Array): string {
  return toHex(hashLeaf(body));
}

/**
 * The 80-character EntryID: the tree ID as 16 hex digits (a positive int64, as Trillian's) followed
 * by the UUID.
 */
export function entryId(treeId: bigint, uuid: string): string {
  if (treeId <= 0n || treeId > MAX_TREE_ID) {
    throw new RekorError('MALFORMED', 'a tree ID must be a positive 64-bit integer');
  }
  if (!UUID.test(uuid))
    throw new RekorError('MALFORMED', 'an entry UUID is 64 lowercase hex digits');
  return `${treeId.toString(16).padStart(16, '0')}${uuid}`;
}

/** Reads a client's entry reference: a 64-digit UUID or an 80-digit EntryID, in either case. */
export function parseEntryId(text: string): { readonly treeId?: bigint; readonly uuid: string } {
  const lower = text.toLowerCase();
  if (UUID.test(lower)) return { uuid: lower };
  if (/^[0-9a-f]{80}$/.test(lower)) {
    const treeId = BigInt(`0x${lower.slice(0, 16)}`);
    if (treeId === 0n || treeId > MAX_TREE_ID) {
      throw new RekorError('MALFORMED', 'the EntryID does not start with a valid tree ID');
    }
    return { treeId, uuid: lower.slice(16) };
  }
  throw new RekorError('MALFORMED', 'an entry ID is a 64-digit UUID or an 80-digit EntryID in hex');
}
