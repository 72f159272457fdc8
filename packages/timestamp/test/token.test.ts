// Tokens issued for requests OpenSSL makes are accepted by `openssl ts -verify` and by our verifier,
// which rejects every altered token, foreign chain and unsuitable certificate; refusals are typed.
import { createHash } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import {
  createTimeStampToken,
  parseTimeStampReq,
  SIGSTORE_TSA_POLICY,
  type TimeStampRequest,
  timeStampFailure,
  timeStampRequest,
  verifyTimeStampToken,
} from '@airlock/timestamp';
import { createIntermediateCertificate, createTimestampingCertificate } from '@airlock/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HOUR,
  makeTsaChain,
  opensslQuery,
  opensslReplyText,
  opensslVerify,
  type TsaChain,
  timestampErrorCode,
  YEAR,
} from './support.js';

const artifact = new TextEncoder().encode('an artifact signature to timestamp');
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

let p256: TsaChain;
let p384: TsaChain;
let withIntermediate: TsaChain;
let stranger: TsaChain;

beforeAll(async () => {
  p256 = await makeTsaChain();
  p384 = await makeTsaChain({ signer: SoftwareSigner.generate('ecdsa-p384-sha384') });
  withIntermediate = await makeTsaChain({ intermediate: true });
  stranger = await makeTsaChain();
});

function issue(chain: TsaChain, request: TimeStampRequest, extra: object = {}) {
  return createTimeStampToken({
    request,
    signer: chain.signer,
    signerCert: chain.leaf,
    chain: [...chain.intermediates, chain.root],
    ...extra,
  });
}

describe('requests made by openssl ts -query', () => {
  it.each([
    ['-sha256', 'sha256', 32],
    ['-sha384', 'sha384', 48],
    ['-sha512', 'sha512', 64],
  ] as const)('parses %s with a nonce', async (flag, algorithm, bytes) => {
    const request = parseTimeStampReq(await opensslQuery(artifact, [flag]));
    expect(request.hashAlgorithm).toBe(algorithm);
    expect(request.hashedMessage.length).toBe(bytes);
    expect(Buffer.from(request.hashedMessage)).toEqual(
      createHash(algorithm).update(artifact).digest(),
    );
    expect(typeof request.nonce).toBe('bigint');
    expect(request.certReq).toBe(false);
  });

  it('parses certReq, reqPolicy and the absence of a nonce', async () => {
    const request = parseTimeStampReq(
      await opensslQuery(artifact, ['-sha256', '-cert', '-no_nonce', '-tspolicy', '1.2.3.4']),
    );
    expect(request.certReq).toBe(true);
    expect(request.reqPolicy).toBe('1.2.3.4');
    expect(request.nonce).toBeUndefined();
  });
});

