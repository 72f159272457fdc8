// The small encodings trust configuration is written in: RFC 3339 times, strict base64, PEM blocks
// and the DER SubjectPublicKeyInfo of a key however the caller holds it.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { TrustError, type TrustErrorCode } from './errors.js';

/** A time as callers give it: a Date, or an RFC 3339 string with a zone. */
export type TimeInput = Date | string;

/** A public key as callers hold it: a node:crypto key, DER SubjectPublicKeyInfo, or PEM. */
export type PublicKeyInput = KeyObject | Uint8Array | string;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The instant an RFC 3339 string names, or null if it is not one (protojson accepts no other form). */
export function parseRfc3339(text: string): Date | null {
  if (!RFC3339.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A TimeInput as a Date; `field` names it in the error. */
export function toDate(input: TimeInput, field: string, code: TrustErrorCode): Date {
  const date = typeof input === 'string' ? parseRfc3339(input) : input;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new TrustError(code, `${field} is not an RFC 3339 time`);
  }
  return date;
}

/** RFC 3339 in UTC, with milliseconds only when there are some (as the public-good root writes it). */
export function formatRfc3339(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** The `expires` form TUF specifies: whole seconds, `Z`. */
export function formatTufTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Standard base64 with padding, decoded only if it is exactly the canonical encoding of its bytes. */
export function decodeBase64Strict(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

const PEM_BLOCK =
  /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END ([A-Z0-9 ]+)-----/g;

/** The DER bytes of every `label` block in a PEM text; throws if anything else is in it. */
export function pemBlocks(text: string, label: string, field: string): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let rest = 0;
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [whole, begin, body = '', end] = match;
    if (text.slice(rest, match.index).trim() !== '' || begin !== label || end !== label) {
      throw new TrustError('INVALID_INPUT', `${field} holds something other than ${label} blocks`);
    }
    const der = decodeBase64Strict(body.replace(/\s+/g, ''));
    if (der === null || der.length === 0) {
      throw new TrustError('INVALID_INPUT', `${field} has a ${label} block that is not base64`);
    }
    blocks.push(der);
    rest = match.index + whole.length;
  }
  if (blocks.length === 0 || text.slice(rest).trim() !== '') {
    throw new TrustError('INVALID_INPUT', `${field} is not a PEM text of ${label} blocks`);
  }
  return blocks;
}

/** A public key as a node:crypto KeyObject (private keys give their public half). */
export function toPublicKey(input: PublicKeyInput, field: string): KeyObject {
  try {
    if (typeof input === 'string') return createPublicKey(input);
    if (input instanceof Uint8Array) {
      return createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    }
    return input.type === 'public' ? input : createPublicKey(input);
  } catch (error) {
    throw new TrustError('INVALID_INPUT', `${field} is not a public key`, { cause: error });
  }
}

export function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}
