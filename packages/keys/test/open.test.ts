// openSigner: one entry point that turns a pkcs11: or file: URI into a working, closable Signer,
// finding the PIN or password where the URI, the caller or the environment says.
import { verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair,
  KeysError,
  openSigner,
  Pkcs11Token,
  SoftwareSigner,
  spkiDer,
  writeEncryptedKeyFile,
} from '@airlock/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

let hsm: SoftHsmToken;
let dir: string;
const message = new TextEncoder().encode('a Rekor entry');

async function rejection(promise: Promise<unknown>): Promise<KeysError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KeysError);
    return error as KeysError;
  }
  throw new Error('expected a KeysError, but the promise resolved');
}

beforeAll(async () => {
  hsm = await createSoftHsmToken();
  dir = await mkdtemp(join(tmpdir(), 'airlock-keys-open-'));
  const token = await Pkcs11Token.open({
    modulePath: hsm.modulePath,
    tokenLabel: hsm.tokenLabel,
    pin: hsm.pin,
  });
  await generateKeyPair(token, {
    label: 'log key',
    id: Uint8Array.of(0xc0, 0xff),
    algorithm: 'ecdsa-p256-sha256',
  });
  await generateKeyPair(token, { label: 'tsa', algorithm: 'ecdsa-p384-sha384' });
  await token.close();
});

