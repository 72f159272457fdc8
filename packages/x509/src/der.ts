// A strict, minimal DER reader and writer for byte-exact work on encodings other code produced:
// cutting an extension out of a TBSCertificate, taking the signed bytes of a CSR, reading raw names.
import { X509Error } from './errors.js';

/** One DER element (tag, length, contents) inside a larger buffer. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and a tag number below 31). */
  readonly tag: number;
  /** The whole element: identifier, length and contents. */
  readonly bytes: Uint8Array;
  /** The contents octets only. */
  readonly content: Uint8Array;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number `n`, constructed (as EXPLICIT tags are). */
export function contextTag(n: number): number {
  return 0xa0 | n;
}

function malformed(message: string): X509Error {
  return new X509Error('MALFORMED_DER', message);
}

/** Reads the element starting at `offset`, refusing BER-only forms (indefinite or long-form-padded lengths). */
export function readElement(buffer: Uint8Array, offset: number): DerElement {
  const tag = buffer[offset];
  if (tag === undefined) throw malformed('truncated DER: missing identifier');
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag numbers are not used in X.509');
  const first = buffer[offset + 1];
  if (first === undefined) throw malformed('truncated DER: missing length');
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw malformed('indefinite lengths are not DER');
    if (count > 4) throw malformed('DER length too large');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = buffer[offset + 2 + i];
      if (byte === undefined) throw malformed('truncated DER: length cut short');
      if (i === 0 && byte === 0) throw malformed('DER length has a leading zero');
      length = length * 256 + byte;
    }
    if (length < 0x80) throw malformed('DER length should use the short form');
    headerLength = 2 + count;
  }
  const end = offset + headerLength + length;
  if (end > buffer.length) throw malformed('truncated DER: contents shorter than their length');
  return {
    tag,
    bytes: buffer.subarray(offset, end),
    content: buffer.subarray(offset + headerLength, end),
  };
}

/** Reads one element that must span all of `buffer`. */
export function readSingle(buffer: Uint8Array, expectedTag?: number): DerElement {
  const element = readElement(buffer, 0);
  if (element.bytes.length !== buffer.length) throw malformed('trailing bytes after DER element');
  if (expectedTag !== undefined) expectTag(element, expectedTag);
  return element;
}

/** Reads the elements a constructed value's contents hold, in order, leaving nothing over. */
export function readChildren(content: Uint8Array): DerElement[] {
  const children: DerElement[] = [];
  let offset = 0;
  while (offset < content.length) {
    const child = readElement(content, offset);
    children.push(child);
    offset += child.bytes.length;
  }
  return children;
}

export function expectTag(element: DerElement, tag: number): DerElement {
  if (element.tag !== tag) {
    throw malformed(`expected DER tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes an element from its tag and the concatenation of `parts` as contents. */
export function encodeElement(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const contentLength = parts.reduce((sum, part) => sum + part.length, 0);
  const length = encodeLength(contentLength);
  const out = new Uint8Array(1 + length.length + contentLength);
  out[0] = tag;
  out.set(length, 1);
  let offset = 1 + length.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Dotted form of a DER OBJECT IDENTIFIER's contents. */
export function decodeOidContent(content: Uint8Array): string {
  if (content.length === 0) throw malformed('empty OID');
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (const byte of content) {
    if (!started && byte === 0x80) throw malformed('OID arc with a leading zero group');
    started = true;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    }
  }
  if (started) throw malformed('OID ends inside an arc');
  const [head, ...rest] = arcs as [bigint, ...bigint[]];
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...rest].join('.');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
