// cosign's layouts on a real registry without a referrers API: signatures and attestations under
// legacy tags, bundles as referrers through the tag-schema index, the manifests checked field by
// field against cosign's documented layout (read back by skopeo), and the attacks verification
// relies on this package to expose.
import { createHash, randomBytes } from 'node:crypto';
import {
  ANNOTATION_BUNDLE_CONTENT,
  ANNOTATION_BUNDLE_PREDICATE_TYPE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_CREATED,
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_REKOR_BUNDLE,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  attachmentManifest,
  bundleReferrerManifest,
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignClient,
  DSSE_ENVELOPE,
  dockerReferenceOf,
  EMPTY_JSON_DIGEST,
  encodeImageIndex,
  type LegacyAttestation,
  type LegacySignature,
  OCI_CONFIG,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
  parseReference,
  type ReferrerBundle,
  RegistryClient,
  type RekorBundle,
  SIGSTORE_BUNDLE_V03,
  SIMPLE_SIGNING,
} from '@airlock/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../test/support/registry.js';
import {
  dsseBundle,
  envelope,
  messageBundle,
  SLSA_PREDICATE_TYPE,
  simpleSigning,
  verifyBytes,
} from './cosign-fixtures.js';
import {
  type BuiltImage,
  jsonReply,
  ociErrorCode,
  pushTestImage,
  type RunningProxy,
  skopeoRawManifest,
  startProxy,
} from './support.js';

const CREATED = new Date('2026-01-02T03:04:05.678Z');
const CERTIFICATE_PEM = '-----BEGIN CERTIFICATE-----\nTUlJQmxlYWY=\n-----END CERTIFICATE-----\n';
const CHAIN_PEM =
  '-----BEGIN CERTIFICATE-----\nTUlJQmludGVy\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nTUlJQnJvb3Q=\n-----END CERTIFICATE-----\n';
const REKOR_BUNDLE: RekorBundle = {
  SignedEntryTimestamp: 'TUVVQ0lRRHNldA==',
  Payload: {
    body: 'eyJraW5kIjoiaGFzaGVkcmVrb3JkIn0=',
    integratedTime: 1767322800,
    logIndex: 42,
    logID: 'c0ffee',
  },
};
const TIMESTAMP_DER = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);

let registry: RunningRegistry;
let client: RegistryClient;
let cosign: CosignClient;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ allowHttp: true, retryDelayMs: 5 });
  cosign = new CosignClient(client, () => CREATED);
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await registry?.stop();
});

async function proxy(hooks: Parameters<typeof startProxy>[1]): Promise<RunningProxy> {
  const running = await startProxy(registry.url, hooks);
  closers.push(() => running.close());
  return running;
}

const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const sha256 = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function legacy<T extends { layout: string }>(found: readonly T[]) {
  return found.filter((item) => item.layout === 'legacy-tag');
}

async function imageIn(
  repository: string,
  tag = 'v1',
): Promise<{ ref: string; image: BuiltImage }> {
  const image = await pushTestImage(registry.host, repository, tag);
  return { ref: `${registry.host}/${repository}:${tag}`, image };
}

