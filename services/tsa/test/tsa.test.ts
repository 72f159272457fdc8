// The TSA over HTTP with its key in SoftHSM: openssl accepts every token it issues (DER and JSON
// requests); bad requests get a 4xx and no token; the key and chain must agree before it serves.
import { createHash } from 'node:crypto';
import {
  parseTimeStampReq,
  parseTimeStampResponse,
  SIGSTORE_TSA_POLICY,
  verifyTimeStampToken,
} from '@airlock/timestamp';
import { createTsaServer, type RunningTsa, startTsa, TimestampAuthority } from '@airlock/tsa';
import { pemDecodeAll, pemEncode } from '@airlock/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTsaChain } from '../../../packages/timestamp/test/support.js';
import {
  type HsmTsaChain,
  makeHsmTsaChain,
  openssl,
  opensslQuery,
  opensslReplyText,
  opensslVerify,
  post,
} from './support.js';

const QUERY = 'application/timestamp-query';
const artifact = new TextEncoder().encode('the signature bytes a sigstore client timestamps');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

let chain: HsmTsaChain;
let tsa: RunningTsa;
let endpoint: string;

beforeAll(async () => {
  chain = await makeHsmTsaChain();
  tsa = await startTsa({
    listenHost: '127.0.0.1',
    port: 0,
    keyUri: chain.keyUri,
    chain: { pem: chain.chainPem },
  });
  endpoint = `${tsa.url}/api/v1/timestamp`;
});
afterAll(async () => {
  await tsa?.close();
  await chain?.token.cleanup();
});

/** The token must verify with our verifier too, and the reply must be a granted DER response. */
function expectGranted(reply: { status: number; contentType: string; body: Uint8Array }) {
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('application/timestamp-reply');
  const parsed = parseTimeStampResponse(reply.body);
  expect(parsed.status).toBe('granted');
  expect(parsed.token).toBeDefined();
}

describe('DER requests from openssl ts -query', () => {
  it.each([['-sha256', '-cert'], ['-sha384'], ['-sha512', '-no_nonce']])(
    'openssl ts -verify accepts the token (%s %s)',
    async (...flags) => {
      const query = await opensslQuery(artifact, flags);
      const reply = await post(endpoint, QUERY, query);
      expectGranted(reply);
      const byData = await opensslVerify(reply.body, chain, { data: artifact });
      expect(byData.output).toContain('Verification: OK');
      const byQuery = await opensslVerify(reply.body, chain, { query });
      expect(byQuery.output).toContain('Verification: OK');
    },
  );

  it('echoes the nonce, names the Sigstore policy and an accuracy of 1 s', async () => {
    const query = await opensslQuery(artifact, ['-sha256', '-cert']);
    const reply = await post(endpoint, QUERY, query);
    const text = await opensslReplyText(reply.body);
    expect(text).toContain(`Policy OID: ${SIGSTORE_TSA_POLICY}`);
    expect(text).toMatch(/Accuracy: (0x)?0*1 seconds/);
    const sent = parseTimeStampReq(query).nonce!;
    const shown = /Nonce: 0x([0-9A-F]+)/.exec(text)?.[1];
    expect(shown).toBeDefined();
    expect(BigInt(`0x${shown}`)).toBe(sent);
    expect(
      verifyTimeStampToken(reply.body, {
        data: artifact,
        trustedChain: [chain.leaf, chain.root],
        nonce: sent,
      }).policy,
    ).toBe(SIGSTORE_TSA_POLICY);
  });

  it('issues distinct serials to concurrent requests, all valid', async () => {
    const query = await opensslQuery(artifact, ['-sha256']);
    const replies = await Promise.all(
      Array.from({ length: 24 }, () => post(endpoint, QUERY, query)),
    );
    const serials = new Set<string>();
    for (const reply of replies) {
      expectGranted(reply);
      const verified = verifyTimeStampToken(reply.body, {
        data: artifact,
        trustedChain: [chain.leaf, chain.root],
      });
      serials.add(Buffer.from(verified.serialNumber).toString('hex'));
      expect(verified.serialNumber.length).toBe(20);
    }
    expect(serials.size).toBe(replies.length);
  });
});

