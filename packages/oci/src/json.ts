// JSON encoded the way Go's encoding/json writes it (what cosign and the registries it targets emit),
// and the small shape checks shared by every parser in this package.
import { OciError } from './errors.js';

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON.stringify, then Go's HTML-safe escapes. Objects keep their insertion order, so callers build
 * them in Go's struct order and use `sortedRecord` where Go would marshal a map.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => GO_ESCAPES[char] ?? char);
}

export function goJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(goJson(value));
}

/** A copy with keys in byte order, as Go marshals maps. */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key] as T;
  return sorted;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses UTF-8 JSON; MALFORMED (naming `what`) if it is not. */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new OciError('MALFORMED', `${what} is not UTF-8`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new OciError('MALFORMED', `${what} is not JSON`, { cause });
  }
}

export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const value = parseJson(bytes, what);
  if (!isRecord(value)) throw new OciError('MALFORMED', `${what} is not a JSON object`);
  return value;
}

/** A record of string values, or undefined when absent; MALFORMED for anything else. */
export function optionalStringRecord(
  value: unknown,
  what: string,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new OciError('MALFORMED', `${what} is not an object`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new OciError('MALFORMED', `${what}[${JSON.stringify(key)}] is not a string`);
    }
  }
  return value as Record<string, string>;
}

export function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OciError('MALFORMED', `${what} is not a string`);
  return value;
}

/** Strict base64 (standard alphabet, padded): MALFORMED for anything Buffer would silently skip. */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new OciError('MALFORMED', `${what} is not base64`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
