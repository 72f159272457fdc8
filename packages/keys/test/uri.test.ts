// Key URI parsing: RFC 7512 pkcs11: URIs and file: URIs, what they accept and what they refuse,
// and that no error message ever repeats a PIN.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatPkcs11Uri,
  KeysError,
  parseFileKeyUri,
  parseKeyUri,
  parsePkcs11Uri,
  resolveKeyFilePassword,
  resolvePkcs11Pin,
} from '@airlock/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function keysErrorOf(action: () => unknown): KeysError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KeysError);
    return error as KeysError;
  }
  throw new Error('expected a KeysError, but nothing was thrown');
}

describe('parsePkcs11Uri', () => {
  it('reads path and query attributes', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=sigstore-ca;object=ca-p256;id=%01%02;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin',
    );
    expect(uri).toEqual({
      scheme: 'pkcs11',
      token: 'sigstore-ca',
      object: 'ca-p256',
      id: Uint8Array.of(1, 2),
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinSource: '/run/secrets/pin',
    });
  });

  it('percent-decodes labels as UTF-8 and ids as raw bytes', () => {
    const uri = parsePkcs11Uri('pkcs11:token=My%20Token%3B%C3%A9;object=a%2Fb;id=%ff%00A');
    expect(uri.token).toBe('My Token;é');
    expect(uri.object).toBe('a/b');
    expect(uri.id).toEqual(Uint8Array.of(0xff, 0x00, 0x41));
  });

  it('accepts the RFC 7512 examples it supports and an empty path', () => {
    expect(parsePkcs11Uri('pkcs11:')).toEqual({ scheme: 'pkcs11' });
    expect(parsePkcs11Uri('pkcs11:object=my-pubkey;type=public').type).toBe('public');
    expect(parsePkcs11Uri('pkcs11:token=Software%20PKCS%2311%20softtoken').token).toBe(
      'Software PKCS#11 softtoken',
    );
    expect(parsePkcs11Uri('pkcs11:object=x=y').object).toBe('x=y');
    expect(parsePkcs11Uri('PKCS11:token=t').token).toBe('t');
  });

  it('takes pin-source as a path or a file: URI', () => {
    expect(parsePkcs11Uri('pkcs11:token=t?pin-source=file:/etc/token_pin').pinSource).toBe(
      '/etc/token_pin',
    );
    expect(parsePkcs11Uri('pkcs11:token=t?pin-source=file:///etc/token_pin').pinSource).toBe(
      '/etc/token_pin',
    );
    expect(parsePkcs11Uri('pkcs11:token=t?pin-source=pins/token%20pin').pinSource).toBe(
      'pins/token pin',
    );
  });

  it.each([
    ['pkcs11:token=t;token=u', 'appears twice', 'INVALID_KEY_URI'],
    ['pkcs11:token=t;colour=red', "unknown path attribute 'colour'", 'INVALID_KEY_URI'],
    ['pkcs11:token=t?colour=red', "unknown query attribute 'colour'", 'INVALID_KEY_URI'],
    ['pkcs11:serial=1234', "'serial' is standard but Airlock does not support it", ''],
    ['pkcs11:token=t?module-name=softhsm2', "'module-name' is standard", ''],
    ['pkcs11:token=t;module-path=/x.so', 'belongs in the query', ''],
    ['pkcs11:token=t?object=k', 'belongs in the path', ''],
    ['pkcs11:token=t;type=secret', 'type must be one of', ''],
    ['pkcs11:token=t;;object=k', 'empty attribute', ''],
    ['pkcs11:token', 'not of the form name=value', ''],
    ['pkcs11:token=', "attribute 'token' is empty", ''],
    ['pkcs11:token=a%2', 'malformed %-escape', ''],
    ['pkcs11:token=a%zz', 'malformed %-escape', ''],
    ['pkcs11:token=a b', 'must be percent-encoded', ''],
    ['pkcs11:token=a/b', 'must be percent-encoded', ''],
    ['pkcs11:token=%C3%28', 'not valid UTF-8', ''],
    ['pkcs11:token=a%00b', 'NUL', ''],
    ['pkcs11:token=t#frag', 'must be percent-encoded', ''],
    ['pkcs11:token=t?module-path=relative/lib.so', 'absolute path', ''],
    ['pkcs11:token=t?pin-source=|/bin/getpin', 'may not run a command', ''],
    ['pkcs11:token=t?pin-source=https://x/pin', 'file path or a file: URI', ''],
    ['pkcs11:token=t?pin-source=file://otherhost/pin', 'remote host', ''],
    ['pkcs11:token=t?pin-source=/p&pin-value=1', 'not both', ''],
    ['pkcs12:token=t', 'does not start with pkcs11:', ''],
  ])('rejects %s', (uri, message) => {
    const error = keysErrorOf(() => parsePkcs11Uri(uri));
    expect(error.code).toBe('INVALID_KEY_URI');
    expect(error.message).toContain(message);
  });

  it('accepts pin-value but never repeats a PIN in an error', () => {
    const pin = '9817-secret';
    expect(parsePkcs11Uri(`pkcs11:token=t?pin-value=${pin}`).pinValue).toBe(pin);
    const mistakes = [
      `pkcs11:token=t;pin-value=${pin}`, // in the path
      `pkcs11:token=t?pin-value=${pin}&pin-value=${pin}`, // twice
      `pkcs11:token=t?pin-value=${pin}%zz`, // bad escape
      `pkcs11:token=t?pin-value=${pin} x`, // bad character
      `pkcs11:token=t?pin-value=${pin}%ff`, // not UTF-8
      `pkcs11:token=t?pin=${pin}`, // misspelt attribute
      `pkcs11:token=t?${pin}=x`, // PIN as a name
      `pkcs11:token=t?${pin}`, // PIN alone
      `pkcs11:token=t?pin-source=/p&pin-value=${pin}`,
      `pkcs11:token=${pin};token=${pin}`,
    ];
    for (const uri of mistakes) {
      const error = keysErrorOf(() => parsePkcs11Uri(uri));
      expect(error.code).toBe('INVALID_KEY_URI');
      expect(error.message).not.toContain(pin);
      expect(error.message).not.toContain('9817');
    }
  });

  it('round-trips through formatPkcs11Uri, which encodes what needs encoding', () => {
    const fields = {
      token: 'CA token; é/1',
      object: 'root key?',
      id: Uint8Array.of(0, 0xfe, 0x41),
      type: 'private' as const,
      modulePath: '/opt/hsm vendor/lib.so',
      pinSource: '/run/secrets/ca pin',
    };
    const text = formatPkcs11Uri(fields);
    expect(text).toBe(
      'pkcs11:token=CA%20token%3b%20%c3%a9%2f1;object=root%20key%3f;id=%00%fe%41;type=private?module-path=/opt/hsm%20vendor/lib.so&pin-source=/run/secrets/ca%20pin',
    );
    expect(parsePkcs11Uri(text)).toEqual({ scheme: 'pkcs11', ...fields });
  });
});

