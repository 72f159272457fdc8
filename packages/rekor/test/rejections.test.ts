// Every check refuses its bad case with its own error code, and error messages never repeat
// what the client sent.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  canonicalizeV1,
  MAX_DER_BYTES,
  MAX_DSSE_SIGNATURES,
  MAX_DSSE_VERIFIERS,
  MAX_PEM_BYTES,
  MAX_REQUEST_BODY_BYTES,
  materialFromPem,
  parseCreateEntryRequestV2,
  parseProposedEntryV1,
  parseRequestBody,
  RekorError,
  type RekorErrorCode,
} from '@airlock/rekor';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACT,
  certificateDer,
  certificateVerifier,
  dsseV1,
  dsseV2,
  envelope,
  hashedRekordV1,
  hashedRekordV2,
  IN_TOTO,
  intotoV1,
  publicKeyPem,
  publicKeyVerifier,
  sha,
  signMessage,
  statement,
  testKey,
  validHashedRekordV1,
  validHashedRekordV2,
  withField,
} from './requests.js';
import { toPem } from './vector-bundles.js';

function refusal(action: () => unknown): RekorError {
  try {
    action();
  } catch (error) {
    if (error instanceof RekorError) return error;
    throw error;
  }
  throw new Error('expected a RekorError, but the input was accepted');
}

function expectV1(request: unknown, code: RekorErrorCode): RekorError {
  const error = refusal(() => parseProposedEntryV1(request));
  expect(error.code, error.message).toBe(code);
  return error;
}

function expectV2(request: unknown, code: RekorErrorCode): RekorError {
  const error = refusal(() => parseCreateEntryRequestV2(request));
  expect(error.code, error.message).toBe(code);
  return error;
}

const DIGEST_HEX = sha('sha256', ARTIFACT).toString('hex');
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

function hashedRekordWithPem(pem: Uint8Array): Record<string, unknown> {
  return withField(validHashedRekordV1(), 'spec.signature.publicKey.content', b64(pem));
}

