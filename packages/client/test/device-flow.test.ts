// deviceFlowToken (RFC 8628): against the real dev IdP, the user approving or declining through
// approveDeviceCode while the client waits; against a scripted provider on loopback, the polling
// schedule (interval, slow_down, the expires_in deadline, back-off) on a fake clock, and every answer
// the client must refuse. No error message may repeat a token or the device code.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClientError,
  type DeviceFlowClock,
  type DeviceFlowInstructions,
  deviceFlowToken,
  formatDeviceFlowInstructions,
} from '@airlock/client';
import {
  approveDeviceCode,
  DEVICE_VERIFICATION_PATH,
  declineDeviceCode,
  startTestIdp,
  type TestIdp,
} from '@airlock/dev-idp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  expiredToken,
  pending,
  type RecordedRequest,
  SCRIPTED_DEVICE_CODE,
  SCRIPTED_USER_CODE,
  type ScriptedProvider,
  type ScriptedProviderOptions,
  slowDown,
  startScriptedProvider,
  unsignedToken,
} from './support/scripted-provider.js';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientError);
  expect((error as Error).message).not.toContain('\n');
  expect((error as Error).message).not.toContain(SCRIPTED_DEVICE_CODE);
  return error as ClientError;
}

describe('device flow against the dev IdP', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp();
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('returns an ID token for the login the user approved from the prompt', async () => {
    const shown: DeviceFlowInstructions[] = [];
    const token = await deviceFlowToken({
      issuer: idp.issuer,
      prompt: async (instructions) => {
        shown.push(instructions);
        await approveDeviceCode(idp.issuer, instructions.userCode, 'frank@airlock.test');
      },
    });
    expect(claimsOf(token)).toMatchObject({
      iss: idp.issuer,
      aud: 'sigstore',
      email: 'frank@airlock.test',
      email_verified: true,
    });
    expect(shown).toHaveLength(1);
    const [instructions] = shown;
    expect(instructions).toMatchObject({
      verificationUri: `${idp.issuer}${DEVICE_VERIFICATION_PATH}`,
      expiresIn: 600,
    });
    expect(instructions!.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(instructions!.verificationUriComplete).toBe(
      `${idp.issuer}${DEVICE_VERIFICATION_PATH}?user_code=${instructions!.userCode}`,
    );
    // What a terminal shows: the page and the code, in one block.
    const block = formatDeviceFlowInstructions(instructions!);
    expect(block).toContain(`open        ${instructions!.verificationUri}\n`);
    expect(block).toContain(`enter code  ${instructions!.userCode}\n`);
    expect(block).toMatch(/expires in 10 minutes/);
    expect(block.endsWith('\n')).toBe(true);
  });

  it('fails with ACCESS_DENIED when the user declines on the confirmation page', async () => {
    const error = await failure(
      deviceFlowToken({
        issuer: `${idp.issuer}/`,
        prompt: ({ userCode }) => declineDeviceCode(idp.issuer, userCode),
      }),
    );
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toBe(`the device login at ${idp.issuer} was declined`);
  });

  it('reports a client the IdP does not know, before any prompt', async () => {
    let prompted = false;
    const error = await failure(
      deviceFlowToken({
        issuer: idp.issuer,
        clientId: 'no-such-client',
        prompt: () => {
          prompted = true;
        },
      }),
    );
    expect(error.code).toBe('SERVICE_FAILED');
    expect(error.message).toMatch(
      /refused the device login for client no-such-client: invalid_client/,
    );
    expect(prompted).toBe(false);
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const error = await failure(
      deviceFlowToken({
        issuer: idp.issuer,
        signal: controller.signal,
        prompt: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('CANCELLED');
  });
});

/** A token as a provider at `issuer` would issue it for the sigstore client, changed as asked. */
function tokenFor(issuer: string, change: Record<string, unknown> = {}): string {
  return unsignedToken({
    iss: issuer,
    aud: ['sigstore', 'another-audience'],
    sub: 'gina',
    email: 'gina@airlock.test',
    email_verified: true,
    exp: Math.floor(Date.now() / 1000) + 600,
    ...change,
  });
}

/** A clock that only moves when the poller sleeps, recording each sleep. */
function fakeClock() {
  const start = 1_750_000_000_000;
  let now = start;
  const sleeps: number[] = [];
  const clock: DeviceFlowClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, elapsed: () => now - start };
}

describe('polling schedule and refusals (scripted provider, fake clock)', () => {
  const providers: ScriptedProvider[] = [];
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((provider) => provider.close()));
  });

  /** A scripted provider whose token polls are stamped with the fake clock's elapsed time. */
  async function scripted(options: ScriptedProviderOptions = {}) {
    const time = fakeClock();
    const pollTimes: number[] = [];
    const provider = await startScriptedProvider({
      ...options,
      onRequest: (path) => {
        if (path === '/token') pollTimes.push(time.elapsed());
      },
    });
    providers.push(provider);
    const prompts: DeviceFlowInstructions[] = [];
    const run = (overrides: { clientId?: string } = {}) =>
      deviceFlowToken({
        issuer: provider.issuer,
        clock: time.clock,
        prompt: (instructions) => {
          prompts.push(instructions);
        },
        ...overrides,
      });
    const polls = () => provider.requests.filter((request) => request.path === '/token');
    return { provider, run, sleeps: time.sleeps, pollTimes, prompts, polls };
  }

  it('polls at once, then every 5 s; slow_down adds 5 s; expired_token ends it', async () => {
    const { run, sleeps, pollTimes, polls, prompts, provider } = await scripted({
      tokenAnswers: [pending, slowDown, expiredToken],
    });
    const error = await failure(run());
    expect(error.code).toBe('DEVICE_CODE_EXPIRED');
    expect(error.message).toMatch(/expired before it was approved/);
    expect(sleeps).toEqual([5_000, 10_000]);
    expect(pollTimes).toEqual([0, 5_000, 15_000]);
    expect(prompts).toEqual([
      {
        verificationUri: `${provider.issuer}/device`,
        verificationUriComplete: `${provider.issuer}/device?user_code=${SCRIPTED_USER_CODE}`,
        userCode: SCRIPTED_USER_CODE,
        expiresIn: 600,
      },
    ]);
    const expectedForm: RecordedRequest['form'] = {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: SCRIPTED_DEVICE_CODE,
      client_id: 'sigstore',
    };
    for (const poll of polls()) expect(poll).toMatchObject({ method: 'POST', form: expectedForm });
    expect(provider.requests.find((request) => request.path === '/device/auth')?.form).toEqual({
      client_id: 'sigstore',
      scope: 'openid email',
    });
  });

  it('keeps each slow_down, and returns the token when it comes', async () => {
    let token = '';
    const { run, sleeps } = await scripted({
      tokenAnswers: [
        slowDown,
        pending,
        slowDown,
        (issuer) => {
          token = tokenFor(issuer);
          return { status: 200, body: { id_token: token, token_type: 'Bearer' } };
        },
      ],
    });
    expect(await run()).toBe(token);
    expect(claimsOf(token).email).toBe('gina@airlock.test');
    expect(sleeps).toEqual([10_000, 10_000, 15_000]);
  });

  it('gives up at the expires_in deadline, polling at the interval the provider asked for', async () => {
    const { run, sleeps, pollTimes } = await scripted({
      deviceAuthorization: (issuer) => ({
        status: 200,
        body: {
          device_code: SCRIPTED_DEVICE_CODE,
          user_code: SCRIPTED_USER_CODE,
          verification_uri: `${issuer}/device`,
          expires_in: 10,
          interval: 3,
        },
      }),
    });
    const error = await failure(run());
    expect(error.code).toBe('DEVICE_CODE_EXPIRED');
    // The provider never said so: the client knows the code is dead after 10 s.
    expect(pollTimes).toEqual([0, 3_000, 6_000, 9_000]);
    expect(sleeps).toEqual([3_000, 3_000, 3_000]);
  });

  it('backs off exponentially after a poll that gets no answer', async () => {
    const { run, sleeps } = await scripted({
      deviceAuthorization: (issuer) => ({
        status: 200,
        body: {
          device_code: SCRIPTED_DEVICE_CODE,
          user_code: SCRIPTED_USER_CODE,
          verification_uri: `${issuer}/device`,
          expires_in: 600,
          interval: 3,
        },
      }),
      tokenAnswers: [pending, 'drop', pending, expiredToken],
    });
    expect((await failure(run())).code).toBe('DEVICE_CODE_EXPIRED');
    expect(sleeps).toEqual([3_000, 6_000, 6_000]);
  });

  it('refuses a provider without a device endpoint (NO_DEVICE_FLOW) before asking anything else', async () => {
    const { run, provider, prompts } = await scripted({
      discovery: () => ({ device_authorization_endpoint: undefined }),
    });
    const error = await failure(run());
    expect(error.code).toBe('NO_DEVICE_FLOW');
    expect(error.message).toBe(
      `the OpenID provider ${provider.issuer} offers no device login (its discovery document has no device_authorization_endpoint)`,
    );
    expect(provider.requests.map((request) => request.path)).toEqual([
      '/.well-known/openid-configuration',
    ]);
    expect(prompts).toEqual([]);
  });

  it('never contacts an origin it was not given: endpoints elsewhere, a foreign issuer, redirects', async () => {
    const elsewhere = await startScriptedProvider();
    providers.push(elsewhere);
    const moved = await scripted({
      discovery: () => ({ token_endpoint: `${elsewhere.issuer}/token` }),
    });
    const error = await failure(moved.run());
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain(`names ${elsewhere.issuer} for its token_endpoint`);

    const foreign = await scripted({ discovery: () => ({ issuer: elsewhere.issuer }) });
    const foreignError = await failure(foreign.run());
    expect(foreignError.code).toBe('INVALID_RESPONSE');
    expect(foreignError.message).toMatch(/is not for the issuer/);

    // A discovery request answered with a redirect to another host is not followed.
    const redirector = createServer((_request, response) => {
      response.writeHead(302, {
        location: `${elsewhere.issuer}/.well-known/openid-configuration`,
      });
      response.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', () => resolve()));
    const address = redirector.address() as AddressInfo;
    try {
      const redirectError = await failure(
        deviceFlowToken({ issuer: `http://127.0.0.1:${address.port}`, prompt: () => {} }),
      );
      expect(redirectError.code).toBe('SERVICE_FAILED');
    } finally {
      redirector.close();
    }
    expect(elsewhere.requests).toEqual([]);
    expect(moved.polls()).toEqual([]);
  });

  it('refuses an ID token for another issuer or client, or none, without repeating it', async () => {
    const cases = [
      [
        { iss: 'https://idp.elsewhere.test' },
        /names the issuer https:\/\/idp\.elsewhere\.test, not /,
      ],
      [{ aud: 'another-client' }, /is not for the client sigstore/],
      [{ exp: 1_000_000 }, /expired at/],
    ] as const;
    for (const [change, pattern] of cases) {
      let token = '';
      const { run } = await scripted({
        tokenAnswers: [
          (issuer) => {
            token = tokenFor(issuer, change);
            return { status: 200, body: { id_token: token } };
          },
        ],
      });
      const error = await failure(run());
      expect(error.code).toBe('INVALID_TOKEN');
      expect(error.message).toMatch(pattern);
      expect(error.message).not.toContain(token);
      expect(error.message).not.toContain(token.split('.')[1]);
    }
    const { run } = await scripted({
      tokenAnswers: [{ status: 200, body: { access_token: 'x' } }],
    });
    const none = await failure(run());
    expect(none.code).toBe('INVALID_RESPONSE');
    expect(none.message).toMatch(/sent no ID token/);
  });

  it('refuses unusable device authorizations before prompting, and reports other OAuth errors', async () => {
    const base = (issuer: string) => ({
      device_code: SCRIPTED_DEVICE_CODE,
      user_code: SCRIPTED_USER_CODE,
      verification_uri: `${issuer}/device`,
      expires_in: 600,
    });
    for (const [change, pattern] of [
      [{ expires_in: undefined }, /no positive expires_in/],
      [{ expires_in: -1 }, /no positive expires_in/],
      [{ user_code: '\u001b]8;;http://evil.test\u0007CODE' }, /no printable user_code/],
      [{ verification_uri: 'javascript:alert(1)' }, /no usable verification_uri/],
      [{ device_code: '' }, /no device_code/],
      [{ interval: 'soon' }, /interval that is not a number/],
    ] as const) {
      const { run, prompts } = await scripted({
        deviceAuthorization: (issuer) => ({ status: 200, body: { ...base(issuer), ...change } }),
      });
      const error = await failure(run());
      expect(error.code).toBe('INVALID_RESPONSE');
      expect(error.message).toMatch(pattern);
      expect(prompts).toEqual([]);
    }

    const { run } = await scripted({
      tokenAnswers: [
        pending,
        { status: 400, body: { error: 'invalid_grant', error_description: 'grant\nrevoked' } },
      ],
    });
    const error = await failure(run());
    expect(error.code).toBe('SERVICE_FAILED');
    expect(error.message).toMatch(/refused the device login: invalid_grant \(grant revoked\)$/);

    const unreachable = await failure(
      deviceFlowToken({ issuer: 'http://127.0.0.1:1', prompt: () => {} }),
    );
    expect(unreachable.code).toBe('SERVICE_FAILED');
    expect(unreachable.message).toMatch(
      /^cannot reach the OpenID provider http:\/\/127\.0\.0\.1:1: /,
    );
    for (const issuer of ['not a url', 'file:///etc', 'https://idp.test/?x=1']) {
      expect((await failure(deviceFlowToken({ issuer, prompt: () => {} }))).code).toBe(
        'INVALID_CONFIG',
      );
    }
  });
});
