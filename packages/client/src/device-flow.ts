// An identity token from the organisation's OpenID provider through the OAuth 2.0 Device Authorization
// Grant (RFC 8628), for a terminal without a browser: the user approves on any other device while this
// side polls. Only the issuer's own origin is ever contacted, and no message repeats a token or code.
import { setTimeout as delay } from 'node:timers/promises';
import { ClientError } from './errors.js';
import { inspectIdentityToken } from './token.js';

/** The grant type a client polls the token endpoint with (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const DEVICE_FLOW_DEFAULTS = {
  /** The OAuth client Sigstore clients log in as, and the audience Fulcio expects by default. */
  clientId: 'sigstore',
  scope: 'openid email',
  /** RFC 8628 §3.2: the polling interval when the provider names none. */
  intervalSeconds: 5,
  /** RFC 8628 §3.5: added to the interval at each `slow_down`. */
  slowDownSeconds: 5,
  /** Never poll sooner than this after the previous poll, whatever the provider says. */
  minIntervalSeconds: 1,
  /** Each request to the provider gives up after this long. */
  requestTimeoutMs: 30_000,
} as const;

/** What the user needs to approve the login elsewhere. */
export interface DeviceFlowInstructions {
  /** The page to open on any device with a browser (`verification_uri`). */
  readonly verificationUri: string;
  /** The same page with the code filled in (`verification_uri_complete`), when the provider has one. */
  readonly verificationUriComplete?: string;
  /** What to enter there (`user_code`). */
  readonly userCode: string;
  /** Seconds until the code expires (`expires_in`). */
  readonly expiresIn: number;
}

/** Time as the poller sees it, injectable so that a test can check the schedule without waiting. */
export interface DeviceFlowClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface DeviceFlowOptions {
  /** The provider's issuer URL, as configured or named by the user: the only origin contacted. */
  readonly issuer: string;
  /** Default DEVICE_FLOW_DEFAULTS.clientId (`sigstore`). */
  readonly clientId?: string;
  /** Default DEVICE_FLOW_DEFAULTS.scope (`openid email`). */
  readonly scope?: string;
  /** Shows the user where to go and what to enter; polling starts once it returns (or settles). */
  readonly prompt: (instructions: DeviceFlowInstructions) => void | Promise<void>;
  /** Aborting it ends the flow with CANCELLED. */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly clock?: DeviceFlowClock;
}

const systemClock: DeviceFlowClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal !== undefined ? { signal } : {}),
};

/** One line a user can read on a terminal: no control characters (no escape sequences from a server). */
const PRINTABLE = /^[^\p{Cc}]{1,128}$/u;

type JsonObject = Record<string, unknown>;

/** What came back from one request: a parsed answer, or no answer at all. */
type Exchange =
  | { readonly kind: 'answer'; readonly status: number; readonly body: JsonObject | undefined }
  | { readonly kind: 'unreachable'; readonly reason: string };

function withoutTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

function cancelled(issuer: string): ClientError {
  return new ClientError('CANCELLED', `the device login at ${issuer} was cancelled`);
}

/** The reason a request got no answer, short and without the request's body. */
function unreachableReason(error: unknown): string {
  if ((error as Error | null)?.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.replace(/\s+/g, ' ').slice(0, 120);
  return error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 120) : 'failed';
}

/** An OAuth error body as `error: description`, one line and short; undefined if there is none. */
function oauthError(body: JsonObject | undefined): string | undefined {
  if (typeof body?.error !== 'string' || !PRINTABLE.test(body.error)) return undefined;
  const description =
    typeof body.error_description === 'string'
      ? body.error_description.replace(/[\p{Cc}\s]+/gu, ' ').slice(0, 200)
      : '';
  return description !== '' ? `${body.error} (${description})` : body.error;
}

/** The provider at one issuer; every request goes to the issuer's origin and follows no redirect. */
class ProviderConnection {
  readonly origin: string;

  constructor(
    readonly issuer: string,
    private readonly fetchFn: typeof fetch,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.origin = new URL(issuer).origin;
  }

