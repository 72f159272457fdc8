// Attaches signatures, attestations, SBOMs and bundles to images the way cosign stores them, and
// lists what is attached in both layouts (legacy tags and OCI 1.1 referrers). It signs and verifies
// nothing: it hands verification everything it needs, including whether each item names the image.
import { digestOf } from './digest.js';
import { OciError } from './errors.js';
import {
  appendLayer,
  attachmentManifest,
  attestationLayer,
  type BundleContent,
  bundleReferrerManifest,
  type DsseEnvelope,
  isBundleMediaType,
  type LayerMaterial,
  parseAttestationEnvelope,
  parseAttestationLayer,
  parseSignatureLayer,
  type RekorBundle,
  sbomLayer,
  signatureLayer,
  summarizeBundle,
} from './layouts.js';
import type { Descriptor, PlatformSelector } from './manifest.js';
import { COSIGN_SIGN_PREDICATE_TYPE, DSSE_ENVELOPE, SIMPLE_SIGNING } from './media-types.js';
import {
  formatReference,
  type ImageReference,
  referenceWithDigest,
  referenceWithTag,
} from './reference.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';
import { parseSimpleSigningPayload, type SimpleSigningPayload } from './simple-signing.js';
import { type AttachmentKind, attachmentTag } from './tags.js';

export interface SubjectOptions {
  readonly ref: ImageReference | string;
  /** For a multi-platform image: attach to / list for this platform's manifest, not the index. */
  readonly platform?: PlatformSelector;
}

export interface Material {
  readonly certificatePem?: string;
  readonly chainPem?: string;
  /** cosign's RekorBundle (`dev.sigstore.cosign/bundle`). */
  readonly bundle?: RekorBundle;
  /** DER TimeStampResp (`dev.sigstore.cosign/rfc3161timestamp`). */
  readonly rfc3161Timestamp?: Uint8Array;
}

export interface AttachSignatureInput extends SubjectOptions, Material {
  /** The simple signing payload that was signed; it must name the image's digest. */
  readonly payload: Uint8Array;
  /** The raw signature over `payload`. */
  readonly signature: Uint8Array;
}

export interface AttachAttestationInput extends SubjectOptions, Material {
  /** DSSE envelope JSON whose in-toto statement lists the image's digest as a subject. */
  readonly envelope: Uint8Array;
}

export interface AttachSbomInput extends SubjectOptions {
  readonly sbom: Uint8Array;
  /** e.g. `text/spdx+json`, `application/vnd.cyclonedx+json`. */
  readonly mediaType: string;
}

export interface AttachBundleInput extends SubjectOptions {
  /** Sigstore bundle JSON (v0.3+) whose signed content names the image's digest. */
  readonly bundle: Uint8Array;
  /** `org.opencontainers.image.created`; now by default. */
  readonly created?: Date;
}

