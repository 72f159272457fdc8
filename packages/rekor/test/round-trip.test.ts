// Fresh keys and certificates through every kind: each request is accepted, and its canonical
// body is exactly the JSON Rekor would store (written out here with keys already in JCS order).
import { createHash } from 'node:crypto';
import {
  canonicalizeV1,
  canonicalizeV2,
  entryUuid,
  parseCreateEntryRequestV2,
  parseProposedEntryV1,
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
  type KeyKind,
  publicKeyPem,
  publicKeyVerifier,
  sha,
  signMessage,
  statement,
  testKey,
} from './requests.js';
import { toPem } from './vector-bundles.js';

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const keyId = (spki: Uint8Array) => `key:sha256:${createHash('sha256').update(spki).digest('hex')}`;

const FULCIO_NAMES = {
  emails: ['Someone@Example.COM'],
  uris: ['https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main'],
  dnsNames: ['build.example.com'],
  username: 'someone',
};

describe('hashedrekord 0.0.1', () => {
  const cases: ReadonlyArray<[KeyKind, 'sha256' | 'sha384' | 'sha512']> = [
    ['p256', 'sha256'],
    ['p256', 'sha512'],
    ['p384', 'sha384'],
    ['p521', 'sha512'],
    ['rsa2048', 'sha256'],
    ['rsa3072', 'sha384'],
  ];

  it.each(cases)(
    'stores a %s signature over a %s digest with its key re-encoded as Go PEM',
    (kind, algorithm) => {
      const key = testKey(kind);
      const digest = sha(algorithm, ARTIFACT);
      const signature = signMessage(key, algorithm, ARTIFACT);
      const sentPem = toPem(key.spki, 'PUBLIC KEY', 'crlf-76');
      const entry = parseProposedEntryV1(
        hashedRekordV1({
          pem: sentPem,
          algorithm,
          digestHex: digest.toString('hex').toUpperCase(),
          signature,
        }),
      );
      const canonical = canonicalizeV1(entry);
      const goPem = publicKeyPem(key);
      expect(text(canonical.body)).toBe(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: {
            data: { hash: { algorithm, value: digest.toString('hex') } },
            signature: { content: b64(signature), publicKey: { content: b64(goPem) } },
          },
        }),
      );
      expect(canonical.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.1' });
      expect(canonical.searchKeys).toEqual([
        `${algorithm}:${digest.toString('hex')}`,
        keyId(key.spki),
      ]);
      expect(entryUuid(canonical.body)).toBe(
        createHash('sha256')
          .update(Buffer.concat([Buffer.of(0), canonical.body]))
          .digest('hex'),
      );
    },
  );

  it('stores a certificate verifier as Go PEM and indexes its identities', () => {
    const key = testKey('p256');
    const certificate = certificateDer(key, FULCIO_NAMES);
    const signature = signMessage(key, 'sha256', ARTIFACT);
    const digestHex = sha('sha256', ARTIFACT).toString('hex');
    const canonical = canonicalizeV1(
      parseProposedEntryV1(
        hashedRekordV1({
          pem: toPem(certificate, 'CERTIFICATE', 'one-line'),
          digestHex,
          signature,
        }),
      ),
    );
    const stored = JSON.parse(text(canonical.body)).spec.signature.publicKey.content;
    expect(Buffer.from(stored, 'base64').equals(toPem(certificate, 'CERTIFICATE', 'go'))).toBe(
      true,
    );
    expect(canonical.searchKeys).toEqual([
      `sha256:${digestHex}`,
      keyId(key.spki),
      'email:someone@example.com',
      'subject:build.example.com',
      `subject:${FULCIO_NAMES.uris[0]}`,
      'subject:someone',
    ]);
  });

  it('ignores fields it does not know, as Rekor does, so they never reach the log', () => {
    const key = testKey('p256');
    const request = hashedRekordV1({
      pem: publicKeyPem(key),
      digestHex: sha('sha256', ARTIFACT).toString('hex'),
      signature: signMessage(key, 'sha256', ARTIFACT),
    });
    const plain = canonicalizeV1(parseProposedEntryV1(request)).body;
    const decorated = structuredClone(request) as { spec: Record<string, unknown> } & Record<
      string,
      unknown
    >;
    decorated.extra = 'x';
    decorated.spec.data = { ...(decorated.spec.data as object), content: 'ignored' };
    expect(Buffer.from(canonicalizeV1(parseProposedEntryV1(decorated)).body).equals(plain)).toBe(
      true,
    );
  });
});