describe('tokens openssl accepts', () => {
  it.each([
    ['P-256 key, no certificates requested', () => p256, ['-sha256']],
    ['P-256 key, certificates requested', () => p256, ['-sha256', '-cert']],
    ['P-384 key, SHA-512 imprint', () => p384, ['-sha512', '-cert']],
    ['an intermediate CA in the chain', () => withIntermediate, ['-sha384']],
  ] as const)('openssl ts -verify accepts a token (%s)', async (_, chain, flags) => {
    const query = await opensslQuery(artifact, flags);
    const { response } = await issue(chain(), parseTimeStampReq(query));
    const byData = await opensslVerify(response, artifact, chain());
    expect(byData.output).toContain('Verification: OK');
    expect(byData.ok).toBe(true);
    // Against the request too: openssl then also checks the nonce echo and the imprint algorithm.
    const byQuery = await opensslVerify(response, artifact, chain(), { query });
    expect(byQuery.output).toContain('Verification: OK');
  });

  it('openssl ts -reply -text shows the policy, the nonce echoed, the accuracy and the serial', async () => {
    const request = parseTimeStampReq(await opensslQuery(artifact, ['-sha256', '-cert']));
    const issued = await issue(p256, request);
    const text = await opensslReplyText(issued.response);
    expect(text).toContain('Status: Granted.');
    expect(text).toContain(`Policy OID: ${SIGSTORE_TSA_POLICY}`);
    expect(text).toMatch(/Accuracy: (0x)?0*1 seconds, unspecified millis, unspecified micros/);
    expect(text).toContain('Ordering: no');
    const nonce = request.nonce!.toString(16).toUpperCase();
    expect(text.replace(/\s/g, '')).toContain(
      `Nonce:0x${nonce.padStart(nonce.length + (nonce.length % 2), '0')}`,
    );
    expect(text).toContain(
      `Serial number: 0x${Buffer.from(issued.serialNumber).toString('hex').toUpperCase()}`,
    );
    expect(text).toContain(`Time stamp: ${issued.genTime.toUTCString().slice(8, 11)}`);
  });

  it('openssl rejects the token for other data and under a foreign root', async () => {
    const { response } = await issue(
      p256,
      parseTimeStampReq(await opensslQuery(artifact, ['-sha256'])),
    );
    const otherData = await opensslVerify(response, new TextEncoder().encode('other'), p256);
    expect(otherData.ok).toBe(false);
    const foreignRoot = await opensslVerify(response, artifact, { ...p256, root: stranger.root });
    expect(foreignRoot.ok).toBe(false);
  });
});

