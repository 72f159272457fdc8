// Key management by URI, for `airlock keys …` and key ceremonies: generate a key where a URI points
// (inside a token, or an encrypted file), list a token's keys, read a key's public half.
import type { KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { KeysError } from './errors.js';
import { writeEncryptedKeyFile } from './file.js';
import { type OpenSignerOptions, openPkcs11Token, openSigner } from './open.js';
import { generateKeyPair, listKeys, type Pkcs11KeyInfo } from './pkcs11.js';
import type { SignatureAlgorithm } from './signer.js';
import { SoftwareSigner } from './software.js';
import { KEY_PASSWORD_ENV, parseKeyUri, resolveKeyFilePassword } from './uri.js';

/**
 * Generates a key at `uri` and returns its public key. `pkcs11:…;object=<label>[;id=…]`: inside the
 * token, sensitive and never extractable. `file:<path>`: an encrypted PKCS#8 file, which needs a
 * password (password-source= or $AIRLOCK_KEY_PASSWORD). Never replaces an existing key.
 */
export async function generateKey(
  uri: string,
  algorithm: SignatureAlgorithm,
  options: OpenSignerOptions = {},
): Promise<KeyObject> {
  const parsed = parseKeyUri(uri);
  if (parsed.scheme === 'file') {
    const password = await resolveKeyFilePassword(parsed, {
      ...options,
      ...(options.password !== undefined ? { fallback: options.password } : {}),
    });
    if (password === undefined) {
      throw new KeysError(
        'BAD_CREDENTIALS',
        `a key file needs a password: add password-source=<file> to the URI or set ${KEY_PASSWORD_ENV}`,
      );
    }
    const signer = SoftwareSigner.generate(algorithm);
    await writeEncryptedKeyFile(
      resolve(options.baseDir ?? process.cwd(), parsed.path),
      signer,
      password,
    );
    return signer.publicKey;
  }
  if (parsed.object === undefined) {
    throw new KeysError('INVALID_KEY_URI', 'name the new key with object=<label>');
  }
  const token = await openPkcs11Token(parsed, options);
  try {
    const info = await generateKeyPair(token, {
      label: parsed.object,
      algorithm,
      ...(parsed.id !== undefined ? { id: parsed.id } : {}),
    });
    if (!info.publicKey)
      throw new KeysError('BACKEND_FAILED', 'the token did not return the new public key');
    return info.publicKey;
  } finally {
    await token.close();
  }
}

/** The keys in the token a `pkcs11:` URI names. */
export async function listTokenKeys(
  uri: string,
  options: OpenSignerOptions = {},
): Promise<Pkcs11KeyInfo[]> {
  const token = await openPkcs11Token(uri, options);
  try {
    return await listKeys(token);
  } finally {
    await token.close();
  }
}

/** The public key of the private key a URI names. */
export async function readPublicKey(
  uri: string,
  options: OpenSignerOptions = {},
): Promise<KeyObject> {
  const signer = await openSigner(uri, options);
  try {
    return signer.publicKey;
  } finally {
    await signer.close();
  }
}
