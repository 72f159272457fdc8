// A strict DER reader and a DER writer for the RFC 3161 and CMS structures this package builds and
// checks byte for byte: BER-only forms, trailing bytes and non-minimal integers are refused.

/** Thrown by the reader; callers turn it into a TimestampError with their own code. */
export class MalformedDer extends Error {
  override readonly name = 'MalformedDer';
}

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
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `n`, constructed (EXPLICIT tags, IMPLICIT constructed types). */
export const contextTag = (n: number): number => 0xa0 | n;
/** Context-specific tag `n`, primitive (IMPLICIT primitive types). */
export const contextPrimitiveTag = (n: number): number => 0x80 | n;

/** Reads the element starting at `offset`, refusing BER-only forms. */
export function readElement(buffer: Uint8Array, offset: number): DerElement {
  const tag = buffer[offset];
  if (tag === undefined) throw new MalformedDer('truncated: missing identifier');
  if ((tag & 0x1f) === 0x1f) throw new MalformedDer('high tag numbers do not occur here');
  const first = buffer[offset + 1];
  if (first === undefined) throw new MalformedDer('truncated: missing length');
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new MalformedDer('indefinite lengths are not DER');
    if (count > 4) throw new MalformedDer('length too large');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = buffer[offset + 2 + i];
      if (byte === undefined) throw new MalformedDer('truncated: length cut short');
      if (i === 0 && byte === 0) throw new MalformedDer('length has a leading zero');
      length = length * 256 + byte;
    }
    if (length < 0x80) throw new MalformedDer('length should use the short form');
    headerLength = 2 + count;
  }
  const end = offset + headerLength + length;
  if (end > buffer.length) throw new MalformedDer('truncated: contents shorter than their length');
  return {
    tag,
    bytes: buffer.subarray(offset, end),
    content: buffer.subarray(offset + headerLength, end),
  };
}

/** Reads one element that must span all of `buffer`. */
export function readSingle(buffer: Uint8Array, expectedTag?: number): DerElement {
  const element = readElement(buffer, 0);
  if (element.bytes.length !== buffer.length) throw new MalformedDer('trailing bytes');
  if (expectedTag !== undefined) expectTag(element, expectedTag);
  return element;
}

/** The elements a constructed value's contents hold, in order, leaving nothing over. */
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
    throw new MalformedDer(
      `expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`,
    );
  }
  return element;
}

/** Reads a constructed element's children as a queue of fields, each optional one taken by tag. */
export class Fields {
  #index = 0;
  constructor(
    private readonly children: readonly DerElement[],
    private readonly what: string,
  ) {}

  static of(element: DerElement, tag: number, what: string): Fields {
    return new Fields(readChildren(expectTag(element, tag).content), what);
  }

