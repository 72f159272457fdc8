// The one error type of @airlock/note; callers switch on `code`, never on the message.

export type NoteErrorCode =
  | 'MALFORMED_NOTE' // a signed note that breaks the c2sp.org/signed-note syntax
  | 'MALFORMED_CHECKPOINT' // note text that is not a c2sp.org/tlog-checkpoint body
  | 'MALFORMED_COSIGNATURE' // a cosignature whose payload is not timestamp || signature
  | 'INVALID_KEY' // a key, key name or verifier/signer key string that cannot be used
  | 'AMBIGUOUS_KEY' // two configured verifiers share the name and key ID of a signature line
  | 'BAD_SIGNATURE' // a signature line from a configured key that does not verify
  | 'UNVERIFIED' // no signature line from a configured key
  | 'ORIGIN_MISMATCH' // a verified checkpoint for another log than the one expected
  | 'SIGNING_FAILED'; // a signer failed or returned something unusable

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
