// Every request the CA must refuse: a 4xx JSON {code, message} that never echoes the token, no
// signature by the CA key, nothing sent to the CT log, nothing audited. Then the CT log's failures,
// which must leave no certificate behind either.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CaError, DEFAULT_BODY_LIMIT, parseAddChainResponse } from '@airlock/ca';
import { encodeDigitallySigned, pemDecode } from '@airlock/x509';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeToken, generateSigningKey, nowSeconds } from '../../../test/support/jwt.js';
import {
  type CaFixture,
  opensslCsr,
  proofOfPossession,
  publicKeyPem,
  STATIC_ISSUER,
  startCaFixture,
  staticClaims,
} from './support.js';

let fixture: CaFixture;
const ALICE = 'alice@example.test';

beforeAll(async () => {
  fixture = await startCaFixture();
});
afterAll(async () => {
  await fixture?.close();
});

function p256() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** Claims of a token naming the test IdP, as an attacker would write them. */
function idpClaims() {
  const now = nowSeconds();
  return {
    iss: fixture.idp.issuer,
    aud: 'sigstore',
    sub: 'alice',
    email: ALICE,
    email_verified: true,
    iat: now,
    exp: now + 600,
  };
}

function keyRequest(token: string, key = p256(), challenge = ALICE) {
  return {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: publicKeyPem(key.publicKey) },
      proofOfPossession: proofOfPossession(key.privateKey, challenge),
    },
  };
}

interface Rejection {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

/**
 * Sends the request and checks what every refusal must look like; returns the JSON body. `secret`
 * is the token (or other input) that must not be echoed.
 */
async function expectRejected(
  inject: InjectOptions,
  status: number,
  secret?: string,
): Promise<Rejection> {
  const signatures = fixture.issuingSigner.signatures;
  const submissions = fixture.ctLog.submissions;
  const issued = fixture.issued.length;
  const response = await fixture.app.inject(inject);
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as { code: number; message: string; details: unknown[] };
  expect(typeof body.code).toBe('number');
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.details).toEqual([]);
  if (secret !== undefined) {
    expect(response.body).not.toContain(secret);
    // Not even the signature part, or a piece of the payload.
    for (const part of secret.split('.').filter((piece) => piece.length >= 16)) {
      expect(response.body).not.toContain(part.slice(0, 16));
    }
  }
  expect(fixture.issuingSigner.signatures, 'the CA key signed something').toBe(signatures);
  expect(fixture.ctLog.submissions, 'something reached the CT log').toBe(submissions);
  expect(fixture.issued.length, 'something was audited as issued').toBe(issued);
  return { status: response.statusCode, code: body.code, message: body.message };
}

function post(payload: unknown, headers: Record<string, string> = {}): InjectOptions {
  return {
    method: 'POST' as const,
    url: '/api/v2/signingCert',
    payload: payload as object,
    headers,
  };
}