describe('signatures', () => {
  it('refuses a signature over another digest', () => {
    const key = testKey('p256');
    expectV1(
      hashedRekordV1({
        pem: publicKeyPem(key),
        digestHex: DIGEST_HEX,
        signature: signMessage(key, 'sha256', Buffer.from('another artifact')),
      }),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses a signature made by another key than the one given', () => {
    const other = testKey('p256', true);
    expectV1(hashedRekordWithPem(publicKeyPem(other)), 'INVALID_SIGNATURE');
  });

  it('refuses a signature made by another key than the certificate holds', () => {
    const other = testKey('p256', true);
    expectV1(
      hashedRekordWithPem(toPem(certificateDer(other), 'CERTIFICATE', 'go')),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses an RSA signature over another digest', () => {
    const key = testKey('rsa2048');
    expectV1(
      hashedRekordV1({
        pem: publicKeyPem(key),
        digestHex: DIGEST_HEX,
        signature: signMessage(key, 'sha256', Buffer.from('x')),
      }),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses a signature that is not DER', () => {
    expectV1(
      withField(validHashedRekordV1(), 'spec.signature.content', b64('not a signature')),
      'INVALID_SIGNATURE',
    );
  });
});

describe('digests', () => {
  it.each([
    ['sha256', 62],
    ['sha256', 66],
    ['sha256', 96],
    ['sha384', 64],
    ['sha512', 96],
  ])('refuses a %s digest of %i hex digits', (algorithm, length) => {
    const request = withField(validHashedRekordV1(), 'spec.data.hash.algorithm', algorithm);
    expectV1(withField(request, 'spec.data.hash.value', 'a'.repeat(length)), 'MALFORMED');
  });

  it('refuses a digest that is not hex', () => {
    expectV1(withField(validHashedRekordV1(), 'spec.data.hash.value', 'g'.repeat(64)), 'MALFORMED');
  });

  it.each(['md5', 'sha1', 'SHA256', 'sha3-256', 'sha224'])(
    'refuses the hash algorithm %s',
    (algorithm) => {
      expectV1(
        withField(validHashedRekordV1(), 'spec.data.hash.algorithm', algorithm),
        'UNSUPPORTED_ALGORITHM',
      );
    },
  );
});

describe('kinds and versions', () => {
  it.each(['rekord', 'rpm', 'jar', 'alpine', 'helm', 'tuf', 'cose', 'rfc3161', 'HashedRekord'])(
    'refuses the kind %s',
    (kind) => {
      expectV1(withField(validHashedRekordV1(), 'kind', kind), 'UNSUPPORTED_KIND');
    },
  );

  it.each([
    ['hashedrekord', '0.0.2'],
    ['hashedrekord', '0.1.0'],
    ['dsse', '0.0.2'],
    ['intoto', '0.0.1'],
    ['intoto', '0.0.3'],
  ])('refuses kind %s at apiVersion %s', (kind, apiVersion) => {
    const request = withField(
      withField(validHashedRekordV1(), 'kind', kind),
      'apiVersion',
      apiVersion,
    );
    expectV1(request, 'UNSUPPORTED_KIND');
  });

  it('does not repeat an unrecognizable kind in its message', () => {
    const error = expectV1(
      withField(validHashedRekordV1(), 'kind', '<script>alert(1)</script>'),
      'UNSUPPORTED_KIND',
    );
    expect(error.message).not.toContain('<script>');
  });

  it('refuses a Rekor v2 request that holds neither request type', () => {
    expectV2({}, 'UNSUPPORTED_KIND');
    expectV2({ identityRequestV001: {} }, 'UNSUPPORTED_KIND');
  });
});

describe('missing fields', () => {
  it.each([
    'kind',
    'apiVersion',
    'spec',
    'spec.signature',
    'spec.signature.content',
    'spec.signature.publicKey',
    'spec.signature.publicKey.content',
    'spec.data',
    'spec.data.hash',
    'spec.data.hash.algorithm',
    'spec.data.hash.value',
  ])('refuses hashedrekord without %s, naming it', (path) => {
    const error = expectV1(withField(validHashedRekordV1(), path), 'MALFORMED');
    expect(error.message).toContain(path);
  });

  it('refuses hashedrekord with an empty signature', () => {
    expectV1(withField(validHashedRekordV1(), 'spec.signature.content', ''), 'MALFORMED');
  });

  it.each([
    'hashedRekordRequestV002.digest',
    'hashedRekordRequestV002.signature',
    'hashedRekordRequestV002.signature.content',
    'hashedRekordRequestV002.signature.verifier',
    'hashedRekordRequestV002.signature.verifier.keyDetails',
    'hashedRekordRequestV002.signature.verifier.publicKey.rawBytes',
  ])('refuses a Rekor v2 request without %s', (path) => {
    expectV2(withField(validHashedRekordV2(), path), 'MALFORMED');
  });

  it('refuses a Rekor v2 verifier with neither a key nor a certificate', () => {
    expectV2(
      withField(validHashedRekordV2(), 'hashedRekordRequestV002.signature.verifier.publicKey'),
      'MALFORMED',
    );
  });
});

describe('wrong JSON types', () => {
  it.each([
    ['', []],
    ['', 'a string'],
    ['', null],
    ['kind', 7],
    ['apiVersion', 1],
    ['spec', []],
    ['spec', 'spec'],
    ['spec.signature', true],
    ['spec.signature.content', 12],
    ['spec.signature.publicKey', ['x']],
    ['spec.signature.publicKey.content', { pem: true }],
    ['spec.data.hash', 'sha256:abc'],
    ['spec.data.hash.value', 123],
  ] as const)('refuses %s set to %j', (path, value) => {
    const request = path === '' ? value : withField(validHashedRekordV1(), path, value);
    expectV1(request, 'MALFORMED');
  });

  it('refuses Rekor v2 fields of the wrong type', () => {
    expectV2([], 'MALFORMED');
    expectV2({ hashedRekordRequestV002: 'x' }, 'MALFORMED');
    expectV2(withField(validHashedRekordV2(), 'hashedRekordRequestV002.digest', 5), 'MALFORMED');
    expectV2(
      withField(validHashedRekordV2(), 'hashedRekordRequestV002.signature.verifier.keyDetails', 5),
      'MALFORMED',
    );
  });
});

describe('base64', () => {
  it.each(['abc', 'ab$=', '====', 'YWJj\nZA==', 'YW Jj', '-_-_'])(
    'refuses signature content %j',
    (content) => {
      expectV1(withField(validHashedRekordV1(), 'spec.signature.content', content), 'MALFORMED');
    },
  );

  it('refuses a key field that is not base64', () => {
    expectV1(
      withField(validHashedRekordV1(), 'spec.signature.publicKey.content', '%%%'),
      'MALFORMED',
    );
  });

  it.each(['a', 'ab+_', 'YQ=', 'YWJj====', '*'])('refuses Rekor v2 bytes %j', (digest) => {
    expectV2(
      withField(validHashedRekordV2(), 'hashedRekordRequestV002.digest', digest),
      'MALFORMED',
    );
  });
});

describe('PEM', () => {
  const key = testKey('p256');
  const pem = publicKeyPem(key).toString('ascii');

  it.each([
    ['garbage', 'hello'],
    ['two blocks', `${pem}${pem}`],
    ['text before the block', `key:\n${pem}`],
    ['text after the block', `${pem}trailer\n`],
    ['headers', pem.replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n')],
    ['a missing END line', pem.replace(/-----END[^\n]*\n$/, '')],
    ['mismatched END line', pem.replace('END PUBLIC KEY', 'END CERTIFICATE')],
    ['a body that is not base64', pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n**********')],
    ['an empty body', '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n'],
    [
      'a body that is not a key',
      toPem(Buffer.from('not DER at all'), 'PUBLIC KEY', 'go').toString('ascii'),
    ],
    ['non-ASCII text', pem.replace('PUBLIC KEY-----\n', 'PUBLIC KEY-----\né')],
  ])('refuses a PEM with %s', (_, text) => {
    expectV1(hashedRekordWithPem(Buffer.from(text, 'utf8')), 'MALFORMED');
  });

  it.each(['RSA PUBLIC KEY', 'EC PRIVATE KEY', 'PRIVATE KEY', 'CERTIFICATE REQUEST'])(
    'refuses PEM type %s',
    (type) => {
      expectV1(hashedRekordWithPem(Buffer.from(pem.replaceAll('PUBLIC KEY', type))), 'MALFORMED');
    },
  );

  it('refuses a certificate followed by stray bytes', () => {
    const der = Buffer.concat([certificateDer(key), Buffer.of(0, 0)]);
    expectV1(hashedRekordWithPem(toPem(der, 'CERTIFICATE', 'go')), 'MALFORMED');
  });

  it('refuses a key Go would not parse: compressed point or explicit curve parameters', () => {
    const compressed = key.publicKey.export({ format: 'jwk' });
    const y = Buffer.from(compressed.y ?? '', 'base64url');
    const point = Buffer.concat([
      Buffer.of(2 + ((y[y.length - 1] as number) & 1)),
      Buffer.from(compressed.x ?? '', 'base64url'),
    ]);
    const compressedSpki = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      point,
    ]);
    expect(
      createPublicKey({ key: compressedSpki, format: 'der', type: 'spki' }).asymmetricKeyType,
    ).toBe('ec');
    expectV1(hashedRekordWithPem(toPem(compressedSpki, 'PUBLIC KEY', 'go')), 'MALFORMED');

    // OpenSSL recognizes these parameters as P-256; the encoding is still not Go's.
    const explicit = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      paramEncoding: 'explicit',
    }).publicKey;
    expectV1(
      hashedRekordWithPem(
        toPem(explicit.export({ format: 'der', type: 'spki' }), 'PUBLIC KEY', 'go'),
      ),
      'MALFORMED',
    );
  });
});

describe('keys', () => {
  it.each(['rsa1024', 'p224', 'secp256k1'] as const)('refuses a %s key', (kind) => {
    const key = testKey(kind);
    const request = hashedRekordV1({
      pem: publicKeyPem(key),
      digestHex: DIGEST_HEX,
      signature: signMessage(key, 'sha256', ARTIFACT),
    });
    expectV1(request, 'UNSUPPORTED_KEY');
  });

  it('refuses an RSA 1024 key inside a certificate, and in Rekor v2', () => {
    const key = testKey('rsa1024');
    const signature = signMessage(key, 'sha256', ARTIFACT);
    expectV1(
      hashedRekordV1({
        pem: toPem(certificateDer(key), 'CERTIFICATE', 'go'),
        digestHex: DIGEST_HEX,
        signature,
      }),
      'UNSUPPORTED_KEY',
    );
    expectV2(
      hashedRekordV2(
        sha('sha256', ARTIFACT),
        signature,
        publicKeyVerifier(key.spki, 'PKIX_RSA_PKCS1V15_2048_SHA256'),
      ),
      'UNSUPPORTED_KEY',
    );
  });

  it('refuses Ed25519 for hashedrekord: Rekor wants Ed25519ph, which node cannot verify', () => {
    const key = testKey('ed25519');
    const error = expectV1(
      hashedRekordV1({
        pem: publicKeyPem(key),
        digestHex: DIGEST_HEX,
        signature: signMessage(key, null, sha('sha256', ARTIFACT)),
      }),
      'UNSUPPORTED_KEY',
    );
    expect(error.message).toContain('Ed25519ph');
  });
});

describe('DSSE', () => {
  const key = testKey('p256');
  const payload = statement(DIGEST_HEX);

  it('refuses an envelope with no signatures', () => {
    const signed = envelope(IN_TOTO, payload, []);
    expectV1(dsseV1(JSON.stringify(signed), [publicKeyPem(key)]), 'MALFORMED');
    expectV1(intotoV1(signed, []), 'MALFORMED');
  });

  it('refuses an envelope where one of two signatures is bad', () => {
    const other = testKey('p384');
    const signed = envelope(IN_TOTO, payload, [key, other]);
    signed.signatures[1]!.sig = envelope(IN_TOTO, Buffer.from('other payload'), [other])
      .signatures[0]!.sig;
    expectV1(
      dsseV1(JSON.stringify(signed), [publicKeyPem(key), publicKeyPem(other)]),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses a signature no given key verifies', () => {
    const signed = envelope(IN_TOTO, payload, [key]);
    expectV1(
      dsseV1(JSON.stringify(signed), [publicKeyPem(testKey('p256', true))]),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses a verifier that verifies none of the signatures, as Rekor does', () => {
    const signed = envelope(IN_TOTO, payload, [key]);
    const error = expectV1(
      dsseV1(JSON.stringify(signed), [publicKeyPem(key), publicKeyPem(testKey('rsa2048'))]),
      'INVALID_SIGNATURE',
    );
    expect(error.message).toContain('verifier 1');
  });

  it('refuses a payload whose PAE was not what was signed (changed payloadType)', () => {
    const signed = envelope(IN_TOTO, payload, [key]);
    expectV1(
      dsseV1(JSON.stringify({ ...signed, payloadType: 'text/plain' }), [publicKeyPem(key)]),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses envelopes that are not JSON objects, and bad envelope fields', () => {
    const pem = publicKeyPem(key);
    expectV1(dsseV1('{"payload":', [pem]), 'MALFORMED');
    expectV1(dsseV1('[]', [pem]), 'MALFORMED');
    const signed = envelope(IN_TOTO, payload, [key]);
    expectV1(dsseV1(JSON.stringify({ ...signed, payload: '@@@' }), [pem]), 'MALFORMED');
    expectV1(dsseV1(JSON.stringify({ ...signed, signatures: ['sig'] }), [pem]), 'MALFORMED');
    expectV1(
      dsseV1(JSON.stringify({ ...signed, signatures: [{ sig: '***' }] }), [pem]),
      'MALFORMED',
    );
  });

  it('refuses a dsse entry with no verifiers or with fields the log computes', () => {
    const request = dsseV1(JSON.stringify(envelope(IN_TOTO, payload, [key])), []);
    expectV1(request, 'MALFORMED');
    const withHash = withField(
      dsseV1(JSON.stringify(envelope(IN_TOTO, payload, [key])), [publicKeyPem(key)]),
      'spec.payloadHash',
      {
        algorithm: 'sha256',
        value: DIGEST_HEX,
      },
    );
    expectV1(withHash, 'MALFORMED');
  });

  it('refuses intoto signatures that are not double base64, and a bad envelope hash', () => {
    const signed = envelope(IN_TOTO, payload, [key]);
    const valid = intotoV1(signed, [publicKeyPem(key)]);
    expect(() => parseProposedEntryV1(valid)).not.toThrow();
    expectV1(withField(valid, 'spec.content.envelope.signatures.0.sig', b64('***')), 'MALFORMED');
    expectV1(withField(valid, 'spec.content.envelope.payload', b64('***')), 'MALFORMED');
    expectV1(withField(valid, 'spec.content.hash.algorithm', 'sha1'), 'UNSUPPORTED_ALGORITHM');
    expectV1(withField(valid, 'spec.content.hash.value', 'ab'), 'MALFORMED');
    expectV1(withField(valid, 'spec.content.hash'), 'MALFORMED');
    expectV1(
      withField(
        valid,
        'spec.content.envelope.signatures.0.publicKey',
        b64(publicKeyPem(testKey('p256', true))),
      ),
      'INVALID_SIGNATURE',
    );
  });
});

describe('Rekor v2 requests', () => {
  const key = testKey('p256');
  const digest = sha('sha256', ARTIFACT);
  const signature = signMessage(key, 'sha256', ARTIFACT);

  it.each([
    ['PKIX_ECDSA_P384_SHA_384', 'a P-256 key'],
    ['PKIX_ECDSA_P521_SHA_512', 'a P-256 key'],
    ['PKIX_RSA_PKCS1V15_2048_SHA256', 'a P-256 key'],
  ])('refuses keyDetails %s for %s', (keyDetails) => {
    expectV2(
      hashedRekordV2(digest, signature, publicKeyVerifier(key.spki, keyDetails)),
      'KEY_DETAILS_MISMATCH',
    );
  });

  it('refuses keyDetails that do not match a certificate key or an RSA size', () => {
    expectV2(
      hashedRekordV2(
        digest,
        signature,
        certificateVerifier(certificateDer(key), 'PKIX_ECDSA_P384_SHA_384'),
      ),
      'KEY_DETAILS_MISMATCH',
    );
    const rsa = testKey('rsa3072');
    expectV2(
      hashedRekordV2(
        digest,
        signMessage(rsa, 'sha256', ARTIFACT),
        publicKeyVerifier(rsa.spki, 'PKIX_RSA_PKCS1V15_2048_SHA256'),
      ),
      'KEY_DETAILS_MISMATCH',
    );
  });

  it.each([
    'PKIX_RSA_PSS_2048_SHA256',
    'PKIX_ECDSA_P256_HMAC_SHA_256',
    'ML_DSA_65',
    'PUBLIC_KEY_DETAILS_UNSPECIFIED',
    'pkix_ecdsa_p256_sha_256',
  ])('refuses keyDetails %s', (keyDetails) => {
    expectV2(
      hashedRekordV2(digest, signature, publicKeyVerifier(key.spki, keyDetails)),
      'UNSUPPORTED_ALGORITHM',
    );
  });

  it('refuses pure Ed25519 (no prehash) and Ed25519ph (not verifiable here)', () => {
    const ed = testKey('ed25519');
    const edSignature = signMessage(ed, null, ARTIFACT);
    expectV2(
      hashedRekordV2(
        sha('sha512', ARTIFACT),
        edSignature,
        publicKeyVerifier(ed.spki, 'PKIX_ED25519'),
      ),
      'UNSUPPORTED_ALGORITHM',
    );
    expectV2(
      hashedRekordV2(
        sha('sha512', ARTIFACT),
        edSignature,
        publicKeyVerifier(ed.spki, 'PKIX_ED25519_PH'),
      ),
      'UNSUPPORTED_KEY',
    );
  });

  it('refuses a digest whose length is not the keyDetails hash size', () => {
    expectV2(
      hashedRekordV2(
        sha('sha384', ARTIFACT),
        signature,
        publicKeyVerifier(key.spki, 'PKIX_ECDSA_P256_SHA_256'),
      ),
      'MALFORMED',
    );
  });

  it('refuses a wrong signature and another key', () => {
    expectV2(
      hashedRekordV2(
        sha('sha256', 'other'),
        signature,
        publicKeyVerifier(key.spki, 'PKIX_ECDSA_P256_SHA_256'),
      ),
      'INVALID_SIGNATURE',
    );
    const other = testKey('p256', true);
    expectV2(
      hashedRekordV2(digest, signature, publicKeyVerifier(other.spki, 'PKIX_ECDSA_P256_SHA_256')),
      'INVALID_SIGNATURE',
    );
  });

  it('refuses both verifier forms at once, and both request types at once', () => {
    const both = {
      ...publicKeyVerifier(key.spki, 'PKIX_ECDSA_P256_SHA_256'),
      x509Certificate: { rawBytes: b64(certificateDer(key)) },
    };
    expectV2(hashedRekordV2(digest, signature, both), 'MALFORMED');
    expectV2({ ...validHashedRekordV2(), dsseRequestV002: {} }, 'MALFORMED');
  });

  it('refuses DSSE requests that do not fit one hashedrekord, or whose signature is bad', () => {
    const verifier = publicKeyVerifier(key.spki, 'PKIX_ECDSA_P256_SHA_256');
    const valid = dsseV2(key, 'sha256', verifier);
    expect(() => parseCreateEntryRequestV2(valid)).not.toThrow();
    const request = valid.dsseRequestV002 as {
      envelope: { signatures: unknown[] };
      verifiers: unknown[];
    };
    expectV2(
      withField(valid, 'dsseRequestV002.envelope.signatures', [
        ...request.envelope.signatures,
        ...request.envelope.signatures,
      ]),
      'MALFORMED',
    );
    expectV2(withField(valid, 'dsseRequestV002.verifiers', [verifier, verifier]), 'MALFORMED');
    expectV2(withField(valid, 'dsseRequestV002.envelope.signatures', []), 'MALFORMED');
    expectV2(
      withField(valid, 'dsseRequestV002.envelope.payloadType', 'text/plain'),
      'INVALID_SIGNATURE',
    );
    // Signed over PAE with SHA-256 (Rekor v1's DSSE rule), while PKIX_ECDSA_P384_SHA_384 means SHA-384.
    expectV2(
      dsseV2(
        testKey('p384'),
        'sha256',
        publicKeyVerifier(testKey('p384').spki, 'PKIX_ECDSA_P384_SHA_384'),
      ),
      'INVALID_SIGNATURE',
    );
  });
});

describe('sizes', () => {
  const key = testKey('p256');

  it('refuses a PEM over MAX_PEM_BYTES', () => {
    const padded = Buffer.concat([publicKeyPem(key), Buffer.alloc(MAX_PEM_BYTES, 0x0a)]);
    expectV1(hashedRekordWithPem(padded), 'TOO_LARGE');
  });

  it('refuses Rekor v2 DER over MAX_DER_BYTES', () => {
    const verifier = {
      x509Certificate: { rawBytes: b64(Buffer.alloc(MAX_DER_BYTES + 1)) },
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    };
    expectV2(
      hashedRekordV2(sha('sha256', ARTIFACT), signMessage(key, 'sha256', ARTIFACT), verifier),
      'TOO_LARGE',
    );
  });

  it('refuses more than MAX_DSSE_SIGNATURES signatures and MAX_DSSE_VERIFIERS verifiers', () => {
    const signed = envelope(IN_TOTO, Buffer.from('x'), [key]);
    const many = {
      ...signed,
      signatures: Array.from({ length: MAX_DSSE_SIGNATURES + 1 }, () => signed.signatures[0]!),
    };
    expectV1(dsseV1(JSON.stringify(many), [publicKeyPem(key)]), 'TOO_LARGE');
    expectV1(
      intotoV1(
        many,
        Array.from({ length: many.signatures.length }, () => publicKeyPem(key)),
      ),
      'TOO_LARGE',
    );
    const pems = Array.from({ length: MAX_DSSE_VERIFIERS + 1 }, () => publicKeyPem(key));
    expectV1(dsseV1(JSON.stringify(signed), pems), 'TOO_LARGE');
  });

  it('refuses a request body or envelope over MAX_REQUEST_BODY_BYTES', () => {
    const body = Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20);
    expect(refusal(() => parseRequestBody(body)).code).toBe('TOO_LARGE');
    expect(refusal(() => parseRequestBody(Buffer.from('{"kind":'))).code).toBe('MALFORMED');
    expect(refusal(() => parseRequestBody(Buffer.of(0x22, 0xff, 0x22))).code).toBe('MALFORMED');
    const request = validHashedRekordV1();
    expect(parseRequestBody(Buffer.from(JSON.stringify(request)))).toEqual(request);
    expectV1(dsseV1(' '.repeat(MAX_REQUEST_BODY_BYTES + 1), [publicKeyPem(key)]), 'TOO_LARGE');
  });
});

describe('checked values', () => {
  it('only canonicalizes entries the parser produced', () => {
    const key = testKey('p256');
    const handMade = {
      kind: 'hashedrekord',
      apiVersion: '0.0.1',
      digestAlgorithm: 'sha256',
      digest: new Uint8Array(32),
      signature: new Uint8Array(8),
      verifier: materialFromPem(publicKeyPem(key), 'key'),
    } as const;
    // The type system is the guard: an entry with every field but no Checked brand is refused.
    const attempt = () =>
      // @ts-expect-error a hand-built entry skipped every check
      canonicalizeV1(handMade);
    expect(typeof attempt).toBe('function');
  });
});
