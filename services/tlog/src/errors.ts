// Every error the log's HTTP API answers with: a status and Rekor's JSON body {code, message}.
// Library errors are mapped here once; nothing else decides a status.
import { DEFAULT_RETRY_AFTER_SECONDS, LogError } from '@airlock/log';
import { RekorError } from '@airlock/rekor';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** An error whose message is safe to show to the client. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

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

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RekorError) {
    // Shape problems are 400; a well-formed entry whose signature does not verify is 400 too in Rekor.
    return new ApiError(error.code === 'UNSUPPORTED_KIND' ? 400 : 400, error.message);
  }
  if (error instanceof LogError) {
    const status = LOG_STATUS[error.code];
    if (status >= 500 && error.code !== 'PUSHBACK' && error.code !== 'CLOSED') {
      return new ApiError(status, 'the log could not store the entry');
    }
    const headers: Record<string, string> =
      error.code === 'PUSHBACK' ? { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) } : {};
    return new ApiError(status, error.message, headers);
  }
  const fastifyError = error as Partial<FastifyError>;
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    // Fastify's own rejections: malformed JSON, wrong content type, body too large, schema violations.
    return new ApiError(fastifyError.statusCode, fastifyError.message ?? 'bad request');
  }
  return new ApiError(500, 'internal error');
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error);
  if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
  reply
    .code(apiError.status)
    .headers(apiError.headers)
    .send({ code: apiError.status, message: apiError.message });
}

export function notFound(request: FastifyRequest, reply: FastifyReply): void {
  reply
    .code(404)
    .send({ code: 404, message: `no route ${request.method} ${request.url.split('?')[0]}` });
}
