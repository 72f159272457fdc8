// The add-checkpoint request body (c2sp.org/tlog-witness): "old <size>", up to 63 base64 proof
// hashes, a blank line, then the signed checkpoint. Parsing only; nothing here is verified.
import { HASH_SIZE } from '@airlock/merkle';
import { WitnessError } from './errors.js';

/** The spec caps consistency proofs at 63 lines (a proof in a tree of 2^64 leaves is shorter). */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  readonly oldSize: bigint;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, exactly as sent. */
  readonly note: string;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function malformed(reason: string): WitnessError {
  return new WitnessError('MALFORMED_REQUEST', `malformed add-checkpoint body: ${reason}`);
}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const firstNewline = body.indexOf('\n');
  if (firstNewline < 0) throw malformed('no old size line');
  const oldLine = body.slice(0, firstNewline);
  const oldMatch = /^old (.*)$/.exec(oldLine);
  if (!oldMatch || !DECIMAL.test(oldMatch[1]!))
    throw malformed('the first line is not "old <size>"');
  const oldSize = BigInt(oldMatch[1]!);
  if (oldSize > MAX_UINT64) throw malformed('the old size is not a uint64');

  const proof: Uint8Array[] = [];
  let offset = firstNewline + 1;
  for (;;) {
    const end = body.indexOf('\n', offset);
    if (end < 0) throw malformed('no blank line before the checkpoint');
    const line = body.slice(offset, end);
    offset = end + 1;
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES)
      throw malformed(`more than ${MAX_PROOF_LINES} proof lines`);
    const hash = BASE64.test(line) && line.length % 4 === 0 ? Buffer.from(line, 'base64') : null;
    if (!hash || hash.length !== HASH_SIZE || hash.toString('base64') !== line)
      throw malformed(`proof line ${proof.length + 1} is not a base64 SHA-256 hash`);
    proof.push(new Uint8Array(hash));
  }
  const note = body.slice(offset);
  if (note.length === 0) throw malformed('no checkpoint after the blank line');
  return { oldSize, proof, note };
}

/** Writes a request body, as a log sends it. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  const proof = request.proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.note}`;
}