export interface Subject {
  /** The repository pinned to the digest. */
  readonly reference: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface AttachedToTag {
  readonly subject: Subject;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  /** Layers in the tag's manifest after this attach (signatures accumulate; SBOMs replace). */
  readonly layerCount: number;
}

export interface AttachedReferrer {
  readonly subject: Subject;
  readonly manifestDigest: string;
  readonly bundleDescriptor: Descriptor;
  readonly referrersTagUpdated: boolean;
}

export interface LegacySignature extends LayerMaterial {
  readonly layout: 'legacy-tag';
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  readonly payload: Uint8Array;
  readonly simpleSigning: SimpleSigningPayload;
  readonly signature: Uint8Array;
  /** The digest `critical.image.docker-manifest-digest` names. */
  readonly namedDigest: string;
  /** False for a signature copied here from another image: verification must refuse it. */
  readonly namesSubject: boolean;
}

export interface LegacyAttestation extends LayerMaterial {
  readonly layout: 'legacy-tag';
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  readonly envelopeBytes: Uint8Array;
  readonly envelope: DsseEnvelope;
  readonly predicateType: string;
  readonly annotatedPredicateType: string | undefined;
  readonly namedDigests: readonly string[];
  readonly namesSubject: boolean;
}

export interface ReferrerBundle {
  readonly layout: 'referrer';
  readonly source: 'api' | 'tag-schema';
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  readonly annotations: Readonly<Record<string, string>>;
  readonly bundleBytes: Uint8Array;
  readonly bundle: Readonly<Record<string, unknown>>;
  readonly mediaType: string;
  readonly content: BundleContent;
  readonly predicateType: string | undefined;
  readonly namedDigests: readonly string[];
  readonly namesSubject: boolean;
}

export interface AttachedSbom {
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  readonly sbom: Uint8Array;
}

export type FoundSignature = LegacySignature | ReferrerBundle;
export type FoundAttestation = LegacyAttestation | ReferrerBundle;

/** Something attached to the image that could not be read; never offered to verification. */
export interface RejectedItem {
  readonly layout: 'legacy-tag' | 'referrer';
  /** The tag or referrer manifest it was found under, and the layer or manifest digest. */
  readonly location: string;
  readonly digest: string;
  readonly error: OciError;
}

export interface Listing<T> {
  readonly subject: Subject;
  readonly found: readonly T[];
  readonly rejected: readonly RejectedItem[];
}

export interface TagSummary {
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layers: readonly Descriptor[];
}

/** What `cosign tree` shows: the legacy tags and the referrers of one image. */
export interface ArtifactTree {
  readonly subject: Subject;
  readonly signatures: TagSummary | undefined;
  readonly attestations: TagSummary | undefined;
  readonly sboms: TagSummary | undefined;
  readonly referrers: {
    readonly source: 'api' | 'tag-schema';
    readonly manifests: readonly Descriptor[];
  };
}

function toSubject(fetched: FetchedManifest): Subject {
  return {
    reference: formatReference(fetched.reference),
    digest: fetched.digest,
    mediaType: fetched.mediaType,
    size: fetched.size,
  };
}

function materialOf(input: Material): LayerMaterial {
  return {
    ...(input.certificatePem === undefined ? {} : { certificatePem: input.certificatePem }),
    ...(input.chainPem === undefined ? {} : { chainPem: input.chainPem }),
    ...(input.bundle === undefined ? {} : { rekorBundle: input.bundle }),
    ...(input.rfc3161Timestamp === undefined ? {} : { rfc3161Timestamp: input.rfc3161Timestamp }),
  };
}

/** Per-item failures that are the content's fault are reported; a registry or network failure is thrown. */
function isContentError(error: unknown): error is OciError {
  return (
    error instanceof OciError &&
    [
      'MALFORMED',
      'DIGEST_MISMATCH',
      'TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'SUBJECT_MISMATCH',
      'NOT_FOUND',
      'INVALID_DIGEST',
    ].includes(error.code)
  );
}

export class CosignClient {
  constructor(
    readonly registry: RegistryClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async #subject(options: SubjectOptions): Promise<FetchedManifest> {
    return this.registry.resolve(
      options.ref,
      options.platform === undefined ? {} : { platform: options.platform },
    );
  }

  /** The digest a reference names (an index's own digest unless a platform is given). */
  async resolveDigest(ref: ImageReference | string, platform?: PlatformSelector): Promise<string> {
    return (await this.#subject(platform === undefined ? { ref } : { ref, platform })).digest;
  }

  // --- attach ---

  /**
   * Adds a signature layer to the image's `sha256-<hex>.sig` manifest, keeping the signatures already
   * there. The payload must name the image's digest (SUBJECT_MISMATCH otherwise), so a tag moved
   * between signing and attaching cannot misplace a signature. Concurrent attaches can lose one.
   */
  async attachSignature(input: AttachSignatureInput): Promise<AttachedToTag> {
    const subject = await this.#subject(input);
    parseSimpleSigningPayload(input.payload, { expectedDigest: subject.digest });
    await this.registry.pushBlob(subject.reference, input.payload);
    return this.#appendToTag(
      subject,
      'sig',
      signatureLayer(input.payload, input.signature, materialOf(input)),
    );
  }

