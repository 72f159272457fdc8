// `generate-key-pair` as cosign does it: a P-256 signing key, written encrypted as `<prefix>.key` with
// its public key as `<prefix>.pub`, or created inside an HSM token with only `<prefix>.pub` written.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateKey, KEY_PASSWORD_ENV } from '@airlock/keys';
import { ClientError } from './errors.js';
import { COSIGN_PASSWORD_ENV, keyUriOf } from './setup.js';

export interface GenerateKeyPairOptions {
  /** Output file prefix (default `cosign`): `<prefix>.key` and `<prefix>.pub`. */
  readonly outputKeyPrefix?: string;
  /** A `pkcs11:` URI naming the new key (`object=`): the key is made in the token, no `.key` file. */
  readonly key?: string;
  /** Environment for COSIGN_PASSWORD / AIRLOCK_KEY_PASSWORD (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly baseDir?: string;
}

export interface GeneratedKeyPair {
  /** The key's URI, for `--key` (a `file:` URI of the `.key` file, or the `pkcs11:` URI given). */
  readonly keyUri: string;
  /** The `.key` file, when the key is a file. */
  readonly privateKeyPath?: string;
  readonly publicKeyPath: string;
  readonly publicKeyPem: string;
}

/** cosign's default prefix. */
export const DEFAULT_KEY_PREFIX = 'cosign';

/**
 * Generates the key pair. A file key is encrypted with the password from $COSIGN_PASSWORD, else
 * $AIRLOCK_KEY_PASSWORD; there is no prompt, so a missing password is an error. Nothing is overwritten.
 */
export async function generateSigningKeyPair(
  options: GenerateKeyPairOptions = {},
): Promise<GeneratedKeyPair> {
  const baseDir = options.baseDir ?? process.cwd();
  const prefix = resolve(baseDir, options.outputKeyPrefix ?? DEFAULT_KEY_PREFIX);
  const publicKeyPath = `${prefix}.pub`;
  if (existsSync(publicKeyPath)) {
    throw new ClientError('OUTPUT_EXISTS', `${publicKeyPath} already exists; not replacing it`);
  }
  const env = options.env ?? process.env;
  let keyUri: string;
  let privateKeyPath: string | undefined;
  let password: string | undefined;
  if (options.key !== undefined) {
    if (!/^pkcs11:/i.test(options.key)) {
      throw new ClientError(
        'INVALID_INPUT',
        '--key names a key to create in a token (pkcs11:…); without it the key is written to <prefix>.key',
      );
    }
    keyUri = options.key;
  } else {
    privateKeyPath = `${prefix}.key`;
    if (existsSync(privateKeyPath)) {
      throw new ClientError('OUTPUT_EXISTS', `${privateKeyPath} already exists; not replacing it`);
    }
    password = [env[COSIGN_PASSWORD_ENV], env[KEY_PASSWORD_ENV]].find(
      (value) => value !== undefined && value !== '',
    );
    if (password === undefined) {
      throw new ClientError(
        'INVALID_INPUT',
        `the key file needs a password: set ${COSIGN_PASSWORD_ENV} or ${KEY_PASSWORD_ENV} (there is no prompt)`,
      );
    }
    keyUri = keyUriOf(privateKeyPath);
  }
  const publicKey = await generateKey(keyUri, 'ecdsa-p256-sha256', {
    env,
    baseDir,
    ...(password !== undefined ? { password } : {}),
  });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(publicKeyPath, publicKeyPem, { flag: 'wx', mode: 0o644 });
  return {
    keyUri,
    ...(privateKeyPath !== undefined ? { privateKeyPath } : {}),
    publicKeyPath,
    publicKeyPem,
  };
}
