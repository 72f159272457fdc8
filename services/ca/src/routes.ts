// Fulcio's HTTP API (wire-formats §1.2–1.4): v2 signingCert, trustBundle and configuration as
// grpc-gateway serves them, and the legacy v1 signingCert and rootCert.
import type { ConfigurationResponse } from '@airlock/oidc';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CertificateAuthority, CertificateRequest, IssuedCertificate } from './ca.js';
import { CaError } from './ca-error.js';
import { decodeBase64 } from './encoding.js';

export const PEM_CERTIFICATE_CHAIN = 'application/pem-certificate-chain';

type JsonObject = Readonly<Record<string, unknown>>;

function invalid(message: string): never {
  throw new CaError('INVALID_REQUEST', message);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A field by its proto3 JSON name or its proto field name, as protojson accepts both; null counts
 * as absent. Unknown fields are ignored (grpc-gateway discards them).
 */
function field(object: JsonObject, jsonName: string, protoName: string): unknown {
  const camel = Object.hasOwn(object, jsonName) ? object[jsonName] : undefined;
  const snake =
    protoName !== jsonName && Object.hasOwn(object, protoName) ? object[protoName] : undefined;
  if (camel != null && snake != null) invalid(`both ${jsonName} and ${protoName} are set`);
  return camel ?? snake ?? undefined;
}

function objectField(
  object: JsonObject,
  jsonName: string,
  protoName: string,
): JsonObject | undefined {
  const value = field(object, jsonName, protoName);
  if (value === undefined) return undefined;
  if (!isObject(value)) invalid(`${jsonName} must be an object`);
  return value;
}

function stringField(object: JsonObject, jsonName: string, protoName: string): string | undefined {
  const value = field(object, jsonName, protoName);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(`${jsonName} must be a string`);
  return value;
}

/** A protojson `bytes` field: base64 text. */
function bytesField(
  object: JsonObject,
  jsonName: string,
  protoName: string,
): Uint8Array | undefined {
  const text = stringField(object, jsonName, protoName);
  if (text === undefined || text === '') return undefined;
  const bytes = decodeBase64(text);
  if (bytes === undefined) invalid(`${jsonName} must be base64`);
  return bytes;
}

/**
 * v2 `publicKey.content` is a string: PEM text (what every client sends), else base64 DER, else the
 * string's own bytes as DER, as Fulcio's `[]byte(content)` would read it.
 */
function publicKeyContent(content: string): string | Uint8Array {
  if (content.trimStart().startsWith('-----BEGIN')) return content;
  return decodeBase64(content) ?? new Uint8Array(Buffer.from(content, 'utf8'));
}

/** The token of an `Authorization: Bearer <jwt>` header, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** `CreateSigningCertificateRequest` (v2): the token in the body wins over the Bearer header. */
export function parseV2Request(body: unknown, bearer: string | undefined): CertificateRequest {
  if (!isObject(body)) invalid('the request body must be a JSON object');
  const credentials = objectField(body, 'credentials', 'credentials');
  const bodyToken =
    credentials === undefined
      ? undefined
      : stringField(credentials, 'oidcIdentityToken', 'oidc_identity_token');
  const token = bodyToken !== undefined && bodyToken !== '' ? bodyToken : (bearer ?? '');

  const keyRequest = objectField(body, 'publicKeyRequest', 'public_key_request');
  const csr = bytesField(body, 'certificateSigningRequest', 'certificate_signing_request');
  if (keyRequest !== undefined && csr !== undefined) {
    invalid('send either publicKeyRequest or certificateSigningRequest, not both');
  }
  if (csr !== undefined) return { token, csr };
  if (keyRequest === undefined) {
    invalid('the request needs publicKeyRequest or certificateSigningRequest');
  }
  // `algorithm` is ignored, whatever it holds: the key says what it is (clients send "RSA", which
  // is not even a PublicKeyAlgorithm name).
  const publicKey = objectField(keyRequest, 'publicKey', 'public_key');
  const content =
    publicKey === undefined ? undefined : stringField(publicKey, 'content', 'content');
  if (content === undefined || content === '')
    invalid('publicKeyRequest.publicKey.content is missing');
  const proof = bytesField(keyRequest, 'proofOfPossession', 'proof_of_possession');
  if (proof === undefined) invalid('publicKeyRequest.proofOfPossession is missing');
  return { token, publicKey: publicKeyContent(content), proofOfPossession: proof };
}

/** The legacy v1 request: `publicKey.content` and `signedEmailAddress` are base64 bytes. */
export function parseV1Request(body: unknown, bearer: string | undefined): CertificateRequest {
  if (!isObject(body)) invalid('the request body must be a JSON object');
  const token = bearer ?? '';
  const csr = bytesField(body, 'certificateSigningRequest', 'certificate_signing_request');
  if (csr !== undefined) return { token, csr };
  const publicKey = objectField(body, 'publicKey', 'public_key');
  if (publicKey === undefined) invalid('the request needs publicKey or certificateSigningRequest');
  const content = bytesField(publicKey, 'content', 'content');
  if (content === undefined) invalid('publicKey.content is missing');
  const proof = bytesField(body, 'signedEmailAddress', 'signed_email_address');
  if (proof === undefined) invalid('signedEmailAddress is missing');
  return { token, publicKey: content, proofOfPossession: proof };
}

/** `SigningCertificate`: the embedded-SCT variant, or the detached one without an SCT (no CT log). */
export function signingCertificateResponse(issued: IssuedCertificate) {
  const chain = { certificates: issued.chainPem };
  return issued.sct === undefined
    ? { signedCertificateDetachedSct: { chain } }
    : { signedCertificateEmbeddedSct: { chain } };
}

/** PEM certificates as Fulcio's legacy API joins them: each followed by a newline, then trimmed. */
function pemChainBody(pems: readonly string[]): string {
  return pems
    .map((pem) => `${pem}\n`)
    .join('')
    .trim();
}

export interface CaRoutesOptions {
  readonly ca: CertificateAuthority;
  readonly configuration: ConfigurationResponse;
}

export async function caRoutes(app: FastifyInstance, options: CaRoutesOptions): Promise<void> {
  const { ca, configuration } = options;

  app.post('/api/v2/signingCert', async (request, reply) => {
    const issued = await ca.issue(parseV2Request(request.body, bearerToken(request)));
    // sigstore-go accepts exactly 200 here.
    return reply.code(200).send(signingCertificateResponse(issued));
  });

  app.get('/api/v2/trustBundle', async () => ({
    chains: [{ certificates: ca.caChainPem }],
  }));

  app.get('/api/v2/configuration', async () => configuration);

  app.post('/api/v1/signingCert', async (request, reply) => {
    const issued = await ca.issue(parseV1Request(request.body, bearerToken(request)));
    return reply.code(201).type(PEM_CERTIFICATE_CHAIN).send(pemChainBody(issued.chainPem));
  });

  app.get('/api/v1/rootCert', async (_request, reply) =>
    reply.type(PEM_CERTIFICATE_CHAIN).send(pemChainBody(ca.caChainPem)),
  );
}