describe('token problems: 401 UNAUTHENTICATED (gRPC 16), or 403 for an identity that cannot be certified', () => {
  it.each([
    ['expired', { exp: nowSeconds() - 600, iat: nowSeconds() - 1200 }, /expired/],
    ['not yet valid (nbf)', { nbf: nowSeconds() + 600 }, /not valid yet/],
    ['issued in the future (iat)', { iat: nowSeconds() + 600 }, /future/],
    ['for another audience', { aud: 'not-sigstore' }, /audience/],
  ])('refuses a token that is %s', async (_, extra, message) => {
    const token = await forgeToken(staticClaims(extra), { key: fixture.staticKey });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.code).toBe(16);
    expect(rejection.message).toMatch(message);
  });

  it('refuses a token from an issuer that is not configured', async () => {
    const token = await forgeToken(staticClaims({ iss: 'https://evil.example' }), {
      key: fixture.staticKey,
    });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/not configured/);
  });

  it('refuses a token whose issuer differs from the one its IdP names (issuer mismatch)', async () => {
    const attacker = await generateSigningKey('ES256', 'attacker-mismatch');
    const token = await forgeToken(
      { ...idpClaims(), iss: `${fixture.idp.issuer}/` },
      {
        key: attacker,
      },
    );
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/discovery document .* names issuer/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const token = await forgeToken(idpClaims(), { alg: 'none' });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/unsigned/);
  });

  it("refuses an HS256 token whose secret is the IdP's public key", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(fixture.idp.jwks.keys[0]));
    const token = await forgeToken(idpClaims(), {
      alg: 'HS256',
      key: secret,
      kid: fixture.idp.signingKid,
    });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/HS256/);
  });

  it('refuses a token signed under a kid the IdP does not publish', async () => {
    const attacker = await generateSigningKey('ES256', 'attacker-kid');
    const token = await forgeToken(idpClaims(), { key: attacker });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/no key of issuer .* matches the token's "kid"/);
  });

  it("refuses a token with a forged signature under the IdP's kid", async () => {
    const attacker = await generateSigningKey('ES256', 'attacker-forge');
    const token = await forgeToken(idpClaims(), { key: attacker, kid: fixture.idp.signingKid });
    const rejection = await expectRejected(post(keyRequest(token)), 401, token);
    expect(rejection.message).toMatch(/signature/);
  });

  it('refuses a real token altered after signing', async () => {
    const real = await fixture.idp.tokenFor(ALICE);
    const [header, payload, signature] = real.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.email = 'mallory@example.test';
    const token = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const rejection = await expectRejected(
      post(keyRequest(token, p256(), 'mallory@example.test')),
      401,
      token,
    );
    expect(rejection.message).toMatch(/signature/);
  });

  it('refuses a real token whose email the IdP has not verified (403)', async () => {
    const token = await fixture.idp.tokenFor('bob');
    const rejection = await expectRejected(
      post(keyRequest(token, p256(), 'bob@example.test')),
      403,
      token,
    );
    expect(rejection.code).toBe(7);
    expect(rejection.message).toMatch(/not verified/);
  });

  it('refuses a request without a token', async () => {
    const rejection = await expectRejected(post(keyRequest('')), 401);
    expect(rejection.message).toMatch(/no OIDC identity token/);
    const { credentials: _, ...withoutCredentials } = keyRequest('');
    await expectRejected(post(withoutCredentials), 401);
    await expectRejected(post(withoutCredentials, { authorization: 'Basic dXNlcjpwYXNz' }), 401);
  });

  it('refuses garbage in place of a token', async () => {
    await expectRejected(post(keyRequest('not-a-jwt')), 401, 'not-a-jwt');
  });
});

describe('key, proof and CSR problems: 400 INVALID_ARGUMENT (gRPC 3)', () => {
  it('refuses a proof of possession over another identity than the token’s', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const rejection = await expectRejected(
      post(keyRequest(token, p256(), 'mallory@example.test')),
      400,
      token,
    );
    expect(rejection.code).toBe(3);
    expect(rejection.message).toMatch(/proof of possession/);
  });

  it('refuses a proof of possession made by another key than the submitted one', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const submitted = p256();
    const other = p256();
    const request = keyRequest(token, submitted);
    request.publicKeyRequest.proofOfPossession = proofOfPossession(other.privateKey, ALICE);
    const rejection = await expectRejected(post(request), 400, token);
    expect(rejection.message).toMatch(/proof of possession/);
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const der = pemDecode(await opensslCsr(p256().privateKey), 'CERTIFICATE REQUEST');
    der[der.length - 3]! ^= 0x01;
    const rejection = await expectRejected(
      post({
        credentials: { oidcIdentityToken: token },
        certificateSigningRequest: Buffer.from(der).toString('base64'),
      }),
      400,
      token,
    );
    expect(rejection.message).toMatch(/CSR/);
  });

  it.each([
    ['an RSA-1024 key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }), /RSA/],
    [
      'an RSA-2560 key (outside the algorithm registry)',
      () => generateKeyPairSync('rsa', { modulusLength: 2560 }),
      /RSA/,
    ],
    ['a P-224 key', () => generateKeyPairSync('ec', { namedCurve: 'secp224r1' }), /curve/],
    ['an X25519 key', () => generateKeyPairSync('x25519'), /x25519/],
  ] as [string, () => { publicKey: KeyObject; privateKey: KeyObject }, RegExp][])(
    'refuses %s, even with a valid proof of possession',
    async (_, make, message) => {
      const token = await fixture.idp.tokenFor(ALICE);
      const key = make();
      const proof =
        key.publicKey.asymmetricKeyType === 'x25519'
          ? Buffer.alloc(64).toString('base64')
          : proofOfPossession(key.privateKey, ALICE);
      const rejection = await expectRejected(
        post({
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: {
            publicKey: { content: publicKeyPem(key.publicKey) },
            proofOfPossession: proof,
          },
        }),
        400,
        token,
      );
      expect(rejection.message).toMatch(message);
    },
  );

  it('refuses a CSR for a P-224 key', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const csr = await opensslCsr(generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey);
    await expectRejected(
      post({
        credentials: { oidcIdentityToken: token },
        certificateSigningRequest: Buffer.from(csr).toString('base64'),
      }),
      400,
      token,
    );
  });

  it('refuses a private key sent as the public key', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const key = p256();
    const request = keyRequest(token, key);
    request.publicKeyRequest.publicKey.content = key.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    await expectRejected(post(request), 400, token);
  });
});

