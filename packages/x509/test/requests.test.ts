// What a client submits to the CA: public key content, proof of possession and CSRs. Keys and
// signatures come from node:crypto, CSRs from the openssl CLI; every refusal has a test.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  parseCsr,
  parsePublicKeyContent,
  pemDecode,
  pemEncode,
  validatePublicKey,
  verifyProofOfPossession,
  type X509ErrorCode,
} from '@airlock/x509';
import { describe, expect, it } from 'vitest';
import { openssl, x509ErrorCode } from './support.js';

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };

const families: [string, () => KeyPair, 'sha256' | 'sha384' | 'sha512' | null, string][] = [
  [
    'ECDSA P-256',
    () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    'sha256',
    'ecdsa-p256-sha256',
  ],
  [
    'ECDSA P-384',
    () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    'sha384',
    'ecdsa-p384-sha384',
  ],
  [
    'ECDSA P-521',
    () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }),
    'sha512',
    'ecdsa-p521-sha512',
  ],
  [
    'RSA-2048',
    () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'sha256',
    'rsa-pkcs1v15-sha256',
  ],
  [
    'RSA-3072',
    () => generateKeyPairSync('rsa', { modulusLength: 3072 }),
    'sha256',
    'rsa-pkcs1v15-sha256',
  ],
  ['Ed25519', () => generateKeyPairSync('ed25519'), null, 'ed25519'],
];

const challenge = 'dev@airlock.test';

describe('proof of possession', () => {
  it.each(families)(
    'accepts a %s signature of the challenge with the default algorithm',
    (_, make, digest, algorithm) => {
      const { publicKey, privateKey } = make();
      expect(validatePublicKey(publicKey)).toBe(algorithm);
      const signature = sign(digest, Buffer.from(challenge), privateKey);
      expect(() => verifyProofOfPossession(publicKey, signature, challenge)).not.toThrow();
      expect(() =>
        verifyProofOfPossession(publicKey, signature, new TextEncoder().encode(challenge)),
      ).not.toThrow();
    },
  );

  it.each(families)(
    'refuses a %s signature over a different challenge or by another key',
    (_, make, digest) => {
      const { publicKey, privateKey } = make();
      const signature = sign(digest, Buffer.from(challenge), privateKey);
      const pop = (key: KeyObject, sig: Uint8Array, text: string) =>
        x509ErrorCode(() => verifyProofOfPossession(key, sig, text));
      expect(pop(publicKey, signature, 'someone-else@airlock.test')).toBe(
        'INVALID_PROOF_OF_POSSESSION',
      );
      expect(pop(make().publicKey, signature, challenge)).toBe('INVALID_PROOF_OF_POSSESSION');
      expect(pop(publicKey, new Uint8Array(0), challenge)).toBe('INVALID_PROOF_OF_POSSESSION');
      expect(pop(publicKey, new Uint8Array(signature.length).fill(0x30), challenge)).toBe(
        'INVALID_PROOF_OF_POSSESSION',
      );
    },
  );

  it('refuses an ECDSA P-256 signature made with another hash than SHA-256', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signature = sign('sha384', Buffer.from(challenge), privateKey);
    expect(x509ErrorCode(() => verifyProofOfPossession(publicKey, signature, challenge))).toBe(
      'INVALID_PROOF_OF_POSSESSION',
    );
  });

  it('refuses an ECDSA signature in raw r||s form (Fulcio takes ASN.1 DER)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const raw = sign('sha256', Buffer.from(challenge), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(x509ErrorCode(() => verifyProofOfPossession(publicKey, raw, challenge))).toBe(
      'INVALID_PROOF_OF_POSSESSION',
    );
  });

  it('refuses a weak key before looking at its signature', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const signature = sign('sha256', Buffer.from(challenge), privateKey);
    expect(x509ErrorCode(() => verifyProofOfPossession(publicKey, signature, challenge))).toBe(
      'WEAK_KEY',
    );
  });
});

/** A `bits`-bit odd number with no prime factor below 1000 (found by trial division, independently of goodkey). */
function roughNumber(bits: number): bigint {
  const primes = Array.from({ length: 998 }, (_, i) => i + 2).filter((n) =>
    Array.from({ length: n - 2 }, (_, i) => i + 2).every((d) => d * d > n || n % d !== 0),
  );
  for (let candidate = (1n << BigInt(bits - 1)) + 1n; ; candidate += 2n) {
    if (primes.every((prime) => candidate % BigInt(prime) !== 0n)) return candidate;
  }
}

/** An RSA public key with a chosen modulus and exponent, as a client could submit one. */
function rsaPublicKey(modulus: bigint, exponent = 65537n): KeyObject {
  const b64url = (value: bigint) =>
    Buffer.from(
      value
        .toString(16)
        .padStart(2, '0')
        .replace(/^(.(..)*)$/, '0$1'),
      'hex',
    ).toString('base64url');
  return createPublicKey({
    key: { kty: 'RSA', n: b64url(modulus), e: b64url(exponent) },
    format: 'jwk',
  });
}