describe('parseFileKeyUri', () => {
  it('reads absolute, triple-slash, localhost and relative forms', () => {
    expect(parseFileKeyUri('file:/etc/airlock/ca.pem')).toEqual({
      scheme: 'file',
      path: '/etc/airlock/ca.pem',
    });
    expect(parseFileKeyUri('file:///etc/airlock/ca.pem').path).toBe('/etc/airlock/ca.pem');
    expect(parseFileKeyUri('file://localhost/etc/ca.pem').path).toBe('/etc/ca.pem');
    expect(parseFileKeyUri('file:keys/dev%20key.pem').path).toBe('keys/dev key.pem');
  });

  it('reads password-source as a path or a file: URI', () => {
    expect(parseFileKeyUri('file:/k.pem?password-source=/run/pw').passwordSource).toBe('/run/pw');
    expect(parseFileKeyUri('file:/k.pem?password-source=file:/run/pw').passwordSource).toBe(
      '/run/pw',
    );
  });

  it.each([
    ['file:', 'has no path'],
    ['file://', 'has no path'],
    ['file://server/share/k.pem', 'remote host'],
    ['file:/k.pem#x', 'fragments'],
    ['file:/k.pem?password=x', "unknown query attribute 'password'"],
    ['file:/k.pem?password-source=/a&password-source=/b', 'appears twice'],
    ['file:/a b.pem', 'must be percent-encoded'],
    ['file:/a%zz.pem', 'malformed %-escape'],
  ])('rejects %s', (uri, message) => {
    const error = keysErrorOf(() => parseFileKeyUri(uri));
    expect(error.code).toBe('INVALID_KEY_URI');
    expect(error.message).toContain(message);
  });
});

