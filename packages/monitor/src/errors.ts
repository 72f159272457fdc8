// The one error type of @airlock/monitor; callers switch on `code`, never on the message.

export type MonitorErrorCode =
  | 'INVALID_CONFIG' // a watch rule, key or URL the monitor cannot use
  | 'UNREACHABLE' // the log did not answer, or answered something other than its API says
  | 'BAD_SIGNATURE' // a tree head the log's key did not sign (an alert, never followed)
  | 'MALFORMED_ENTRY' // an entry the monitor cannot decode (reported, never matched)
  | 'STATE'; // the state file cannot be read or written

export class MonitorError extends Error {
  override readonly name = 'MonitorError';
  constructor(
    readonly code: MonitorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
