// Signatures made by node:crypto over a message verify against that message's digest, and nothing else does.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { verifyDigestSignature } from '@airlock/digest-verify';
import { describe, expect, it } from 'vitest';

const keys = [
  { name: 'ECDSA P-256', type: 'ec', options: { namedCurve: 'prime256v1' }, digest: 'sha256' },
  { name: 'ECDSA P-384', type: 'ec', options: { namedCurve: 'secp384r1' }, digest: 'sha384' },
  { name: 'ECDSA P-521', type: 'ec', options: { namedCurve: 'secp521r1' }, digest: 'sha512' },
  { name: 'RSA 2048', type: 'rsa', options: { modulusLength: 2048 }, digest: 'sha256' },
] as const;

describe('verifyDigestSignature', () => {
  for (const key of keys) {
    it(`${key.name}: accepts the signature over the digest, rejects every change`, () => {
      const { privateKey, publicKey } = generateKeyPairSync(
        key.type as 'ec',
        key.options as { namedCurve: string },
      );
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const message = Buffer.from(`message for ${key.name}`);
      const digest = createHash(key.digest).update(message).digest();
      const signature = sign(key.digest, message, privateKey);
      expect(verifyDigestSignature(spki, key.digest, digest, signature)).toBe(true);

      const otherDigest = Buffer.from(digest);
      otherDigest[5]! ^= 0x01;
      expect(verifyDigestSignature(spki, key.digest, otherDigest, signature)).toBe(false);
      const otherSignature = Buffer.from(signature);
      otherSignature[otherSignature.length - 3]! ^= 0x01;
      expect(verifyDigestSignature(spki, key.digest, digest, otherSignature)).toBe(false);
      const otherKey = generateKeyPairSync(
        key.type as 'ec',
        key.options as { namedCurve: string },
      ).publicKey;
      expect(
        verifyDigestSignature(
          otherKey.export({ type: 'spki', format: 'der' }),
          key.digest,
          digest,
          signature,
        ),
      ).toBe(false);
      // The digest must be as long as its algorithm says.
      expect(
        verifyDigestSignature(
          spki,
          key.digest === 'sha256' ? 'sha384' : 'sha256',
          digest,
          signature,
        ),
      ).toBe(false);
    });
  }

  it('answers false for garbage keys, signatures and trailing bytes, never throwing', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const digest = createHash('sha256').update('x').digest();
    const signature = sign('sha256', Buffer.from('x'), privateKey);
    expect(verifyDigestSignature(Buffer.from('not a key'), 'sha256', digest, signature)).toBe(
      false,
    );
    expect(
      verifyDigestSignature(Buffer.concat([spki, Buffer.of(0)]), 'sha256', digest, signature),
    ).toBe(false);
    expect(verifyDigestSignature(spki, 'sha256', digest, Buffer.alloc(0))).toBe(false);
    expect(verifyDigestSignature(spki, 'sha256', digest, Buffer.alloc(72, 0x30))).toBe(false);
    expect(verifyDigestSignature(spki, 'md5' as 'sha256', digest.subarray(0, 16), signature)).toBe(
      false,
    );
    const ed = generateKeyPairSync('ed25519');
    const edSignature = sign(null, digest, ed.privateKey);
    expect(
      verifyDigestSignature(
        ed.publicKey.export({ type: 'spki', format: 'der' }),
        'sha256',
        digest,
        edSignature,
      ),
    ).toBe(false);
  });

  it('accepts Uint8Array views into larger buffers', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const digest = createHash('sha256').update('y').digest();
    const signature = sign('sha256', Buffer.from('y'), privateKey);
    const backing = new Uint8Array(spki.length + 10);
    backing.set(spki, 5);
    expect(
      verifyDigestSignature(
        backing.subarray(5, 5 + spki.length),
        'sha256',
        new Uint8Array(digest),
        new Uint8Array(signature),
      ),
    ).toBe(true);
  });
});