describe('parseKeyUri', () => {
  it('dispatches on the scheme and refuses others', () => {
    expect(parseKeyUri('pkcs11:token=t').scheme).toBe('pkcs11');
    expect(parseKeyUri('file:/k.pem').scheme).toBe('file');
    expect(keysErrorOf(() => parseKeyUri('awskms:///alias/ca')).message).toContain(
      "unsupported key URI scheme 'awskms'",
    );
    expect(keysErrorOf(() => parseKeyUri('/etc/k.pem')).code).toBe('INVALID_KEY_URI');
  });
});

describe('PIN and password resolution', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-keys-uri-'));
    await writeFile(join(dir, 'pin'), '4321\n');
    await writeFile(join(dir, 'pin-crlf'), '4321\r\n');
    await writeFile(join(dir, 'empty'), '\n');
    await writeFile(join(dir, 'password'), 'correct horse');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prefers pin-source, then pin-value, then the caller, then AIRLOCK_PKCS11_PIN', async () => {
    const env = { AIRLOCK_PKCS11_PIN: 'from-env' };
    const fromFile = parsePkcs11Uri('pkcs11:token=t?pin-source=pin');
    expect(await resolvePkcs11Pin(fromFile, { env, baseDir: dir, fallback: 'x' })).toBe('4321');
    const crlf = parsePkcs11Uri(`pkcs11:token=t?pin-source=${join(dir, 'pin-crlf')}`);
    expect(await resolvePkcs11Pin(crlf, { env })).toBe('4321');
    const inline = parsePkcs11Uri('pkcs11:token=t?pin-value=77');
    expect(await resolvePkcs11Pin(inline, { env, fallback: 'x' })).toBe('77');
    const bare = parsePkcs11Uri('pkcs11:token=t');
    expect(await resolvePkcs11Pin(bare, { env, fallback: 'prompted' })).toBe('prompted');
    expect(await resolvePkcs11Pin(bare, { env })).toBe('from-env');
    expect(await resolvePkcs11Pin(bare, { env: { AIRLOCK_PKCS11_PIN: '' } })).toBeUndefined();
    expect(await resolvePkcs11Pin(bare, { env: {} })).toBeUndefined();
  });

  it('refuses missing and empty PIN files with BAD_CREDENTIALS', async () => {
    const missing = parsePkcs11Uri('pkcs11:token=t?pin-source=nope');
    await expect(resolvePkcs11Pin(missing, { baseDir: dir })).rejects.toMatchObject({
      code: 'BAD_CREDENTIALS',
      message: expect.stringContaining('could not read the PIN file'),
    });
    const empty = parsePkcs11Uri('pkcs11:token=t?pin-source=empty');
    await expect(resolvePkcs11Pin(empty, { baseDir: dir })).rejects.toMatchObject({
      code: 'BAD_CREDENTIALS',
      message: expect.stringContaining('is empty'),
    });
  });

  it('finds a key password in password-source, the caller, then AIRLOCK_KEY_PASSWORD', async () => {
    const env = { AIRLOCK_KEY_PASSWORD: 'env-pw' };
    const withSource = parseFileKeyUri(`file:k.pem?password-source=${join(dir, 'password')}`);
    expect(await resolveKeyFilePassword(withSource, { env })).toBe('correct horse');
    const bare = parseFileKeyUri('file:k.pem');
    expect(await resolveKeyFilePassword(bare, { env, fallback: 'prompted' })).toBe('prompted');
    expect(await resolveKeyFilePassword(bare, { env })).toBe('env-pw');
    expect(await resolveKeyFilePassword(bare, { env: {} })).toBeUndefined();
  });
});
