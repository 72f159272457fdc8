// @airlock/note: C2SP signed notes, tlog checkpoints and cosignatures, signed through @airlock/keys.
export {
  CHECKPOINT_HASH_BYTES,
  type Checkpoint,
  type CheckpointInput,
  formatCheckpoint,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  parseRekorV1Origin,
  type RekorV1Origin,
  signCheckpoint,
} from './checkpoint.js';
export {
  type Cosignature,
  type CosignerOptions,
  cosignatureKeyId,
  cosignatureMessage,
  cosignatureSignerFromSigner,
  cosignatureVerifierFromPublicKey,
  parseCosignature,
} from './cosignature.js';
export { NoteError, type NoteErrorCode } from './errors.js';
export {
  c2spKeyId,
  c2spLogId,
  ed25519PublicKeyBytes,
  ed25519PublicKeyFromBytes,
  keyIdOf,
  type NoteKeyKind,
  noteKeyHash,
  noteKeyKind,
  RSA_PKIX_IDENTIFIER,
  rekorV1KeyId,
  rekorV1LogId,
  SIGNATURE_TYPE,
} from './key-id.js';
export {
  type KeyIdRule,
  MIN_RSA_MODULUS_BITS,
  type NoteKeyOptions,
  noteSignerFromSigner,
  noteVerifierFromPublicKey,
} from './note-keys.js';
export { type NoteVerifier, type OpenedNote, openNote } from './open-note.js';
export { type NoteSigner, signNote } from './sign-note.js';
export {
  formatSignatureLine,
  formatSignedNote,
  isValidKeyName,
  isValidNoteText,
  MAX_SIGNATURES,
  type NoteSignature,
  parseSignedNote,
  SIGNATURE_LINE_PREFIX,
  type SignedNote,
} from './signed-note.js';
export {
  formatSignerKey,
  formatVerifierKey,
  type ParsedSignerKey,
  parseSignerKey,
  parseVerifierKey,
} from './vkey.js';
