// Every error the CA's HTTP API answers with: an HTTP status and grpc-gateway's JSON body
// {code, message, details}, `code` being the gRPC status Fulcio's gateway would send with that HTTP
// status. Library errors are mapped here once; nothing else decides a status.
//
// Statuses (Fulcio itself answers 400 to every client mistake; Airlock separates the token):
//   400 INVALID_ARGUMENT   malformed body or base64, a refused key, a bad proof of possession or CSR
//   401 UNAUTHENTICATED    no token, or a token that is not valid (signature, issuer, audience, time)
//   403 PERMISSION_DENIED  a valid token whose identity cannot be certified (unverified email, claims)
//   404, 413, 415          unknown route, body over the limit, a body that is not JSON
//   500 INTERNAL           the CA failed (signing, audit, configuration)
//   502 UNAVAILABLE        the CT log failed or returned an SCT that does not verify
//   503 UNAVAILABLE        the identity provider cannot be reached
// Client mistakes are never 5xx; messages never hold the token; 5xx messages are generic and the
// detail goes to the server log.
import { OidcError, type OidcErrorCode } from '@airlock/oidc';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CaError, type CaErrorCode } from './ca-error.js';

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

/** google.rpc.Code for each status we send (grpc-gateway's HTTPStatusFromCode, inverted). */
const GRPC_CODE: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  413: 8, // RESOURCE_EXHAUSTED
  415: 3,
  500: 13, // INTERNAL
  502: 14, // UNAVAILABLE
  503: 14,
};

export function grpcCodeOf(status: number): number {
  return GRPC_CODE[status] ?? (status >= 500 ? 2 /* UNKNOWN */ : 3);
}

const OIDC_STATUS: Readonly<Record<OidcErrorCode, number>> = {
  MALFORMED_TOKEN: 401,
  UNKNOWN_ISSUER: 401,
  ISSUER_MISMATCH: 401,
  ALG_NOT_ALLOWED: 401,
  UNKNOWN_KEY: 401,
  BAD_SIGNATURE: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NOT_YET_VALID: 401,
  WRONG_AUDIENCE: 401,
  EMAIL_NOT_VERIFIED: 403,
  CLAIM_MISSING: 403,
  INVALID_CLAIM: 403,
  INVALID_CONFIG: 500,
  IDP_UNREACHABLE: 503,
};

const CA_STATUS: Readonly<Record<CaErrorCode, number>> = {
  MISSING_TOKEN: 401,
  INVALID_REQUEST: 400,
  INVALID_PUBLIC_KEY: 400,
  INVALID_PROOF_OF_POSSESSION: 400,
  INVALID_CSR: 400,
  UNCERTIFIABLE_IDENTITY: 403,
  CT_LOG_UNAVAILABLE: 502,
  CT_LOG_REJECTED: 502,
  CT_LOG_BAD_RESPONSE: 502,
  INVALID_SCT: 502,
  AUDIT_FAILED: 500,
  ISSUANCE_FAILED: 500,
  INVALID_CONFIG: 500,
};

/** What a client is told when the CA fails; the cause is logged, not sent. */
const SERVER_FAILURE: Readonly<Record<number, string>> = {
  500: 'the certificate authority failed to issue a certificate',
  502: 'the certificate transparency log did not log the precertificate; no certificate was issued',
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof OidcError) {
    const status = OIDC_STATUS[error.code];
    // IDP_UNREACHABLE's message names only the issuer; INVALID_CONFIG is the operator's problem.
    return new ApiError(
      status,
      status === 500 ? 'the identity configuration failed' : error.message,
    );
  }
  if (error instanceof CaError) {
    const status = CA_STATUS[error.code];
    return new ApiError(status, SERVER_FAILURE[status] ?? error.message);
  }
  const fastifyError = error as Partial<FastifyError>;
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    // Fastify's own rejections (body too large, not JSON, poisoned JSON) carry fixed messages.
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
    .send({ code: grpcCodeOf(apiError.status), message: apiError.message, details: [] });
}

export function notFound(request: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).send({
    code: grpcCodeOf(404),
    message: `no route ${request.method} ${request.url.split('?')[0]}`,
    details: [],
  });
}
