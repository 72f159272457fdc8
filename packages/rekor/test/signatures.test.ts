// Prehashed signature verification (OpenSSL through @airlock/digest-verify) must agree with
// node:crypto's own signatures, and refuse what Go's verifiers refuse.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { materialFromPublicKeyDer, verifyDigestSignature } from '@airlock/rekor';
import { ASN1Obj } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { sha, signMessage, testKey } from './requests.js';

const CURVES = [
  ['P-256', 'prime256v1', 256],
  ['P-384', 'secp384r1', 384],
  ['P-521', 'secp521r1', 521],
] as const;

function ecKey(curve: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return {
    privateKey,
    material: materialFromPublicKeyDer(publicKey.export({ type: 'spki', format: 'der' }), 'key'),
  };
}

/** r and s of a DER ECDSA signature. */
function rs(signature: Uint8Array): { r: bigint; s: bigint } {
  const sequence = ASN1Obj.parseBuffer(Buffer.from(signature));
  return { r: sequence.subs[0]!.toInteger(), s: sequence.subs[1]!.toInteger() };
}

function derSignature(r: bigint, s: bigint): Buffer {
  const integer = (value: bigint) => {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
    return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
  };
  const content = Buffer.concat([integer(r), integer(s)]);
  const length =
    content.length < 0x80 ? Buffer.of(content.length) : Buffer.of(0x81, content.length);
  return Buffer.concat([Buffer.of(0x30), length, content]);
}

/** The order of the P-256 group (SEC 2). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

describe('ECDSA over a client digest', () => {
  it.each(CURVES)(
    'verifies node:crypto %s signatures over every digest, truncating long ones',
    (_name, opensslName, orderBits) => {
      const { privateKey, material } = ecKey(opensslName);
      for (const digestAlgorithm of ['sha256', 'sha384', 'sha512'] as const) {
        for (let round = 0; round < 4; round++) {
          const message = randomBytes(40);
          const signature = sign(digestAlgorithm, message, privateKey);
          const digest = sha(digestAlgorithm, message);
          expect(verifyDigestSignature(material, digestAlgorithm, digest, signature)).toBe(true);
          const otherDigest = Buffer.from(digest);
          otherDigest[otherDigest.length - 1]! ^= 1;
          // Bits past the group order are cut off, as in Go: for P-256 a SHA-384 digest's tail
          // does not count.
          const tailIgnored = digest.length * 8 > orderBits;
          expect(verifyDigestSignature(material, digestAlgorithm, otherDigest, signature)).toBe(
            tailIgnored,
          );
          otherDigest[0]! ^= 1;
          expect(verifyDigestSignature(material, digestAlgorithm, otherDigest, signature)).toBe(
            false,
          );
        }
      }
    },
  );

  it('accepts the high-s twin of a signature, as Go and OpenSSL do (ECDSA is malleable)', () => {
    const { privateKey, material } = ecKey('prime256v1');
    const message = randomBytes(40);
    const { r, s } = rs(sign('sha256', message, privateKey));
    const twin = derSignature(r, P256_ORDER - s);
    expect(verifyDigestSignature(material, 'sha256', sha('sha256', message), twin)).toBe(true);
  });

  it('refuses r or s of 0 or at least the group order', () => {
    const { privateKey, material } = ecKey('prime256v1');
    const message = randomBytes(40);
    const digest = sha('sha256', message);
    const { r, s } = rs(sign('sha256', message, privateKey));
    for (const [badR, badS] of [
      [0n, s],
      [r, 0n],
      [r + P256_ORDER, s],
      [r, s + P256_ORDER],
      [P256_ORDER, s],
    ] as const) {
      expect(verifyDigestSignature(material, 'sha256', digest, derSignature(badR, badS))).toBe(
        false,
      );
    }
  });

  it('accepts only strict DER signatures', () => {
    const { privateKey, material } = ecKey('prime256v1');
    const message = randomBytes(8);
    const digest = sha('sha256', message);
    const good = sign('sha256', message, privateKey);
    expect(verifyDigestSignature(material, 'sha256', digest, good)).toBe(true);
    const longFormLength = Buffer.concat([Buffer.of(0x30, 0x81, good[1]!), good.subarray(2)]);
    const indefinite = Buffer.concat([Buffer.of(0x30, 0x80), good.subarray(2), Buffer.of(0, 0)]);
    const trailing = Buffer.concat([good, Buffer.of(0)]);
    const notSequence = Buffer.concat([Buffer.of(0x31), good.subarray(1)]);
    for (const bad of [longFormLength, indefinite, trailing, notSequence, Buffer.alloc(0)]) {
      expect(verifyDigestSignature(material, 'sha256', digest, bad)).toBe(false);
    }
  });
});

describe('RSA PKCS#1 v1.5 over a client digest', () => {
  const key = testKey('rsa2048');
  const material = materialFromPublicKeyDer(key.spki, 'key');

  it.each(['sha256', 'sha384', 'sha512'] as const)(
    'verifies node:crypto %s signatures',
    (digestAlgorithm) => {
      const message = randomBytes(64);
      const signature = signMessage(key, digestAlgorithm, message);
      expect(
        verifyDigestSignature(material, digestAlgorithm, sha(digestAlgorithm, message), signature),
      ).toBe(true);
      const digest = sha(digestAlgorithm, message);
      digest[5]! ^= 0x40;
      expect(verifyDigestSignature(material, digestAlgorithm, digest, signature)).toBe(false);
    },
  );

  it('refuses a signature made for another digest algorithm, a short one and a PSS one', () => {
    const message = randomBytes(64);
    const sha256Signature = signMessage(key, 'sha256', message);
    expect(verifyDigestSignature(material, 'sha512', sha('sha512', message), sha256Signature)).toBe(
      false,
    );
    expect(
      verifyDigestSignature(
        material,
        'sha256',
        sha('sha256', message),
        sha256Signature.subarray(1),
      ),
    ).toBe(false);
    const pss = sign('sha256', message, {
      key: key.privateKey,
      padding: 6 /* RSA_PKCS1_PSS_PADDING */,
    });
    expect(verifyDigestSignature(material, 'sha256', sha('sha256', message), pss)).toBe(false);
    // A value not below the modulus is not a signature.
    expect(
      verifyDigestSignature(material, 'sha256', sha('sha256', message), Buffer.alloc(256, 0xff)),
    ).toBe(false);
  });
});