  /** Refuses an endpoint elsewhere than the issuer's origin: a login must never leave for a host nobody named. */
  endpoint(discovery: JsonObject, field: string): string | undefined {
    const value = discovery[field];
    if (value === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = typeof value === 'string' ? new URL(value) : undefined;
    } catch {}
    if (url === undefined) {
      throw new ClientError(
        'INVALID_RESPONSE',
        `the OpenID provider ${this.issuer} gives a ${field} that is not a URL`,
      );
    }
    if (url.origin !== this.origin) {
      throw new ClientError(
        'INVALID_RESPONSE',
        `the OpenID provider ${this.issuer} names ${url.origin} for its ${field}; only ${this.origin} is contacted`,
      );
    }
    return url.href;
  }

  async exchange(url: string, form?: Record<string, string>): Promise<Exchange> {
    if (this.signal?.aborted) throw cancelled(this.issuer);
    const timeout = AbortSignal.timeout(DEVICE_FLOW_DEFAULTS.requestTimeoutMs);
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: form === undefined ? 'GET' : 'POST',
        headers: {
          accept: 'application/json',
          ...(form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form !== undefined ? { body: new URLSearchParams(form).toString() } : {}),
        redirect: 'error',
        signal: this.signal !== undefined ? AbortSignal.any([this.signal, timeout]) : timeout,
      });
    } catch (error) {
      if (this.signal?.aborted) throw cancelled(this.issuer);
      return { kind: 'unreachable', reason: unreachableReason(error) };
    }
    let body: JsonObject | undefined;
    try {
      const parsed: unknown = JSON.parse(await response.text());
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        body = parsed as JsonObject;
      }
    } catch {
      if (this.signal?.aborted) throw cancelled(this.issuer);
    }
    return { kind: 'answer', status: response.status, body };
  }
}

interface DeviceEndpoints {
  readonly deviceAuthorization: string;
  readonly token: string;
}

/** OpenID Connect Discovery: the endpoints, from a document whose `issuer` is the one asked for. */
async function discoverEndpoints(provider: ProviderConnection): Promise<DeviceEndpoints> {
  const { issuer } = provider;
  const url = `${issuer}/.well-known/openid-configuration`;
  const answer = await provider.exchange(url);
  if (answer.kind === 'unreachable') {
    throw new ClientError(
      'SERVICE_FAILED',
      `cannot reach the OpenID provider ${issuer}: ${answer.reason}`,
    );
  }
  if (answer.status !== 200) {
    throw new ClientError(
      'SERVICE_FAILED',
      `the OpenID provider ${issuer} has no discovery document (HTTP ${answer.status} from ${url})`,
    );
  }
  const discovery = answer.body;
  if (discovery === undefined) {
    throw new ClientError('INVALID_RESPONSE', `${url} is not a JSON object`);
  }
  // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
  if (typeof discovery.issuer !== 'string' || withoutTrailingSlashes(discovery.issuer) !== issuer) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the discovery document at ${url} is not for the issuer ${issuer}`,
    );
  }
  const deviceAuthorization = provider.endpoint(discovery, 'device_authorization_endpoint');
  if (deviceAuthorization === undefined) {
    throw new ClientError(
      'NO_DEVICE_FLOW',
      `the OpenID provider ${issuer} offers no device login (its discovery document has no device_authorization_endpoint)`,
    );
  }
  const token = provider.endpoint(discovery, 'token_endpoint');
  if (token === undefined) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the OpenID provider ${issuer} names no token_endpoint in its discovery document`,
    );
  }
  return { deviceAuthorization, token };
}

interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly instructions: DeviceFlowInstructions;
  readonly intervalMs: number;
}