  /** Adds a DSSE envelope layer to the image's `.att` manifest; its statement must list the image. */
  async attachAttestation(input: AttachAttestationInput): Promise<AttachedToTag> {
    const subject = await this.#subject(input);
    const parsed = parseAttestationEnvelope(input.envelope, subject.digest);
    if (!parsed.namesSubject) {
      throw new OciError(
        'SUBJECT_MISMATCH',
        `attestation statement does not list ${subject.digest} as a subject`,
      );
    }
    await this.registry.pushBlob(subject.reference, input.envelope);
    return this.#appendToTag(
      subject,
      'att',
      attestationLayer(input.envelope, parsed.predicateType, materialOf(input)),
    );
  }

  /** Replaces the image's `.sbom` manifest with one layer holding this SBOM (as `cosign attach sbom`). */
  async attachSbom(input: AttachSbomInput): Promise<AttachedToTag> {
    const subject = await this.#subject(input);
    await this.registry.pushBlob(subject.reference, input.sbom);
    return this.#writeTag(subject, 'sbom', [sbomLayer(input.sbom, input.mediaType)]);
  }

  /**
   * Pushes a bundle as an OCI 1.1 referrer of the image (manifest by digest, `{}` config, one bundle
   * layer); on a registry without the referrers API the `sha256-<hex>` index is updated too.
   */
  async attachBundleReferrer(input: AttachBundleInput): Promise<AttachedReferrer> {
    const subject = await this.#subject(input);
    const summary = summarizeBundle(input.bundle, subject.digest);
    if (!summary.namesSubject) {
      throw new OciError(
        'SUBJECT_MISMATCH',
        `bundle names ${summary.namedDigests.join(', ') || 'no digest'}, not ${subject.digest}`,
      );
    }
    const referrer = bundleReferrerManifest({
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      bundle: input.bundle,
      content: summary.content,
      ...(summary.predicateType === undefined ? {} : { predicateType: summary.predicateType }),
      created: input.created ?? this.now(),
    });
    await this.registry.pushBlob(subject.reference, referrer.config);
    await this.registry.pushBlob(subject.reference, input.bundle);
    const pushed = await this.registry.putManifest(
      referenceWithDigest(subject.reference, digestOf(referrer.manifest)),
      referrer.manifest,
    );
    return {
      subject: toSubject(subject),
      manifestDigest: pushed.digest,
      bundleDescriptor: referrer.bundleDescriptor,
      referrersTagUpdated: pushed.referrersTagUpdated,
    };
  }

