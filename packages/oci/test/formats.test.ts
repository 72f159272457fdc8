// The pure parts: image references, digests, tag names, manifest parsing, and cosign's payload,
// layer and bundle formats, including the inputs each parser must refuse.
import {
  appendLayer,
  attachmentTag,
  buildSimpleSigningPayload,
  digestOf,
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  formatReference,
  parseDigest,
  parseDsseEnvelope,
  parseManifest,
  parsePlatformSelector,
  parseReference,
  parseRekorBundle,
  parseSignatureLayer,
  parseSimpleSigningPayload,
  referrersTag,
  SIMPLE_SIGNING,
  signatureLayer,
  summarizeBundle,
  verifyDigest,
} from '@airlock/oci';
import { describe, expect, it } from 'vitest';
import { dsseBundle, envelope, messageBundle, SLSA_PREDICATE_TYPE } from './cosign-fixtures.js';
import { ociErrorCode } from './support.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('image references', () => {
  it.each([
    [
      '127.0.0.1:5000/team/app:v1',
      { registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', digest: undefined },
    ],
    [
      `registry.example/a/b/c@${D1}`,
      { registry: 'registry.example', repository: 'a/b/c', tag: undefined, digest: D1 },
    ],
    [
      `localhost/app:1.0@${D1}`,
      { registry: 'localhost', repository: 'app', tag: '1.0', digest: D1 },
    ],
    [
      '[::1]:5000/app',
      { registry: '[::1]:5000', repository: 'app', tag: 'latest', digest: undefined },
    ],
    [
      'alpine',
      { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', digest: undefined },
    ],
    [
      'alpine:3.20',
      { registry: 'docker.io', repository: 'library/alpine', tag: '3.20', digest: undefined },
    ],
    [
      'sigstore/cosign:v3',
      { registry: 'docker.io', repository: 'sigstore/cosign', tag: 'v3', digest: undefined },
    ],
    [
      'index.docker.io/library/busybox',
      { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: undefined },
    ],
    [
      'ghcr.io/org/img-name__x.y:tag_1',
      { registry: 'ghcr.io', repository: 'org/img-name__x.y', tag: 'tag_1', digest: undefined },
    ],
  ])('parses %s', (text, expected) => {
    const parsed = parseReference(text);
    expect(parsed).toEqual(expected);
    expect(parseReference(formatReference(parsed))).toEqual(parsed);
  });

  it.each([
    '',
    'registry.example/App:v1',
    'registry.example/',
    'registry.example/app:',
    'registry.example/app:-bad',
    `registry.example/app@sha256:${'a'.repeat(63)}`,
    `registry.example/app@md5:${'a'.repeat(32)}`,
    'registry.example/a//b',
    'registry.example/app_:v1',
    `registry.example/${'a'.repeat(260)}`,
    'bad host!/app',
  ])('refuses %j', async (text) => {
    expect(await ociErrorCode(() => parseReference(text))).toBe('INVALID_REFERENCE');
  });
});

describe('digests and tag names', () => {
  it('checks digests and content', async () => {
    expect(digestOf(EMPTY_JSON)).toBe(EMPTY_JSON_DIGEST);
    expect(() => verifyDigest(EMPTY_JSON, EMPTY_JSON_DIGEST, 'x', 2)).not.toThrow();
    expect(await ociErrorCode(() => verifyDigest(EMPTY_JSON, D1, 'x'))).toBe('DIGEST_MISMATCH');
    expect(await ociErrorCode(() => verifyDigest(EMPTY_JSON, EMPTY_JSON_DIGEST, 'x', 3))).toBe(
      'DIGEST_MISMATCH',
    );
    expect(await ociErrorCode(() => parseDigest(`sha256:${'A'.repeat(64)}`))).toBe(
      'INVALID_DIGEST',
    );
    const sha512 = digestOf(EMPTY_JSON, 'sha512');
    expect(() => verifyDigest(EMPTY_JSON, sha512, 'x')).not.toThrow();
  });

  it("names cosign's tags and the referrers tag schema", () => {
    expect(attachmentTag(D1, 'sig')).toBe(`sha256-${'a'.repeat(64)}.sig`);
    expect(attachmentTag(D1, 'att')).toBe(`sha256-${'a'.repeat(64)}.att`);
    expect(attachmentTag(D1, 'sbom')).toBe(`sha256-${'a'.repeat(64)}.sbom`);
    expect(referrersTag(D1)).toBe(`sha256-${'a'.repeat(64)}`);
    expect(referrersTag(`sha512:${'c'.repeat(128)}`)).toBe(`sha512-${'c'.repeat(64)}`);
  });
});