function verificationUri(value: unknown, issuer: string, field: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {}
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the OpenID provider ${issuer} gave no usable ${field} for the device login`,
    );
  }
  // The parsed form: whatever the server sent, what reaches the terminal is an encoded URL.
  return url.href;
}

/** RFC 8628 §3.1–3.2: asks for a device code and a user code. */
async function authorizeDevice(
  provider: ProviderConnection,
  endpoint: string,
  clientId: string,
  scope: string,
): Promise<DeviceAuthorization> {
  const { issuer } = provider;
  const answer = await provider.exchange(endpoint, { client_id: clientId, scope });
  if (answer.kind === 'unreachable') {
    throw new ClientError(
      'SERVICE_FAILED',
      `cannot reach the OpenID provider ${issuer} for a device login: ${answer.reason}`,
    );
  }
  if (answer.status !== 200) {
    throw new ClientError(
      'SERVICE_FAILED',
      `the OpenID provider ${issuer} refused the device login for client ${clientId}: ${oauthError(answer.body) ?? `HTTP ${answer.status}`}`,
    );
  }
  const body = answer.body ?? {};
  const { device_code: deviceCode, user_code: userCode, expires_in: expiresIn } = body;
  if (typeof deviceCode !== 'string' || deviceCode === '') {
    throw new ClientError('INVALID_RESPONSE', `the OpenID provider ${issuer} gave no device_code`);
  }
  if (typeof userCode !== 'string' || !PRINTABLE.test(userCode)) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the OpenID provider ${issuer} gave no printable user_code`,
    );
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the OpenID provider ${issuer} gave no positive expires_in for the device code`,
    );
  }
  let intervalSeconds: number = DEVICE_FLOW_DEFAULTS.intervalSeconds;
  if (body.interval !== undefined) {
    if (typeof body.interval !== 'number' || !Number.isFinite(body.interval)) {
      throw new ClientError(
        'INVALID_RESPONSE',
        `the OpenID provider ${issuer} gave a polling interval that is not a number`,
      );
    }
    intervalSeconds = Math.max(body.interval, DEVICE_FLOW_DEFAULTS.minIntervalSeconds);
  }
  const complete =
    body.verification_uri_complete !== undefined
      ? verificationUri(body.verification_uri_complete, issuer, 'verification_uri_complete')
      : undefined;
  return {
    deviceCode,
    intervalMs: intervalSeconds * 1000,
    instructions: {
      verificationUri: verificationUri(body.verification_uri, issuer, 'verification_uri'),
      ...(complete !== undefined ? { verificationUriComplete: complete } : {}),
      userCode,
      expiresIn,
    },
  };
}

/** What one poll of the token endpoint says (RFC 8628 §3.4–3.5). */
type PollOutcome =
  | { readonly kind: 'token'; readonly idToken: string }
  | { readonly kind: 'pending' }
  | { readonly kind: 'slow_down' }
  | { readonly kind: 'unreachable'; readonly reason: string };

async function poll(
  provider: ProviderConnection,
  endpoint: string,
  deviceCode: string,
  clientId: string,
): Promise<PollOutcome> {
  const { issuer } = provider;
  const answer = await provider.exchange(endpoint, {
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: deviceCode,
    client_id: clientId,
  });
  if (answer.kind === 'unreachable') return answer;
  if (answer.status === 200) {
    const idToken = answer.body?.id_token;
    if (typeof idToken !== 'string' || idToken === '') {
      throw new ClientError(
        'INVALID_RESPONSE',
        `the OpenID provider ${issuer} approved the device login but sent no ID token (is openid in the scope?)`,
      );
    }
    return { kind: 'token', idToken };
  }
  switch (answer.body?.error) {
    case 'authorization_pending':
      return { kind: 'pending' };
    case 'slow_down':
      return { kind: 'slow_down' };
    case 'access_denied':
      throw new ClientError('ACCESS_DENIED', `the device login at ${issuer} was declined`);
    case 'expired_token':
      throw new ClientError(
        'DEVICE_CODE_EXPIRED',
        `the device login code expired before it was approved at ${issuer}; run the command again`,
      );
    default:
      throw new ClientError(
        'SERVICE_FAILED',
        `the OpenID provider ${issuer} refused the device login: ${oauthError(answer.body) ?? `HTTP ${answer.status}`}`,
      );
  }
}

/** The ID token the provider issued, if it is for this issuer and client; the token is never shown. */
function checkedIdToken(idToken: string, issuer: string, clientId: string): string {
  const claims = inspectIdentityToken(idToken);
  if (withoutTrailingSlashes(claims.issuer) !== issuer) {
    throw new ClientError(
      'INVALID_TOKEN',
      `the ID token from the device login names the issuer ${claims.issuer}, not ${issuer}`,
    );
  }
  if (!claims.audience.includes(clientId)) {
    throw new ClientError(
      'INVALID_TOKEN',
      `the ID token from the device login is not for the client ${clientId}`,
    );
  }
  return idToken;
}

/**
 * Logs in with the device flow and returns the ID token: discovery at the issuer, a device
 * authorization, the prompt, then polls of the token endpoint, first as soon as the prompt returns,
 * then every `interval` seconds (5 unless the provider says otherwise; 5 more at each `slow_down`;
 * doubled after a poll that got no answer, as RFC 8628 §3.5 asks) until the provider issues a token,
 * says `access_denied` or `expired_token`, or the code's `expires_in` runs out.
 * Errors: SERVICE_FAILED, INVALID_RESPONSE, NO_DEVICE_FLOW, ACCESS_DENIED, DEVICE_CODE_EXPIRED,
 * CANCELLED, INVALID_TOKEN, INVALID_CONFIG (an issuer that is not an http(s) URL).
 */
export async function deviceFlowToken(options: DeviceFlowOptions): Promise<string> {
  const issuer = checkIssuer(options.issuer);
  const clientId = options.clientId ?? DEVICE_FLOW_DEFAULTS.clientId;
  const scope = options.scope ?? DEVICE_FLOW_DEFAULTS.scope;
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  const provider = new ProviderConnection(issuer, options.fetch ?? fetch, signal);

  const endpoints = await discoverEndpoints(provider);
  // Counted from before the request, so that the deadline is never later than the provider's.
  const startedAt = clock.now();
  const device = await authorizeDevice(provider, endpoints.deviceAuthorization, clientId, scope);
  const deadline = startedAt + device.instructions.expiresIn * 1000;
  await options.prompt(device.instructions);

  let intervalMs = device.intervalMs;
  let lastFailure: string | undefined;
  for (;;) {
    const outcome = await poll(provider, endpoints.token, device.deviceCode, clientId);
    if (outcome.kind === 'token') return checkedIdToken(outcome.idToken, issuer, clientId);
    if (outcome.kind === 'slow_down') intervalMs += DEVICE_FLOW_DEFAULTS.slowDownSeconds * 1000;
    if (outcome.kind === 'unreachable') {
      intervalMs *= 2;
      lastFailure = outcome.reason;
    } else {
      lastFailure = undefined;
    }
    if (clock.now() + intervalMs >= deadline) {
      throw new ClientError(
        'DEVICE_CODE_EXPIRED',
        lastFailure !== undefined
          ? `the device login code expired while ${issuer} could not be reached (${lastFailure}); run the command again`
          : `the device login code expired before it was approved at ${issuer}; run the command again`,
      );
    }
    try {
      await clock.sleep(intervalMs, signal);
    } catch (error) {
      if (signal?.aborted) throw cancelled(issuer);
      throw error;
    }
  }
}

/** An issuer URL as compared and used: http(s), without trailing slashes. */
function checkIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClientError('INVALID_CONFIG', `the OpenID issuer ${value} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ClientError('INVALID_CONFIG', `the OpenID issuer ${value} is not an http(s) URL`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ClientError(
      'INVALID_CONFIG',
      'an OpenID issuer URL has no query, fragment or credentials',
    );
  }
  return withoutTrailingSlashes(url.href);
}

function describeExpiry(seconds: number): string {
  if (seconds >= 120) return `${Math.floor(seconds / 60)} minutes`;
  return `${Math.floor(seconds)} seconds`;
}

/** The instructions as one block of lines for a terminal: the page, the code, and when it expires. */
export function formatDeviceFlowInstructions(instructions: DeviceFlowInstructions): string {
  const lines = [
    'To sign, log in from any device with a browser:',
    `  open        ${instructions.verificationUri}`,
    `  enter code  ${instructions.userCode}`,
  ];
  if (instructions.verificationUriComplete !== undefined) {
    lines.push(`  (or open ${instructions.verificationUriComplete}, which holds the code)`);
  }
  lines.push(
    `The code expires in ${describeExpiry(instructions.expiresIn)}; waiting for the approval.`,
  );
  return `${lines.join('\n')}\n`;
}