describe('legacy signatures (sha256-<hex>.sig)', () => {
  it('attaches two signatures to one image and lists both, each naming the image', async () => {
    const { ref, image } = await imageIn('sig/app');
    const dockerReference = dockerReferenceOf(parseReference(ref));
    const first = simpleSigning(dockerReference, image.digest);
    const second = simpleSigning(dockerReference, image.digest, { env: 'prod', build: '7' });

    const one = await cosign.attachSignature({ ref, ...first });
    expect(one.tag).toBe(`sha256-${hexOf(image.digest)}.sig`);
    expect(one.layerCount).toBe(1);
    const two = await cosign.attachSignature({
      ref,
      ...second,
      certificatePem: CERTIFICATE_PEM,
      chainPem: CHAIN_PEM,
      bundle: REKOR_BUNDLE,
      rfc3161Timestamp: TIMESTAMP_DER,
    });
    expect(two.layerCount).toBe(2);
    // Attaching the same signature again does not duplicate it.
    expect((await cosign.attachSignature({ ref, ...first })).layerCount).toBe(2);

    const listing = await cosign.listSignatures(ref);
    expect(listing.subject.digest).toBe(image.digest);
    expect(listing.rejected).toEqual([]);
    const signatures = legacy(listing.found) as LegacySignature[];
    expect(signatures).toHaveLength(2);
    const [a, b] = signatures as [LegacySignature, LegacySignature];
    expect(Buffer.from(a.payload).equals(Buffer.from(first.payload))).toBe(true);
    expect(Buffer.from(b.payload).equals(Buffer.from(second.payload))).toBe(true);
    for (const found of signatures) {
      expect(found.namesSubject).toBe(true);
      expect(found.namedDigest).toBe(image.digest);
      expect(found.simpleSigning.dockerReference).toBe(dockerReference);
      expect(verifyBytes(found.payload, found.signature)).toBe(true);
    }
    expect(a.certificatePem).toBeUndefined();
    expect(b.simpleSigning.optional).toEqual({ build: '7', env: 'prod' });
    expect(b.certificatePem).toBe(CERTIFICATE_PEM);
    expect(b.chainPem).toBe(CHAIN_PEM);
    expect(b.rekorBundle).toEqual(REKOR_BUNDLE);
    expect(Buffer.from(b.rfc3161Timestamp ?? []).equals(Buffer.from(TIMESTAMP_DER))).toBe(true);
    expect(await client.listTags(ref)).toContain(one.tag);
  });

  it('writes the .sig manifest exactly as cosign documents it (read back by skopeo)', async () => {
    const { ref, image } = await imageIn('sig/layout');
    const dockerReference = dockerReferenceOf(parseReference(ref));
    const { payload, signature } = simpleSigning(dockerReference, image.digest);
    await cosign.attachSignature({
      ref,
      payload,
      signature,
      certificatePem: CERTIFICATE_PEM,
      chainPem: CHAIN_PEM,
      bundle: REKOR_BUNDLE,
      rfc3161Timestamp: TIMESTAMP_DER,
    });
    expect(new TextDecoder().decode(payload)).toBe(
      `{"critical":{"identity":{"docker-reference":"${registry.host}/sig/layout"},"image":{"docker-manifest-digest":"${image.digest}"},"type":"cosign container image signature"},"optional":null}`,
    );

    const raw = await skopeoRawManifest(
      `${registry.host}/sig/layout:sha256-${hexOf(image.digest)}.sig`,
    );
    const manifest = JSON.parse(raw);
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'mediaType', 'config', 'layers']);
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config.mediaType).toBe(OCI_CONFIG);
    expect(manifest.layers).toHaveLength(1);
    const [layer] = manifest.layers;
    expect(layer.mediaType).toBe(SIMPLE_SIGNING);
    expect(layer.digest).toBe(sha256(payload));
    expect(layer.size).toBe(payload.length);
    expect(Object.keys(layer.annotations).sort()).toEqual(
      [
        ANNOTATION_SIGNATURE,
        ANNOTATION_CERTIFICATE,
        ANNOTATION_CHAIN,
        ANNOTATION_REKOR_BUNDLE,
        ANNOTATION_RFC3161_TIMESTAMP,
      ].sort(),
    );
    expect(layer.annotations['dev.cosignproject.cosign/signature']).toBe(
      Buffer.from(signature).toString('base64'),
    );
    expect(layer.annotations['dev.sigstore.cosign/certificate']).toBe(CERTIFICATE_PEM);
    expect(layer.annotations['dev.sigstore.cosign/chain']).toBe(CHAIN_PEM);
    expect(layer.annotations['dev.sigstore.cosign/bundle']).toBe(
      '{"SignedEntryTimestamp":"TUVVQ0lRRHNldA==","Payload":{"body":"eyJraW5kIjoiaGFzaGVkcmVrb3JkIn0=","integratedTime":1767322800,"logIndex":42,"logID":"c0ffee"}}',
    );
    expect(layer.annotations['dev.sigstore.cosign/rfc3161timestamp']).toBe(
      `{"SignedRFC3161Timestamp":"${Buffer.from(TIMESTAMP_DER).toString('base64')}"}`,
    );
    // The payload blob and the config go-containerregistry would write for these layers.
    const blob = await client.getBlob(ref, layer.digest);
    expect(Buffer.from(blob).equals(Buffer.from(payload))).toBe(true);
    const config = JSON.parse(
      new TextDecoder().decode(await client.getBlob(ref, manifest.config.digest)),
    );
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [layer.digest] });
    expect(config.history).toHaveLength(1);
  });

  it('refuses to attach a payload that names another image, and writes nothing', async () => {
    const { ref, image } = await imageIn('sig/refuse');
    const other = await pushTestImage(registry.host, 'sig/refuse', 'other');
    const { payload, signature } = simpleSigning('x/y', other.digest);
    expect(await ociErrorCode(cosign.attachSignature({ ref, payload, signature }))).toBe(
      'SUBJECT_MISMATCH',
    );
    expect(await client.listTags(ref)).not.toContain(`sha256-${hexOf(image.digest)}.sig`);
    const junk = new TextEncoder().encode('{"critical":{}}');
    expect(await ociErrorCode(cosign.attachSignature({ ref, payload: junk, signature }))).toBe(
      'MALFORMED',
    );
  });
});

