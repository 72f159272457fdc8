// Key IDs and log IDs as Sigstore computes them, and the Go key string forms.
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import {
  c2spKeyId,
  c2spLogId,
  cosignatureKeyId,
  ed25519PublicKeyBytes,
  formatSignerKey,
  formatVerifierKey,
  type NoteSigner,
  noteVerifierFromPublicKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  rekorV1KeyId,
  rekorV1LogId,
  signNote,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { noteErrorCode } from './support.js';

const spkiKey = (base64: string) =>
  createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
const spkiOf = (key: ReturnType<typeof spkiKey>) =>
  new Uint8Array(key.export({ format: 'der', type: 'spki' }));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('log IDs of real Sigstore logs', () => {
  it('public-good Rekor v2 (Ed25519): logId is the name-bound C2SP key hash', () => {
    // specs/sigstore-wire-formats.md §3.4, and the trusted roots in shared/vectors.
    const key = spkiKey('MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=');
    const logId = c2spLogId('log2025-1.rekor.sigstore.dev', key);
    expect(b64(logId)).toBe('zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=');
    expect(c2spKeyId('log2025-1.rekor.sigstore.dev', key)).toBe(0xcf119915);
    const manual = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('log2025-1.rekor.sigstore.dev\n\x01'),
          ed25519PublicKeyBytes(key),
        ]),
      )
      .digest();
    expect(b64(logId)).toBe(manual.toString('base64'));
    // Not the SPKI hash, and another name gives another ID.
    expect(b64(rekorV1LogId(spkiOf(key)))).not.toBe(b64(logId));
    expect(c2spKeyId('log2025-2.rekor.sigstore.dev', key)).not.toBe(0xcf119915);
  });

  it('public-good Rekor v1 (ECDSA P-256): logId = SHA-256(SPKI) whatever the name', () => {
    const key = spkiKey(
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==',
    );
    const expected = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';
    expect(Buffer.from(rekorV1LogId(spkiOf(key))).toString('hex')).toBe(expected);
    expect(Buffer.from(c2spLogId('rekor.sigstore.dev', key)).toString('hex')).toBe(expected);
    expect(Buffer.from(c2spLogId('any.name', key)).toString('hex')).toBe(expected);
    expect(rekorV1KeyId(spkiOf(key))).toBe(0xc0d23d6a);
  });
});

describe('RSA (0xFF "PKIX-RSA-PKCS#1v1.5") verification', () => {
  it('computes the name-bound key ID and verifies PKCS#1 v1.5 SHA-256 signatures', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = spkiOf(publicKey);
    const expectedKeyId = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('rsa.example\n\xff', 'latin1'),
          Buffer.from('PKIX-RSA-PKCS#1v1.5'),
          spki,
        ]),
      )
      .digest()
      .readUInt32BE(0);
    const verifier = noteVerifierFromPublicKey('rsa.example', publicKey);
    expect(verifier.keyId).toBe(expectedKeyId);
    const rsaSigner: NoteSigner = {
      name: 'rsa.example',
      keyId: expectedKeyId,
      sign: async (message) => sign('sha256', message, privateKey),
    };
    const note = await signNote('rsa\n', [rsaSigner]);
    expect(openNote(note, [verifier]).verified).toHaveLength(1);
    expect(noteErrorCode(() => openNote(note.replace('rsa\n', 'rsb\n'), [verifier]))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('refuses RSA keys below 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(noteErrorCode(() => noteVerifierFromPublicKey('rsa.example', publicKey))).toBe(
      'INVALID_KEY',
    );
  });
});

it('refuses keys that have no note signature type', () => {
  const x25519 = generateKeyPairSync('x25519').publicKey;
  expect(noteErrorCode(() => noteVerifierFromPublicKey('n', x25519))).toBe('INVALID_KEY');
  expect(noteErrorCode(() => c2spLogId('n', x25519))).toBe('INVALID_KEY');
  const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey;
  expect(noteErrorCode(() => noteVerifierFromPublicKey('n', p521))).toBe('INVALID_KEY');
  const ed25519 = SoftwareSigner.generate('ed25519').publicKey;
  expect(noteErrorCode(() => c2spLogId('bad name', ed25519))).toBe('INVALID_KEY');
});

describe('verifier and signer key strings', () => {
  it('round-trips a generated Ed25519 key through both forms', async () => {
    const signer = SoftwareSigner.generate('ed25519');
    const vkey = formatVerifierKey('witness.example/w1', signer.publicKey);
    expect(vkey).toMatch(/^witness\.example\/w1\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    const verifier = parseVerifierKey(vkey);
    const skey = formatSignerKey('witness.example/w1', signer.exportPrivateKey());
    expect(skey.startsWith('PRIVATE+KEY+witness.example/w1+')).toBe(true);
    const noteSigner = parseSignerKey(skey);
    expect(noteSigner.keyId).toBe(verifier.keyId);
    const note = await signNote('hello\n', [noteSigner]);
    expect(openNote(note, [verifier]).verified).toHaveLength(1);
  });

  it('formats a cosignature (0x04) verifier key with the cosignature key ID', () => {
    const signer = SoftwareSigner.generate('ed25519');
    const vkey = formatVerifierKey('w.example', signer.publicKey, 0x04);
    expect(vkey.split('+')[2]?.startsWith('B')).toBe(true); // 0x04 in the first base64 digit
    expect(parseVerifierKey(vkey).keyId).toBe(cosignatureKeyId('w.example', signer.publicKey));
    expect(parseVerifierKey(vkey).keyId).not.toBe(
      parseVerifierKey(formatVerifierKey('w.example', signer.publicKey)).keyId,
    );
  });

  const peter = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const bad: Record<string, string> = {
    'wrong key ID': 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'short key ID': 'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'non-hex key ID': 'PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'missing key': 'PeterNeumann+c74f20a3',
    'empty name': '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'bad base64': 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T',
    'truncated key': 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy1w==',
  };

  it('parses the Go vector verifier key', () => {
    expect(parseVerifierKey(peter)).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3 });
  });

  it.each(Object.entries(bad))('refuses a verifier key with %s', (_name, vkey) => {
    expect(noteErrorCode(() => parseVerifierKey(vkey))).toBe('INVALID_KEY');
  });

  it('refuses verifier keys of types other than 0x01 and 0x04', () => {
    const ecdsa = SoftwareSigner.generate('ecdsa-p256-sha256');
    const typed = Buffer.concat([Buffer.of(0x02), spkiOf(ecdsa.publicKey)]);
    const keyId = createHash('sha256')
      .update(Buffer.concat([Buffer.from('n\n'), typed]))
      .digest()
      .subarray(0, 4)
      .toString('hex');
    expect(noteErrorCode(() => parseVerifierKey(`n+${keyId}+${typed.toString('base64')}`))).toBe(
      'INVALID_KEY',
    );
  });

  it('refuses signer keys that are not PRIVATE+KEY Ed25519 seeds with the right key ID', () => {
    const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
    expect(parseSignerKey(skey).keyId).toBe(0xc74f20a3);
    for (const badKey of [
      skey.replace('PRIVATE+KEY+', ''),
      skey.replace('c74f20a3', 'c74f20a4'),
      skey.replace('+AYEK', '+AoEK'),
      skey.slice(0, -4),
    ])
      expect(
        noteErrorCode(() => parseSignerKey(badKey)),
        badKey,
      ).toBe('INVALID_KEY');
    expect(
      noteErrorCode(() => formatSignerKey('n', SoftwareSigner.generate('ed25519').publicKey)),
    ).toBe('INVALID_KEY');
  });
});
