// Byte encodings exactly as strict as the Go services we stand in for: base64 (Go's StdEncoding,
// go-securesystemslib's DSSE decoder, protojson bytes), lowercase hex, single-block PEM, and JCS.
import { json, pem } from '@sigstore/core';
import { RekorError } from './errors.js';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_BASE64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const STD_BASE64_UNPADDED = /^[A-Za-z0-9+/]*$/;
const URL_BASE64_UNPADDED = /^[A-Za-z0-9_-]*$/;
const HEX = /^[0-9a-fA-F]*$/;

function malformed(message: string): RekorError {
  return new RekorError('MALFORMED', message);
}

/** Padded standard base64, as Go's base64.StdEncoding and Rekor v1 `format: byte` fields read it. */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!STD_BASE64.test(text)) throw malformed(`${what} is not valid base64`);
  return Buffer.from(text, 'base64');
}

/**
 * Base64 as a DSSE envelope may carry it: padded standard, else padded URL-safe (the DSSE spec
 * allows both and go-securesystemslib tries them in that order).
 */
export function decodeDsseBase64(text: string, what: string): Uint8Array {
  if (STD_BASE64.test(text)) return Buffer.from(text, 'base64');
  if (URL_BASE64.test(text)) return Buffer.from(text, 'base64url');
  throw malformed(`${what} is not valid base64`);
}

/**
 * A protobuf `bytes` field in proto3 JSON: standard or URL-safe alphabet (not mixed), padding
 * optional, as protojson accepts. Whatever the spelling, bodies re-encode it as padded standard.
 */
export function decodeProtoBytes(text: string, what: string): Uint8Array {
  const unpadded = text.replace(/={1,2}$/, '');
  const padded =
    unpadded.length % 4 === 0 ? unpadded : `${unpadded}${'='.repeat(4 - (unpadded.length % 4))}`;
  const paddingOk = text === unpadded || text === padded;
  if (paddingOk && unpadded.length % 4 !== 1) {
    if (STD_BASE64_UNPADDED.test(unpadded)) return Buffer.from(unpadded, 'base64');
    if (URL_BASE64_UNPADDED.test(unpadded)) return Buffer.from(unpadded, 'base64url');
  }
  throw malformed(`${what} is not valid base64`);
}

/** Padded standard base64 (what Go's encoding/json and protojson write for bytes). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex of either case and exactly `length` bytes. */
export function decodeHex(text: string, length: number, what: string): Uint8Array {
  if (text.length !== 2 * length || !HEX.test(text)) {
    throw malformed(`${what} must be ${2 * length} hexadecimal characters`);
  }
  return Buffer.from(text, 'hex');
}

/** PEM block types a Rekor verifier may be. */
export type PemType = 'PUBLIC KEY' | 'CERTIFICATE';

/**
 * Parses text holding exactly one PEM block of a type in `allowed`. Line length, CRLF and
 * surrounding whitespace are free; headers, text outside the block and further blocks are not, so
 * whatever we accept is a plain encoding of the DER and nothing else.
 */
export function parsePem(
  bytes: Uint8Array,
  allowed: readonly PemType[],
  what: string,
): { type: PemType; der: Uint8Array } {
  for (const byte of bytes) {
    if (byte >= 0x80) throw malformed(`${what} is not ASCII PEM text`);
  }
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .trim()
    .split(/\r?\n/)
    .map((line) => line.replace(/[ \t]+$/, ''));
  const begin = /^-----BEGIN ([A-Z0-9 ]{1,40})-----$/.exec(lines[0] ?? '');
  if (begin === null || lines.length < 3) throw malformed(`${what} is not a PEM block`);
  const type = begin[1] as string;
  if (lines[lines.length - 1] !== `-----END ${type}-----`) {
    throw malformed(`${what} must hold exactly one PEM block`);
  }
  if (!(allowed as readonly string[]).includes(type)) {
    throw malformed(`${what} must be a PEM ${allowed.join(' or ')}`);
  }
  const body = lines.slice(1, -1).join('').replace(/[ \t]/g, '');
  if (body === '' || !STD_BASE64.test(body)) {
    // Headers (`Proc-Type: ...`) and a second BEGIN line both land here: neither is base64.
    throw malformed(`${what} must hold exactly one PEM block of base64 DER without headers`);
  }
  return { type: type as PemType, der: Buffer.from(body, 'base64') };
}

/**
 * PEM as Go's encoding/pem writes it (what Rekor v1 stores): 64-character lines, LF, trailing LF.
 */
export function formatPem(type: PemType, der: Uint8Array): Uint8Array {
  return Buffer.from(pem.fromDER(Buffer.from(der), type), 'ascii');
}

/** RFC 8785 JSON Canonicalization of a JSON value, as UTF-8 bytes: a Rekor log leaf. */
export function canonicalJson(value: unknown): Uint8Array {
  return Buffer.from(json.canonicalize(value), 'utf8');
}

/**
 * False for strings with unpaired UTF-16 surrogates. JCS of such a string would not be valid
 * UTF-8, and Go would have replaced it with U+FFFD, so client text with one is refused.
 */
export function isWellFormedText(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