describe('legacy attestations (.att) and SBOMs (.sbom)', () => {
  it('attaches a DSSE attestation with cosign annotations and lists it', async () => {
    const { ref, image } = await imageIn('att/app');
    const env = envelope([image.digest]);
    const attached = await cosign.attachAttestation({
      ref,
      envelope: env,
      certificatePem: CERTIFICATE_PEM,
    });
    expect(attached.tag).toBe(`sha256-${hexOf(image.digest)}.att`);
    expect(attached.layer.mediaType).toBe(DSSE_ENVELOPE);
    expect(attached.layer.annotations).toEqual({
      [ANNOTATION_SIGNATURE]: '',
      [ANNOTATION_PREDICATE_TYPE]: SLSA_PREDICATE_TYPE,
      [ANNOTATION_CERTIFICATE]: CERTIFICATE_PEM,
    });
    const listing = await cosign.listAttestations(ref);
    expect(listing.rejected).toEqual([]);
    const [found] = legacy(listing.found) as LegacyAttestation[];
    expect(found?.predicateType).toBe(SLSA_PREDICATE_TYPE);
    expect(found?.annotatedPredicateType).toBe(SLSA_PREDICATE_TYPE);
    expect(found?.namesSubject).toBe(true);
    expect(found?.envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(found?.certificatePem).toBe(CERTIFICATE_PEM);

    const other = await pushTestImage(registry.host, 'att/app', 'other');
    expect(
      await ociErrorCode(cosign.attachAttestation({ ref, envelope: envelope([other.digest]) })),
    ).toBe('SUBJECT_MISMATCH');
  });

  it('replaces the SBOM on each attach, as cosign attach sbom does', async () => {
    const { ref, image } = await imageIn('sbom/app');
    await cosign.attachSbom({
      ref,
      sbom: new TextEncoder().encode('{"spdxVersion":"SPDX-2.3","n":1}'),
      mediaType: 'text/spdx+json',
    });
    const second = await cosign.attachSbom({
      ref,
      sbom: new TextEncoder().encode('{"spdxVersion":"SPDX-2.3","n":2}'),
      mediaType: 'text/spdx+json',
    });
    expect(second.tag).toBe(`sha256-${hexOf(image.digest)}.sbom`);
    expect(second.layerCount).toBe(1);
    const listing = await cosign.listSboms(ref);
    expect(listing.found.map((s) => new TextDecoder().decode(s.sbom))).toEqual([
      '{"spdxVersion":"SPDX-2.3","n":2}',
    ]);
    expect(listing.found[0]?.layer.mediaType).toBe('text/spdx+json');
  });
});

describe('bundles as OCI 1.1 referrers on a registry without the referrers API', () => {
  it('pushes the referrer by digest, maintains the sha256-<hex> index, and lists bundles in both listings', async () => {
    const { ref, image } = await imageIn('ref/app');
    const { payload, signature } = simpleSigning('ref/app', image.digest);
    await cosign.attachSignature({ ref, payload, signature });
    await cosign.attachAttestation({ ref, envelope: envelope([image.digest]) });
    const signBundle = dsseBundle([image.digest]);
    const attestBundle = dsseBundle([image.digest], SLSA_PREDICATE_TYPE);
    const signed = await cosign.attachBundleReferrer({ ref, bundle: signBundle });
    const attested = await cosign.attachBundleReferrer({ ref, bundle: attestBundle });
    expect(signed.referrersTagUpdated).toBe(true);
    expect(attested.referrersTagUpdated).toBe(true);

    const referrers = await client.referrers(`${registry.host}/ref/app@${image.digest}`);
    expect(referrers.source).toBe('tag-schema');
    expect(referrers.descriptors.map((d) => d.digest)).toEqual([
      signed.manifestDigest,
      attested.manifestDigest,
    ]);
    expect(referrers.descriptors[0]).toMatchObject({
      mediaType: OCI_MANIFEST,
      artifactType: SIGSTORE_BUNDLE_V03,
      annotations: {
        [ANNOTATION_BUNDLE_CONTENT]: 'dsse-envelope',
        [ANNOTATION_BUNDLE_PREDICATE_TYPE]: COSIGN_SIGN_PREDICATE_TYPE,
        [ANNOTATION_CREATED]: '2026-01-02T03:04:05Z',
      },
    });
    const filtered = await client.referrers(`${registry.host}/ref/app@${image.digest}`, {
      artifactType: 'application/spdx+json',
    });
    expect(filtered.descriptors).toEqual([]);

    const bundles = await cosign.listBundles(ref);
    expect(bundles.rejected).toEqual([]);
    expect(bundles.found.map((b) => b.predicateType)).toEqual([
      COSIGN_SIGN_PREDICATE_TYPE,
      SLSA_PREDICATE_TYPE,
    ]);
    expect(Buffer.from(bundles.found[0]?.bundleBytes ?? []).equals(Buffer.from(signBundle))).toBe(
      true,
    );
    expect(bundles.found.every((b) => b.namesSubject && b.source === 'tag-schema')).toBe(true);

    const signatures = await cosign.listSignatures(ref);
    expect(signatures.found.map((s) => s.layout)).toEqual(['legacy-tag', 'referrer']);
    const attestations = await cosign.listAttestations(ref);
    expect(attestations.found.map((a) => a.layout)).toEqual(['legacy-tag', 'referrer']);
    expect((attestations.found[1] as ReferrerBundle).predicateType).toBe(SLSA_PREDICATE_TYPE);

    const tree = await cosign.tree(ref);
    expect(tree.subject.digest).toBe(image.digest);
    expect(tree.signatures?.layers).toHaveLength(1);
    expect(tree.attestations?.layers).toHaveLength(1);
    expect(tree.sboms).toBeUndefined();
    expect(tree.referrers.source).toBe('tag-schema');
    expect(tree.referrers.manifests).toHaveLength(2);
  });

  it('writes the referrer manifest and index exactly as cosign v3 documents them (read back by skopeo)', async () => {
    const { ref, image } = await imageIn('ref/layout');
    const bundle = dsseBundle([image.digest]);
    const attached = await cosign.attachBundleReferrer({ ref, bundle });
    const raw = await skopeoRawManifest(`${registry.host}/ref/layout@${attached.manifestDigest}`);
    expect(sha256(new TextEncoder().encode(raw))).toBe(attached.manifestDigest);
    const manifest = JSON.parse(raw);
    expect(Object.keys(manifest)).toEqual([
      'schemaVersion',
      'mediaType',
      'artifactType',
      'config',
      'layers',
      'subject',
      'annotations',
    ]);
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(manifest.config).toEqual({
      mediaType: OCI_EMPTY,
      artifactType: SIGSTORE_BUNDLE_V03,
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    });
    expect(manifest.layers).toEqual([
      { mediaType: SIGSTORE_BUNDLE_V03, digest: sha256(bundle), size: bundle.length },
    ]);
    expect(manifest.subject).toEqual({
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
    });
    expect(manifest.annotations).toEqual({
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
    });
    expect(new TextDecoder().decode(await client.getBlob(ref, EMPTY_JSON_DIGEST))).toBe('{}');

    const index = JSON.parse(
      await skopeoRawManifest(`${registry.host}/ref/layout:sha256-${hexOf(image.digest)}`),
    );
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toEqual([
      {
        mediaType: OCI_MANIFEST,
        size: raw.length,
        digest: attached.manifestDigest,
        annotations: manifest.annotations,
        artifactType: SIGSTORE_BUNDLE_V03,
      },
    ]);
  });

  it('takes a message-signature bundle over the manifest, and refuses bundles for other images or before v0.3', async () => {
    const { ref, image } = await imageIn('ref/message');
    const attached = await cosign.attachBundleReferrer({
      ref,
      bundle: messageBundle(image.digest),
    });
    const [found] = (await cosign.listSignatures(ref)).found as ReferrerBundle[];
    expect(found?.manifestDigest).toBe(attached.manifestDigest);
    expect(found?.content).toBe('message-signature');
    expect(found?.predicateType).toBeUndefined();
    const other = sha256(randomBytes(8));
    expect(
      await ociErrorCode(cosign.attachBundleReferrer({ ref, bundle: dsseBundle([other]) })),
    ).toBe('SUBJECT_MISMATCH');
    expect(
      await ociErrorCode(cosign.attachBundleReferrer({ ref, bundle: messageBundle(other) })),
    ).toBe('SUBJECT_MISMATCH');
    const old = dsseBundle(
      [image.digest],
      COSIGN_SIGN_PREDICATE_TYPE,
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
    );
    expect(await ociErrorCode(cosign.attachBundleReferrer({ ref, bundle: old }))).toBe('MALFORMED');
  });

  it('uses the referrers API when a registry has one, filtering by artifact type itself', async () => {
    const { ref, image } = await imageIn('ref/api');
    await cosign.attachBundleReferrer({ ref, bundle: dsseBundle([image.digest]) });
    const index = await client.getManifest(
      `${registry.host}/ref/api:sha256-${hexOf(image.digest)}`,
    );
    const unrelated = {
      mediaType: OCI_MANIFEST,
      digest: sha256(randomBytes(4)),
      size: 10,
      artifactType: 'application/spdx+json',
    };
    // Distribution 2.8 has no referrers API: the proxy answers it from the registry's own index, plus
    // an unrelated entry, and without OCI-Filters-Applied, so the client must filter.
    const withApi = await proxy({
      intercept: (request) => {
        if (!request.url.startsWith(`/v2/ref/api/referrers/${image.digest}`)) return undefined;
        const manifests = index.manifest.kind === 'index' ? index.manifest.manifests : [];
        return {
          status: 200,
          headers: { 'content-type': OCI_INDEX },
          body: encodeImageIndex({ manifests: [...manifests, unrelated] }),
        };
      },
    });
    const viaApi = new RegistryClient({ allowHttp: true });
    const all = await viaApi.referrers(`${withApi.host}/ref/api@${image.digest}`);
    expect(all.source).toBe('api');
    expect(all.descriptors).toHaveLength(2);
    const bundlesOnly = await viaApi.referrers(`${withApi.host}/ref/api@${image.digest}`, {
      artifactType: SIGSTORE_BUNDLE_V03,
    });
    expect(bundlesOnly.descriptors).toHaveLength(1);
    expect(withApi.requests.at(-1)?.url).toBe(
      `/v2/ref/api/referrers/${image.digest}?artifactType=${encodeURIComponent(SIGSTORE_BUNDLE_V03)}`,
    );
    const listing = await new CosignClient(viaApi).listBundles(`${withApi.host}/ref/api:v1`);
    expect(listing.found.map((b) => b.source)).toEqual(['api']);
  });

  it('leaves the tag-schema index alone when the registry acknowledges the subject (OCI-Subject)', async () => {
    const { ref, image } = await imageIn('ref/subject');
    const acknowledging = await proxy({
      transform: (request, reply) => {
        if (request.method !== 'PUT' || !request.url.includes('/manifests/sha256:')) return reply;
        return { ...reply, headers: { ...reply.headers, 'oci-subject': image.digest } };
      },
    });
    const viaProxy = new CosignClient(new RegistryClient({ allowHttp: true }), () => CREATED);
    const attached = await viaProxy.attachBundleReferrer({
      ref: `${acknowledging.host}/ref/subject:v1`,
      bundle: dsseBundle([image.digest]),
    });
    expect(attached.referrersTagUpdated).toBe(false);
    expect(await client.listTags(ref)).toEqual(['v1']);
  });
});

describe('multi-platform images', () => {
  it('signs the index digest by default, or one platform on request, and lists each separately', async () => {
    const multi = await pushTestImage(registry.host, 'multi/app', 'v1', {
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
    });
    const ref = `${registry.host}/multi/app:v1`;
    const arm = { os: 'linux', architecture: 'arm64' };
    const armDigest = multi.platforms[1]?.digest ?? '';
    expect(await cosign.resolveDigest(ref)).toBe(multi.digest);
    expect(await cosign.resolveDigest(ref, arm)).toBe(armDigest);
    await cosign.attachSignature({ ref, ...simpleSigning('multi/app', multi.digest) });
    await cosign.attachSignature({ ref, platform: arm, ...simpleSigning('multi/app', armDigest) });
    const forIndex = await cosign.listSignatures(ref);
    const forArm = await cosign.listSignatures({ ref, platform: arm });
    expect((forIndex.found as LegacySignature[]).map((s) => s.namedDigest)).toEqual([multi.digest]);
    expect((forArm.found as LegacySignature[]).map((s) => s.namedDigest)).toEqual([armDigest]);
    expect(forArm.subject.digest).toBe(armDigest);
    // A payload for the index cannot be attached to a platform manifest.
    expect(
      await ociErrorCode(
        cosign.attachSignature({ ref, platform: arm, ...simpleSigning('multi/app', multi.digest) }),
      ),
    ).toBe('SUBJECT_MISMATCH');
  });
});

describe('attacks verification depends on', () => {
  it('a tag re-pushed to another image resolves to the new digest, and the old signatures stay with the old digest', async () => {
    const { ref, image: before } = await imageIn('attack/moving');
    await cosign.attachSignature({ ref, ...simpleSigning('attack/moving', before.digest) });
    await cosign.attachBundleReferrer({ ref, bundle: dsseBundle([before.digest]) });
    const after = await pushTestImage(registry.host, 'attack/moving', 'v1');
    expect(after.digest).not.toBe(before.digest);
    expect(await cosign.resolveDigest(ref)).toBe(after.digest);
    const listing = await cosign.listSignatures(ref);
    expect(listing.subject.digest).toBe(after.digest);
    expect(listing.found).toEqual([]);
    expect(listing.rejected).toEqual([]);
    const pinned = await cosign.listSignatures(`${registry.host}/attack/moving@${before.digest}`);
    expect(pinned.found.map((s) => s.layout)).toEqual(['legacy-tag', 'referrer']);
  });

  it("a signature layer copied to another image's .sig tag is parsed but reported as naming the other digest", async () => {
    const { ref: victimRef, image: signedImage } = await imageIn('attack/copy', 'signed');
    const { ref: targetRef, image: unsigned } = await imageIn('attack/copy', 'unsigned');
    await cosign.attachSignature({
      ref: victimRef,
      ...simpleSigning('attack/copy', signedImage.digest),
    });
    const stolen = await client.getManifest(
      `${registry.host}/attack/copy:sha256-${hexOf(signedImage.digest)}.sig`,
    );
    await client.putManifest(
      `${registry.host}/attack/copy:sha256-${hexOf(unsigned.digest)}.sig`,
      stolen.bytes,
    );

    const listing = await cosign.listSignatures(targetRef);
    expect(listing.rejected).toEqual([]);
    const [copied] = listing.found as LegacySignature[];
    expect(listing.found).toHaveLength(1);
    expect(copied?.namesSubject).toBe(false);
    expect(copied?.namedDigest).toBe(signedImage.digest);
    // The signature itself is genuine: only the digest check tells the images apart.
    expect(
      verifyBytes(copied?.payload ?? new Uint8Array(), copied?.signature ?? new Uint8Array()),
    ).toBe(true);
  });

  it("a referrer of another image listed in this image's tag-schema index is rejected", async () => {
    const { ref: aRef, image: a } = await imageIn('attack/referrer', 'a');
    const { ref: bRef, image: b } = await imageIn('attack/referrer', 'b');
    const forA = await cosign.attachBundleReferrer({ ref: aRef, bundle: dsseBundle([a.digest]) });
    const aIndex = await client.getManifest(
      `${registry.host}/attack/referrer:sha256-${hexOf(a.digest)}`,
    );
    await client.putManifest(
      `${registry.host}/attack/referrer:sha256-${hexOf(b.digest)}`,
      aIndex.bytes,
    );
    const listing = await cosign.listBundles(bRef);
    expect(listing.found).toEqual([]);
    expect(listing.rejected.map((r) => [r.digest, r.error.code])).toEqual([
      [forA.manifestDigest, 'SUBJECT_MISMATCH'],
    ]);
  });

  it('a referrer whose subject is this image but whose bundle signs another is listed as not naming it', async () => {
    const { ref, image } = await imageIn('attack/bundle');
    const elsewhere = sha256(randomBytes(8));
    const bundle = dsseBundle([elsewhere]);
    const referrer = bundleReferrerManifest({
      subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
      bundle,
      content: 'dsse-envelope',
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      created: CREATED,
    });
    await client.pushBlob(ref, referrer.config);
    await client.pushBlob(ref, bundle);
    await client.putManifest(
      `${registry.host}/attack/bundle@${sha256(referrer.manifest)}`,
      referrer.manifest,
    );
    const [found] = (await cosign.listBundles(ref)).found;
    expect(found?.namesSubject).toBe(false);
    expect(found?.namedDigests).toEqual([elsewhere]);
  });

  it('unreadable or tampered layers are rejected one by one; the good ones are still listed', async () => {
    const { ref, image } = await imageIn('attack/layers');
    const good = simpleSigning('attack/layers', image.digest);
    const goodLayer = (await cosign.attachSignature({ ref, ...good })).layer;
    const garbage = new TextEncoder().encode('not a payload');
    await client.pushBlob(ref, garbage);
    const unsigned = simpleSigning('attack/layers', image.digest, { n: 2 });
    await client.pushBlob(ref, unsigned.payload);
    const layers = [
      goodLayer,
      {
        mediaType: SIMPLE_SIGNING,
        digest: sha256(garbage),
        size: garbage.length,
        annotations: { [ANNOTATION_SIGNATURE]: 'c2ln' },
      },
      {
        mediaType: SIMPLE_SIGNING,
        digest: sha256(unsigned.payload),
        size: unsigned.payload.length,
      },
      { mediaType: 'application/octet-stream', digest: sha256(garbage), size: garbage.length },
    ];
    const built = attachmentManifest(layers);
    await client.pushBlob(ref, built.config);
    await client.putManifest(
      `${registry.host}/attack/layers:sha256-${hexOf(image.digest)}.sig`,
      built.manifest,
    );

    const listing = await cosign.listSignatures(ref);
    expect(listing.found).toHaveLength(1);
    expect(listing.rejected.map((r) => r.error.code)).toEqual([
      'MALFORMED',
      'MALFORMED',
      'UNSUPPORTED_MEDIA_TYPE',
    ]);

    // Through a proxy that swaps the good payload's bytes, the good layer is rejected too.
    const tampering = await proxy({
      transform: (request, reply) =>
        request.method === 'GET' && request.url.endsWith(`/blobs/${goodLayer.digest}`)
          ? {
              ...reply,
              body: simpleSigning('attack/layers', image.digest, { forged: true }).payload,
            }
          : reply,
    });
    const viaProxy = new CosignClient(new RegistryClient({ allowHttp: true }));
    const tampered = await viaProxy.listSignatures(`${tampering.host}/attack/layers:v1`);
    expect(tampered.found).toEqual([]);
    expect(tampered.rejected.map((r) => r.error.code)).toContain('DIGEST_MISMATCH');
  });

  it('a registry that fails while listing makes the listing fail rather than look empty', async () => {
    const { image } = await imageIn('attack/outage');
    const failing = await proxy({
      intercept: (request) => (request.url.includes('.sig') ? jsonReply(500, {}) : undefined),
    });
    const viaProxy = new CosignClient(new RegistryClient({ allowHttp: true, retries: 0 }));
    expect(
      await ociErrorCode(viaProxy.listSignatures(`${failing.host}/attack/outage@${image.digest}`)),
    ).toBe('REGISTRY_ERROR');
  });
});
