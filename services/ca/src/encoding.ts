// Base64 as the CA reads it from clients and from its CT log: protojson `bytes` fields accept the
// standard and URL-safe alphabets, padded or not, and nothing else.

const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)(?:={0,2})$/;

/** The bytes of base64 text, or undefined if the text is not base64 (whitespace included). */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  // A padded text has whole 4-character groups; one leftover character can never encode a byte.
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  if (unpadded.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(unpadded, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
