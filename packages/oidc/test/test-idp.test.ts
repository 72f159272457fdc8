// The shared test IdP (test/support/idp.ts) issues the token shapes the verifier tests rely on.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../../test/support/idp.js';

describe('test IdP', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp();
  });
  afterAll(async () => {
    await idp.close();
  });

  it('issues an ES256 ID token with aud sigstore from the authorization-code flow', async () => {
    const token = await idp.tokenFor('alice@example.test');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: idp.signingKid });
    expect(decodeJwt(token)).toMatchObject({
      iss: idp.issuer,
      sub: 'alice',
      aud: 'sigstore',
      email: 'alice@example.test',
      email_verified: true,
    });
  });

  it('issues a JWT access token for client_credentials', async () => {
    const token = await idp.clientCredentialsToken('ci-bot');
    expect(decodeJwt(token)).toMatchObject({
      iss: idp.issuer,
      sub: 'ci-bot',
      aud: 'sigstore',
      email: 'ci-bot@ci.example.test',
      email_verified: true,
    });
  });

  it('issues an ID token from the device flow', async () => {
    const token = await idp.deviceFlowToken('alice');
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, sub: 'alice', aud: 'sigstore' });
  });

  it('signs with a new key after rotation and publishes both', async () => {
    const before = idp.signingKid;
    const kid = await idp.rotateKey();
    expect(kid).not.toBe(before);
    const token = await idp.tokenFor('alice');
    expect(decodeProtectedHeader(token).kid).toBe(kid);
    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([before, kid].sort());
  });
});