describe('manifest parsing', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D1, size: 2 };

  it('takes the media type from the body, then the header, then the shape', () => {
    const docker = parseManifest(
      utf8(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config,
          layers: [],
        }),
      ),
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(docker.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const bare = parseManifest(utf8(JSON.stringify({ schemaVersion: 2, manifests: [] })));
    expect(bare.kind).toBe('index');
    expect(parsePlatformSelector('linux/arm64/v8')).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
  });

  it.each([
    ['schema 1', { schemaVersion: 1, name: 'x' }, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'an unknown type',
      { schemaVersion: 2, mediaType: 'text/plain', config, layers: [] },
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'no config',
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] },
      'MALFORMED',
    ],
    [
      'a bad digest',
      { schemaVersion: 2, config: { ...config, digest: 'sha256:00' }, layers: [] },
      'MALFORMED',
    ],
    [
      'a negative size',
      { schemaVersion: 2, config: { ...config, size: -1 }, layers: [] },
      'MALFORMED',
    ],
    [
      'a non-string annotation',
      { schemaVersion: 2, config, layers: [], annotations: { a: 1 } },
      'MALFORMED',
    ],
    ['layers that are not a list', { schemaVersion: 2, config, layers: {} }, 'MALFORMED'],
  ])('refuses %s', async (_name, json, code) => {
    expect(await ociErrorCode(() => parseManifest(utf8(JSON.stringify(json))))).toBe(code);
  });

  it('refuses bytes that are not UTF-8 JSON objects', async () => {
    expect(await ociErrorCode(() => parseManifest(new Uint8Array([0xff, 0xfe])))).toBe('MALFORMED');
    expect(await ociErrorCode(() => parseManifest(utf8('[]')))).toBe('MALFORMED');
  });
});

describe('simple signing payloads', () => {
  it('are built as Go marshals them, with sorted optional keys and HTML-safe escapes', () => {
    const payload = buildSimpleSigningPayload({
      dockerReference: 'registry.example/app',
      digest: D1,
      optional: { z: 'last', a: { y: 1, b: '<&>' } },
    });
    expect(new TextDecoder().decode(payload)).toBe(
      `{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"${D1}"},"type":"cosign container image signature"},"optional":{"a":{"b":"\\u003c\\u0026\\u003e","y":1},"z":"last"}}`,
    );
    expect(parseSimpleSigningPayload(payload, { expectedDigest: D1 })).toEqual({
      dockerReference: 'registry.example/app',
      dockerManifestDigest: D1,
      optional: { a: { b: '<&>', y: 1 }, z: 'last' },
    });
  });

  it('refuses a payload for another image when the expected digest is given', async () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r/a', digest: D1 });
    expect(
      await ociErrorCode(() => parseSimpleSigningPayload(payload, { expectedDigest: D2 })),
    ).toBe('SUBJECT_MISMATCH');
  });

  it.each([
    [
      'a wrong type',
      { critical: { identity: {}, image: { 'docker-manifest-digest': D1 }, type: 'other' } },
    ],
    [
      'no digest',
      { critical: { identity: {}, image: {}, type: 'cosign container image signature' } },
    ],
    [
      'a non-digest',
      {
        critical: {
          image: { 'docker-manifest-digest': 'latest' },
          type: 'cosign container image signature',
        },
      },
    ],
    // Go's decoder would read this key as docker-manifest-digest; two readers must not disagree.
    [
      'a case-variant key',
      {
        critical: {
          image: { 'docker-manifest-digest': D1, 'Docker-manifest-digest': D2 },
          type: 'cosign container image signature',
        },
      },
    ],
    [
      'a case-variant section',
      {
        Critical: {
          image: { 'docker-manifest-digest': D1 },
          type: 'cosign container image signature',
        },
      },
    ],
    [
      'a scalar optional',
      {
        critical: {
          image: { 'docker-manifest-digest': D1 },
          type: 'cosign container image signature',
        },
        optional: 'x',
      },
    ],
  ])('refuses %s', async (_name, json) => {
    expect(await ociErrorCode(() => parseSimpleSigningPayload(utf8(JSON.stringify(json))))).toBe(
      'MALFORMED',
    );
  });
});

