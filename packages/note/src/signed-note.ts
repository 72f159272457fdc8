// The c2sp.org/signed-note wire format: parse and format, without any cryptography.
import {
  concatBytes,
  decodeBase64Strict,
  decodeUtf8,
  encodeBase64,
  isWellFormedUnicode,
  readUint32BigEndian,
  uint32BigEndian,
} from './encoding.js';
import { NoteError } from './errors.js';

/** U+2014 EM DASH and a space: how every signature line starts. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';

/**
 * The most signature lines a note may carry. The spec asks verifiers to accept at least 16;
 * Go's sumdb/note (and the shared vectors) reject more than 100, and so do we, so that a
 * hostile note cannot make us parse and verify without bound.
 */
export const MAX_SIGNATURES = 100;

/** One signature line: the key name, the 4-byte key ID as a big-endian uint32, the signature. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key ID (for cosignatures: timestamp || signature). */
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, ending with its final newline (the blank separator line excluded). */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/**
 * Key names are non-empty, contain no Unicode whitespace and no '+' (the vkey separator).
 * Go's unicode.IsSpace also counts U+0085, which JavaScript's \s does not; control characters
 * are refused too since a note may not contain them anywhere.
 */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    isWellFormedUnicode(name) &&
    !/[\s\u0085+]/u.test(name) &&
    !hasForbiddenControl(name)
  );
}

// ASCII control characters other than newline, DEL included (the spec says "ASCII control
// characters"; Go only refuses those below 0x20, so we are at most stricter).
function hasForbiddenControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

/** Whether `text` can be the signed text of a note: non-empty, final newline, no controls. */
export function isValidNoteText(text: string): boolean {
  return (
    text.length > 0 &&
    text.endsWith('\n') &&
    isWellFormedUnicode(text) &&
    !hasForbiddenControl(text)
  );
}

function malformed(reason: string): NoteError {
  return new NoteError('MALFORMED_NOTE', `malformed note: ${reason}`);
}

function parseSignatureLine(line: string, lineNumber: number): NoteSignature {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX))
    throw malformed(`signature line ${lineNumber} does not start with an em dash and a space`);
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed(`signature line ${lineNumber} has no signature`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw malformed(`signature line ${lineNumber} has an invalid name`);
  const payload = decodeBase64Strict(rest.slice(space + 1));
  if (payload === null)
    throw malformed(`signature line ${lineNumber} is not standard padded base64`);
  // Four bytes of key ID and at least one of signature, as Go's note.Open requires.
  if (payload.length < 5) throw malformed(`signature line ${lineNumber} is too short`);
  return { name, keyId: readUint32BigEndian(payload), signature: payload.slice(4) };
}

/**
 * Parses a signed note without verifying anything. Bytes must be valid UTF-8. The text ends at
 * the LAST blank line (so the text itself may hold blank lines); every line after it must be a
 * signature line, and the note must end with a newline. Throws MALFORMED_NOTE otherwise.
 */
export function parseSignedNote(note: string | Uint8Array): SignedNote {
  const message = typeof note === 'string' ? note : decodeUtf8(note);
  if (message === null || !isWellFormedUnicode(message)) throw malformed('not valid UTF-8');
  if (hasForbiddenControl(message)) throw malformed('contains a control character');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0) throw malformed('no signature lines');
  if (!block.endsWith('\n')) throw malformed('the last signature line has no final newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map((line, i) => parseSignatureLine(line, i + 1)) };
}

/** The signature line for one signature, with its final newline. */
export function formatSignatureLine(signature: NoteSignature): string {
  if (!isValidKeyName(signature.name)) throw malformed(`invalid key name ${signature.name}`);
  if (!Number.isInteger(signature.keyId) || signature.keyId < 0 || signature.keyId > 0xffffffff)
    throw malformed('a key ID is a uint32');
  if (signature.signature.length === 0) throw malformed('empty signature');
  const payload = concatBytes(uint32BigEndian(signature.keyId), signature.signature);
  return `${SIGNATURE_LINE_PREFIX}${signature.name} ${encodeBase64(payload)}\n`;
}

/** Writes a note as text, blank line, signature lines; refuses anything parseSignedNote would. */
export function formatSignedNote(note: SignedNote): string {
  if (!isValidNoteText(note.text))
    throw malformed(
      'the text must be non-empty, end with a newline and hold no control characters',
    );
  if (note.signatures.length === 0) throw malformed('no signatures');
  if (note.signatures.length > MAX_SIGNATURES)
    throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}
