// Signing a note text with one or more note signers.
import { utf8 } from './encoding.js';
import { NoteError } from './errors.js';
import {
  formatSignedNote,
  isValidKeyName,
  isValidNoteText,
  type NoteSignature,
} from './signed-note.js';

/**
 * A key that signs notes under a key name. `sign` gets the exact bytes to sign (the UTF-8 note
 * text including its final newline) and returns the signature bytes that follow the key ID.
 */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Signs `text` with every signer and returns the note: text, blank line, one line per signer. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  if (!isValidNoteText(text))
    throw new NoteError(
      'MALFORMED_NOTE',
      'note text must be non-empty, end with a newline and hold no control characters',
    );
  if (signers.length === 0) throw new NoteError('MALFORMED_NOTE', 'a note needs a signer');
  for (const signer of signers)
    if (!isValidKeyName(signer.name))
      throw new NoteError('INVALID_KEY', `invalid key name ${signer.name}`);
  const message = utf8(text);
  const signatures = await Promise.all(
    signers.map(async (signer): Promise<NoteSignature> => {
      let signature: Uint8Array;
      try {
        signature = await signer.sign(message);
      } catch (cause) {
        throw new NoteError('SIGNING_FAILED', `signing with key ${signer.name} failed`, { cause });
      }
      if (!(signature instanceof Uint8Array) || signature.length === 0)
        throw new NoteError('SIGNING_FAILED', `key ${signer.name} returned no signature`);
      return { name: signer.name, keyId: signer.keyId, signature };
    }),
  );
  return formatSignedNote({ text, signatures });
}
