// The one error type of @airlock/log; the HTTP edge maps each code to a status once.

export type LogErrorCode =
  | 'PUSHBACK' // too many entries waiting to be sequenced: retry later (HTTP 503 + Retry-After)
  | 'ENTRY_TOO_LARGE' // an entry that does not fit an entry bundle (over 65,535 bytes)
  | 'NOT_FOUND' // no entry, tile or checkpoint there
  | 'INVALID_RANGE' // an index or size beyond the tree, or sizes in the wrong order
  | 'STORAGE' // the store failed; nothing of the batch was acknowledged
  | 'CONFLICT' // the store's tree is not the one this process sequenced on (a second writer)
  | 'CORRUPT' // the store holds data that contradicts itself
  | 'CLOSED'; // the log was closed

export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
