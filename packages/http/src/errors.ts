// Errors as every Airlock service answers them: a status and a JSON body {code, message}, where the
// message is safe for the client. Each service maps its libraries' errors to statuses once, here.
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

/** Turns a library error into an ApiError, or returns undefined for errors it does not know. */
export type ErrorMapper = (error: unknown) => ApiError | undefined;

/**
 * The error handler of a service: ApiErrors as they are, then each mapper in turn, then Fastify's own
 * 4xx (malformed JSON, content type, body size); anything else is a 500 with a generic message, logged
 * with its cause.
 */
export function jsonErrorHandler(...mappers: ErrorMapper[]) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const apiError = toApiError(error, mappers);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    reply
      .code(apiError.status)
      .headers(apiError.headers)
      .send({ code: apiError.status, message: apiError.message });
  };
}

function toApiError(error: unknown, mappers: ErrorMapper[]): ApiError {
  if (error instanceof ApiError) return error;
  for (const mapper of mappers) {
    const mapped = mapper(error);
    if (mapped) return mapped;
  }
  const fastifyError = error as Partial<FastifyError>;
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new ApiError(fastifyError.statusCode, fastifyError.message ?? 'bad request');
  }
  return new ApiError(500, 'internal error');
}

export function jsonNotFound(request: FastifyRequest, reply: FastifyReply): void {
  reply
    .code(404)
    .send({ code: 404, message: `no route ${request.method} ${request.url.split('?')[0]}` });
}