describe('legacy layers', () => {
  it('reads a signature layer back and reports the digest its payload names', async () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r/a', digest: D1 });
    const layer = signatureLayer(payload, new Uint8Array([1, 2, 3]));
    const parsed = parseSignatureLayer(layer, payload, D2);
    expect(parsed.namedDigest).toBe(D1);
    expect(parsed.namesSubject).toBe(false);
    expect(Array.from(parsed.signature)).toEqual([1, 2, 3]);
    const noSignature = { ...layer, annotations: {} };
    expect(await ociErrorCode(() => parseSignatureLayer(noSignature, payload, D1))).toBe(
      'MALFORMED',
    );
    const badBase64 = {
      ...layer,
      annotations: { 'dev.cosignproject.cosign/signature': 'not base64!' },
    };
    expect(await ociErrorCode(() => parseSignatureLayer(badBase64, payload, D1))).toBe('MALFORMED');
    const badBundle = {
      ...layer,
      annotations: { ...layer.annotations, 'dev.sigstore.cosign/bundle': '{"Payload":{}}' },
    };
    expect(await ociErrorCode(() => parseSignatureLayer(badBundle, payload, D1))).toBe('MALFORMED');
    expect(await ociErrorCode(() => parseRekorBundle('[]'))).toBe('MALFORMED');
  });

  it('appends a layer once, and keeps layers that differ only in annotations', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r/a', digest: D1 });
    const a = signatureLayer(payload, new Uint8Array([1]));
    const b = signatureLayer(payload, new Uint8Array([2]));
    expect(appendLayer([a], a)).toEqual([a]);
    expect(appendLayer([a], b)).toEqual([a, b]);
    expect(a.mediaType).toBe(SIMPLE_SIGNING);
  });

  it('refuses DSSE envelopes without signatures or with a bad payload', async () => {
    expect(
      parseDsseEnvelope(JSON.parse(new TextDecoder().decode(envelope([D1])))).payloadType,
    ).toBe('application/vnd.in-toto+json');
    expect(
      await ociErrorCode(() =>
        parseDsseEnvelope({ payloadType: 't', payload: 'eA==', signatures: [] }),
      ),
    ).toBe('MALFORMED');
    expect(
      await ociErrorCode(() =>
        parseDsseEnvelope({ payloadType: 't', payload: '%%%', signatures: [{ sig: 'eA==' }] }),
      ),
    ).toBe('MALFORMED');
  });
});

describe('Sigstore bundles', () => {
  it('summarises DSSE and message-signature bundles by the digests they sign', () => {
    const dsse = summarizeBundle(dsseBundle([D2, D1], SLSA_PREDICATE_TYPE), D1);
    expect(dsse).toMatchObject({
      content: 'dsse-envelope',
      predicateType: SLSA_PREDICATE_TYPE,
      namedDigests: [D2, D1],
      namesSubject: true,
    });
    const message = summarizeBundle(messageBundle(D1), D2);
    expect(message).toMatchObject({
      content: 'message-signature',
      namedDigests: [D1],
      namesSubject: false,
    });
    const versioned = dsseBundle(
      [D1],
      SLSA_PREDICATE_TYPE,
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
    );
    expect(summarizeBundle(versioned, D1).namesSubject).toBe(true);
  });

  it.each([
    [
      'v0.1',
      dsseBundle([D1], SLSA_PREDICATE_TYPE, 'application/vnd.dev.sigstore.bundle+json;version=0.1'),
    ],
    [
      'v0.2',
      dsseBundle([D1], SLSA_PREDICATE_TYPE, 'application/vnd.dev.sigstore.bundle.v0.2+json'),
    ],
    ['another media type', dsseBundle([D1], SLSA_PREDICATE_TYPE, 'application/json')],
    [
      'no content',
      utf8(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })),
    ],
    [
      'a statement without subjects',
      utf8(
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          dsseEnvelope: {
            payloadType: 'application/vnd.in-toto+json',
            payload: Buffer.from('{"predicateType":"x"}').toString('base64'),
            signatures: [{ sig: 'eA==' }],
          },
        }),
      ),
    ],
  ])('refuses %s', async (_name, bytes) => {
    expect(await ociErrorCode(() => summarizeBundle(bytes, D1))).toBe('MALFORMED');
  });
});