  async #existingLayers(
    subject: FetchedManifest,
    kind: AttachmentKind,
  ): Promise<readonly Descriptor[]> {
    const tagRef = referenceWithTag(subject.reference, attachmentTag(subject.digest, kind));
    const existing = await this.#optional(tagRef);
    if (existing === undefined) return [];
    if (existing.manifest.kind !== 'manifest') {
      throw new OciError(
        'MALFORMED',
        `${formatReference(tagRef)} is an index, not a cosign ${kind} manifest`,
      );
    }
    return existing.manifest.layers;
  }

  async #appendToTag(
    subject: FetchedManifest,
    kind: AttachmentKind,
    layer: Descriptor,
  ): Promise<AttachedToTag> {
    const layers = appendLayer(await this.#existingLayers(subject, kind), layer);
    return this.#writeTag(subject, kind, layers, layer);
  }

  async #writeTag(
    subject: FetchedManifest,
    kind: AttachmentKind,
    layers: readonly Descriptor[],
    layer: Descriptor = layers[layers.length - 1]!,
  ): Promise<AttachedToTag> {
    const tag = attachmentTag(subject.digest, kind);
    const built = attachmentManifest(layers);
    await this.registry.pushBlob(subject.reference, built.config);
    const pushed = await this.registry.putManifest(
      referenceWithTag(subject.reference, tag),
      built.manifest,
    );
    return {
      subject: toSubject(subject),
      tag,
      manifestDigest: pushed.digest,
      layer,
      layerCount: layers.length,
    };
  }

  async #optional(ref: ImageReference): Promise<FetchedManifest | undefined> {
    try {
      return await this.registry.getManifest(ref);
    } catch (error) {
      if (error instanceof OciError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  // --- list ---

  /** Legacy `.sig` signatures and referrer bundles of `cosign sign` (message signatures included). */
  async listSignatures(
    options: SubjectOptions | ImageReference | string,
  ): Promise<Listing<FoundSignature>> {
    const subject = await this.#subject(normalize(options));
    const rejected: RejectedItem[] = [];
    const found: FoundSignature[] = [];
    found.push(
      ...(await this.#legacyItems(
        subject,
        'sig',
        SIMPLE_SIGNING,
        rejected,
        (tag, manifestDigest, layer, blob) => ({
          layout: 'legacy-tag' as const,
          tag,
          manifestDigest,
          layer,
          ...parseSignatureLayer(layer, blob, subject.digest),
        }),
      )),
    );
    const bundles = await this.#referrerBundles(subject, rejected);
    found.push(...bundles.filter(isSignatureBundle));
    return { subject: toSubject(subject), found, rejected };
  }

  /** Legacy `.att` envelopes and referrer bundles of anything but `cosign sign`. */
  async listAttestations(
    options: SubjectOptions | ImageReference | string,
  ): Promise<Listing<FoundAttestation>> {
    const subject = await this.#subject(normalize(options));
    const rejected: RejectedItem[] = [];
    const found: FoundAttestation[] = [];
    found.push(
      ...(await this.#legacyItems(
        subject,
        'att',
        DSSE_ENVELOPE,
        rejected,
        (tag, manifestDigest, layer, blob) => ({
          layout: 'legacy-tag' as const,
          tag,
          manifestDigest,
          layer,
          ...parseAttestationLayer(layer, blob, subject.digest),
        }),
      )),
    );
    const bundles = await this.#referrerBundles(subject, rejected);
    found.push(...bundles.filter((b) => !isSignatureBundle(b)));
    return { subject: toSubject(subject), found, rejected };
  }

  /** Every Sigstore bundle attached as a referrer, signatures and attestations alike. */
  async listBundles(
    options: SubjectOptions | ImageReference | string,
  ): Promise<Listing<ReferrerBundle>> {
    const subject = await this.#subject(normalize(options));
    const rejected: RejectedItem[] = [];
    const found = await this.#referrerBundles(subject, rejected);
    return { subject: toSubject(subject), found, rejected };
  }

  /** The SBOM layers of the image's `.sbom` tag. */
  async listSboms(
    options: SubjectOptions | ImageReference | string,
  ): Promise<Listing<AttachedSbom>> {
    const subject = await this.#subject(normalize(options));
    const rejected: RejectedItem[] = [];
    const found = await this.#legacyItems(
      subject,
      'sbom',
      undefined,
      rejected,
      (tag, manifestDigest, layer, sbom) => ({
        tag,
        manifestDigest,
        layer,
        sbom,
      }),
    );
    return { subject: toSubject(subject), found, rejected };
  }

  /** The legacy tags and referrers of an image, without reading their layers. */
  async tree(options: SubjectOptions | ImageReference | string): Promise<ArtifactTree> {
    const subject = await this.#subject(normalize(options));
    const summary = async (kind: AttachmentKind): Promise<TagSummary | undefined> => {
      const tag = attachmentTag(subject.digest, kind);
      const fetched = await this.#optional(referenceWithTag(subject.reference, tag));
      if (fetched === undefined) return undefined;
      return {
        tag,
        manifestDigest: fetched.digest,
        layers: fetched.manifest.kind === 'manifest' ? fetched.manifest.layers : [],
      };
    };
    const referrers = await this.registry.referrers(subject.reference);
    return {
      subject: toSubject(subject),
      signatures: await summary('sig'),
      attestations: await summary('att'),
      sboms: await summary('sbom'),
      referrers: { source: referrers.source, manifests: referrers.descriptors },
    };
  }

  /**
   * The layers of a legacy tag, each read (digest-checked) and parsed by `parse`, in layer order;
   * layers that cannot be read or parsed go to `rejected`.
   */
  async #legacyItems<T>(
    subject: FetchedManifest,
    kind: AttachmentKind,
    mediaType: string | undefined,
    rejected: RejectedItem[],
    parse: (tag: string, manifestDigest: string, layer: Descriptor, blob: Uint8Array) => T,
  ): Promise<T[]> {
    const tag = attachmentTag(subject.digest, kind);
    let fetched: FetchedManifest | undefined;
    try {
      fetched = await this.#optional(referenceWithTag(subject.reference, tag));
    } catch (error) {
      if (!isContentError(error)) throw error;
      rejected.push({ layout: 'legacy-tag', location: tag, digest: '', error });
      return [];
    }
    if (fetched === undefined) return [];
    if (fetched.manifest.kind !== 'manifest') {
      const error = new OciError('MALFORMED', `${tag} is an index, not a cosign ${kind} manifest`);
      rejected.push({ layout: 'legacy-tag', location: tag, digest: fetched.digest, error });
      return [];
    }
    const items: T[] = [];
    for (const layer of fetched.manifest.layers) {
      try {
        if (mediaType !== undefined && layer.mediaType !== mediaType) {
          throw new OciError(
            'UNSUPPORTED_MEDIA_TYPE',
            `${tag} layer ${layer.digest} has media type ${layer.mediaType}`,
          );
        }
        const blob = await this.registry.getBlob(subject.reference, layer);
        items.push(parse(tag, fetched.digest, layer, blob));
      } catch (error) {
        if (!isContentError(error)) throw error;
        rejected.push({ layout: 'legacy-tag', location: tag, digest: layer.digest, error });
      }
    }
    return items;
  }

  /**
   * Bundle referrers of the subject. Each referrer manifest is fetched by digest and must itself name
   * the subject (the referrers list, above all the tag-schema index, is only the registry's word),
   * carry exactly one bundle layer, and hold a bundle of v0.3 or later.
   */
  async #referrerBundles(
    subject: FetchedManifest,
    rejected: RejectedItem[],
  ): Promise<ReferrerBundle[]> {
    const list = await this.registry.referrers(subject.reference);
    const found: ReferrerBundle[] = [];
    for (const descriptor of list.descriptors) {
      if (descriptor.artifactType !== undefined && !isBundleMediaType(descriptor.artifactType))
        continue;
      try {
        const fetched = await this.registry.getManifest(
          referenceWithDigest(subject.reference, descriptor.digest),
        );
        const manifest = fetched.manifest;
        if (manifest.kind !== 'manifest')
          throw new OciError('MALFORMED', `referrer ${fetched.digest} is an index`);
        const artifactType = manifest.artifactType ?? manifest.config.mediaType;
        if (!isBundleMediaType(artifactType)) {
          if (descriptor.artifactType === undefined) continue;
          throw new OciError(
            'MALFORMED',
            `referrer ${fetched.digest} has artifact type ${artifactType}`,
          );
        }
        if (manifest.subject?.digest !== subject.digest) {
          throw new OciError(
            'SUBJECT_MISMATCH',
            `referrer ${fetched.digest} names ${manifest.subject?.digest ?? 'no subject'}, not ${subject.digest}`,
          );
        }
        const bundleLayers = manifest.layers.filter((l) => isBundleMediaType(l.mediaType));
        if (bundleLayers.length !== 1) {
          throw new OciError(
            'MALFORMED',
            `referrer ${fetched.digest} has ${bundleLayers.length} bundle layers, not 1`,
          );
        }
        const layer = bundleLayers[0]!;
        const bundleBytes = await this.registry.getBlob(subject.reference, layer);
        found.push({
          layout: 'referrer',
          source: list.source,
          manifestDigest: fetched.digest,
          layer,
          annotations: manifest.annotations ?? {},
          bundleBytes,
          ...summarizeBundle(bundleBytes, subject.digest),
        });
      } catch (error) {
        if (!isContentError(error)) throw error;
        rejected.push({
          layout: 'referrer',
          location: list.source,
          digest: descriptor.digest,
          error,
        });
      }
    }
    return found;
  }
}

function normalize(options: SubjectOptions | ImageReference | string): SubjectOptions {
  return typeof options === 'string' || !('ref' in options) ? { ref: options } : options;
}

function isSignatureBundle(bundle: ReferrerBundle): boolean {
  return (
    bundle.content === 'message-signature' || bundle.predicateType === COSIGN_SIGN_PREDICATE_TYPE
  );
}
