// Requests the TSA must refuse, each with its typed code and the failure response it maps to (which
// openssl reads back), and the TSA certificate profile as openssl sees it.
import { SoftwareSigner } from '@airlock/keys';
import {
  encodeTimeStampReq,
  FAILURE_INFO_BITS,
  type FailureInfo,
  failureInfoFor,
  parseTimeStampReq,
  parseTimeStampResponse,
  timeStampFailure,
  timeStampRequest,
} from '@airlock/timestamp';
import { createTimestampingCertificate, pemEncode, X509Error } from '@airlock/x509';
import { describe, expect, it } from 'vitest';
import {
  HOUR,
  makeTsaChain,
  openssl,
  opensslQuery,
  opensslReplyText,
  timestampErrorCode,
  YEAR,
} from './support.js';

const data = new TextEncoder().encode('payload');
const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const digest = (bytes: number) => `04${bytes.toString(16).padStart(2, '0')}${'11'.repeat(bytes)}`;

/** A TimeStampReq with a given version, hash OID (DER, hex) and digest. */
function request(version: string, algorithm: string, hashed: string, tail = ''): Uint8Array {
  const imprint = `30${(algorithm.length / 2 + hashed.length / 2).toString(16).padStart(2, '0')}${algorithm}${hashed}`;
  const body = `0201${version}${imprint}${tail}`;
  return hex(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`);
}
const SHA256_ALG = '300d06096086480165030402010500';
const SHA256_NO_PARAMS = '300b0609608648016503040201';

describe('parseTimeStampReq', () => {
  it('accepts hand-made requests with and without NULL parameters', () => {
    for (const algorithm of [SHA256_ALG, SHA256_NO_PARAMS]) {
      const parsed = parseTimeStampReq(request('01', algorithm, digest(32)));
      expect(parsed.hashAlgorithm).toBe('sha256');
      expect(parsed.hashedMessage).toEqual(new Uint8Array(32).fill(0x11));
    }
  });

  it('round-trips what timeStampRequest and encodeTimeStampReq build', () => {
    const built = timeStampRequest({
      hashAlgorithm: 'sha384',
      hashedMessage: new Uint8Array(48).fill(7),
      nonce: -5n,
      certReq: true,
      reqPolicy: '1.3.6.1.4.1.57264.2',
    });
    expect(parseTimeStampReq(encodeTimeStampReq(built))).toEqual(built);
  });

  it.each([
    ['SHA-1 from openssl ts -query -sha1', async () => opensslQuery(data, ['-sha1'])],
    ['MD5 from openssl ts -query -md5', async () => opensslQuery(data, ['-md5'])],
    ['SHA3-256', async () => request('01', '300b0609608648016503040208', digest(32))],
  ])('refuses %s as UNSUPPORTED_HASH_ALGORITHM (badAlg)', async (_, make) => {
    const der = await make();
    expect(await timestampErrorCode(() => parseTimeStampReq(der))).toBe(
      'UNSUPPORTED_HASH_ALGORITHM',
    );
    expect(failureInfoFor('UNSUPPORTED_HASH_ALGORITHM')).toBe('badAlg');
  });

  it.each([
    ['a SHA-256 digest of 31 bytes', request('01', SHA256_ALG, digest(31))],
    ['a SHA-256 digest of 48 bytes', request('01', SHA256_ALG, digest(48))],
    ['an empty digest', request('01', SHA256_ALG, '0400')],
  ])('refuses %s as INVALID_DIGEST_LENGTH', async (_, der) => {
    expect(await timestampErrorCode(() => parseTimeStampReq(der))).toBe('INVALID_DIGEST_LENGTH');
  });

  const valid = request('01', SHA256_ALG, digest(32));
  it.each([
    ['trailing bytes', Uint8Array.of(...valid, 0x00)],
    ['a truncated request', valid.subarray(0, valid.length - 1)],
    ['nothing', new Uint8Array(0)],
    ['junk', new TextEncoder().encode('{"artifactHash":"x"}')],
    ['version 2', request('02', SHA256_ALG, digest(32))],
    [
      'an indefinite (BER) length',
      hex(`3080${Buffer.from(valid.subarray(2)).toString('hex')}0000`),
    ],
    ['a long-form length below 128', hex(`3081${Buffer.from(valid.subarray(1)).toString('hex')}`)],
    ['a non-minimal nonce', request('01', SHA256_ALG, digest(32), '02020001')],
    ['fields out of order', request('01', SHA256_ALG, digest(32), '0101ff020105')],
    [
      'algorithm parameters that are not NULL',
      request('01', '300f0609608648016503040201020100', digest(32)),
    ],
    ['a BOOLEAN that is not DER', request('01', SHA256_ALG, digest(32), '010101')],
  ])('refuses %s as MALFORMED_REQUEST (badDataFormat)', async (_, der) => {
    expect(await timestampErrorCode(() => parseTimeStampReq(der))).toBe('MALFORMED_REQUEST');
    expect(failureInfoFor('MALFORMED_REQUEST')).toBe('badDataFormat');
  });

  it('refuses request extensions as UNACCEPTED_EXTENSION', async () => {
    // [0] IMPLICIT Extensions with one (unknown, non-critical) extension.
    const extension = 'a00e300c06032a0304040530030101ff';
    expect(
      await timestampErrorCode(() =>
        parseTimeStampReq(request('01', SHA256_ALG, digest(32), extension)),
      ),
    ).toBe('UNACCEPTED_EXTENSION');
  });

  it('refuses fields a JSON request may carry wrongly', async () => {
    const build = (fields: object) => () =>
      timeStampRequest({ hashAlgorithm: 'sha256', hashedMessage: new Uint8Array(32), ...fields });
    expect(await timestampErrorCode(build({ hashAlgorithm: 'sha1' }))).toBe(
      'UNSUPPORTED_HASH_ALGORITHM',
    );
    expect(await timestampErrorCode(build({ hashedMessage: new Uint8Array(20) }))).toBe(
      'INVALID_DIGEST_LENGTH',
    );
    expect(await timestampErrorCode(build({ reqPolicy: 'not.an.oid' }))).toBe('MALFORMED_REQUEST');
    expect(await timestampErrorCode(build({ nonce: 1n << 600n }))).toBe('INVALID_INPUT');
  });
});

describe('failure responses', () => {
  it.each([
    ['badAlg', 'unrecognized or unsupported algorithm identifier'],
    ['badRequest', 'transaction not permitted or supported'],
    ['badDataFormat', 'the data submitted has the wrong format'],
    ['unacceptedPolicy', 'the requested TSA policy is not supported by the TSA'],
    ['unacceptedExtension', 'the requested extension is not supported by the TSA'],
    ['systemFailure', 'the request cannot be handled due to system failure'],
  ] as const)('openssl reads a rejection with %s', async (failInfo: FailureInfo, text) => {
    const response = timeStampFailure('rejection', failInfo, 'why it was refused');
    const shown = await opensslReplyText(response);
    expect(shown).toContain('Status: Rejected.');
    expect(shown).toContain('why it was refused');
    expect(shown).toContain(`Failure info: ${text}`);
    expect(shown).toContain('Not included.');
    expect(parseTimeStampResponse(response)).toEqual({
      status: 'rejection',
      statusString: ['why it was refused'],
      failInfo: [failInfo],
    });
    expect(FAILURE_INFO_BITS[failInfo]).toBeGreaterThanOrEqual(0);
  });
});

describe('createTimestampingCertificate', () => {
  it('makes a leaf whose only EKU is timeStamping, critical, that openssl accepts for timestamp signing', async () => {
    const chain = await makeTsaChain();
    const text = await openssl(['x509', '-in', '{leaf.pem}', '-noout', '-text'], {
      'leaf.pem': pemEncode(chain.leaf),
    });
    expect(text.output).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\n/);
    expect(text.output).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text.output).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text.output).toContain('X509v3 Subject Key Identifier');
    expect(text.output).toContain('X509v3 Authority Key Identifier');
    const verified = await openssl(
      [
        'verify',
        '-x509_strict',
        '-purpose',
        'timestampsign',
        '-CAfile',
        '{root.pem}',
        '{leaf.pem}',
      ],
      { 'root.pem': pemEncode(chain.root), 'leaf.pem': pemEncode(chain.leaf) },
    );
    expect(verified.output).toContain('OK');
    expect(verified.ok).toBe(true);
  });

  it('refuses an Ed25519 key and an issuer that is not a CA', async () => {
    const chain = await makeTsaChain();
    const now = Date.now();
    const base = {
      subject: { commonName: 'TSA' },
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + YEAR),
    };
    await expect(
      createTimestampingCertificate({
        ...base,
        issuerCert: chain.root,
        issuerSigner: chain.rootSigner,
        publicKey: SoftwareSigner.generate('ed25519').publicKey,
      }),
    ).rejects.toSatisfy((error) => error instanceof X509Error && error.code === 'UNSUPPORTED_KEY');
    await expect(
      createTimestampingCertificate({
        ...base,
        issuerCert: chain.leaf,
        issuerSigner: chain.signer,
        publicKey: SoftwareSigner.generate('ecdsa-p256-sha256').publicKey,
      }),
    ).rejects.toSatisfy((error) => error instanceof X509Error && error.code === 'INVALID_ISSUER');
  });
});
