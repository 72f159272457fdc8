// c2sp.org/tlog-checkpoint bodies, and signing and opening them as signed notes.
//
// Sigstore's two log generations write checkpoints differently, and clients check them
// differently (specs/sigstore-wire-formats.md §0.1 item 4, §2.5, §3.4):
// - Rekor v1: origin "<host> - <treeID>", key name the bare "<host>" (so name != origin), key ID
//   SHA-256(DER SPKI)[0:4] for every key type (open with keyIdRule 'rekor-v1'). sigstore-go
//   recognises v1 by the origin pattern ".* - [0-9]+$" and then requires EVERY signature line
//   to carry the log's SPKI hint, so a v1-style checkpoint must not carry cosignatures.
// - Rekor v2 (tlog-tiles): origin = key name = the bare hostname of the log's baseUrl (no
//   scheme, port or path); key ID by the C2SP rule (Ed25519 name-bound, ECDSA SPKI hash);
//   clients ignore other lines, so witnesses may cosign.
// sigstore-js matches the 4-byte hint against the log ID and the name as a substring of
// baseUrl; sigstore-python matches the hint only. Airlock logs use the v2 rule.
import { decodeBase64Strict, encodeBase64, MAX_UINT64, parseDecimalUint64 } from './encoding.js';
import { NoteError } from './errors.js';
import { type NoteVerifier, type OpenedNote, openNote } from './open-note.js';
import { type NoteSigner, signNote } from './sign-note.js';
import { isValidNoteText } from './signed-note.js';

/** Bytes in a checkpoint root hash (SHA-256, RFC 6962). */
export const CHECKPOINT_HASH_BYTES = 32;

export interface Checkpoint {
  /** The log's identity; unique per log. */
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** Lines after the root hash (old Rekor v1 wrote "Timestamp: <ns>"); NOT RECOMMENDED. */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

function malformed(reason: string): NoteError {
  return new NoteError('MALFORMED_CHECKPOINT', `malformed checkpoint: ${reason}`);
}

/** The checkpoint note text: origin, size, base64 root hash, extension lines, each ending "\n". */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin.length === 0 || origin.includes('\n'))
    throw malformed('the origin is one non-empty line');
  if (typeof size !== 'bigint' || size < 0n || size > MAX_UINT64)
    throw malformed('the size is a uint64');
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== CHECKPOINT_HASH_BYTES)
    throw malformed(`the root hash has ${CHECKPOINT_HASH_BYTES} bytes`);
  for (const line of extensions)
    if (line.length === 0 || line.includes('\n'))
      throw malformed('extension lines are single non-empty lines');
  const text = [origin, size.toString(), encodeBase64(rootHash), ...extensions, ''].join('\n');
  if (!isValidNoteText(text)) throw malformed('contains a control character');
  return text;
}

/**
 * Parses a checkpoint note text: at least three lines, each ending with "\n"; a non-empty
 * origin; the size in decimal without leading zeros ("0" for the empty tree); the root hash in
 * standard padded base64 of exactly 32 bytes; then non-empty extension lines.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!isValidNoteText(text))
    throw malformed('not newline-terminated text free of control characters');
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || sizeText === undefined || rootText === undefined)
    throw malformed('fewer than three lines');
  if (origin.length === 0) throw malformed('empty origin');
  const size = parseDecimalUint64(sizeText);
  if (size === null) throw malformed('the size is not a decimal uint64 without leading zeros');
  const rootHash = decodeBase64Strict(rootText);
  if (rootHash === null || rootHash.length !== CHECKPOINT_HASH_BYTES)
    throw malformed(`the root hash is not base64 of ${CHECKPOINT_HASH_BYTES} bytes`);
  if (extensions.some((line) => line.length === 0)) throw malformed('empty extension line');
  return { origin, size, rootHash, extensions };
}

export interface RekorV1Origin {
  /** The log's host as Rekor v1 was configured with it; also its checkpoint key name. */
  readonly hostname: string;
  readonly treeId: bigint;
}

const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Splits a Rekor v1 origin "<host> - <treeID>" (Trillian tree IDs are positive int64 written
 * in decimal). Returns null for any other origin, which Sigstore clients treat as Rekor v2.
 */
export function parseRekorV1Origin(origin: string): RekorV1Origin | null {
  const match = /^(\S+) - ([1-9][0-9]*)$/.exec(origin);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  const treeId = BigInt(match[2]);
  if (treeId > MAX_INT64) return null;
  return { hostname: match[1], treeId };
}

/** Formats `checkpoint` and signs it with every signer; returns the signed note. */
export function signCheckpoint(
  checkpoint: CheckpointInput,
  signers: readonly NoteSigner[],
): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

export interface OpenedCheckpoint extends OpenedNote {
  readonly checkpoint: Checkpoint;
}

export interface OpenCheckpointOptions {
  /**
   * The origin the caller expects (Rekor v2: the hostname of the log's baseUrl). A checkpoint
   * for another origin is refused with ORIGIN_MISMATCH even if a configured key signed it.
   */
  readonly origin?: string;
}

/**
 * Opens a signed checkpoint (see openNote for the signature rules), then parses its text.
 * Nothing in the checkpoint is to be trusted unless this returns.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: OpenCheckpointOptions = {},
): OpenedCheckpoint {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin)
    throw new NoteError(
      'ORIGIN_MISMATCH',
      `checkpoint origin ${checkpoint.origin} is not ${options.origin}`,
    );
  return { ...opened, checkpoint };
}