describe('verifyTimeStampToken', () => {
  const request = () =>
    timeStampRequest({ hashAlgorithm: 'sha256', hashedMessage: sha256(artifact), nonce: 42n });

  it('accepts our tokens by data or by digest, with and without embedded certificates', async () => {
    for (const chain of [p256, p384, withIntermediate]) {
      for (const includeCerts of [false, true]) {
        const issued = await issue(chain, request(), { includeCerts });
        const verified = verifyTimeStampToken(issued.response, {
          data: artifact,
          trustedChain: chain.trustedChain,
          nonce: 42n,
          policy: SIGSTORE_TSA_POLICY,
        });
        expect(verified.genTime).toEqual(issued.genTime);
        expect(verified.serialNumber).toEqual(issued.serialNumber);
        expect(verified.accuracy).toEqual({ seconds: 1 });
        expect(
          verifyTimeStampToken(issued.token, {
            digest: { algorithm: 'sha256', value: sha256(artifact) },
            trustedChain: chain.trustedChain,
          }).nonce,
        ).toBe(42n);
      }
    }
  });

  it('rejects the token for other data, another digest algorithm, nonce or policy', async () => {
    const { response } = await issue(p256, request());
    const check = (options: object) => () =>
      verifyTimeStampToken(response, {
        data: artifact,
        trustedChain: p256.trustedChain,
        ...options,
      });
    expect(await timestampErrorCode(check({ data: new Uint8Array(3) }))).toBe('IMPRINT_MISMATCH');
    expect(
      await timestampErrorCode(
        check({ data: undefined, digest: { algorithm: 'sha512', value: new Uint8Array(64) } }),
      ),
    ).toBe('IMPRINT_MISMATCH');
    expect(await timestampErrorCode(check({ nonce: 43n }))).toBe('NONCE_MISMATCH');
    expect(await timestampErrorCode(check({ policy: '1.2.3' }))).toBe('POLICY_MISMATCH');
    expect(await timestampErrorCode(check({ data: undefined }))).toBe('INVALID_INPUT');
  });

  it('rejects a token checked against another TSA chain', async () => {
    const { response } = await issue(p256, request(), { includeCerts: true });
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(response, { data: artifact, trustedChain: stranger.trustedChain }),
      ),
    ).toBe('SIGNER_MISMATCH');
  });

  it('rejects a leaf vouched for by another root, and a chain whose intermediate is for code signing', async () => {
    const { response } = await issue(p256, request());
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(response, {
          data: artifact,
          trustedChain: [p256.leaf, stranger.root],
        }),
      ),
    ).toBe('UNTRUSTED_CHAIN');

    // @airlock/x509's intermediates are Fulcio's (EKU codeSigning): they may not vouch for a TSA.
    const now = Date.now();
    const codeSigningCa = SoftwareSigner.generate('ecdsa-p256-sha256');
    const intermediate = await createIntermediateCertificate({
      issuerCert: p256.root,
      issuerSigner: p256.rootSigner,
      publicKey: codeSigningCa.publicKey,
      subject: { commonName: 'Fulcio-style intermediate' },
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + YEAR),
    });
    const leaf = await createTimestampingCertificate({
      issuerCert: intermediate,
      issuerSigner: codeSigningCa,
      publicKey: p256.signer.publicKey,
      subject: { commonName: 'TSA under a code-signing CA' },
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + YEAR),
    });
    const issued = await createTimeStampToken({
      request: request(),
      signer: p256.signer,
      signerCert: leaf,
    });
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(issued.response, {
          data: artifact,
          trustedChain: [leaf, intermediate, p256.root],
        }),
      ),
    ).toBe('UNTRUSTED_CHAIN');
  });

  it('rejects a trusted chain whose first certificate is not a timestamping leaf', async () => {
    const { response } = await issue(p256, request());
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(response, { data: artifact, trustedChain: [p256.root, p256.root] }),
      ),
    ).toBe('SIGNER_MISMATCH');
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(response, { data: artifact, trustedChain: [p256.leaf] }),
      ),
    ).toBe('UNTRUSTED_CHAIN');
  });

  it('rejects a token whose genTime is outside validFor', async () => {
    const { response, genTime } = await issue(p256, request());
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(response, {
          data: artifact,
          trustedChain: p256.trustedChain,
          validFor: { start: new Date(genTime.getTime() + 1000) },
        }),
      ),
    ).toBe('UNTRUSTED_CHAIN');
  });

  it('rejects every single-bit change in the signed parts of a token', async () => {
    const { token, tstInfo } = await issue(p256, request(), { includeCerts: false });
    const tstAt = Buffer.from(token).indexOf(Buffer.from(tstInfo));
    const signatureStart = token.length - 72; // inside the ECDSA signature at the end
    const positions = [
      tstAt + 10, // TSTInfo policy/imprint
      tstAt + tstInfo.length - 3, // TSTInfo nonce
      token.length - 150, // signed attributes
      signatureStart + 20,
    ];
    for (const position of positions) {
      const altered = Uint8Array.from(token);
      altered[position]! ^= 0x01;
      const code = await timestampErrorCode(() =>
        verifyTimeStampToken(altered, { data: artifact, trustedChain: p256.trustedChain }),
      );
      expect(code).toMatch(
        /^(MALFORMED_RESPONSE|MESSAGE_DIGEST_MISMATCH|INVALID_SIGNATURE|IMPRINT_MISMATCH|SIGNER_MISMATCH)$/,
      );
    }
  });

  it('rejects a changed TSTInfo with MESSAGE_DIGEST_MISMATCH and a changed signature with INVALID_SIGNATURE', async () => {
    const { token, tstInfo } = await issue(p256, request());
    const at = Buffer.from(token).indexOf(Buffer.from(tstInfo));
    const genTimeDigit = at + Buffer.from(tstInfo).indexOf(Buffer.from('Z')) - 1;
    const laterTime = Uint8Array.from(token);
    laterTime[genTimeDigit] = laterTime[genTimeDigit] === 0x30 ? 0x31 : 0x30;
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(laterTime, { data: artifact, trustedChain: p256.trustedChain }),
      ),
    ).toBe('MESSAGE_DIGEST_MISMATCH');

    // The DER ECDSA signature ends the token; flip a bit deep inside its s.
    const badSignature = Uint8Array.from(token);
    badSignature[token.length - 5]! ^= 0x01;
    expect(
      await timestampErrorCode(() =>
        verifyTimeStampToken(badSignature, { data: artifact, trustedChain: p256.trustedChain }),
      ),
    ).toBe('INVALID_SIGNATURE');
  });

  it('rejects a refused response and bytes that are not a response', async () => {
    const check = (bytes: Uint8Array) => () =>
      verifyTimeStampToken(bytes, { data: artifact, trustedChain: p256.trustedChain });
    expect(await timestampErrorCode(check(timeStampFailure('rejection', 'badAlg')))).toBe(
      'NOT_GRANTED',
    );
    const { response } = await issue(p256, request());
    expect(await timestampErrorCode(check(Uint8Array.of(...response, 0)))).toBe(
      'MALFORMED_RESPONSE',
    );
    expect(await timestampErrorCode(check(new Uint8Array([0x30, 0x80, 0, 0])))).toBe(
      'MALFORMED_RESPONSE',
    );
  });
});