describe('malformed requests: 400, 413, 415', () => {
  it('refuses a body over the limit with 413', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    const request = keyRequest(token);
    const padded = { ...request, padding: 'x'.repeat(DEFAULT_BODY_LIMIT) };
    await expectRejected(post(padded), 413, token);
  });

  it('refuses malformed JSON with 400', async () => {
    const token = await fixture.idp.tokenFor(ALICE);
    await expectRejected(
      {
        method: 'POST',
        url: '/api/v2/signingCert',
        headers: { 'content-type': 'application/json' },
        payload: `{"credentials":{"oidcIdentityToken":"${token}"},`,
      },
      400,
      token,
    );
  });

  it('refuses JSON with a __proto__ key', async () => {
    await expectRejected(
      {
        method: 'POST',
        url: '/api/v2/signingCert',
        headers: { 'content-type': 'application/json' },
        payload: '{"__proto__":{"polluted":true}}',
      },
      400,
    );
  });

  it('refuses a body that is not JSON with 415', async () => {
    await expectRejected(
      {
        method: 'POST',
        url: '/api/v2/signingCert',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      },
      415,
    );
  });

  it.each([
    ['a JSON array', []],
    ['no key and no CSR', {}],
    ['both a key and a CSR', { publicKeyRequest: {}, certificateSigningRequest: 'AAAA' }],
    ['a key without content', { publicKeyRequest: { proofOfPossession: 'AAAA' } }],
    [
      'a proof that is not base64',
      { publicKeyRequest: { publicKey: { content: 'x' }, proofOfPossession: '!!' } },
    ],
    ['a credentials string', { credentials: 'token', certificateSigningRequest: 'AAAA' }],
  ])('refuses %s', async (_, body) => {
    const token = await fixture.idp.tokenFor(ALICE);
    const withToken = Array.isArray(body)
      ? body
      : { credentials: { oidcIdentityToken: token }, ...body };
    await expectRejected(post(withToken), 400, token);
  });
});