describe('goodkey (validatePublicKey)', () => {
  const refusals: [string, () => KeyObject, X509ErrorCode][] = [
    [
      'ECDSA P-224',
      () => generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).publicKey,
      'UNSUPPORTED_KEY',
    ],
    [
      'ECDSA secp256k1',
      () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      'UNSUPPORTED_KEY',
    ],
    [
      'ECDSA brainpoolP256r1',
      () => generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).publicKey,
      'UNSUPPORTED_KEY',
    ],
    ['RSA-1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'WEAK_KEY'],
    ['RSA-2040', () => generateKeyPairSync('rsa', { modulusLength: 2040 }).publicKey, 'WEAK_KEY'],
    [
      'RSA-2052 (not whole bytes)',
      () => generateKeyPairSync('rsa', { modulusLength: 2052 }).publicKey,
      'WEAK_KEY',
    ],
    ['RSA-4104', () => rsaPublicKey((1n << 4103n) + 0x1d1n * 0x1000193n), 'WEAK_KEY'],
    [
      'RSA e=3',
      () => generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey,
      'WEAK_KEY',
    ],
    ['RSA with a modulus divisible by 7', () => rsaPublicKey(roughNumber(2046) * 7n), 'WEAK_KEY'],
    [
      'RSA with a modulus divisible by 997',
      () => rsaPublicKey(roughNumber(2039) * 997n),
      'WEAK_KEY',
    ],
    [
      'RSA-PSS',
      () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
      'UNSUPPORTED_KEY',
    ],
    [
      'DSA',
      () => generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey,
      'UNSUPPORTED_KEY',
    ],
    ['X25519', () => generateKeyPairSync('x25519').publicKey, 'UNSUPPORTED_KEY'],
    ['X448', () => generateKeyPairSync('x448').publicKey, 'UNSUPPORTED_KEY'],
    ['Ed448', () => generateKeyPairSync('ed448').publicKey, 'UNSUPPORTED_KEY'],
    ['a private key', () => generateKeyPairSync('ed25519').privateKey, 'UNSUPPORTED_KEY'],
  ];

  it.each(refusals)('refuses %s', (name, make, code) => {
    const key = make();
    if (name.includes('divisible')) expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    let message = '';
    expect(
      x509ErrorCode(() => {
        try {
          validatePublicKey(key);
        } catch (error) {
          message = (error as Error).message;
          throw error;
        }
      }),
    ).toBe(code);
    expect(message.length).toBeGreaterThan(10);
  });

  it('accepts RSA moduli of exactly 2048 and 4096 bits without small factors', () => {
    const real = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const jwk = real.export({ format: 'jwk' });
    expect(validatePublicKey(createPublicKey({ key: jwk, format: 'jwk' }))).toBe(
      'rsa-pkcs1v15-sha256',
    );
    expect(validatePublicKey(rsaPublicKey(roughNumber(4096)))).toBe('rsa-pkcs1v15-sha256');
    const divisibleBy3 = rsaPublicKey(roughNumber(4095) * 3n);
    expect(divisibleBy3.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(() => validatePublicKey(divisibleBy3)).toThrow(/small prime/);
  });
});

describe('public key content', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));

  it('reads PEM text, PEM bytes (Fulcio v1) and DER SPKI', () => {
    expect(parsePublicKeyContent(pem).equals(publicKey)).toBe(true);
    expect(parsePublicKeyContent(new TextEncoder().encode(pem)).equals(publicKey)).toBe(true);
    expect(parsePublicKeyContent(der).equals(publicKey)).toBe(true);
  });

  it('reads a PKCS#1 RSA PUBLIC KEY block', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const pkcs1 = rsa.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(pkcs1).toContain('BEGIN RSA PUBLIC KEY');
    expect(parsePublicKeyContent(pkcs1).equals(rsa)).toBe(true);
  });

  it.each([
    ['a private key PEM', () => privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
    ['a certificate PEM', () => pemEncode(der, 'CERTIFICATE')],
    ['PEM with broken base64', () => pem.replace(/\n[A-Za-z0-9+/]/, '\n*')],
    ['PEM cut short', () => pem.slice(0, 60)],
    ['two PEM blocks', () => pem + pem],
    ['DER with trailing bytes', () => Uint8Array.of(...der, 0)],
    ['truncated DER', () => der.subarray(0, der.length - 1)],
    ['DER that is not a key', () => Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)],
    [
      'an EC point off the curve',
      () => {
        const offCurve = new Uint8Array(der);
        offCurve[offCurve.length - 1]! ^= 1;
        return offCurve;
      },
    ],
    ['empty input', () => new Uint8Array(0)],
    ['text', () => 'hello'],
  ])('refuses %s', (_, make) => {
    expect(x509ErrorCode(() => parsePublicKeyContent(make()))).toBe('MALFORMED_KEY');
  });
});

