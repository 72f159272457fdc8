// Byte encodings the note formats share: strict base64, UTF-8 and big-endian integers.

const BASE64_STD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes RFC 4648 §4 base64 (standard alphabet, padded) and returns null for anything else.
 * Buffer.from(..., 'base64') silently skips junk, accepts the URL alphabet and missing padding,
 * so the text is checked first; the round trip also rejects non-zero trailing bits, so each
 * byte string has exactly one accepted encoding.
 */
export function decodeBase64Strict(text: string): Uint8Array | null {
  if (!BASE64_STD_PADDED.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return null;
  return new Uint8Array(bytes);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8 and returns null for invalid sequences (fatal decoder). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

// A lone surrogate cannot be encoded as UTF-8; TextEncoder would replace it with U+FFFD, so the
// bytes signed would differ from the string the caller holds.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormedUnicode(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function uint32BigEndian(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function readUint32BigEndian(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

export function uint64BigEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export function readUint64BigEndian(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
}

export const MAX_UINT64 = (1n << 64n) - 1n;

/** ASCII decimal without leading zeros ("0" allowed), as checkpoints and cosignatures write it. */
export function parseDecimalUint64(text: string): bigint | null {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text)) return null;
  const value = BigInt(text);
  return value <= MAX_UINT64 ? value : null;
}
