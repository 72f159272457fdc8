// A real OpenID Provider (oidc-provider 9) on loopback for tests and the development stack: ES256 ID tokens with
// `aud: sigstore` from the authorization-code+PKCE and device flows (driven by scripted HTTP), JWT
// access tokens from client_credentials for CI bots, and the user's side of a device flow a client started.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type OidcContext } from 'oidc-provider';

/** Claims of one end user, returned for the `email` scope (e.g. `email`, `email_verified`). */
export type TestAccountClaims = Readonly<Record<string, unknown>>;

export interface StartTestIdpOptions {
  /** 0 (the default) lets the kernel choose. */
  readonly port?: number;
  /** End users by account ID (which becomes `sub`); see DEFAULT_TEST_ACCOUNTS. */
  readonly accounts?: Readonly<Record<string, TestAccountClaims>>;
}

export interface TestIdp {
  /** `http://127.0.0.1:<port>`, the `iss` of every token. */
  readonly issuer: string;
  readonly port: number;
  /** The public JWKS the IdP serves now (it changes with rotateKey). */
  readonly jwks: { keys: JWK[] };
  /** The `kid` new tokens are signed with. */
  readonly signingKid: string;
  /**
   * An ID token for an account ID or email, from a scripted authorization-code + PKCE login. An email
   * that no account has becomes a new verified account.
   */
  tokenFor(accountOrEmail: string): Promise<string>;
  /** A JWT access token (`aud: sigstore`, `sub` = client ID, an email claim) for a CI client. */
  clientCredentialsToken(clientId?: string): Promise<string>;
  /** An ID token from a scripted device authorization flow. */
  deviceFlowToken(accountOrEmail: string): Promise<string>;
  /** Signs new tokens with a fresh key, still publishing the old ones; returns the new `kid`. */
  rotateKey(): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_TEST_ACCOUNTS: Readonly<Record<string, TestAccountClaims>> = {
  alice: { email: 'alice@example.test', email_verified: true },
  bob: { email: 'bob@example.test', email_verified: false },
  carol: {},
};

/** The client IDs and secrets the IdP knows. */
export const TEST_IDP_CLIENTS = {
  /** Public client for the browser and device flows; its ID is the audience Fulcio expects. */
  sigstore: 'sigstore',
  ciBot: { id: 'ci-bot', secret: 'ci-bot-secret' },
} as const;

const REDIRECT_URI = 'http://127.0.0.1/callback';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Where the IdP's device verification page is (its `verification_uri`), relative to the issuer. */
export const DEVICE_VERIFICATION_PATH = '/device';
const CI_RESOURCE = 'urn:sigstore';
const MAX_REDIRECTS = 10;

interface SigningKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

let keyCounter = 0;

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `idp-es256-${++keyCounter}-${randomBytes(4).toString('hex')}`;
  const meta = { kid, alg: 'ES256', use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** Minimal cookie-keeping HTTP client that never follows redirects by itself. */
class ScriptedBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  async send(
    target: string,
    init: { method?: 'GET' | 'POST'; form?: Record<string, string>; basicAuth?: string } = {},
  ): Promise<Response> {
    const url = new URL(target, this.origin);
    const headers: Record<string, string> = {};
    if (url.origin === this.origin && this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (init.basicAuth !== undefined) headers.authorization = `Basic ${init.basicAuth}`;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      redirect: 'manual',
      ...(body !== undefined && { body }),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, date] = attribute.trim().split('=');
        return (
          key?.toLowerCase() === 'expires' && date !== undefined && Date.parse(date) < Date.now()
        );
      });
      if (value === '' || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

function location(response: Response, step: string): string {
  const target = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || target === null) {
    throw new Error(`test IdP: ${step}: expected a redirect, got HTTP ${response.status}`);
  }
  return target;
}

function scrape(html: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(html);
  if (!match?.[1]) throw new Error(`test IdP: no ${what} in the page`);
  return match[1].replaceAll('&amp;', '&');
}

async function tokenResponse(response: Response, step: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) {
    throw new Error(`test IdP: ${step}: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

async function discover(issuer: string): Promise<Record<string, string>> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (response.status !== 200) throw new Error(`dev IdP: no discovery document at ${issuer}`);
  return (await response.json()) as Record<string, string>;
}

/**
 * Follows redirects from `start`, logging in as `login` on the dev interaction page, until a redirect
 * to a target `isDone` accepts (returned as `target`) or a page that is not a login form (returned
 * as `page`).
 */
async function completeInteraction(
  issuer: string,
  browser: ScriptedBrowser,
  start: string,
  login: string,
  isDone: (target: string) => boolean,
): Promise<{ target: string; page?: string }> {
  let target = start;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    if (isDone(target)) return { target };
    const response = await browser.send(target);
    if (response.status >= 300 && response.status < 400) {
      target = location(response, `GET ${new URL(target, issuer).pathname}`);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`dev IdP: HTTP ${response.status} during login`);
    if (!html.includes('name="prompt" value="login"')) return { target, page: html };
    const action = scrape(html, /<form[^>]*action="([^"]+)"/, 'login form');
    const submitted = await browser.send(action, {
      form: { prompt: 'login', login, password: 'any' },
    });
    target = location(submitted, 'login');
  }
  throw new Error('dev IdP: too many redirects');
}

/**
 * An ID token from a running dev IdP for `login` (an account ID, or any email address), through the
 * authorization-code + PKCE flow driven by scripted HTTP. This is what `airlock dev token` does.
 */
export async function loginToken(issuer: string, login: string): Promise<string> {
  const endpoints = await discover(issuer);
  const browser = new ScriptedBrowser(issuer);
  const verifier = base64url(randomBytes(32));
  const authorize = new URL(endpoints.authorization_endpoint!);
  authorize.search = new URLSearchParams({
    client_id: TEST_IDP_CLIENTS.sigstore,
    response_type: 'code',
    scope: 'openid email',
    redirect_uri: REDIRECT_URI,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    nonce: base64url(randomBytes(16)),
    state: base64url(randomBytes(16)),
  }).toString();
  const { target: callback } = await completeInteraction(
    issuer,
    browser,
    authorize.href,
    login,
    (target) => target.startsWith(REDIRECT_URI),
  );
  const code = new URL(callback).searchParams.get('code');
  if (code === null) throw new Error(`dev IdP: no code in ${callback}`);
  const tokens = await tokenResponse(
    await browser.send(endpoints.token_endpoint!, {
      form: {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: TEST_IDP_CLIENTS.sigstore,
        redirect_uri: REDIRECT_URI,
      },
    }),
    'authorization_code token request',
  );
  return tokens.id_token as string;
}

const XSRF = /name="xsrf" value="([^"]+)"/;

/**
 * Opens the verification page in a fresh browser and submits `userCode`, up to the confirmation
 * page; returns the browser and the confirmation form's xsrf value. Throws if the IdP does not ask
 * to confirm, which is how it answers a code it does not know, has expired or was already used.
 */
async function openDeviceConfirmation(
  issuer: string,
  userCode: string,
): Promise<{ browser: ScriptedBrowser; xsrf: string }> {
  const browser = new ScriptedBrowser(new URL(issuer).origin);
  const entry = await browser.send(DEVICE_VERIFICATION_PATH);
  if (entry.status !== 200) {
    throw new Error(`dev IdP: HTTP ${entry.status} from the device verification page`);
  }
  const confirmPage = await (
    await browser.send(DEVICE_VERIFICATION_PATH, {
      form: { xsrf: scrape(await entry.text(), XSRF, 'xsrf'), user_code: userCode },
    })
  ).text();
  if (!confirmPage.includes('op.deviceConfirmForm')) {
    throw new Error(`dev IdP: the user code ${userCode} was not accepted`);
  }
  return { browser, xsrf: scrape(confirmPage, XSRF, 'xsrf') };
}

/**
 * The user's side of a device flow that a client started against a running dev IdP: opens the
 * verification page, enters `userCode`, confirms it and logs in as `login` (an account ID, or any
 * email address, which becomes a verified account). The client's next poll then gets its tokens.
 */
export async function approveDeviceCode(
  issuer: string,
  userCode: string,
  login: string,
): Promise<void> {
  const { browser, xsrf } = await openDeviceConfirmation(issuer, userCode);
  const confirmed = await browser.send(DEVICE_VERIFICATION_PATH, {
    form: { xsrf, user_code: userCode, confirm: 'yes' },
  });
  const { page } = await completeInteraction(
    issuer,
    browser,
    location(confirmed, 'device confirmation'),
    login,
    () => false,
  );
  if (!/sign-in success/i.test(page ?? '')) {
    throw new Error('dev IdP: the device login did not succeed');
  }
}

/**
 * The user's side of a device flow, declined: enters `userCode` and presses Abort on the
 * confirmation page, so the client's next poll gets `access_denied`.
 */
export async function declineDeviceCode(issuer: string, userCode: string): Promise<void> {
  const { browser, xsrf } = await openDeviceConfirmation(issuer, userCode);
  const aborted = await browser.send(DEVICE_VERIFICATION_PATH, {
    form: { xsrf, user_code: userCode, abort: 'yes' },
  });
  if (!/interrupted/i.test(await aborted.text())) {
    throw new Error('dev IdP: the device login was not declined');
  }
}

/** Starts the IdP on 127.0.0.1 and waits until it accepts connections. */
export async function startTestIdp(options: StartTestIdpOptions = {}): Promise<TestIdp> {
  const accounts = new Map(Object.entries(options.accounts ?? DEFAULT_TEST_ACCOUNTS));
  const keys: SigningKey[] = [await newSigningKey()];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const buildProvider = (): Provider =>
    new Provider(issuer, {
      // The first key signs; the others stay published so earlier tokens still verify.
      jwks: { keys: keys.map((key) => key.privateJwk) },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      // oidc-provider defaults to RS256 and has no RSA key here.
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      clients: [
        {
          client_id: TEST_IDP_CLIENTS.ciBot.id,
          client_secret: TEST_IDP_CLIENTS.ciBot.secret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          scope: 'email',
        },
        {
          client_id: TEST_IDP_CLIENTS.sigstore,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', DEVICE_CODE_GRANT],
          response_types: ['code'],
          redirect_uris: [REDIRECT_URI],
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      // oidc-provider's default, pinned because approveDeviceCode opens this page by its path.
      routes: { code_verification: DEVICE_VERIFICATION_PATH },
      findAccount: async (_ctx: unknown, id: string) => {
        // Development logins: any email address signs in as a verified account of that address.
        if (!accounts.has(id) && EMAIL.test(id))
          accounts.set(id, { email: id, email_verified: true });
        const claims = accounts.get(id);
        if (claims === undefined) return undefined;
        return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
      },
      // Grants openid+email right after login, so there is no consent page to script.
      loadExistingGrant: async (ctx: OidcContext) => {
        const { client, session, result, provider } = ctx.oidc;
        if (client === undefined || session === undefined) return undefined;
        const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        if (grantId !== undefined) return provider.Grant.find(grantId);
        if (session.accountId === undefined) return undefined;
        const grant = new provider.Grant({
          accountId: session.accountId,
          clientId: client.clientId,
        });
        grant.addOIDCScope('openid email');
        await grant.save();
        return grant;
      },
      // Else email would only be served from userinfo for response_type=code, never in the ID token.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        deviceFlow: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (
            _ctx: unknown,
            client: { grantTypeAllowed(grant: string): boolean },
            oneOf?: string[],
          ) => oneOf ?? (client.grantTypeAllowed('client_credentials') ? CI_RESOURCE : undefined),
          useGrantedResource: async () => true,
          getResourceServerInfo: async () => ({
            scope: 'email',
            audience: TEST_IDP_CLIENTS.sigstore,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      extraTokenClaims: async (_ctx: unknown, token: { kind: string; clientId?: string }) =>
        token.kind === 'ClientCredentials'
          ? { email: `${token.clientId}@ci.example.test`, email_verified: true }
          : undefined,
    });
  handler = buildProvider().callback();

  const discovery = () => discover(issuer);

  const accountIdFor = (accountOrEmail: string): string => {
    if (accounts.has(accountOrEmail)) return accountOrEmail;
    for (const [id, claims] of accounts) if (claims.email === accountOrEmail) return id;
    const at = accountOrEmail.indexOf('@');
    if (at <= 0) throw new Error(`test IdP: no account ${JSON.stringify(accountOrEmail)}`);
    let id = accountOrEmail.slice(0, at);
    for (let n = 2; accounts.has(id); n++) id = `${accountOrEmail.slice(0, at)}-${n}`;
    accounts.set(id, { email: accountOrEmail, email_verified: true });
    return id;
  };

  const tokenFor = (accountOrEmail: string): Promise<string> =>
    loginToken(issuer, accountIdFor(accountOrEmail));

  const clientCredentialsToken = async (
    clientId: string = TEST_IDP_CLIENTS.ciBot.id,
  ): Promise<string> => {
    if (clientId !== TEST_IDP_CLIENTS.ciBot.id)
      throw new Error(`test IdP: unknown CI client ${clientId}`);
    const endpoints = await discovery();
    const credentials = Buffer.from(`${clientId}:${TEST_IDP_CLIENTS.ciBot.secret}`).toString(
      'base64',
    );
    const tokens = await tokenResponse(
      await new ScriptedBrowser(issuer).send(endpoints.token_endpoint!, {
        form: { grant_type: 'client_credentials', resource: CI_RESOURCE, scope: 'email' },
        basicAuth: credentials,
      }),
      'client_credentials token request',
    );
    return tokens.access_token as string;
  };

  const deviceFlowToken = async (accountOrEmail: string): Promise<string> => {
    const accountId = accountIdFor(accountOrEmail);
    const endpoints = await discovery();
    const device = await tokenResponse(
      await new ScriptedBrowser(issuer).send(endpoints.device_authorization_endpoint!, {
        form: { client_id: TEST_IDP_CLIENTS.sigstore, scope: 'openid email' },
      }),
      'device authorization request',
    );
    await approveDeviceCode(issuer, device.user_code as string, accountId);
    const tokens = await tokenResponse(
      await new ScriptedBrowser(issuer).send(endpoints.token_endpoint!, {
        form: {
          grant_type: DEVICE_CODE_GRANT,
          device_code: device.device_code as string,
          client_id: TEST_IDP_CLIENTS.sigstore,
        },
      }),
      'device_code token request',
    );
    return tokens.id_token as string;
  };

  return {
    issuer,
    port,
    get jwks() {
      return { keys: keys.map((key) => key.publicJwk) };
    },
    get signingKid() {
      return keys[0]!.publicJwk.kid!;
    },
    tokenFor,
    clientCredentialsToken,
    deviceFlowToken,
    rotateKey: async () => {
      keys.unshift(await newSigningKey());
      // oidc-provider reads its keystore once, so a new provider instance takes over the same socket.
      handler = buildProvider().callback();
      return keys[0]!.publicJwk.kid!;
    },
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        server.close((error) => (error ? reject(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

/** A loopback port that was free a moment ago (for an IdP started after its clients). */
export async function reserveLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolveListen) => probe.listen(0, '127.0.0.1', () => resolveListen()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  return port;
}
