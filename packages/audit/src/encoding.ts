// Strict readers for the encodings logs and bundles use: one spelling per value, nothing lenient.
import { AuditError, type AuditErrorCode } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_UINT64 = (1n << 64n) - 1n;

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Reads fields of untrusted JSON; every failure is an AuditError with `code` naming the field. */
export class FieldReader {
  constructor(
    private readonly code: AuditErrorCode,
    private readonly what: string,
  ) {}

  fail(message: string): never {
    throw new AuditError(this.code, `${this.what}: ${message}`);
  }

  object(value: unknown, field: string): Json {
    if (!isObject(value)) this.fail(`${field} is missing or not an object`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.length === 0)
      this.fail(`${field} is missing or not a string`);
    return value;
  }

  /** Standard padded base64 (RFC 4648 §4); `allowEmpty` for fields that may hold no bytes. */
  base64(value: unknown, field: string, allowEmpty = false): Uint8Array {
    if (typeof value !== 'string' || !BASE64.test(value) || (!allowEmpty && value.length === 0))
      this.fail(`${field} is not standard base64`);
    return Buffer.from(value, 'base64');
  }

  /** Lowercase hex of exactly `bytes` bytes. */
  hex(value: unknown, field: string, bytes: number): Uint8Array {
    if (typeof value !== 'string' || value.length !== bytes * 2 || !HEX.test(value))
      this.fail(`${field} is not ${bytes} bytes of lowercase hex`);
    return Buffer.from(value, 'hex');
  }

  /**
   * A uint64 written as a JSON number (Rekor v1) or a decimal string (protobuf JSON). Numbers beyond
   * 2^53 were already rounded by JSON.parse, so they are refused rather than trusted.
   */
  uint(value: unknown, field: string): bigint {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
      return BigInt(value);
    if (typeof value === 'string' && DECIMAL.test(value) && BigInt(value) <= MAX_UINT64)
      return BigInt(value);
    return this.fail(`${field} is not a non-negative integer`);
  }

  list(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(`${field} is missing or not a list`);
    return value;
  }
}

export function parseJson(bytes: Uint8Array, code: AuditErrorCode, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new AuditError(code, `${what} is not JSON`, { cause });
  }
}
