// sigstore/timestamp-authority's API: POST /api/v1/timestamp taking a DER TimeStampReq or the JSON
// form sigstore-js sends, answering a DER TimeStampResp; GET /api/v1/timestamp/certchain.
import { ApiError } from '@airlock/http';
import {
  type HashAlgorithm,
  parseTimeStampReq,
  type TimeStampRequest,
  TimestampError,
  timeStampFailureFor,
  timeStampRequest,
} from '@airlock/timestamp';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TimestampAuthority } from './tsa.js';

export const TIMESTAMP_QUERY_TYPE = 'application/timestamp-query';
export const TIMESTAMP_REPLY_TYPE = 'application/timestamp-reply';
export const PEM_CHAIN_TYPE = 'application/pem-certificate-chain';

/** The JSON request body (timestamp-authority's `JSONRequest`). */
const JSON_FIELDS = new Set([
  'artifactHash',
  'hashAlgorithm',
  'certificates',
  'nonce',
  'tsaPolicyOID',
]);
const HASH_NAMES: Record<string, HashAlgorithm> = {
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Reads the JSON form into a request; every mistake is a 400 with a message for the client. */
export function requestFromJson(body: unknown): TimeStampRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the JSON request must be an object');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !JSON_FIELDS.has(key));
  if (unknown.length > 0) throw new ApiError(400, `unknown fields: ${unknown.join(', ')}`);
  const { artifactHash, hashAlgorithm, certificates, nonce, tsaPolicyOID } = fields;
  if (typeof artifactHash !== 'string' || !STRICT_BASE64.test(artifactHash)) {
    throw new ApiError(400, 'artifactHash must be standard, padded base64');
  }
  if (typeof hashAlgorithm !== 'string') {
    throw new ApiError(400, 'hashAlgorithm must be sha256, sha384 or sha512');
  }
  const algorithm = HASH_NAMES[hashAlgorithm.toLowerCase()];
  if (algorithm === undefined) {
    throw new ApiError(
      400,
      `hash algorithm ${hashAlgorithm} is not supported (use sha256, sha384 or sha512)`,
    );
  }
  if (certificates !== undefined && typeof certificates !== 'boolean') {
    throw new ApiError(400, 'certificates must be a boolean');
  }
  // JSON numbers beyond 2^53 lose digits when parsed, and an echoed nonce must be exact.
  if (
    nonce !== undefined &&
    nonce !== null &&
    !(Number.isSafeInteger(nonce) && (nonce as number) >= 0)
  ) {
    throw new ApiError(
      400,
      'nonce must be a non-negative integer below 2^53 (use the DER form for larger)',
    );
  }
  if (tsaPolicyOID !== undefined && typeof tsaPolicyOID !== 'string') {
    throw new ApiError(400, 'tsaPolicyOID must be a dotted OID string');
  }
  try {
    return timeStampRequest({
      hashAlgorithm: algorithm,
      hashedMessage: new Uint8Array(Buffer.from(artifactHash, 'base64')),
      certReq: certificates === true,
      ...(typeof nonce === 'number' ? { nonce: BigInt(nonce) } : {}),
      ...(tsaPolicyOID !== undefined && tsaPolicyOID !== '' ? { reqPolicy: tsaPolicyOID } : {}),
    });
  } catch (error) {
    if (error instanceof TimestampError) throw new ApiError(400, error.message);
    throw error;
  }
}

function sendFailure(reply: FastifyReply, error: TimestampError): FastifyReply {
  return reply
    .code(400)
    .type(TIMESTAMP_REPLY_TYPE)
    .send(Buffer.from(timeStampFailureFor(error)));
}

/** Errors the client caused; anything else (a failing key) is the server's. */
const CLIENT_CODES = new Set([
  'MALFORMED_REQUEST',
  'UNSUPPORTED_HASH_ALGORITHM',
  'INVALID_DIGEST_LENGTH',
  'UNACCEPTED_POLICY',
  'UNACCEPTED_EXTENSION',
  'INVALID_INPUT',
]);

export async function tsaRoutes(app: FastifyInstance, tsa: TimestampAuthority): Promise<void> {
  app.post('/api/v1/timestamp', async (request, reply) => {
    const der = Buffer.isBuffer(request.body);
    let timestampRequest: TimeStampRequest;
    try {
      timestampRequest = der
        ? parseTimeStampReq(new Uint8Array(request.body as Buffer))
        : requestFromJson(request.body);
      const issued = await tsa.issue(timestampRequest);
      return reply.code(200).type(TIMESTAMP_REPLY_TYPE).send(Buffer.from(issued.response));
    } catch (error) {
      if (error instanceof TimestampError && CLIENT_CODES.has(error.code)) {
        // DER clients read a failure TimeStampResp; JSON clients read {code, message}.
        if (der) return sendFailure(reply, error);
        throw new ApiError(400, error.message);
      }
      throw error;
    }
  });

  app.get('/api/v1/timestamp/certchain', async (_request, reply) =>
    reply.type(PEM_CHAIN_TYPE).send(tsa.chainPem),
  );
}
