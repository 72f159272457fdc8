// TLS presentation-language encoding (RFC 5246 §4) for Certificate Transparency structures:
// big-endian integers and length-prefixed opaque vectors, read with bounds checks.
import { X509Error } from './errors.js';

/** Appends TLS fields into one buffer. */
export class TlsWriter {
  readonly #parts: Uint8Array[] = [];

  uint(value: number | bigint, bytes: 1 | 2 | 3 | 5 | 8): this {
    const max = 1n << BigInt(bytes * 8);
    const big = BigInt(value);
    if (big < 0n || big >= max) {
      throw new X509Error('INVALID_INPUT', `${value} does not fit in ${bytes} bytes`);
    }
    const out = new Uint8Array(bytes);
    let rest = big;
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    this.#parts.push(out);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#parts.push(value);
    return this;
  }

  /** An opaque vector: a `lengthBytes`-byte length, then the bytes. */
  vector(value: Uint8Array, lengthBytes: 1 | 2 | 3): this {
    return this.uint(value.length, lengthBytes).bytes(value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

/** Reads TLS fields; any overrun or leftover throws MALFORMED_SCT naming `what`. */
export class TlsReader {
  #offset = 0;
  constructor(
    private readonly buffer: Uint8Array,
    private readonly what: string,
  ) {}

  #take(length: number): Uint8Array {
    if (this.#offset + length > this.buffer.length) {
      throw new X509Error('MALFORMED_SCT', `${this.what} is truncated`);
    }
    const out = this.buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  uint(bytes: 1 | 2 | 3): number {
    return this.#take(bytes).reduce((value, byte) => value * 256 + byte, 0);
  }

  /** A uint64 as a number; values above 2^53 - 1 are refused rather than rounded. */
  uint64(): number {
    const value = this.#take(8).reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new X509Error('MALFORMED_SCT', `${this.what} has a 64-bit value beyond 2^53`);
    }
    return Number(value);
  }

  bytes(length: number): Uint8Array {
    return this.#take(length);
  }

  vector(lengthBytes: 1 | 2 | 3): Uint8Array {
    return this.#take(this.uint(lengthBytes));
  }

  get done(): boolean {
    return this.#offset === this.buffer.length;
  }

  end(): void {
    if (this.#offset !== this.buffer.length) {
      throw new X509Error('MALFORMED_SCT', `${this.what} has trailing bytes`);
    }
  }
}
