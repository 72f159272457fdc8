// PEM in and out, checked against OpenSSL, and strict DER: every malformed certificate encoding is
// refused with a typed error rather than read leniently.
import 'reflect-metadata';
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import {
  certificateExtensions,
  pemDecode,
  pemDecodeAll,
  pemEncode,
  precertTbsFromPrecert,
  tbsForSct,
} from '@airlock/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf, makeChain, openssl, type TestChain, x509ErrorCode } from './support.js';

let chain: TestChain;
let leaf: Uint8Array;

beforeAll(async () => {
  chain = await makeChain();
  leaf = await issueLeaf(chain);
});

describe('PEM', () => {
  it('writes PEM that OpenSSL reads back to the same DER, in 64-character lines', async () => {
    const pem = pemEncode(leaf);
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(pem.endsWith('\n-----END CERTIFICATE-----\n')).toBe(true);
    const body = pem.split('\n').slice(1, -2);
    expect(body.slice(0, -1).every((line) => line.length === 64)).toBe(true);
    const result = await openssl(
      ['x509', '-in', '{leaf.pem}', '-noout', '-fingerprint', '-sha256'],
      {
        'leaf.pem': pem,
      },
    );
    expect(result.ok).toBe(true);
    const digest = createHash('sha256').update(leaf).digest('hex');
    expect(result.output.replace(/.*=|[:\s]/g, '').toLowerCase()).toBe(digest);
    expect(new NodeX509(pem).raw.equals(Buffer.from(leaf))).toBe(true);
    expect(Buffer.from(pemDecode(pem)).equals(Buffer.from(leaf))).toBe(true);
  });

  it('reads PEM that OpenSSL wrote, CRLF line ends and surrounding whitespace included', async () => {
    const result = await openssl(
      ['x509', '-inform', 'DER', '-in', '{leaf.der}', '-outform', 'PEM'],
      {
        'leaf.der': leaf,
      },
    );
    expect(Buffer.from(pemDecode(result.output)).equals(Buffer.from(leaf))).toBe(true);
    const crlf = `\n  ${pemEncode(leaf).replace(/\n/g, '\r\n')}\n`;
    expect(Buffer.from(pemDecode(crlf)).equals(Buffer.from(leaf))).toBe(true);
  });

  it('reads a chain of blocks in order with pemDecodeAll', () => {
    const text = [leaf, chain.intermediate, chain.root].map((der) => pemEncode(der)).join('\n');
    const blocks = pemDecodeAll(text);
    expect(blocks.map((der) => Buffer.from(der).toString('hex'))).toEqual(
      [leaf, chain.intermediate, chain.root].map((der) => Buffer.from(der).toString('hex')),
    );
    expect(x509ErrorCode(() => pemDecode(text))).toBe('MALFORMED_PEM');
  });

  it.each([
    ['an empty string', () => ''],
    ['a missing END line', () => pemEncode(leaf).replace('-----END CERTIFICATE-----\n', '')],
    ['mismatched labels', () => pemEncode(leaf).replace('END CERTIFICATE', 'END PUBLIC KEY')],
    ['another label', () => pemEncode(leaf, 'PUBLIC KEY')],
    ['text before the block', () => `hello\n${pemEncode(leaf)}`],
    ['text after the block', () => `${pemEncode(leaf)}trailer`],
    ['PEM headers', () => pemEncode(leaf).replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n')],
    ['a character outside base64', () => pemEncode(leaf).replace(/\n(.)/, '\n!')],
    ['a missing padding character', () => pemEncode(Uint8Array.of(1, 2, 3, 4)).replace('=', '')],
    [
      'non-canonical base64 padding bits',
      () => '-----BEGIN CERTIFICATE-----\nAAB=\n-----END CERTIFICATE-----\n',
    ],
    ['an empty block', () => '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
  ])('refuses %s', (_, make) => {
    expect(x509ErrorCode(() => pemDecode(make()))).toBe('MALFORMED_PEM');
  });
});

/** The certificate's bytes re-wrapped with a different outer length encoding. */
function rewrapOuter(der: Uint8Array, lengthBytes: number[], trailer: number[] = []): Uint8Array {
  const headerLength = 2 + (der[1]! & 0x7f);
  return Uint8Array.of(0x30, ...lengthBytes, ...der.subarray(headerLength), ...trailer);
}

describe('strict DER', () => {
  it.each([
    ['a truncated certificate', () => leaf.subarray(0, leaf.length - 1)],
    ['trailing bytes', () => Uint8Array.of(...leaf, 0)],
    ['an indefinite length', () => rewrapOuter(leaf, [0x80], [0, 0])],
    [
      'a non-minimal length',
      () => {
        const content = leaf.length - 4;
        return rewrapOuter(leaf, [0x83, 0, content >> 8, content & 0xff]);
      },
    ],
    ['a SET for the outer SEQUENCE', () => Uint8Array.of(0x31, ...leaf.subarray(1))],
    ['nothing', () => new Uint8Array(0)],
    ['an empty SEQUENCE', () => Uint8Array.of(0x30, 0x00)],
    ['a PEM string as bytes', () => new TextEncoder().encode(pemEncode(leaf))],
  ])('refuses %s', (_, make) => {
    const der = make();
    expect(x509ErrorCode(() => certificateExtensions(der))).toBe('MALFORMED_CERTIFICATE');
    expect(x509ErrorCode(() => tbsForSct(der))).toBe('MALFORMED_CERTIFICATE');
    expect(x509ErrorCode(() => precertTbsFromPrecert(der))).toBe('MALFORMED_CERTIFICATE');
  });

  it('refuses a certificate that carries an extension twice', () => {
    const parsed = AsnConvert.parse(leaf, Certificate);
    const extensions = parsed.tbsCertificate.extensions!;
    extensions.push(extensions[1]!);
    const doubled = new Uint8Array(AsnConvert.serialize(parsed));
    expect(x509ErrorCode(() => certificateExtensions(doubled))).toBe('MALFORMED_CERTIFICATE');
  });
});
