// The one error type of @airlock/audit; callers switch on `code`, never on the message.

export type AuditErrorCode =
  | 'INVALID_INPUT' // an argument, bundle, trusted root or local file the auditor gave that cannot be used
  | 'UNKNOWN_LOG' // the trusted root lists no usable key for the log's URL
  | 'UNREACHABLE' // the log could not be reached (connection refused, DNS, TLS)
  | 'TIMEOUT' // the log did not answer in time
  | 'HTTP_STATUS' // the log answered with an unexpected HTTP status
  | 'NOT_FOUND' // the log has no such entry, tile or proof
  | 'MALFORMED_RESPONSE' // the log answered something that is not what its API promises
  | 'BAD_CHECKPOINT' // a checkpoint whose signature, origin or syntax does not verify
  | 'LOG_ID_MISMATCH' // an entry that names another log than the key that signed its checkpoint
  | 'INCLUSION_FAILED' // an inclusion proof that does not lead to the signed root
  | 'ORIGIN_MISMATCH' // two checkpoints of different logs compared with each other
  | 'INCONSISTENT' // the log is not an extension of what it showed before: it was rewritten or rolled back
  | 'SET_INVALID' // a signed entry timestamp that does not verify with the log's key
  | 'STORE' // the remembered-checkpoint file or fsck state file cannot be read or written
  | 'ABORTED'; // the caller stopped a long operation (its state is saved where it has one)

export class AuditError extends Error {
  override readonly name = 'AuditError';
  constructor(
    readonly code: AuditErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codes that mean "the log failed a check": an auditor's verdict, not a usage problem. */
export const CHECK_FAILURE_CODES: ReadonlySet<AuditErrorCode> = new Set([
  'NOT_FOUND',
  'MALFORMED_RESPONSE',
  'BAD_CHECKPOINT',
  'LOG_ID_MISMATCH',
  'INCLUSION_FAILED',
  'INCONSISTENT',
  'SET_INVALID',
]);
