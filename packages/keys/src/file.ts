// Keys in PEM files (`file:` URIs): password-encrypted PKCS#8 for anything that matters, and
// unencrypted PEM for development only, accepted solely when no password was given at all.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { KeysError } from './errors.js';
import { SoftwareSigner } from './software.js';

export interface ReadKeyFileOptions {
  /** The password that decrypts the file. Absent means the file must be unencrypted. */
  readonly password?: string;
  /** Refuse unencrypted files even without a password (services should set this in production). */
  readonly requireEncrypted?: boolean;
}

/** PEM headers of encrypted private keys: PKCS#8 (what Airlock writes) and OpenSSL's legacy form. */
function isEncryptedPem(pem: string): boolean {
  return (
    pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,ENCRYPTED/.test(pem)
  );
}

/**
 * Reads a private key file into a signer. An encrypted file needs its password; a wrong one is
 * BAD_CREDENTIALS. An unencrypted file is a development convenience: it is refused
 * (INSECURE_KEY_FILE) when a password was given, since whoever gave one expects encryption.
 */
export async function readKeyFile(
  path: string,
  options: ReadKeyFileOptions = {},
): Promise<SoftwareSigner> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeysError('KEY_NOT_FOUND', `no key file at ${path}`);
    throw new KeysError('BACKEND_FAILED', `could not read the key file ${path} (${code})`, {
      cause: error,
    });
  }
  let privateKey: KeyObject;
  if (isEncryptedPem(pem)) {
    if (options.password === undefined) {
      throw new KeysError(
        'BAD_CREDENTIALS',
        `the key file ${path} is encrypted; give its password (password-source= or AIRLOCK_KEY_PASSWORD)`,
      );
    }
    try {
      privateKey = createPrivateKey({ key: pem, format: 'pem', passphrase: options.password });
    } catch (error) {
      // OpenSSL cannot tell a wrong password from a damaged file: both fail to decrypt.
      throw new KeysError(
        'BAD_CREDENTIALS',
        `wrong password for the key file ${path} (or the file is damaged)`,
        { cause: error },
      );
    }
  } else {
    if (options.password !== undefined) {
      throw new KeysError(
        'INSECURE_KEY_FILE',
        `the key file ${path} is not encrypted, but a password was given; encrypt it, or give no password for a development key`,
      );
    }
    if (options.requireEncrypted === true) {
      throw new KeysError(
        'INSECURE_KEY_FILE',
        `the key file ${path} is not encrypted; unencrypted keys are for development only`,
      );
    }
    try {
      privateKey = createPrivateKey({ key: pem, format: 'pem' });
    } catch (error) {
      throw new KeysError('UNSUPPORTED_KEY', `the key file ${path} holds no readable private key`, {
        cause: error,
      });
    }
  }
  return new SoftwareSigner(privateKey);
}

/**
 * Writes a signer's private key as password-encrypted PKCS#8 PEM (PBES2: PBKDF2 and AES-256-CBC)
 * readable by its owner only (mode 0600). Never overwrites: an existing file is KEY_EXISTS.
 */
export async function writeEncryptedKeyFile(
  path: string,
  signer: SoftwareSigner,
  password: string,
): Promise<void> {
  if (password === '') {
    throw new KeysError('BAD_CREDENTIALS', 'a key file password must not be empty');
  }
  const pem = signer.exportPrivateKey().export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: password,
  });
  let file: Awaited<ReturnType<typeof open>>;
  try {
    // 'wx' fails if the file exists; the mode applies at creation, before any byte is written.
    file = await open(path, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeysError('KEY_EXISTS', `${path} already exists`);
    throw new KeysError('BACKEND_FAILED', `could not create the key file ${path} (${code})`, {
      cause: error,
    });
  }
  try {
    await file.writeFile(pem, 'utf8');
    await file.sync();
    await file.close();
  } catch (error) {
    // A half-written key file would later read as damaged; better that it does not exist.
    await file.close().catch(() => {});
    await rm(path, { force: true });
    throw new KeysError('BACKEND_FAILED', `could not write the key file ${path}`, { cause: error });
  }
}