describe('dsse 0.0.1', () => {
  it('stores hashes and signatures with Go-PEM verifiers, and indexes the statement subject', () => {
    const key = testKey('p256');
    const certificate = certificateDer(key, FULCIO_NAMES);
    const subjectDigest = sha('sha256', ARTIFACT).toString('hex');
    const payload = statement(subjectDigest);
    const signed = envelope(IN_TOTO, payload, [key]);
    const envelopeText = JSON.stringify(signed);
    const canonical = canonicalizeV1(
      parseProposedEntryV1(dsseV1(envelopeText, [toPem(certificate, 'CERTIFICATE', 'crlf-76')])),
    );
    const payloadHash = sha('sha256', payload).toString('hex');
    expect(text(canonical.body)).toBe(
      JSON.stringify({
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha('sha256', envelopeText).toString('hex') },
          payloadHash: { algorithm: 'sha256', value: payloadHash },
          signatures: [
            {
              signature: signed.signatures[0]!.sig,
              verifier: b64(toPem(certificate, 'CERTIFICATE', 'go')),
            },
          ],
        },
      }),
    );
    expect(canonical.searchKeys).toEqual([
      `sha256:${payloadHash}`,
      keyId(key.spki),
      'email:someone@example.com',
      'subject:build.example.com',
      `subject:${FULCIO_NAMES.uris[0]}`,
      'subject:someone',
      `sha256:${subjectDigest}`,
    ]);
  });

  it('pairs several signatures with the keys that made them and sorts them by signature', () => {
    const keys = [testKey('ed25519'), testKey('rsa2048'), testKey('p384')];
    const signed = envelope('text/plain', Buffer.from('hello'), keys);
    const pems = keys.map(publicKeyPem);
    // Offered in another order than they signed, with one signature repeated: stored once.
    signed.signatures.push({ ...signed.signatures[0]!, keyid: 'repeat' });
    const canonical = canonicalizeV1(
      parseProposedEntryV1(dsseV1(JSON.stringify(signed), [pems[2]!, pems[0]!, pems[1]!])),
    );
    const stored = JSON.parse(text(canonical.body)).spec.signatures as {
      signature: string;
      verifier: string;
    }[];
    const expected = keys
      .map((key, index) => ({
        signature: signed.signatures[index]!.sig,
        verifier: b64(publicKeyPem(key)),
      }))
      .sort((a, b) => (a.signature < b.signature ? -1 : 1));
    expect(stored).toEqual(expected);
    expect(canonical.searchKeys).toEqual([
      `sha256:${sha('sha256', 'hello').toString('hex')}`,
      ...expected.map(({ verifier }) =>
        keyId(keys.find((key) => b64(publicKeyPem(key)) === verifier)!.spki),
      ),
    ]);
  });
});

describe('intoto 0.0.2', () => {
  it('drops the payload, recomputes its hash and keeps the client PEM and envelope hash', () => {
    const key = testKey('ed25519');
    const payload = statement('ab'.repeat(32));
    const signed = envelope(IN_TOTO, payload, [key]);
    signed.signatures[0]!.keyid = 'my-key';
    // sigstore-js sends PEM without a final newline; Rekor v1 stored it as sent.
    const clientPem = Buffer.from(publicKeyPem(key).toString('ascii').trimEnd(), 'ascii');
    const envelopeHash = 'CD'.repeat(32);
    const canonical = canonicalizeV1(
      parseProposedEntryV1(intotoV1(signed, [clientPem], envelopeHash)),
    );
    const payloadHash = sha('sha256', payload).toString('hex');
    expect(text(canonical.body)).toBe(
      JSON.stringify({
        apiVersion: '0.0.2',
        kind: 'intoto',
        spec: {
          content: {
            envelope: {
              payloadType: IN_TOTO,
              signatures: [
                { keyid: 'my-key', publicKey: b64(clientPem), sig: b64(signed.signatures[0]!.sig) },
              ],
            },
            hash: { algorithm: 'sha256', value: 'cd'.repeat(32) },
            payloadHash: { algorithm: 'sha256', value: payloadHash },
          },
        },
      }),
    );
    expect(canonical.searchKeys).toEqual([
      `sha256:${payloadHash}`,
      keyId(key.spki),
      `sha256:${'ab'.repeat(32)}`,
    ]);
  });
});

