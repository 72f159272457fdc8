// Principal mapping per issuer type on already-verified claims: SAN, challenge, certificate issuer.
import { FULCIO_OID, IdentityVerifier, mapPrincipal, parseIssuerConfig } from '@airlock/oidc';
import { afterAll, describe, expect, it } from 'vitest';
import { forgeToken, generateSigningKey, jwksOf, nowSeconds } from '../../../test/support/jwt.js';
import { oidcError, tempDir } from './support.js';

function issuer(url: string, settings: Record<string, unknown>) {
  const config = parseIssuerConfig({ 'oidc-issuers': { [url]: settings } });
  return config.oidcIssuers.get(url)!;
}

const DEX = 'https://dex.corp.example';
const email = issuer(DEX, { type: 'email', 'issuer-claim': '$.federated_claims.connector_id' });
const plainEmail = issuer(DEX, { type: 'email' });
const unverifiedOk = issuer(DEX, { type: 'email', 'skip-email-verification': true });
const username = issuer('https://accounts.corp.example', {
  type: 'username',
  'subject-domain': 'corp.example',
});
const spiffe = issuer('https://spire.corp.example', {
  type: 'spiffe',
  'spiffe-trust-domain': 'corp.example',
});
const customChallenge = issuer('https://build.corp.example', {
  type: 'uri',
  'subject-domain': 'https://build.corp.example',
  'challenge-claim': 'pipeline',
});