afterAll(async () => {
  await hsm?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('openSigner with pkcs11: URIs', () => {
  it('opens a token key named by the URI, PIN from pin-source, and signs', async () => {
    const uri = hsm.uri('log key', { id: Uint8Array.of(0xc0, 0xff) });
    expect(uri).toContain('object=log%20key;id=%c0%ff;type=private?module-path=');
    const signer = await openSigner(uri);
    try {
      expect(signer.algorithm).toBe('ecdsa-p256-sha256');
      expect(verify('sha256', message, signer.publicKey, await signer.sign(message))).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('takes the PIN from the caller or AIRLOCK_PKCS11_PIN when the URI names none', async () => {
    const base = `pkcs11:token=${hsm.tokenLabel};object=tsa`;
    const fromEnv = await openSigner(`${base}?module-path=${hsm.modulePath}`, {
      env: { AIRLOCK_PKCS11_PIN: hsm.pin },
    });
    expect(fromEnv.algorithm).toBe('ecdsa-p384-sha384');
    // The module path may come from the caller too.
    const fromCaller = await openSigner(base, {
      modulePath: hsm.modulePath,
      pin: hsm.pin,
      env: {},
    });
    expect(spkiDer(fromCaller.publicKey)).toEqual(spkiDer(fromEnv.publicKey));
    expect(verify('sha384', message, fromEnv.publicKey, await fromCaller.sign(message))).toBe(true);
    await fromEnv.close();
    await fromCaller.close();
  });

  it('says BAD_CREDENTIALS when there is no PIN, or a wrong one, and never shows it', async () => {
    const base = `pkcs11:token=${hsm.tokenLabel};object=tsa?module-path=${hsm.modulePath}`;
    const none = await rejection(openSigner(base, { env: {} }));
    expect(none.code).toBe('BAD_CREDENTIALS');
    expect(none.message).toContain('AIRLOCK_PKCS11_PIN');

    const wrongPin = 'badpin-5150';
    const wrongFile = join(dir, 'wrong.pin');
    await writeFile(wrongFile, `${wrongPin}\n`);
    for (const uri of [`${base}&pin-source=${wrongFile}`, `${base}&pin-value=${wrongPin}`]) {
      const wrong = await rejection(openSigner(uri, { env: {} }));
      expect(wrong.code).toBe('BAD_CREDENTIALS');
      expect(wrong.message).toContain(hsm.tokenLabel);
      expect(wrong.message).not.toContain(wrongPin);
      expect(wrong.message).not.toContain(hsm.pin);
    }
  });

  it('says KEY_NOT_FOUND for an unknown token or object', async () => {
    const unknownToken = await rejection(
      openSigner(hsm.uri('tsa').replace(hsm.tokenLabel, 'no-such-token')),
    );
    expect(unknownToken.code).toBe('KEY_NOT_FOUND');
    const unknownObject = await rejection(openSigner(hsm.uri('no-such-key')));
    expect(unknownObject.code).toBe('KEY_NOT_FOUND');
    // The failed open released the token: a good URI still opens and signs.
    const signer = await openSigner(hsm.uri('tsa'));
    expect(verify('sha384', message, signer.publicKey, await signer.sign(message))).toBe(true);
    await signer.close();
  });

  it.each([
    ['type=public', (uri: string) => uri.replace('type=private', 'type=public'), 'type=private'],
    ['no token', (uri: string) => uri.replace(/token=[^;]*;/, ''), 'token='],
    ['no key', (uri: string) => uri.replace(/object=[^;]*;/, ''), 'object= or id='],
    ['no module', (uri: string) => uri.replace(/module-path=[^&]*&/, ''), 'module-path='],
  ])('says INVALID_KEY_URI for %s', async (_, mangle, hint) => {
    const error = await rejection(openSigner(mangle(hsm.uri('tsa')), { env: {} }));
    expect(error.code).toBe('INVALID_KEY_URI');
    expect(error.message).toContain(hint);
  });
});

describe('openSigner with file: URIs', () => {
  const password = 'file-key-password';
  let original: SoftwareSigner;
  let keyPath: string;
  let passwordFile: string;

  beforeAll(async () => {
    original = SoftwareSigner.generate('ed25519');
    keyPath = join(dir, 'tuf root.pem');
    await writeEncryptedKeyFile(keyPath, original, password);
    passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`);
  });

  it('opens an encrypted key with password-source, the caller, or AIRLOCK_KEY_PASSWORD', async () => {
    const encoded = `file:${keyPath.replaceAll(' ', '%20')}`;
    const signers = [
      await openSigner(`${encoded}?password-source=${passwordFile}`, { env: {} }),
      await openSigner(encoded, { password, env: {} }),
      await openSigner(encoded, { env: { AIRLOCK_KEY_PASSWORD: password } }),
      await openSigner('file:tuf%20root.pem', { baseDir: dir, password, env: {} }),
    ];
    for (const signer of signers) {
      expect(signer.algorithm).toBe('ed25519');
      expect(verify(null, message, original.publicKey, await signer.sign(message))).toBe(true);
      await signer.close();
    }
  });

  it('refuses an encrypted key with no or a wrong password', async () => {
    const encoded = `file://${keyPath.replaceAll(' ', '%20')}`;
    expect((await rejection(openSigner(encoded, { env: {} }))).code).toBe('BAD_CREDENTIALS');
    const wrong = await rejection(openSigner(encoded, { password: 'nope-nope', env: {} }));
    expect(wrong.code).toBe('BAD_CREDENTIALS');
    expect(wrong.message).not.toContain('nope-nope');
  });

  it('opens an unencrypted development key only while no password is in play', async () => {
    const devPath = join(dir, 'dev.pem');
    const dev = SoftwareSigner.generate('ecdsa-p256-sha256');
    await writeFile(devPath, dev.exportPrivateKey().export({ type: 'pkcs8', format: 'pem' }));
    const signer = await openSigner(`file:${devPath}`, { env: {} });
    expect(verify('sha256', message, dev.publicKey, await signer.sign(message))).toBe(true);
    await signer.close();
    const withEnvPassword = await rejection(
      openSigner(`file:${devPath}`, { env: { AIRLOCK_KEY_PASSWORD: 'x' } }),
    );
    expect(withEnvPassword.code).toBe('INSECURE_KEY_FILE');
    const required = await rejection(
      openSigner(`file:${devPath}`, { env: {}, requireEncryptedKeyFile: true }),
    );
    expect(required.code).toBe('INSECURE_KEY_FILE');
  });

  it('refuses other schemes', async () => {
    const error = await rejection(openSigner('awskms:///alias/airlock'));
    expect(error.code).toBe('INVALID_KEY_URI');
  });
});