  required(tag: number, field: string): DerElement {
    const element = this.children[this.#index++];
    if (element === undefined) throw new MalformedDer(`${this.what} lacks ${field}`);
    return expectTag(element, tag);
  }

  /** The tag of the next field, if any. */
  peekTag(): number | undefined {
    return this.children[this.#index]?.tag;
  }

  optional(tag: number): DerElement | undefined {
    const element = this.children[this.#index];
    if (element?.tag !== tag) return undefined;
    this.#index++;
    return element;
  }

  /** Every field not yet taken. */
  rest(): DerElement[] {
    const rest = this.children.slice(this.#index);
    this.#index = this.children.length;
    return rest;
  }

  end(): void {
    if (this.#index !== this.children.length) {
      throw new MalformedDer(`unexpected fields at the end of ${this.what}`);
    }
  }
}

/** A DER INTEGER's contents as a bigint, refusing non-minimal encodings. */
export function decodeInteger(element: DerElement): bigint {
  const content = expectTag(element, TAG.INTEGER).content;
  checkIntegerContent(content);
  let value = 0n;
  for (const byte of content) value = (value << 8n) | BigInt(byte);
  if (content[0]! >= 0x80) value -= 1n << BigInt(content.length * 8);
  return value;
}

export function checkIntegerContent(content: Uint8Array): void {
  const [first, second] = content;
  if (first === undefined) throw new MalformedDer('empty INTEGER');
  if (second !== undefined) {
    if ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80)) {
      throw new MalformedDer('INTEGER is not minimally encoded');
    }
  }
}

/** A small non-negative INTEGER (versions, accuracy fields). */
export function decodeSmallInteger(element: DerElement): number {
  const value = decodeInteger(element);
  if (value < 0n || value > 0xffffffffn) throw new MalformedDer('INTEGER out of range');
  return Number(value);
}

export function decodeBoolean(element: DerElement): boolean {
  const content = expectTag(element, TAG.BOOLEAN).content;
  if (content.length !== 1 || (content[0] !== 0x00 && content[0] !== 0xff)) {
    throw new MalformedDer('BOOLEAN is not DER');
  }
  return content[0] === 0xff;
}

/** Dotted form of a DER OBJECT IDENTIFIER. */
export function decodeOid(element: DerElement): string {
  const content = expectTag(element, TAG.OID).content;
  if (content.length === 0) throw new MalformedDer('empty OID');
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (const byte of content) {
    if (!started && byte === 0x80) throw new MalformedDer('OID arc with a leading zero group');
    started = true;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    }
  }
  if (started) throw new MalformedDer('OID ends inside an arc');
  const [head, ...rest] = arcs as [bigint, ...bigint[]];
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...rest].join('.');
}

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/;
const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** A DER GeneralizedTime or UTCTime (Z, seconds, no trailing zeros in a fraction). */
export function decodeTime(element: DerElement): Date {
  const text = Buffer.from(element.content).toString('latin1');
  const match =
    element.tag === TAG.GENERALIZED_TIME
      ? GENERALIZED_TIME.exec(text)
      : element.tag === TAG.UTC_TIME
        ? UTC_TIME.exec(text)
        : null;
  if (match === null) throw new MalformedDer(`not a DER time: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  let year = Number(y);
  if (element.tag === TAG.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const millis = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  const time = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const date = new Date(time + Math.floor(millis));
  // Date.UTC rolls over (month 13, second 61); a DER time must name a real instant as written.
  const check = new Date(time);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    throw new MalformedDer(`not a valid time: ${JSON.stringify(text)}`);
  }
  return date;
}

// ---------------------------------------------------------------------------------------------------
// Writer

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** An element from its tag and the concatenation of `parts` as contents. */
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

export const sequence = (...parts: Uint8Array[]): Uint8Array =>
  encodeElement(TAG.SEQUENCE, ...parts);

/** X.690 §11.6: a DER SET OF orders its elements by their encodings, shorter ones padded with 0. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** A DER SET OF: its elements sorted. */
export function setOf(tag: number, elements: readonly Uint8Array[]): Uint8Array {
  return encodeElement(tag, ...[...elements].sort(compareDer));
}

/** A DER INTEGER of any sign, minimally encoded. */
export function encodeInteger(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (!(rest === 0n && bytes[0]! < 0x80) && !(rest === -1n && bytes[0]! >= 0x80));
  return encodeElement(TAG.INTEGER, Uint8Array.from(bytes));
}

/** An INTEGER from DER contents that are already minimal (a serial number). */
export function encodeIntegerContent(content: Uint8Array): Uint8Array {
  checkIntegerContent(content);
  return encodeElement(TAG.INTEGER, content);
}

/** A TSA encodes the same dozen OIDs for every token; BigInt arithmetic per call showed in profiles. */
const encodedOids = new Map<string, Uint8Array>();

export function encodeOid(dotted: string): Uint8Array {
  const cached = encodedOids.get(dotted);
  if (cached !== undefined) return cached;
  const encoded = encodeOidUncached(dotted);
  if (encodedOids.size < 256) encodedOids.set(dotted, encoded);
  return encoded;
}

function encodeOidUncached(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new MalformedDer(`bad OID ${dotted}`);
  const [first, second, ...rest] = dotted.split('.').map(BigInt) as [bigint, bigint, ...bigint[]];
  if (first < 2n && second >= 40n) throw new MalformedDer(`bad OID ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let value = arc >> 7n; value > 0n; value >>= 7n) {
      groups.unshift(Number(value & 0x7fn) | 0x80);
    }
    bytes.push(...groups);
  }
  return encodeElement(TAG.OID, Uint8Array.from(bytes));
}

export const encodeOctetString = (bytes: Uint8Array): Uint8Array =>
  encodeElement(TAG.OCTET_STRING, bytes);

export const encodeBoolean = (value: boolean): Uint8Array =>
  encodeElement(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));

export const encodeUtf8String = (text: string): Uint8Array =>
  encodeElement(TAG.UTF8_STRING, new TextEncoder().encode(text));

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** GeneralizedTime in whole seconds ("YYYYMMDDHHMMSSZ"), the form every sigstore client parses. */
export function encodeGeneralizedTime(date: Date): Uint8Array {
  const text =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  return encodeElement(TAG.GENERALIZED_TIME, new TextEncoder().encode(`${text}Z`));
}

/** RFC 5652 §11.3 signingTime: UTCTime from 1950 through 2049, GeneralizedTime otherwise. */
export function encodeCmsTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) return encodeGeneralizedTime(date);
  const text =
    pad(year % 100, 2) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  return encodeElement(TAG.UTC_TIME, new TextEncoder().encode(`${text}Z`));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
