// RFC 6962 byte layouts, laid out by hand from the RFC and compared with ours: the SCT signature
// input, MerkleTreeLeaf, tree head input, SCTs, SCT lists and DigitallySigned; plus malformed input.
import { createHash, verify } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import {
  ctLogId,
  decodeDigitallySigned,
  decodeSct,
  decodeSctList,
  encodeDigitallySigned,
  encodeSct,
  encodeSctList,
  merkleTreeLeaf,
  type SignedCertificateTimestamp,
  sctSignatureInput,
  signSct,
  signTreeHead,
  treeHeadSignatureInput,
  verifyDigitallySigned,
  verifySct,
} from '@airlock/x509';
import { SignedCertificateTimestamp as SigstoreSct } from '@sigstore/core/dist/x509/sct.js';
import { describe, expect, it } from 'vitest';
import { x509ErrorCode } from './support.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

const timestamp = 0x102030405060; // milliseconds whose bytes are easy to spot in the layout
const tsHex = '0000102030405060';
const issuerKeyHash = new Uint8Array(32).fill(0xaa);
const tbs = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x07);
const certificate = Uint8Array.of(0x30, 0x02, 0x05, 0x00);

describe('what a CT log signs and hashes', () => {
  it('lays out the precert SCT signature input as RFC 6962 §3.2 says', () => {
    const input = sctSignatureInput({
      timestamp,
      entry: { type: 'precert', issuerKeyHash, tbsCertificate: tbs },
      extensions: Uint8Array.of(0xee),
    });
    expect(hex(input)).toBe(
      `00 00 ${tsHex} 0001 ${'aa'.repeat(32)} 000005 3003020107 0001 ee`.replace(/\s+/g, ''),
    );
  });

  it('lays out the x509_entry variant, with empty extensions by default', () => {
    const input = sctSignatureInput({ timestamp, entry: { type: 'x509', certificate } });
    expect(hex(input)).toBe(`0000${tsHex}0000000004300205000000`);
  });

  it('lays out the MerkleTreeLeaf (v1, timestamped_entry), which coincides with the signed input', () => {
    for (const entry of [
      { type: 'precert', issuerKeyHash, tbsCertificate: tbs } as const,
      { type: 'x509', certificate } as const,
    ]) {
      const leaf = merkleTreeLeaf({ timestamp, entry });
      expect(hex(leaf.subarray(0, 2))).toBe('0000');
      expect(hex(leaf.subarray(2, 10))).toBe(tsHex);
      expect(hex(leaf)).toBe(hex(sctSignatureInput({ timestamp, entry })));
    }
    expect(hex(merkleTreeLeaf({ timestamp, entry: { type: 'x509', certificate } }))).toBe(
      `0000${tsHex}0000000004300205000000`,
    );
  });

  it('lays out the tree head signature input (v1, tree_hash, timestamp, size, root)', () => {
    const rootHash = createHash('sha256').update('').digest();
    const input = treeHeadSignatureInput({ timestamp, treeSize: 0x010203, rootHash });
    expect(hex(input)).toBe(`0001${tsHex}0000000000010203${rootHash.toString('hex')}`);
    expect(input).toHaveLength(50);
  });

  it('signs a tree head that node:crypto verifies over the hand-laid bytes', async () => {
    const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
    const rootHash = new Uint8Array(32).fill(7);
    const signed = await signTreeHead({ signer, timestamp, treeSize: 5, rootHash });
    expect(signed).toMatchObject({ hashAlgorithm: 4, signatureAlgorithm: 3 });
    const message = bytes(`0001${tsHex}0000000000000005${'07'.repeat(32)}`);
    expect(verify('sha256', message, signer.publicKey, signed.signature)).toBe(true);
    expect(verifyDigitallySigned(signed, message, signer.publicKey)).toBe(true);
    expect(verifyDigitallySigned({ ...signed, hashAlgorithm: 5 }, message, signer.publicKey)).toBe(
      false,
    );
    expect(
      verifyDigitallySigned({ ...signed, signatureAlgorithm: 1 }, message, signer.publicKey),
    ).toBe(false);
  });

  it('refuses out-of-range inputs', () => {
    const entry = {
      type: 'precert',
      issuerKeyHash: new Uint8Array(31),
      tbsCertificate: tbs,
    } as const;
    expect(x509ErrorCode(() => sctSignatureInput({ timestamp, entry }))).toBe('INVALID_INPUT');
    expect(
      x509ErrorCode(() =>
        sctSignatureInput({ timestamp: -1, entry: { type: 'x509', certificate } }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      x509ErrorCode(() =>
        treeHeadSignatureInput({ timestamp, treeSize: 1, rootHash: new Uint8Array(31) }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      x509ErrorCode(() =>
        treeHeadSignatureInput({ timestamp, treeSize: 1.5, rootHash: new Uint8Array(32) }),
      ),
    ).toBe('INVALID_INPUT');
  });
});

const logId = new Uint8Array(32).fill(0x11);
const handSct = `00 ${'11'.repeat(32)} ${tsHex} 0002 abcd 04 03 0003 300102`.replace(/\s+/g, '');
const sctValue: SignedCertificateTimestamp = {
  version: 0,
  logId,
  timestamp,
  extensions: Uint8Array.of(0xab, 0xcd),
  signature: {
    hashAlgorithm: 4,
    signatureAlgorithm: 3,
    signature: Uint8Array.of(0x30, 0x01, 0x02),
  },
};

describe('SCT, SCT list and DigitallySigned encodings', () => {
  it('encodes an SCT as RFC 6962 §3.2 lays it out, and decodes it back', () => {
    expect(hex(encodeSct(sctValue))).toBe(handSct);
    expect(decodeSct(bytes(handSct))).toEqual(sctValue);
  });

  it('encodes SCTs sigstore-js parses to the same fields', () => {
    const parsed = SigstoreSct.parse(Buffer.from(encodeSct(sctValue)));
    expect(parsed.version).toBe(0);
    expect(hex(parsed.logID)).toBe(hex(logId));
    expect(parsed.datetime.getTime()).toBe(timestamp);
    expect(hex(parsed.extensions)).toBe('abcd');
    expect([parsed.hashAlgorithm, parsed.signatureAlgorithm]).toEqual([4, 3]);
    expect(hex(parsed.signature)).toBe('300102');
  });

  it('encodes a list: uint16 total, then uint16-prefixed SCTs', () => {
    const other = { ...sctValue, extensions: new Uint8Array(0) };
    const list = encodeSctList([sctValue, other]);
    const first = handSct;
    const second = hex(encodeSct(other));
    const body = `${(first.length / 2).toString(16).padStart(4, '0')}${first}${(second.length / 2).toString(16).padStart(4, '0')}${second}`;
    expect(hex(list)).toBe(`${(body.length / 2).toString(16).padStart(4, '0')}${body}`);
    expect(decodeSctList(list)).toEqual([sctValue, other]);
  });

  it('round-trips DigitallySigned', () => {
    const signed = { hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(1, 2, 3) };
    expect(hex(encodeDigitallySigned(signed))).toBe('04030003010203');
    expect(decodeDigitallySigned(encodeDigitallySigned(signed))).toEqual(signed);
  });

  it('signs SCTs whose log ID is SHA-256 of the log key SPKI and which verifySct accepts', async () => {
    const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
    const entry = { type: 'x509', certificate } as const;
    const sct = await signSct({ signer, timestamp, entry });
    expect(hex(sct.logId)).toBe(
      createHash('sha256')
        .update(signer.publicKey.export({ format: 'der', type: 'spki' }))
        .digest('hex'),
    );
    expect(hex(sct.logId)).toBe(hex(ctLogId(signer.publicKey)));
    const decoded = decodeSct(encodeSct(sct));
    expect(verifySct(decoded, entry, signer.publicKey)).toBe(true);
    const broken = new Uint8Array(decoded.signature.signature);
    broken[10]! ^= 1;
    expect(
      verifySct(
        { ...decoded, signature: { ...decoded.signature, signature: broken } },
        entry,
        signer.publicKey,
      ),
    ).toBe(false);
    expect(verifySct({ ...decoded, logId: new Uint8Array(32) }, entry, signer.publicKey)).toBe(
      false,
    );
  });

  it.each([
    ['a truncated SCT', handSct.slice(0, -2)],
    ['an SCT with trailing bytes', `${handSct}00`],
    ['an SCT of version 1', `01${handSct.slice(2)}`],
    ['an empty SCT', ''],
    ['an extension length past the end', `00${'11'.repeat(32)}${tsHex}ffff`],
    ['a timestamp past 2^53', `00${'11'.repeat(32)}ffffffffffffffff0000040300 00`],
  ])('refuses %s', (_, text) => {
    expect(x509ErrorCode(() => decodeSct(bytes(text)))).toBe('MALFORMED_SCT');
  });

  it.each([
    ['an empty list', '0000'],
    ['a list whose total overruns', '0010'],
    ['a list with a trailing byte', `${hex(encodeSctList([sctValue]))}00`],
    ['a list with an empty entry', '00020000'],
    ['a list with a truncated entry length', '000100'],
    ['nothing', ''],
  ])('refuses %s as an SCT list', (_, text) => {
    expect(x509ErrorCode(() => decodeSctList(bytes(text)))).toBe('MALFORMED_SCT');
  });

  it('refuses to encode what cannot be an SCT', () => {
    expect(x509ErrorCode(() => encodeSct({ ...sctValue, logId: new Uint8Array(31) }))).toBe(
      'INVALID_INPUT',
    );
    expect(x509ErrorCode(() => encodeSct({ ...sctValue, version: 1 }))).toBe('INVALID_INPUT');
    expect(x509ErrorCode(() => encodeSct({ ...sctValue, timestamp: 1.5 }))).toBe('INVALID_INPUT');
    expect(
      x509ErrorCode(() => encodeSct({ ...sctValue, extensions: new Uint8Array(0x10000) })),
    ).toBe('INVALID_INPUT');
    expect(x509ErrorCode(() => encodeSctList([]))).toBe('INVALID_INPUT');
    expect(x509ErrorCode(() => decodeDigitallySigned(bytes('040300')))).toBe('MALFORMED_SCT');
  });
});