describe('JSON requests (the form sigstore-js sends)', () => {
  it('openssl ts -verify accepts the token, with the nonce and certificates asked for', async () => {
    const reply = await post(
      endpoint,
      'application/json',
      JSON.stringify({
        artifactHash: sha256(artifact).toString('base64'),
        hashAlgorithm: 'sha256',
        certificates: true,
        nonce: 12345,
      }),
    );
    expectGranted(reply);
    const verified = await opensslVerify(reply.body, chain, { data: artifact });
    expect(verified.output).toContain('Verification: OK');
    const text = await opensslReplyText(reply.body);
    expect(text).toContain('Nonce: 0x3039');
  });

  it('accepts sha512 and the default policy named explicitly', async () => {
    const reply = await post(
      endpoint,
      'application/json; charset=utf-8',
      JSON.stringify({
        artifactHash: createHash('sha512').update(artifact).digest('base64'),
        hashAlgorithm: 'sha512',
        tsaPolicyOID: SIGSTORE_TSA_POLICY,
      }),
    );
    expectGranted(reply);
    expect((await opensslVerify(reply.body, chain, { data: artifact })).output).toContain(
      'Verification: OK',
    );
  });
});

describe('GET /api/v1/timestamp/certchain', () => {
  it('serves the PEM chain, leaf first', async () => {
    const response = await fetch(`${endpoint}/certchain`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/pem-certificate-chain');
    const certificates = pemDecodeAll(await response.text(), 'CERTIFICATE');
    expect(certificates).toEqual([chain.leaf, chain.root]);
  });
});

describe('requests the TSA refuses with a 4xx and no token', () => {
  const json = (body: unknown) => post(endpoint, 'application/json', JSON.stringify(body));
  const good = () => ({
    artifactHash: sha256(artifact).toString('base64'),
    hashAlgorithm: 'sha256',
  });

  /** A 400 whose body is a failure TimeStampResp naming `failInfo`. */
  function expectDerFailure(
    reply: { status: number; contentType: string; body: Uint8Array },
    failInfo: string,
  ) {
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe('application/timestamp-reply');
    const parsed = parseTimeStampResponse(reply.body);
    expect(parsed.status).toBe('rejection');
    expect(parsed.failInfo).toEqual([failInfo]);
    expect(parsed.token).toBeUndefined();
  }

  /** A 4xx whose body is JSON {code, message} (no token). */
  function expectJsonError(
    reply: { status: number; contentType: string; body: Uint8Array },
    status: number,
  ) {
    expect(reply.status).toBe(status);
    expect(reply.contentType).toContain('application/json');
    const body = JSON.parse(Buffer.from(reply.body).toString('utf8'));
    expect(body.code).toBe(status);
    expect(typeof body.message).toBe('string');
  }

  it('a DER request with an unknown or weak hash algorithm (badAlg)', async () => {
    expectDerFailure(
      await post(endpoint, QUERY, await opensslQuery(artifact, ['-sha1'])),
      'badAlg',
    );
    expectDerFailure(await post(endpoint, QUERY, await opensslQuery(artifact, ['-md5'])), 'badAlg');
  });

  it('a DER request whose digest has the wrong length (badDataFormat)', async () => {
    const query = await opensslQuery(artifact, ['-sha256', '-no_nonce']);
    // Cut the last byte of the 32-byte digest and fix up the three lengths that hold it.
    const cut = Uint8Array.from(query.subarray(0, query.length - 1));
    cut[1]! -= 1;
    cut[6]! -= 1;
    cut[cut.length - 32]! -= 1;
    expect(cut[cut.length - 33]).toBe(0x04);
    expectDerFailure(await post(endpoint, QUERY, cut), 'badDataFormat');
  });

  it('malformed DER, trailing bytes and an empty body (badDataFormat)', async () => {
    const query = await opensslQuery(artifact, ['-sha256']);
    expectDerFailure(
      await post(endpoint, QUERY, new TextEncoder().encode('not DER at all')),
      'badDataFormat',
    );
    expectDerFailure(await post(endpoint, QUERY, Uint8Array.of(...query, 0x00)), 'badDataFormat');
    expectDerFailure(await post(endpoint, QUERY, query.subarray(0, 20)), 'badDataFormat');
    expectDerFailure(await post(endpoint, QUERY, new Uint8Array(0)), 'badDataFormat');
  });

  it('a policy the TSA does not accept (unacceptedPolicy), in DER and JSON', async () => {
    const query = await opensslQuery(artifact, ['-sha256', '-tspolicy', '1.2.3.4']);
    expectDerFailure(await post(endpoint, QUERY, query), 'unacceptedPolicy');
    expectJsonError(await json({ ...good(), tsaPolicyOID: '1.2.3.4' }), 400);
  });

  it.each([
    ['bad base64', { artifactHash: '!!!not base64!!!' }],
    [
      'base64 without padding',
      { artifactHash: sha256(artifact).toString('base64').replace(/=+$/, '') },
    ],
    ['an unknown hash algorithm', { hashAlgorithm: 'md5' }],
    ['SHA-1', { hashAlgorithm: 'sha1', artifactHash: Buffer.alloc(20).toString('base64') }],
    ['a digest of the wrong length', { artifactHash: Buffer.alloc(31).toString('base64') }],
    ['no artifactHash', { artifactHash: undefined }],
    ['an unknown field', { extra: 1 }],
    ['a nonce that JSON cannot carry exactly', { nonce: 2 ** 60 }],
    ['a nonce that is a string', { nonce: '5' }],
    ['certificates that is not a boolean', { certificates: 'yes' }],
  ])('a JSON request with %s', async (_, change) => {
    expectJsonError(await json({ ...good(), ...change }), 400);
  });

  it('a body that is not JSON, or JSON that is not an object', async () => {
    expectJsonError(await post(endpoint, 'application/json', '{"artifactHash":'), 400);
    expectJsonError(await post(endpoint, 'application/json', '[1,2]'), 400);
    expectJsonError(await post(endpoint, 'application/json', '{"__proto__":{"x":1}}'), 400);
  });

  it('an oversize body (413)', async () => {
    expectJsonError(await post(endpoint, QUERY, new Uint8Array(5000)), 413);
    expectJsonError(
      await post(
        endpoint,
        'application/json',
        JSON.stringify({ ...good(), pad: 'x'.repeat(1100) }),
      ),
      413,
    );
  });

  it('a content type the API does not define (415)', async () => {
    const query = await opensslQuery(artifact, ['-sha256']);
    expectJsonError(await post(endpoint, 'application/octet-stream', query), 415);
    expectJsonError(await post(endpoint, 'text/plain', JSON.stringify(good())), 415);
    expectJsonError(await post(endpoint, 'application/x-www-form-urlencoded', 'a=b'), 415);
  });
});

describe('startTsa', () => {
  it('refuses to serve with a key the chain does not certify', async () => {
    await expect(
      startTsa({
        listenHost: '127.0.0.1',
        port: 0,
        keyUri: chain.otherKeyUri,
        chain: { pem: chain.chainPem },
      }),
    ).rejects.toMatchObject({ name: 'TimestampError', code: 'KEY_MISMATCH' });
  });

  it('refuses a chain without its root', async () => {
    await expect(
      startTsa({
        listenHost: '127.0.0.1',
        port: 0,
        keyUri: chain.keyUri,
        chain: {
          pem: chain.chainPem.slice(0, chain.chainPem.indexOf('-----END CERTIFICATE-----') + 26),
        },
      }),
    ).rejects.toMatchObject({ name: 'TimestampError', code: 'UNTRUSTED_CHAIN' });
  });
});

describe('TimestampAuthority options', () => {
  it('takes genTime from its clock, accuracy as configured, and embeds the chain when told to', async () => {
    const software = await makeTsaChain({ intermediate: true });
    const fixed = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const authority = await TimestampAuthority.create({
      signer: software.signer,
      chain: software.trustedChain,
      accuracy: { millis: 500 },
      includeChainInResponse: true,
      clock: () => fixed,
    });
    const app = await createTsaServer(authority, { prefix: '/tsa' });
    try {
      const reply = await app.inject({
        method: 'POST',
        url: '/tsa/api/v1/timestamp',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          artifactHash: sha256(artifact).toString('base64'),
          hashAlgorithm: 'sha256',
          certificates: true,
        }),
      });
      expect(reply.statusCode).toBe(200);
      const body = new Uint8Array(reply.rawPayload);
      const verified = verifyTimeStampToken(body, {
        data: artifact,
        trustedChain: software.trustedChain,
      });
      expect(verified.genTime).toEqual(fixed);
      expect(verified.accuracy).toEqual({ millis: 500 });
      const text = await opensslReplyText(body);
      expect(text).toMatch(/Accuracy: unspecified seconds, (0x)?0*1F4 millis/i);
      // All three certificates ride in the token: openssl verifies with only the root supplied.
      for (const der of software.trustedChain) {
        expect(Buffer.from(body).includes(Buffer.from(der))).toBe(true);
      }
      const rootOnly = await openssl(
        ['ts', '-verify', '-in', '{resp.tsr}', '-data', '{data}', '-CAfile', '{root.pem}'],
        { 'resp.tsr': body, data: artifact, 'root.pem': pemEncode(software.root) },
      );
      expect(rootOnly.output).toContain('Verification: OK');
    } finally {
      await app.close();
    }
  });
});
