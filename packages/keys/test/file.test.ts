// file: keys: encrypted PKCS#8 written with mode 0600 and read back with its password, checked
// against OpenSSL; unencrypted PEM only when no password is involved; every refusal has its code.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  KeysError,
  readKeyFile,
  type SignatureAlgorithm,
  SoftwareSigner,
  spkiDer,
  writeEncryptedKeyFile,
} from '@airlock/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PASSWORD = 'tr0ub4dor&3 correct horse';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-keys-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<KeysError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KeysError);
    return error as KeysError;
  }
  throw new Error('expected a KeysError, but the promise resolved');
}

describe('encrypted key files', () => {
  it.each([
    ['ecdsa-p256-sha256', 'sha256'],
    ['ecdsa-p384-sha384', 'sha384'],
    ['ed25519', null],
  ] as const)('round-trips a %s key with its password', async (algorithm, hash) => {
    const original = SoftwareSigner.generate(algorithm as SignatureAlgorithm);
    const path = join(dir, `${algorithm}.pem`);
    await writeEncryptedKeyFile(path, original, PASSWORD);

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const pem = await readFile(path, 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(pem).not.toContain('BEGIN PRIVATE KEY');

    const loaded = await readKeyFile(path, { password: PASSWORD });
    expect(loaded.algorithm).toBe(algorithm);
    expect(spkiDer(loaded.publicKey)).toEqual(spkiDer(original.publicKey));
    const message = new TextEncoder().encode('checkpoint body');
    const signature = await loaded.sign(message);
    expect(verify(hash, message, original.publicKey, signature)).toBe(true);
  });

  it('is PBES2 with AES-256-CBC, and OpenSSL decrypts it with the same password', async () => {
    const path = join(dir, 'ecdsa-p256-sha256.pem');
    const { stdout: structure } = await run('openssl', ['asn1parse', '-in', path]);
    expect(structure).toContain('PBES2');
    expect(structure).toContain('PBKDF2');
    expect(structure).toContain('aes-256-cbc');
    const { stdout: decrypted } = await run(
      'openssl',
      ['pkey', '-in', path, '-passin', 'env:KEY_PASSWORD', '-pubout'],
      { env: { ...process.env, KEY_PASSWORD: PASSWORD } },
    );
    const loaded = await readKeyFile(path, { password: PASSWORD });
    expect(decrypted).toBe(loaded.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('reads a key OpenSSL encrypted', async () => {
    const path = join(dir, 'openssl.pem');
    await run(
      'openssl',
      [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-384',
        '-aes-256-cbc',
        '-pass',
        'env:KEY_PASSWORD',
        '-out',
        path,
      ],
      { env: { ...process.env, KEY_PASSWORD: PASSWORD } },
    );
    expect((await readKeyFile(path, { password: PASSWORD })).algorithm).toBe('ecdsa-p384-sha384');
  });

  it('refuses a wrong password without repeating either password', async () => {
    const path = join(dir, 'ecdsa-p256-sha256.pem');
    const wrong = 'not-the-password-42';
    const error = await rejection(readKeyFile(path, { password: wrong }));
    expect(error.code).toBe('BAD_CREDENTIALS');
    expect(error.message).toContain(path);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(PASSWORD);
    expect(String(error.cause)).not.toContain(wrong);
  });

  it('refuses an encrypted file when no password is given', async () => {
    const error = await rejection(readKeyFile(join(dir, 'ed25519.pem')));
    expect(error.code).toBe('BAD_CREDENTIALS');
    expect(error.message).toContain('is encrypted');
  });

  it('never overwrites an existing file, and refuses an empty password', async () => {
    const path = join(dir, 'ed25519.pem');
    const before = await readFile(path, 'utf8');
    const exists = await rejection(
      writeEncryptedKeyFile(path, SoftwareSigner.generate('ed25519'), PASSWORD),
    );
    expect(exists.code).toBe('KEY_EXISTS');
    expect(await readFile(path, 'utf8')).toBe(before);
    const empty = await rejection(
      writeEncryptedKeyFile(join(dir, 'empty-pw.pem'), SoftwareSigner.generate('ed25519'), ''),
    );
    expect(empty.code).toBe('BAD_CREDENTIALS');
  });

  it('reports a missing directory as BACKEND_FAILED', async () => {
    const error = await rejection(
      writeEncryptedKeyFile(
        join(dir, 'no', 'such', 'dir.pem'),
        SoftwareSigner.generate('ed25519'),
        PASSWORD,
      ),
    );
    expect(error.code).toBe('BACKEND_FAILED');
  });
});

describe('unencrypted (development) key files', () => {
  let devKey: string;
  beforeAll(async () => {
    devKey = join(dir, 'dev.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(devKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  });

  it('are read when no password is given at all', async () => {
    const signer = await readKeyFile(devKey);
    expect(signer.algorithm).toBe('ecdsa-p256-sha256');
  });

  it('are refused when a password is given, since that promises encryption', async () => {
    const error = await rejection(readKeyFile(devKey, { password: 'anything' }));
    expect(error.code).toBe('INSECURE_KEY_FILE');
    expect(error.message).not.toContain('anything');
  });

  it('are refused when encryption is required', async () => {
    const error = await rejection(readKeyFile(devKey, { requireEncrypted: true }));
    expect(error.code).toBe('INSECURE_KEY_FILE');
  });
});

describe('files that hold no usable key', () => {
  it('is KEY_NOT_FOUND when the file does not exist', async () => {
    const error = await rejection(readKeyFile(join(dir, 'absent.pem')));
    expect(error.code).toBe('KEY_NOT_FOUND');
  });

  it.each([
    ['rsa.pem', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['p521.pem', () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey],
  ])('refuses %s as UNSUPPORTED_KEY', async (name, make) => {
    const path = join(dir, name);
    await writeFile(path, make().export({ type: 'pkcs8', format: 'pem' }));
    expect((await rejection(readKeyFile(path))).code).toBe('UNSUPPORTED_KEY');
  });

  it('refuses a public key or garbage as UNSUPPORTED_KEY', async () => {
    const publicOnly = join(dir, 'public.pem');
    const { publicKey } = generateKeyPairSync('ed25519');
    await writeFile(publicOnly, publicKey.export({ type: 'spki', format: 'pem' }));
    expect((await rejection(readKeyFile(publicOnly))).code).toBe('UNSUPPORTED_KEY');
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a key\n');
    expect((await rejection(readKeyFile(garbage))).code).toBe('UNSUPPORTED_KEY');
  });
});