describe('CT log failures: no certificate without a verified SCT', () => {
  async function issueThrough(ca: ReturnType<CaFixture['caWithCtClient']>) {
    const key = p256();
    const token = await fixture.idp.tokenFor(ALICE);
    return ca.issue({
      token,
      publicKey: publicKeyPem(key.publicKey),
      proofOfPossession: Buffer.from(proofOfPossession(key.privateKey, ALICE), 'base64'),
    });
  }

  async function ctFailure(
    behaviour: typeof fixture.ctLog.behaviour,
    options: Parameters<CaFixture['caWithCtClient']>[0] = {},
  ) {
    const ca = fixture.caWithCtClient({ retryDelayMs: 1, ...options });
    const issued = fixture.issued.length;
    const submissions = fixture.ctLog.submissions;
    const signatures = fixture.issuingSigner.signatures;
    fixture.ctLog.behaviour = behaviour;
    try {
      const error = await issueThrough(ca).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CaError);
      return {
        code: (error as CaError).code,
        submissions: fixture.ctLog.submissions - submissions,
        // Only the precertificate may have been signed: never a final certificate.
        signatures: fixture.issuingSigner.signatures - signatures,
        audited: fixture.issued.length - issued,
      };
    } finally {
      fixture.ctLog.behaviour = 'honest';
    }
  }

  it('refuses to issue when the SCT does not verify (tampered)', async () => {
    expect(await ctFailure('tampered-sct')).toEqual({
      code: 'INVALID_SCT',
      submissions: 1,
      signatures: 1,
      audited: 0,
    });
  });

  it('refuses to issue when the SCT is signed by another log key', async () => {
    expect(await ctFailure('foreign-key')).toMatchObject({ code: 'INVALID_SCT', audited: 0 });
  });

  it('retries a CT log answering 5xx, then gives up with CT_LOG_UNAVAILABLE', async () => {
    expect(await ctFailure('http-500', { retries: 2 })).toEqual({
      code: 'CT_LOG_UNAVAILABLE',
      submissions: 3,
      signatures: 1,
      audited: 0,
    });
  });

  it('does not retry a CT log answering 4xx', async () => {
    expect(await ctFailure('http-400', { retries: 2 })).toMatchObject({
      code: 'CT_LOG_REJECTED',
      submissions: 1,
      audited: 0,
    });
  });

  it('gives up on a CT log that does not answer in time', async () => {
    const started = Date.now();
    expect(await ctFailure('hang', { timeoutMs: 200, retries: 0 })).toMatchObject({
      code: 'CT_LOG_UNAVAILABLE',
      submissions: 1,
      audited: 0,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a CT answer that is not an SCT', async () => {
    expect(await ctFailure('not-json')).toMatchObject({ code: 'CT_LOG_BAD_RESPONSE', audited: 0 });
  });

  it('answers a CT failure over HTTP with 502 and a message that names no internals', async () => {
    fixture.ctLog.behaviour = 'tampered-sct';
    try {
      const token = await fixture.idp.tokenFor(ALICE);
      const issued = fixture.issued.length;
      const response = await fixture.app.inject(post(keyRequest(token)));
      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({
        code: 14,
        message:
          'the certificate transparency log did not log the precertificate; no certificate was issued',
        details: [],
      });
      expect(fixture.issued.length).toBe(issued);
    } finally {
      fixture.ctLog.behaviour = 'honest';
    }
  });

  it('withholds the certificate when the audit hook fails', async () => {
    const { CertificateAuthority } = await import('@airlock/ca');
    const ca = new CertificateAuthority({
      signer: fixture.issuingSigner,
      chain: fixture.hierarchy.chain,
      identityVerifier: fixture.verifier,
      ctLog: fixture.ca.ctLog!,
      onIssued: () => {
        throw new Error('audit store is down');
      },
    });
    const error = await issueThrough(ca).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaError);
    expect((error as CaError).code).toBe('AUDIT_FAILED');
  });
});

describe('parseAddChainResponse', () => {
  const url = 'http://ct.test';
  const valid = {
    sct_version: 0,
    id: Buffer.alloc(32, 7).toString('base64'),
    timestamp: 1_700_000_000_000,
    extensions: '',
    signature: Buffer.from(
      encodeDigitallySigned({
        hashAlgorithm: 4,
        signatureAlgorithm: 3,
        signature: Buffer.alloc(70, 1),
      }),
    ).toString('base64'),
  };

  it('reads an RFC 6962 AddChainResponse', () => {
    const sct = parseAddChainResponse(JSON.stringify(valid), url);
    expect(sct.timestamp).toBe(valid.timestamp);
    expect(sct.logId).toEqual(new Uint8Array(32).fill(7));
    expect(sct.signature.signature).toHaveLength(70);
    const { extensions: _, ...withoutExtensions } = valid;
    expect(parseAddChainResponse(JSON.stringify(withoutExtensions), url).extensions).toHaveLength(
      0,
    );
  });

  it.each([
    ['not JSON', 'nope'],
    ['an array', '[]'],
    ['version 1', JSON.stringify({ ...valid, sct_version: 1 })],
    ['a short log ID', JSON.stringify({ ...valid, id: Buffer.alloc(31).toString('base64') })],
    ['a log ID that is not base64', JSON.stringify({ ...valid, id: '%%%' })],
    ['a negative timestamp', JSON.stringify({ ...valid, timestamp: -1 })],
    ['a string timestamp', JSON.stringify({ ...valid, timestamp: '1' })],
    [
      'a truncated signature',
      JSON.stringify({ ...valid, signature: valid.signature.slice(0, 20) }),
    ],
    ['no signature', JSON.stringify({ ...valid, signature: undefined })],
  ])('refuses %s', (_, body) => {
    let code: string | undefined;
    try {
      parseAddChainResponse(body, url);
    } catch (error) {
      code = error instanceof CaError ? error.code : 'other';
    }
    expect(code).toBe('CT_LOG_BAD_RESPONSE');
  });
});

it('the static issuer is configured (sanity check for the negative tests above)', async () => {
  const token = await forgeToken(staticClaims(), { key: fixture.staticKey });
  const key = p256();
  const response = await fixture.app.inject(post(keyRequest(token, key, 'static@airlock.test')));
  expect(response.statusCode, response.body).toBe(200);
  expect(STATIC_ISSUER).toMatch(/^https:/);
});