describe('email issuers', () => {
  const claims = { iss: DEX, sub: 'Cg1hbGljZQ', email: 'alice@corp.example', email_verified: true };

  it('use the issuer-claim path for the certificate issuer and sign the email', () => {
    const identity = mapPrincipal(email, {
      ...claims,
      federated_claims: { connector_id: 'https://accounts.google.com', user_id: '1' },
    });
    expect(identity.issuer).toBe('https://accounts.google.com');
    expect(identity.tokenIssuer).toBe(DEX);
    expect(identity.challenge).toBe('alice@corp.example');
    expect(identity.extensions).toEqual({
      [FULCIO_OID.issuer]: 'https://accounts.google.com',
      [FULCIO_OID.tokenSubject]: 'Cg1hbGljZQ',
    });
  });

  it('fail when the issuer-claim path is absent (CLAIM_MISSING)', () => {
    expect(oidcError(() => mapPrincipal(email, claims)).code).toBe('CLAIM_MISSING');
  });

  it('accept only the JSON boolean true as verified', () => {
    expect(
      oidcError(() => mapPrincipal(plainEmail, { ...claims, email_verified: 'true' })).code,
    ).toBe('EMAIL_NOT_VERIFIED');
    const { email_verified: _omitted, ...noFlag } = claims;
    expect(oidcError(() => mapPrincipal(plainEmail, noFlag)).code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('skip the verified check only when configured to', () => {
    const identity = mapPrincipal(unverifiedOk, { ...claims, email_verified: false });
    expect(identity.san).toEqual({ type: 'email', value: 'alice@corp.example' });
  });

  it('reject an email claim that is not an address (INVALID_CLAIM)', () => {
    expect(oidcError(() => mapPrincipal(plainEmail, { ...claims, email: 'alice' })).code).toBe(
      'INVALID_CLAIM',
    );
    expect(oidcError(() => mapPrincipal(plainEmail, { ...claims, email: 42 })).code).toBe(
      'MALFORMED_TOKEN',
    );
  });
});

describe('username issuers', () => {
  it('map sub to an otherName "sub!domain" and sign the bare sub', () => {
    const identity = mapPrincipal(username, { iss: 'https://accounts.corp.example', sub: 'alice' });
    expect(identity.san).toEqual({ type: 'otherName', value: 'alice!corp.example' });
    expect(identity.challenge).toBe('alice');
  });

  it.each(['alice!evil.example', 'alice@corp.example'])(
    'reject the subject %s (INVALID_CLAIM)',
    (sub) => {
      expect(
        oidcError(() => mapPrincipal(username, { iss: 'https://accounts.corp.example', sub })).code,
      ).toBe('INVALID_CLAIM');
    },
  );
});

describe('spiffe issuers', () => {
  it('map a SPIFFE ID of the trust domain to a URI SAN', () => {
    const sub = 'spiffe://corp.example/ns/release/sa/builder';
    expect(mapPrincipal(spiffe, { iss: 'https://spire.corp.example', sub }).san).toEqual({
      type: 'uri',
      value: sub,
    });
  });

  it.each([
    'spiffe://corp.example.evil.example/ns/x',
    'spiffe://other.example/ns/x',
    'spiffe://corp.example/ns/../admin',
    'spiffe://corp.example//x',
    'spiffe://corp.example/x?y=1',
    'https://corp.example/x',
  ])('reject %s (INVALID_CLAIM)', (sub) => {
    expect(
      oidcError(() => mapPrincipal(spiffe, { iss: 'https://spire.corp.example', sub })).code,
    ).toBe('INVALID_CLAIM');
  });
});

describe('challenge-claim', () => {
  it('makes the proof of possession sign that claim instead of sub', () => {
    const sub = 'https://build.corp.example/p/1';
    const identity = mapPrincipal(customChallenge, {
      iss: 'https://build.corp.example',
      sub,
      pipeline: 'release-7',
    });
    expect(identity.challenge).toBe('release-7');
    expect(
      oidcError(() => mapPrincipal(customChallenge, { iss: 'https://build.corp.example', sub }))
        .code,
    ).toBe('CLAIM_MISSING');
  });
});

describe('a token without kid and a JWKS with several keys of its type', () => {
  const files = tempDir();
  afterAll(() => files.remove());

  it('is verified by trying each key, and refused if none verifies', async () => {
    const [first, second, stranger] = await Promise.all([
      generateSigningKey('ES256', 'one'),
      generateSigningKey('ES256', 'two'),
      generateSigningKey('ES256', 'three'),
    ]);
    const url = 'https://build.corp.example';
    const verifier = new IdentityVerifier(
      parseIssuerConfig({
        'oidc-issuers': {
          [url]: {
            type: 'uri',
            'subject-domain': url,
            'jwks-file': files.write('two.json', jwksOf(first, second)),
          },
        },
      }),
    );
    const now = nowSeconds();
    const claims = { iss: url, sub: `${url}/x`, aud: 'sigstore', iat: now, exp: now + 60 };
    await expect(
      verifier.verify(await forgeToken(claims, { key: second, kid: null })),
    ).resolves.toMatchObject({
      subject: `${url}/x`,
    });
    await expect(
      verifier.verify(await forgeToken(claims, { key: stranger, kid: null })),
    ).rejects.toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('refuses a static JWKS file holding a private key at construction (INVALID_CONFIG)', async () => {
    const key = await generateSigningKey();
    const { exportJWK } = await import('jose');
    const privateJwk = { ...(await exportJWK(key.privateKey)), kid: key.kid };
    const url = 'https://build.corp.example';
    const config = parseIssuerConfig({
      'oidc-issuers': {
        [url]: {
          type: 'uri',
          'subject-domain': url,
          'jwks-file': files.write('private.json', { keys: [privateJwk] }),
        },
      },
    });
    const error = oidcError(() => new IdentityVerifier(config));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/private or symmetric key/);
  });

  it('refuses a missing static JWKS file at construction (INVALID_CONFIG)', () => {
    const url = 'https://build.corp.example';
    const config = parseIssuerConfig({
      'oidc-issuers': {
        [url]: { type: 'uri', 'subject-domain': url, 'jwks-file': `${files.dir}/missing.json` },
      },
    });
    expect(oidcError(() => new IdentityVerifier(config)).code).toBe('INVALID_CONFIG');
  });

  it('refuses a clock tolerance above the bound (INVALID_CONFIG)', () => {
    const config = parseIssuerConfig({
      'oidc-issuers': { 'https://idp.corp.example': { type: 'email' } },
    });
    expect(
      oidcError(() => new IdentityVerifier(config, { clockToleranceSeconds: 3600 })).code,
    ).toBe('INVALID_CONFIG');
  });
});
