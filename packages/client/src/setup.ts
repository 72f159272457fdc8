// Turns what a user gives a signing command (cosign's flags) into SignOptions: the services, the
// trusted root to check with, and the identity: a key by URI or path, or an identity token.
import { type OpenedSigner, openSigner } from '@airlock/keys';
import {
  DEVICE_FLOW_DEFAULTS,
  type DeviceFlowOptions,
  deviceFlowToken,
  formatDeviceFlowInstructions,
} from './device-flow.js';
import { ClientError } from './errors.js';
import {
  checkUrl,
  type DiscoveredServices,
  type DiscoverServicesOptions,
  discoverServices,
  readStackFile,
  stackDirOf,
} from './services.js';
import type { SignOptions } from './sign.js';
import { resolveIdentityToken } from './token.js';

/** The environment variables a key file password is read from, cosign's first. */
export const COSIGN_PASSWORD_ENV = 'COSIGN_PASSWORD';

export interface SigningSetupOptions extends DiscoverServicesOptions {
  /** `--identity-token`: a JWT or the path of a file holding one. */
  readonly identityToken?: string;
  /** `--key`: a `pkcs11:` or `file:` URI, or a plain key file path (as cosign takes `cosign.key`). */
  readonly key?: string;
  /** `--dev-email`: log in to the development stack's IdP as this address. */
  readonly devEmail?: string;
  /** A token file tried after $SIGSTORE_ID_TOKEN. */
  readonly tokenFile?: string;
  /** `--oidc-issuer`: when no token is found, log in here with the device flow. */
  readonly oidcIssuer?: string;
  /** `--oidc-client-id`: the OAuth client the device login is for (default `sigstore`). */
  readonly oidcClientId?: string;
  /**
   * `--oidc-device-flow`: when no token is found, log in with the device flow at the OpenID provider
   * the signing config names, even without a person at a terminal.
   */
  readonly oidcDeviceFlow?: boolean;
  /**
   * A person is at the terminal (stdin and stderr are TTYs): when no token is found, log in with the
   * device flow at the OpenID provider the signing config names.
   */
  readonly interactive?: boolean;
  /** Shows the device login instructions (default: one block on stderr). */
  readonly deviceFlowPrompt?: DeviceFlowOptions['prompt'];
  /** Ends a device login early (CANCELLED). */
  readonly signal?: AbortSignal;
  /** Environment for SIGSTORE_ID_TOKEN, COSIGN_PASSWORD, AIRLOCK_KEY_PASSWORD (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SigningSetup {
  /** Spread into signBlob / attestBlob. */
  readonly signOptions: SignOptions;
  readonly discovered: DiscoveredServices;
  /** Releases the key (a token session); call when signing is done. */
  close(): Promise<void>;
}

/** A `--key` value as a key URI: URIs pass through; a plain path becomes a `file:` URI. */
export function keyUriOf(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value)) return value;
  return `file:${value.split('/').map(encodeURIComponent).join('/')}`;
}

/** Where the device login goes unless told otherwise: one block on stderr, nothing else. */
function promptOnStderr(instructions: Parameters<DeviceFlowOptions['prompt']>[0]): void {
  process.stderr.write(formatDeviceFlowInstructions(instructions));
}

/**
 * The issuer to log in at with the device flow, if any: the one the user named, else the signing
 * config's when the user asked for the device flow or is at a terminal. Never any other.
 */
function deviceFlowIssuerOf(
  options: SigningSetupOptions,
  discovered: DiscoveredServices,
): string | undefined {
  if (options.oidcIssuer !== undefined) return checkUrl(options.oidcIssuer, '--oidc-issuer');
  if (options.oidcDeviceFlow === true || options.interactive === true) return discovered.oidcUrl;
  return undefined;
}

