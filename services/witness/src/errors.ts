// The one error type of @airlock/witness; each code maps to the HTTP status c2sp.org/tlog-witness
// names for it (server.ts), and callers switch on `code`, never on the message.

export type WitnessErrorCode =
  | 'MALFORMED_REQUEST' // a body that is not "old N", proof lines, a blank line and a signed checkpoint (400)
  | 'OLD_SIZE_TOO_LARGE' // the old size is beyond the checkpoint's size (400)
  | 'UNKNOWN_ORIGIN' // a checkpoint for a log this witness does not follow (404)
  | 'UNTRUSTED_SIGNATURE' // no signature from the log's key verifies, or one from its key fails (403)
  | 'CONFLICT' // the old size is not the size last cosigned, or the same size with another root (409)
  | 'BAD_PROOF' // the consistency proof does not verify, or a proof where none may be (422)
  | 'EMPTY_TREE' // a checkpoint of size 0: there is nothing to witness (422)
  | 'INVALID_CONFIG' // a log or key configuration the witness cannot use
  | 'STATE'; // the state file cannot be read or written; nothing was cosigned

export class WitnessError extends Error {
  override readonly name = 'WitnessError';
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    options?: { cause?: unknown; readonly latestSize?: bigint },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.latestSize !== undefined) this.latestSize = options.latestSize;
  }

  /** For CONFLICT: the size of the latest cosigned checkpoint, which the 409 body carries. */
  readonly latestSize?: bigint;
}
