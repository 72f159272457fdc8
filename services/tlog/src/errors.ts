// How the transparency log maps its libraries' errors to HTTP statuses (Rekor's {code, message} body).
import { ApiError, type ErrorMapper } from '@airlock/http';
import { DEFAULT_RETRY_AFTER_SECONDS, LogError } from '@airlock/log';
import { RekorError } from '@airlock/rekor';

const LOG_STATUS: Record<LogError['code'], number> = {
  PUSHBACK: 503,
  ENTRY_TOO_LARGE: 413,
  NOT_FOUND: 404,
  INVALID_RANGE: 400,
  STORAGE: 500,
  CONFLICT: 500,
  CORRUPT: 500,
  CLOSED: 503,
};

/** A rejected entry is 400, as in Rekor, except one that is simply too large. */
export const rekorErrors: ErrorMapper = (error) => {
  if (!(error instanceof RekorError)) return undefined;
  return new ApiError(error.code === 'TOO_LARGE' ? 413 : 400, error.message);
};

/** Storage failures stay private (500 with a generic message); pushback tells the client when to retry. */
export const logErrors: ErrorMapper = (error) => {
  if (!(error instanceof LogError)) return undefined;
  const status = LOG_STATUS[error.code];
  if (error.code === 'PUSHBACK') {
    return new ApiError(status, error.message, {
      'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS),
    });
  }
  if (status >= 500 && error.code !== 'CLOSED')
    return new ApiError(status, 'the log could not store the entry');
  return new ApiError(status, error.message);
};