/**
 * Finds services, the trusted root and the identity. A key and a token cannot both be given.
 * Without a key, the identity token is the first of:
 *   1. identityToken (`--identity-token`): a JWT, or the path of a file holding one;
 *   2. $SIGSTORE_ID_TOKEN;
 *   3. the token file (tokenFile);
 *   4. a login to the development IdP named in stack.json, only when devEmail (`--dev-email`) is given;
 *   5. the device flow (RFC 8628) at oidcIssuer (`--oidc-issuer`) when given, else at the signing
 *      config's OpenID provider (`oidcUrls`) when oidcDeviceFlow (`--oidc-device-flow`) or
 *      interactive is set. No other issuer is ever contacted.
 * Throws NO_IDENTITY when there is none.
 */
export async function openSigningSetup(options: SigningSetupOptions): Promise<SigningSetup> {
  const tokenGiven =
    options.identityToken !== undefined ||
    options.devEmail !== undefined ||
    options.oidcIssuer !== undefined ||
    options.oidcDeviceFlow === true;
  if (options.key !== undefined && tokenGiven) {
    throw new ClientError(
      'CONFLICTING_OPTIONS',
      'sign with --key or with an identity token (--identity-token, --dev-email, --oidc-issuer, --oidc-device-flow), not both',
    );
  }
  const discovered = discoverServices(options);
  const env = options.env ?? process.env;
  const services = {
    ...(discovered.services.caUrl !== undefined ? { caUrl: discovered.services.caUrl } : {}),
    tlogs: discovered.services.tlogs,
    tsaUrls: discovered.services.tsaUrls,
    ...(discovered.trustedRoot !== undefined ? { trustedRoot: discovered.trustedRoot } : {}),
  };

  if (options.key !== undefined) {
    const password = env[COSIGN_PASSWORD_ENV];
    const signer: OpenedSigner = await openSigner(keyUriOf(options.key), {
      env,
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      ...(password !== undefined && password !== '' ? { password } : {}),
    });
    return {
      signOptions: { ...services, keySigner: signer },
      discovered,
      close: () => signer.close(),
    };
  }

  let devLogin: { issuer: string; email: string } | undefined;
  if (options.devEmail !== undefined) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(options.devEmail)) {
      throw new ClientError('INVALID_INPUT', '--dev-email must be an email address');
    }
    const stack = discovered.stack ?? readStackFile(stackDirOf(options));
    if (stack === undefined) {
      throw new ClientError(
        'NO_SERVICE',
        '--dev-email logs in to the development stack, and there is none here (no stack.json)',
      );
    }
    devLogin = { issuer: stack.oidc, email: options.devEmail };
  }
  const requireCa = (): void => {
    if (discovered.services.caUrl !== undefined) return;
    throw new ClientError(
      'NO_SERVICE',
      discovered.source === 'flags'
        ? 'keyless signing needs a certificate authority: give --fulcio-url'
        : 'the signing config names no certificate authority valid now',
    );
  };
  const deviceFlowIssuer = deviceFlowIssuerOf(options, discovered);
  const login =
    deviceFlowIssuer !== undefined
      ? () => {
          // No one is asked to log in for a signature that cannot be made.
          requireCa();
          return deviceFlowToken({
            issuer: deviceFlowIssuer,
            clientId: options.oidcClientId ?? DEVICE_FLOW_DEFAULTS.clientId,
            prompt: options.deviceFlowPrompt ?? promptOnStderr,
            ...(options.signal !== undefined ? { signal: options.signal } : {}),
          });
        }
      : undefined;
  const token = await resolveIdentityToken({
    ...(options.identityToken !== undefined ? { token: options.identityToken } : {}),
    ...(devLogin !== undefined ? { devLogin } : {}),
    ...(options.tokenFile !== undefined ? { tokenFile: options.tokenFile } : {}),
    ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
    ...(login !== undefined ? { login } : {}),
    env,
  });
  if (token === undefined) {
    throw new ClientError(
      'NO_IDENTITY',
      options.oidcDeviceFlow === true
        ? 'no identity token: --oidc-device-flow needs an OpenID provider, and the signing config names none valid now: give --oidc-issuer'
        : 'no identity token: give --identity-token, set SIGSTORE_ID_TOKEN, log in with --oidc-issuer or --oidc-device-flow, sign with --key, or use --dev-email with the development stack',
    );
  }
  requireCa();
  return {
    signOptions: { ...services, identityToken: token },
    discovered,
    close: async () => {},
  };
}
