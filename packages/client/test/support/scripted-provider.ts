// A tiny OpenID provider on loopback whose device-flow answers a test scripts, for what the real dev
// IdP cannot be made to say on cue: `slow_down`, `expired_token`, a dropped connection, bad documents.
// It records every request it receives, so a test can also prove what was never asked.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer from the token endpoint, or `drop`: close the connection without one. */
export type ScriptedAnswer = { readonly status: number; readonly body: unknown } | 'drop';

export interface ScriptedProviderOptions {
  /** Replaces fields of the discovery document (undefined removes one). */
  readonly discovery?: (issuer: string) => Record<string, unknown>;
  /** The device authorization answer (default: a device code valid 600 s, no interval). */
  readonly deviceAuthorization?: (issuer: string) => ScriptedAnswer;
  /** Answers of the token endpoint, in order (or made from the issuer); then `authorization_pending`. */
  readonly tokenAnswers?: readonly (ScriptedAnswer | ((issuer: string) => ScriptedAnswer))[];
  /** Called at each request, e.g. to read a fake clock. */
  readonly onRequest?: (path: string) => void;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly form: Record<string, string>;
}

export interface ScriptedProvider {
  readonly issuer: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The device code every scripted provider hands out; no message may ever contain it. */
export const SCRIPTED_DEVICE_CODE = 'scripted-device-code-7f3a9c';
export const SCRIPTED_USER_CODE = 'WDJB-MJHT';

export const pending = { status: 400, body: { error: 'authorization_pending' } } as const;
export const slowDown = { status: 400, body: { error: 'slow_down' } } as const;
export const expiredToken = { status: 400, body: { error: 'expired_token' } } as const;

async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return Object.fromEntries(new URLSearchParams(text));
}

export async function startScriptedProvider(
  options: ScriptedProviderOptions = {},
): Promise<ScriptedProvider> {
  const requests: RecordedRequest[] = [];
  const tokenAnswers = [...(options.tokenAnswers ?? [])];
  let issuer = '';
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    options.onRequest?.(path);
    requests.push({ method: request.method ?? 'GET', path, form: await readForm(request) });
    let answer: ScriptedAnswer;
    if (path === '/.well-known/openid-configuration') {
      const document: Record<string, unknown> = {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        device_authorization_endpoint: `${issuer}/device/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        ...options.discovery?.(issuer),
      };
      answer = { status: 200, body: document };
    } else if (path === '/device/auth') {
      answer = options.deviceAuthorization?.(issuer) ?? {
        status: 200,
        body: {
          device_code: SCRIPTED_DEVICE_CODE,
          user_code: SCRIPTED_USER_CODE,
          verification_uri: `${issuer}/device`,
          verification_uri_complete: `${issuer}/device?user_code=${SCRIPTED_USER_CODE}`,
          expires_in: 600,
        },
      };
    } else if (path === '/token') {
      const next = tokenAnswers.shift() ?? pending;
      answer = typeof next === 'function' ? next(issuer) : next;
    } else {
      answer = { status: 404, body: { error: 'not_found' } };
    }
    if (answer === 'drop') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** An unsigned JWT with these claims: enough for the client's own checks, never for a CA. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return [
    Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'scripted' })).toString('base64url'),
    Buffer.from(JSON.stringify(claims)).toString('base64url'),
    Buffer.from('not a signature').toString('base64url'),
  ].join('.');
}