/** A PEM CSR made by the openssl CLI for a node:crypto private key. */
async function opensslCsr(privateKey: KeyObject, digest?: string): Promise<string> {
  const made = await openssl(
    [
      'req',
      '-new',
      '-key',
      '{key.pem}',
      '-subj',
      '/CN=ignored/O=ignored',
      ...(digest === undefined ? [] : [`-${digest}`]),
    ],
    { 'key.pem': privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
  );
  const pem = made.output.match(
    /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----\n/,
  );
  if (!made.ok || pem === null) throw new Error(`openssl req failed: ${made.output}`);
  return pem[0];
}

/** A copy of `der` with one byte flipped at `index` (negative: from the end). */
function flipped(der: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(der);
  const at = index < 0 ? copy.length + index : index;
  copy[at]! ^= 0x01;
  return copy;
}

describe('CSRs', () => {
  it.each([
    [
      'ECDSA P-256 / SHA-256',
      () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
      'sha256',
    ],
    [
      'ECDSA P-384 / SHA-384',
      () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      'sha384',
    ],
    [
      'ECDSA P-256 / SHA-512 (the CSR names its own hash)',
      () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
      'sha512',
    ],
    ['RSA-2048 / SHA-256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
    ['Ed25519', () => generateKeyPairSync('ed25519'), undefined],
  ] as const)(
    'reads the key of an openssl %s CSR, as PEM text, PEM bytes and DER',
    async (_, make, digest) => {
      const { publicKey, privateKey } = make();
      const pem = await opensslCsr(privateKey, digest);
      expect(parseCsr(pem).publicKey.equals(publicKey)).toBe(true);
      expect(parseCsr(new TextEncoder().encode(pem)).publicKey.equals(publicKey)).toBe(true);
      const parsed = parseCsr(pemDecode(pem, 'CERTIFICATE REQUEST'));
      expect(parsed.publicKey.equals(publicKey)).toBe(true);
      expect(parsed.keyAlgorithm).toBe(validatePublicKey(publicKey));
    },
  );

  it('refuses a CSR with a broken signature, or whose signed info was altered', async () => {
    const der = pemDecode(
      await opensslCsr(
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
        'sha256',
      ),
      'CERTIFICATE REQUEST',
    );
    expect(x509ErrorCode(() => parseCsr(flipped(der, -3)))).toBe('INVALID_CSR_SIGNATURE');
    // The subject's last byte ("ignored" -> "ignoree") sits in the signed CertificationRequestInfo.
    const subjectEnd = Buffer.from(der).indexOf(Buffer.from('ignored')) + 6;
    expect(x509ErrorCode(() => parseCsr(flipped(der, subjectEnd)))).toBe('INVALID_CSR_SIGNATURE');
  });

  it('refuses a CSR signed by another key than the one it carries', async () => {
    const carried = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = pemDecode(await opensslCsr(carried.privateKey, 'sha256'), 'CERTIFICATE REQUEST');
    const other = pemDecode(
      await opensslCsr(
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
        'sha256',
      ),
      'CERTIFICATE REQUEST',
    );
    // Same layout, so the two SPKIs sit at the same offset: splice the other key in.
    const spki = new Uint8Array(carried.publicKey.export({ format: 'der', type: 'spki' }));
    const at = Buffer.from(der).indexOf(Buffer.from(spki));
    const otherSpki = Buffer.from(other).subarray(at, at + spki.length);
    const swapped = new Uint8Array(der);
    swapped.set(otherSpki, at);
    expect(x509ErrorCode(() => parseCsr(swapped))).toBe('INVALID_CSR_SIGNATURE');
  });

  it('refuses a CSR signed with SHA-1', async () => {
    const pem = await opensslCsr(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      'sha1',
    );
    expect(x509ErrorCode(() => parseCsr(pem))).toBe('UNSUPPORTED_ALGORITHM');
  });

  it.each([
    [
      'ECDSA P-224',
      () => generateKeyPairSync('ec', { namedCurve: 'secp224r1' }),
      'UNSUPPORTED_KEY',
    ],
    ['RSA-1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }), 'WEAK_KEY'],
  ] as const)('refuses a valid CSR for a %s key', async (_, make, code) => {
    const pem = await opensslCsr(make().privateKey, 'sha256');
    expect(x509ErrorCode(() => parseCsr(pem))).toBe(code);
  });

  it('refuses malformed CSRs', async () => {
    const pem = await opensslCsr(generateKeyPairSync('ed25519').privateKey);
    const der = pemDecode(pem, 'CERTIFICATE REQUEST');
    for (const input of [
      der.subarray(0, der.length - 1),
      Uint8Array.of(...der, 0),
      Uint8Array.of(0x30, 0x00),
      new Uint8Array(0),
      pem
        .replace('CERTIFICATE REQUEST', 'CERTIFICATE')
        .replace('CERTIFICATE REQUEST', 'CERTIFICATE'),
      pem.replace(/\n[A-Za-z0-9+/]{4}/, '\n!!!!'),
      'not a CSR',
    ]) {
      expect(x509ErrorCode(() => parseCsr(input))).toBe('MALFORMED_CSR');
    }
  });
});
