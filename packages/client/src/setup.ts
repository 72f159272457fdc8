// Turns what a user gives a signing command (cosign's flags) into SignOptions: the services, the
// trusted root to check with, and the identity: a key by URI or path, or an identity token.
import { type OpenedSigner, openSigner } from '@airlock/keys';
import { ClientError } from './errors.js';
import {
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

/**
 * Finds services, the trusted root and the identity. A key and a token cannot both be given; with
 * neither, the token comes from $SIGSTORE_ID_TOKEN, the token file, or (only when devEmail is given)
 * the development IdP named in stack.json. Throws NO_IDENTITY when there is none.
 */
export async function openSigningSetup(options: SigningSetupOptions): Promise<SigningSetup> {
  const tokenGiven = options.identityToken !== undefined || options.devEmail !== undefined;
  if (options.key !== undefined && tokenGiven) {
    throw new ClientError(
      'CONFLICTING_OPTIONS',
      'sign with --key or with an identity token (--identity-token, --dev-email), not both',
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
  const token = await resolveIdentityToken({
    ...(options.identityToken !== undefined ? { token: options.identityToken } : {}),
    ...(devLogin !== undefined ? { devLogin } : {}),
    ...(options.tokenFile !== undefined ? { tokenFile: options.tokenFile } : {}),
    ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
    env,
  });
  if (token === undefined) {
    throw new ClientError(
      'NO_IDENTITY',
      'no identity token: give --identity-token, set SIGSTORE_ID_TOKEN, sign with --key, or use --dev-email with the development stack',
    );
  }
  if (discovered.services.caUrl === undefined) {
    throw new ClientError(
      'NO_SERVICE',
      discovered.source === 'flags'
        ? 'keyless signing needs a certificate authority: give --fulcio-url'
        : 'the signing config names no certificate authority valid now',
    );
  }
  return {
    signOptions: { ...services, identityToken: token },
    discovered,
    close: async () => {},
  };
}