describe('createTimeStampToken refuses', () => {
  const request = timeStampRequest({ hashAlgorithm: 'sha256', hashedMessage: sha256(artifact) });

  it('an Ed25519 key, a signer that is not the certificate key, and a CA certificate', async () => {
    expect(
      await timestampErrorCode(() =>
        createTimeStampToken({
          request,
          signer: SoftwareSigner.generate('ed25519'),
          signerCert: p256.leaf,
        }),
      ),
    ).toBe('UNSUPPORTED_KEY');
    expect(
      await timestampErrorCode(() =>
        createTimeStampToken({ request, signer: stranger.signer, signerCert: p256.leaf }),
      ),
    ).toBe('KEY_MISMATCH');
    expect(
      await timestampErrorCode(() =>
        createTimeStampToken({ request, signer: p256.rootSigner, signerCert: p256.root }),
      ),
    ).toBe('INVALID_SIGNER_CERTIFICATE');
  });

  it('a genTime outside the certificate, an unaccepted policy, a bad serial or accuracy', async () => {
    const at = (genTime: Date) => () => issue(p256, request, { genTime });
    expect(await timestampErrorCode(at(new Date(Date.now() + 2 * YEAR)))).toBe(
      'INVALID_SIGNER_CERTIFICATE',
    );
    expect(
      await timestampErrorCode(() =>
        issue(p256, timeStampRequest({ ...request, reqPolicy: '1.2.3.4' })),
      ),
    ).toBe('UNACCEPTED_POLICY');
    const accepted = await issue(p256, timeStampRequest({ ...request, reqPolicy: '1.2.3.4' }), {
      acceptedPolicies: [SIGSTORE_TSA_POLICY, '1.2.3.4'],
    });
    expect(accepted.policy).toBe('1.2.3.4');
    for (const serialNumber of [
      new Uint8Array(0),
      Uint8Array.of(0x80),
      Uint8Array.of(0, 1),
      new Uint8Array(21).fill(1),
    ]) {
      expect(await timestampErrorCode(() => issue(p256, request, { serialNumber }))).toBe(
        'INVALID_INPUT',
      );
    }
    for (const accuracy of [{}, { millis: 0 }, { micros: 1000 }, { seconds: -1 }]) {
      expect(await timestampErrorCode(() => issue(p256, request, { accuracy }))).toBe(
        'INVALID_INPUT',
      );
    }
  });

  it('chain certificates to embed that are not certificates', async () => {
    expect(
      await timestampErrorCode(() =>
        issue(p256, request, { includeCerts: true, chain: [new Uint8Array([0x30, 0x00])] }),
      ),
    ).toBe('INVALID_INPUT');
  });

  it('a signer that returns a bad signature', async () => {
    const broken = {
      algorithm: p256.signer.algorithm,
      publicKey: p256.signer.publicKey,
      sign: async () => new Uint8Array(70),
    };
    expect(
      await timestampErrorCode(() =>
        createTimeStampToken({ request, signer: broken, signerCert: p256.leaf }),
      ),
    ).toBe('SIGNING_FAILED');
  });
});
