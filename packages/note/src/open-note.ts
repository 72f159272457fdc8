// Opening a signed note: verify the lines from configured keys, ignore the others.
import { encodeBase64, utf8 } from './encoding.js';
import { NoteError } from './errors.js';
import { type NoteSignature, parseSignedNote } from './signed-note.js';

/**
 * A key a note may be signed with. A signature line belongs to it only if BOTH `name` and
 * `keyId` match. `verify` gets the exact signed bytes (the UTF-8 note text including its final
 * newline) and the signature bytes after the key ID; it must return false, not throw, for a
 * signature that does not verify.
 */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface OpenedNote {
  /** The signed text, ending with its final newline. Trust it only through `verified`. */
  readonly text: string;
  /** Lines from configured keys, every one verified; one entry per name and key ID. */
  readonly verified: readonly NoteSignature[];
  /** Lines from keys that are not configured: ignored, as the spec requires, and reported. */
  readonly unverified: readonly NoteSignature[];
}

/**
 * Parses a note and checks it against `verifiers` (c2sp.org/signed-note):
 * - a line from no configured key is ignored and reported in `unverified`;
 * - a line matching two configured verifiers throws AMBIGUOUS_KEY (we cannot tell which key
 *   the signer meant; an ambiguity among verifiers no line uses is harmless);
 * - a line from a configured key that does not verify throws BAD_SIGNATURE: a log that signs
 *   garbage with its own key is not to be half-trusted (the spec's SHOULD, made a MUST; unlike
 *   Go we also check repeated lines rather than skipping them);
 * - no verified line throws UNVERIFIED.
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const parsed = parseSignedNote(note);
  const message = utf8(parsed.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const verifiedKeys = new Set<string>();
  const unverifiedLines = new Set<string>();

  for (const line of parsed.signatures) {
    // Names hold no spaces, so "keyId name" identifies a key without ambiguity.
    const key = `${line.keyId} ${line.name}`;
    const candidates = verifiers.filter((v) => v.name === line.name && v.keyId === line.keyId);
    if (candidates.length === 0) {
      const identity = `${key} ${encodeBase64(line.signature)}`;
      if (!unverifiedLines.has(identity)) {
        unverifiedLines.add(identity);
        unverified.push(line);
      }
      continue;
    }
    const [verifier, ...others] = candidates;
    if (verifier === undefined || others.length > 0)
      throw new NoteError(
        'AMBIGUOUS_KEY',
        `several verifiers for key ${line.name} ${hexKeyId(line.keyId)}`,
      );
    if (!safeVerify(verifier, message, line.signature))
      throw new NoteError(
        'BAD_SIGNATURE',
        `invalid signature from key ${line.name} ${hexKeyId(line.keyId)}`,
      );
    if (!verifiedKeys.has(key)) {
      verifiedKeys.add(key);
      verified.push(line);
    }
  }
  if (verified.length === 0)
    throw new NoteError('UNVERIFIED', 'note has no signature from a configured key');
  return { text: parsed.text, verified, unverified };
}

// A verifier that throws is treated as a failed verification: fail closed.
function safeVerify(verifier: NoteVerifier, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifier.verify(message, signature) === true;
  } catch {
    return false;
  }
}

function hexKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
