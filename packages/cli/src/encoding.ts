// Reading hashes, sizes and JSON documents from flags and files, with one-line errors.
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A hash given as hex (an even number of hex digits) or standard base64, as logs and bundles print them. */
export function decodeHash(what: string, text: string): Uint8Array {
  const value = text.trim();
  if (value.length > 0 && value.length % 2 === 0 && HEX.test(value))
    return Buffer.from(value, 'hex');
  if (value.length % 4 === 0 && BASE64.test(value)) return Buffer.from(value, 'base64');
  throw new UsageError(`${what} is neither hex nor base64: ${abbreviate(value)}`);
}

/** A list of hashes: comma-separated, and/or repeated flags. */
export function decodeHashList(what: string, values: readonly string[]): Uint8Array[] {
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value.length > 0)
    .map((value, i) => decodeHash(`${what}[${i}]`, value));
}

/** A non-negative decimal integer of any size (tree sizes and indices are uint64). */
export function decodeUint(what: string, value: unknown): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]*)$/.test(text.trim())) {
    throw new UsageError(
      `${what} must be a non-negative decimal integer, got ${abbreviate(String(value))}`,
    );
  }
  return BigInt(text.trim());
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    return parseJsonWithBigInts(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
}

/**
 * JSON.parse, but integer literals too large for a double are kept as decimal strings: log indices and
 * tree sizes go up to 2^64-1, and a silently rounded index would verify the wrong proof.
 */
export function parseJsonWithBigInts(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"') {
      // Copy a string literal verbatim, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (char === '-' || (char >= '0' && char <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      out +=
        /^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))
          ? `"${literal}"`
          : literal;
      i = j;
    } else {
      out += char;
      i++;
    }
  }
  return JSON.parse(out);
}

export function readBytesFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
