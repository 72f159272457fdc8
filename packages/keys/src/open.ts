// The one way services and the CLI get a key: openSigner(uri) picks the backend by URI scheme,
// finds the PIN or password the URI points to, and returns a Signer that must be closed.
import { resolve } from 'node:path';
import { KeysError } from './errors.js';
import { readKeyFile } from './file.js';
import { Pkcs11Signer, Pkcs11Token } from './pkcs11.js';
import type { Signer } from './signer.js';
import {
  type CredentialOptions,
  PKCS11_PIN_ENV,
  type Pkcs11Uri,
  parseKeyUri,
  resolveKeyFilePassword,
  resolvePkcs11Pin,
} from './uri.js';

/** A Signer that holds a resource (a token login, sessions) until closed. */
export type OpenedSigner = Signer & { close(): Promise<void> };

export interface OpenSignerOptions extends CredentialOptions {
  /** PKCS#11 module for `pkcs11:` URIs that name no module-path. */
  readonly modulePath?: string;
  /** A PIN the caller obtained itself (a prompt); used when the URI names none. */
  readonly pin?: string;
  /** A key file password the caller obtained itself; used when the URI names none. */
  readonly password?: string;
  /** PKCS#11 sessions to pool (see Pkcs11TokenOptions.sessions). */
  readonly sessions?: number;
  /** Sign on libuv's thread pool (see Pkcs11TokenOptions.asyncSign). */
  readonly asyncSign?: boolean;
  /** Refuse unencrypted `file:` keys (production services should). */
  readonly requireEncryptedKeyFile?: boolean;
}

/**
 * Opens the key a URI names:
 * - `pkcs11:token=…;object=…[;id=…][;type=private]?module-path=…&pin-source=…` (RFC 7512); the PIN
 *   comes from pin-source, else pin-value, else `options.pin`, else $AIRLOCK_PKCS11_PIN;
 * - `file:/abs/key.pem` or `file:relative.pem` `[?password-source=…]`; the password comes from
 *   password-source, else `options.password`, else $AIRLOCK_KEY_PASSWORD, else the file must be an
 *   unencrypted (development-only) key.
 */
export async function openSigner(
  uri: string,
  options: OpenSignerOptions = {},
): Promise<OpenedSigner> {
  const parsed = parseKeyUri(uri);
  const baseDir = options.baseDir ?? process.cwd();

  if (parsed.scheme === 'file') {
    const password = await resolveKeyFilePassword(parsed, {
      ...options,
      ...(options.password !== undefined ? { fallback: options.password } : {}),
    });
    const signer = await readKeyFile(resolve(baseDir, parsed.path), {
      ...(password !== undefined ? { password } : {}),
      ...(options.requireEncryptedKeyFile !== undefined
        ? { requireEncrypted: options.requireEncryptedKeyFile }
        : {}),
    });
    return {
      algorithm: signer.algorithm,
      publicKey: signer.publicKey,
      sign: (message) => signer.sign(message),
      close: async () => {},
    };
  }

  if (parsed.type !== undefined && parsed.type !== 'private') {
    throw new KeysError('INVALID_KEY_URI', 'a signing key URI names a private key (type=private)');
  }
  if (parsed.object === undefined && parsed.id === undefined) {
    throw new KeysError('INVALID_KEY_URI', 'a pkcs11 key URI must name its key (object= or id=)');
  }
  const token = await openPkcs11Token(parsed, options);
  let signer: Pkcs11Signer;
  try {
    signer = await Pkcs11Signer.open(token, {
      ...(parsed.object !== undefined ? { label: parsed.object } : {}),
      ...(parsed.id !== undefined ? { id: parsed.id } : {}),
    });
  } catch (error) {
    await token.close();
    throw error;
  }
  return {
    algorithm: signer.algorithm,
    publicKey: signer.publicKey,
    sign: (message) => signer.sign(message),
    close: () => token.close(),
  };
}

/**
 * Opens and logs in to the token a `pkcs11:` URI names (token=, module-path=, PIN as for openSigner),
 * for managing keys in it. Close it when done.
 */
export async function openPkcs11Token(
  uri: string | Pkcs11Uri,
  options: OpenSignerOptions = {},
): Promise<Pkcs11Token> {
  const parsed = typeof uri === 'string' ? parseKeyUri(uri) : uri;
  if (parsed.scheme !== 'pkcs11') {
    throw new KeysError('INVALID_KEY_URI', 'a token URI starts with pkcs11:');
  }
  if (parsed.token === undefined) {
    throw new KeysError('INVALID_KEY_URI', 'a pkcs11 key URI must name its token (token=)');
  }
  const modulePath = parsed.modulePath ?? options.modulePath;
  if (modulePath === undefined) {
    throw new KeysError('INVALID_KEY_URI', 'a pkcs11 key URI must name its module (module-path=)');
  }
  const pin = await resolvePkcs11Pin(parsed, {
    ...options,
    ...(options.pin !== undefined ? { fallback: options.pin } : {}),
  });
  if (pin === undefined) {
    throw new KeysError(
      'BAD_CREDENTIALS',
      `no PIN for token '${parsed.token}': add pin-source=<file> to the URI or set ${PKCS11_PIN_ENV}`,
    );
  }
  return Pkcs11Token.open({
    modulePath,
    tokenLabel: parsed.token,
    pin,
    ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
    ...(options.asyncSign !== undefined ? { asyncSign: options.asyncSign } : {}),
  });
}