describe('Rekor v2 hashedrekord 0.0.2', () => {
  const cases: ReadonlyArray<[KeyKind, string, 'sha256' | 'sha384' | 'sha512', string]> = [
    ['p256', 'PKIX_ECDSA_P256_SHA_256', 'sha256', 'SHA2_256'],
    ['p384', 'PKIX_ECDSA_P384_SHA_384', 'sha384', 'SHA2_384'],
    ['p521', 'PKIX_ECDSA_P521_SHA_512', 'sha512', 'SHA2_512'],
    ['rsa2048', 'PKIX_RSA_PKCS1V15_2048_SHA256', 'sha256', 'SHA2_256'],
    ['rsa3072', 'PKIX_RSA_PKCS1V15_3072_SHA256', 'sha256', 'SHA2_256'],
  ];

  it.each(cases)(
    'stores a %s key with %s as protojson + JCS',
    (kind, keyDetails, algorithm, hashName) => {
      const key = testKey(kind);
      const digest = sha(algorithm, ARTIFACT);
      const signature = signMessage(key, algorithm, ARTIFACT);
      const request = parseCreateEntryRequestV2(
        hashedRekordV2(digest, signature, publicKeyVerifier(key.spki, keyDetails)),
      );
      const canonical = canonicalizeV2(request);
      expect(text(canonical.body)).toBe(
        JSON.stringify({
          apiVersion: '0.0.2',
          kind: 'hashedrekord',
          spec: {
            hashedRekordV002: {
              data: { algorithm: hashName, digest: b64(digest) },
              signature: {
                content: b64(signature),
                verifier: { keyDetails, publicKey: { rawBytes: b64(key.spki) } },
              },
            },
          },
        }),
      );
      expect(canonical.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
      expect(canonical.searchKeys).toEqual([
        `${algorithm}:${digest.toString('hex')}`,
        keyId(key.spki),
      ]);
    },
  );

  it('stores the certificate exactly as sent, whatever base64 spelling carried it', () => {
    const key = testKey('p256');
    const certificate = certificateDer(key, FULCIO_NAMES);
    const digest = sha('sha256', ARTIFACT);
    const signature = signMessage(key, 'sha256', ARTIFACT);
    const standard = hashedRekordV2(
      digest,
      signature,
      certificateVerifier(certificate, 'PKIX_ECDSA_P256_SHA_256'),
    );
    const urlSafe = {
      hashedRekordRequestV002: {
        digest: digest.toString('base64url'),
        signature: {
          content: signature.toString('base64url'),
          verifier: {
            x509Certificate: { rawBytes: certificate.toString('base64url') },
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          },
        },
      },
    };
    const body = canonicalizeV2(parseCreateEntryRequestV2(standard)).body;
    expect(Buffer.from(canonicalizeV2(parseCreateEntryRequestV2(urlSafe)).body).equals(body)).toBe(
      true,
    );
    expect(JSON.parse(text(body)).spec.hashedRekordV002.signature.verifier).toEqual({
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      x509Certificate: { rawBytes: b64(certificate) },
    });
  });

  it('logs a DSSE request as hashedrekord over H(PAE) with the keyDetails hash', () => {
    const key = testKey('p384');
    const certificate = certificateDer(key, { emails: ['ci@example.com'] });
    const payload = statement(sha('sha256', ARTIFACT).toString('hex'));
    const request = dsseV2(
      key,
      'sha384',
      certificateVerifier(certificate, 'PKIX_ECDSA_P384_SHA_384'),
      payload,
    );
    const parsed = parseCreateEntryRequestV2(request);
    const canonical = canonicalizeV2(parsed);
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${IN_TOTO.length} ${IN_TOTO} ${payload.length} `),
      payload,
    ]);
    const sig = (request.dsseRequestV002 as { envelope: { signatures: { sig: string }[] } })
      .envelope.signatures[0]!.sig;
    expect(text(canonical.body)).toBe(
      JSON.stringify({
        apiVersion: '0.0.2',
        kind: 'hashedrekord',
        spec: {
          hashedRekordV002: {
            data: { algorithm: 'SHA2_384', digest: b64(sha('sha384', pae)) },
            signature: {
              content: sig,
              verifier: {
                keyDetails: 'PKIX_ECDSA_P384_SHA_384',
                x509Certificate: { rawBytes: b64(certificate) },
              },
            },
          },
        },
      }),
    );
    expect(parsed.requestType).toBe('dsseRequestV002');
    expect(canonical.searchKeys).toEqual([
      `sha384:${sha('sha384', pae).toString('hex')}`,
      `sha256:${sha('sha256', payload).toString('hex')}`,
      keyId(key.spki),
      'email:ci@example.com',
      `sha256:${sha('sha256', ARTIFACT).toString('hex')}`,
    ]);
  });
});
