// PEM (RFC 7468) text for certificates, CSRs and public keys: strict base64, no headers, known labels.
import { X509Error } from './errors.js';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** PEM text of DER bytes: 64-character lines and a final newline, as OpenSSL and Go write it. */
export function pemEncode(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}-----END ${label}-----\n`;
}

/** The DER bytes of every PEM block in `text`, in order; only whitespace may surround them. */
export function pemDecodeAll(
  text: string,
  label: string | readonly string[] = 'CERTIFICATE',
): Uint8Array[] {
  const labels = typeof label === 'string' ? [label] : label;
  const blocks: Uint8Array[] = [];
  let rest = 0;
  for (const match of text.matchAll(BLOCK)) {
    const between = text.slice(rest, match.index);
    if (between.trim() !== '') throw new X509Error('MALFORMED_PEM', 'text outside PEM blocks');
    const [, begin, body = '', end] = match;
    if (begin !== end)
      throw new X509Error('MALFORMED_PEM', `PEM block BEGIN ${begin} ends with END ${end}`);
    if (begin === undefined || !labels.includes(begin)) {
      throw new X509Error(
        'MALFORMED_PEM',
        `expected a PEM ${labels.join(' or ')} block, found ${begin}`,
      );
    }
    if (body.includes(':')) throw new X509Error('MALFORMED_PEM', 'PEM headers are not supported');
    const base64 = body.replace(/\s+/g, '');
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
      throw new X509Error('MALFORMED_PEM', `PEM ${begin} block is not valid base64`);
    }
    const der = Buffer.from(base64, 'base64');
    // Node's decoder skips junk silently; a canonical re-encoding proves every character counted.
    if (der.toString('base64') !== base64) {
      throw new X509Error('MALFORMED_PEM', `PEM ${begin} block is not canonical base64`);
    }
    blocks.push(new Uint8Array(der));
    rest = match.index + match[0].length;
  }
  if (text.slice(rest).trim() !== '')
    throw new X509Error('MALFORMED_PEM', 'text outside PEM blocks');
  if (blocks.length === 0) throw new X509Error('MALFORMED_PEM', 'no PEM block found');
  return blocks;
}

/** The DER bytes of the one PEM block in `text`. */
export function pemDecode(
  text: string,
  label: string | readonly string[] = 'CERTIFICATE',
): Uint8Array {
  const blocks = pemDecodeAll(text, label);
  if (blocks.length !== 1) {
    throw new X509Error('MALFORMED_PEM', `expected one PEM block, found ${blocks.length}`);
  }
  return blocks[0]!;
}

/** DER from input that may be PEM text (as a string or its bytes) or DER bytes already; `label` is set for PEM. */
export function derFromPemOrDer(
  input: string | Uint8Array,
  labels: readonly string[],
): { readonly der: Uint8Array; readonly label?: string } {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const head = Buffer.from(input.subarray(0, 64)).toString('latin1').trimStart();
    if (!head.startsWith('-----BEGIN')) return { der: input };
    text = Buffer.from(input).toString('latin1');
  }
  const der = pemDecode(text, labels);
  const label = labels.find((candidate) => text.includes(`-----BEGIN ${candidate}-----`));
  return label === undefined ? { der } : { der, label };
}
