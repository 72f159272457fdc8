// The user's side of a device login (approveDeviceCode, declineDeviceCode) against a running dev IdP,
// for a flow started over plain HTTP as any client would: the approved login is who the token names,
// a declined code gives access_denied, and codes the IdP does not know or has used are refused.
import {
  approveDeviceCode,
  DEVICE_VERIFICATION_PATH,
  declineDeviceCode,
  startTestIdp,
  TEST_IDP_CLIENTS,
  type TestIdp,
} from '@airlock/dev-idp';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let idp: TestIdp;
let endpoints: Record<string, string>;

beforeAll(async () => {
  idp = await startTestIdp();
  endpoints = (await (
    await fetch(`${idp.issuer}/.well-known/openid-configuration`)
  ).json()) as Record<string, string>;
});
afterAll(async () => {
  await idp?.close();
});

async function post(url: string, form: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function startDeviceLogin() {
  const { status, body } = await post(endpoints.device_authorization_endpoint!, {
    client_id: TEST_IDP_CLIENTS.sigstore,
    scope: 'openid email',
  });
  expect(status).toBe(200);
  return body as { device_code: string; user_code: string; verification_uri: string };
}

const pollToken = (deviceCode: string) =>
  post(endpoints.token_endpoint!, {
    grant_type: DEVICE_CODE_GRANT,
    device_code: deviceCode,
    client_id: TEST_IDP_CLIENTS.sigstore,
  });

describe('approveDeviceCode', () => {
  it('logs in as the given email on the page the IdP sends users to; the next poll gets its ID token', async () => {
    const device = await startDeviceLogin();
    expect(device.verification_uri).toBe(`${idp.issuer}${DEVICE_VERIFICATION_PATH}`);
    expect((await pollToken(device.device_code)).body.error).toBe('authorization_pending');

    await approveDeviceCode(idp.issuer, device.user_code, 'erin@example.test');
    const { status, body } = await pollToken(device.device_code);
    expect(status).toBe(200);
    expect(decodeJwt(body.id_token as string)).toMatchObject({
      iss: idp.issuer,
      aud: TEST_IDP_CLIENTS.sigstore,
      email: 'erin@example.test',
      email_verified: true,
    });
    // A device code buys one token.
    expect((await pollToken(device.device_code)).body.error).toBe('invalid_grant');
  });

  it('logs in as an account ID too, with the claims that account has', async () => {
    const device = await startDeviceLogin();
    await approveDeviceCode(idp.issuer, device.user_code, 'alice');
    const { body } = await pollToken(device.device_code);
    expect(decodeJwt(body.id_token as string)).toMatchObject({
      sub: 'alice',
      email: 'alice@example.test',
    });
  });

  it('refuses a code the IdP never issued and one already approved', async () => {
    await expect(approveDeviceCode(idp.issuer, 'BCDF-GHJK', 'erin@example.test')).rejects.toThrow(
      /user code BCDF-GHJK was not accepted/,
    );
    const device = await startDeviceLogin();
    await approveDeviceCode(idp.issuer, device.user_code, 'erin@example.test');
    await expect(
      approveDeviceCode(idp.issuer, device.user_code, 'mallory@example.test'),
    ).rejects.toThrow(/was not accepted/);
    expect(decodeJwt((await pollToken(device.device_code)).body.id_token as string).email).toBe(
      'erin@example.test',
    );
  });
});

describe('declineDeviceCode', () => {
  it('aborts on the confirmation page, so the client is told access_denied and gets no token', async () => {
    const device = await startDeviceLogin();
    await declineDeviceCode(idp.issuer, device.user_code);
    const { status, body } = await pollToken(device.device_code);
    expect(status).toBe(400);
    expect(body.error).toBe('access_denied');
    expect(body.id_token).toBeUndefined();
    // Declined is final: the code cannot be approved afterwards.
    await expect(
      approveDeviceCode(idp.issuer, device.user_code, 'erin@example.test'),
    ).rejects.toThrow(/was not accepted/);
  });
});
