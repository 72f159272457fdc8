// cosign's layouts as data, no I/O: the layers and manifests of legacy `.sig`/`.att`/`.sbom` tags and
// of a v0.3 bundle referrer, and parsers for what those layers carry (simple signing payloads, DSSE
// envelopes with in-toto statements, Sigstore bundles, RekorBundle and RFC 3161 annotations).
import { digestOf, isDigest } from './digest.js';
import { OciError } from './errors.js';
import {
  decodeBase64,
  encodeBase64,
  goJson,
  goJsonBytes,
  isRecord,
  parseJsonObject,
} from './json.js';
import { type Descriptor, encodeImageManifest } from './manifest.js';
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
  DSSE_ENVELOPE,
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  OCI_CONFIG,
  OCI_EMPTY,
  SIGSTORE_BUNDLE_PREFIX,
  SIGSTORE_BUNDLE_V03,
  SIMPLE_SIGNING,
} from './media-types.js';
import { parseSimpleSigningPayload, type SimpleSigningPayload } from './simple-signing.js';

/** cosign's `dev.sigstore.cosign/bundle` annotation: a Rekor v1 entry with its SET (Go field names). */
export interface RekorBundle {
  readonly SignedEntryTimestamp: string;
  readonly Payload: {
    readonly body: string;
    readonly integratedTime: number;
    readonly logIndex: number;
    readonly logID: string;
  };
}

/** The verification material cosign puts beside a signature in legacy layer annotations. */
export interface LayerMaterial {
  readonly certificatePem?: string;
  readonly chainPem?: string;
  readonly rekorBundle?: RekorBundle;
  /** DER TimeStampResp over the raw signature (or, for attestations, over the envelope). */
  readonly rfc3161Timestamp?: Uint8Array;
}

export function encodeRekorBundle(bundle: RekorBundle): string {
  return goJson({
    SignedEntryTimestamp: bundle.SignedEntryTimestamp,
    Payload: {
      body: bundle.Payload.body,
      integratedTime: bundle.Payload.integratedTime,
      logIndex: bundle.Payload.logIndex,
      logID: bundle.Payload.logID,
    },
  });
}

export function parseRekorBundle(text: string): RekorBundle {
  const json = parseJsonObject(new TextEncoder().encode(text), 'rekor bundle annotation');
  const payload = json.Payload;
  if (
    typeof json.SignedEntryTimestamp !== 'string' ||
    !isRecord(payload) ||
    typeof payload.body !== 'string' ||
    !Number.isSafeInteger(payload.integratedTime) ||
    !Number.isSafeInteger(payload.logIndex) ||
    typeof payload.logID !== 'string'
  ) {
    throw new OciError(
      'MALFORMED',
      'rekor bundle annotation is not {SignedEntryTimestamp, Payload{body, integratedTime, logIndex, logID}}',
    );
  }
  return {
    SignedEntryTimestamp: json.SignedEntryTimestamp,
    Payload: {
      body: payload.body,
      integratedTime: payload.integratedTime as number,
      logIndex: payload.logIndex as number,
      logID: payload.logID,
    },
  };
}

function materialAnnotations(material: LayerMaterial): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (material.certificatePem !== undefined)
    annotations[ANNOTATION_CERTIFICATE] = material.certificatePem;
  if (material.chainPem !== undefined) annotations[ANNOTATION_CHAIN] = material.chainPem;
  if (material.rekorBundle !== undefined)
    annotations[ANNOTATION_REKOR_BUNDLE] = encodeRekorBundle(material.rekorBundle);
  if (material.rfc3161Timestamp !== undefined) {
    annotations[ANNOTATION_RFC3161_TIMESTAMP] = goJson({
      SignedRFC3161Timestamp: encodeBase64(material.rfc3161Timestamp),
    });
  }
  return annotations;
}

function parseMaterial(annotations: Readonly<Record<string, string>>): LayerMaterial {
  const certificatePem = annotations[ANNOTATION_CERTIFICATE];
  const chainPem = annotations[ANNOTATION_CHAIN];
  const rekorBundle = annotations[ANNOTATION_REKOR_BUNDLE];
  const timestamp = annotations[ANNOTATION_RFC3161_TIMESTAMP];
  let rfc3161Timestamp: Uint8Array | undefined;
  if (timestamp !== undefined) {
    const json = parseJsonObject(
      new TextEncoder().encode(timestamp),
      'rfc3161timestamp annotation',
    );
    if (typeof json.SignedRFC3161Timestamp !== 'string') {
      throw new OciError('MALFORMED', 'rfc3161timestamp annotation has no SignedRFC3161Timestamp');
    }
    rfc3161Timestamp = decodeBase64(json.SignedRFC3161Timestamp, 'SignedRFC3161Timestamp');
  }
  return {
    ...(certificatePem === undefined ? {} : { certificatePem }),
    ...(chainPem === undefined ? {} : { chainPem }),
    ...(rekorBundle === undefined ? {} : { rekorBundle: parseRekorBundle(rekorBundle) }),
    ...(rfc3161Timestamp === undefined ? {} : { rfc3161Timestamp }),
  };
}

// --- legacy .sig / .att / .sbom layers and manifests ---

/** The `.sig` layer for one signature: the payload blob, the base64 signature and its material. */
export function signatureLayer(
  payload: Uint8Array,
  signature: Uint8Array,
  material: LayerMaterial = {},
): Descriptor {
  return {
    mediaType: SIMPLE_SIGNING,
    digest: digestOf(payload),
    size: payload.length,
    annotations: {
      [ANNOTATION_SIGNATURE]: encodeBase64(signature),
      ...materialAnnotations(material),
    },
  };
}

/** The `.att` layer for one DSSE envelope: cosign leaves the signature annotation empty there. */
export function attestationLayer(
  envelope: Uint8Array,
  predicateType: string,
  material: LayerMaterial = {},
): Descriptor {
  return {
    mediaType: DSSE_ENVELOPE,
    digest: digestOf(envelope),
    size: envelope.length,
    annotations: {
      [ANNOTATION_SIGNATURE]: '',
      [ANNOTATION_PREDICATE_TYPE]: predicateType,
      ...materialAnnotations(material),
    },
  };
}

export function sbomLayer(sbom: Uint8Array, mediaType: string): Descriptor {
  return { mediaType, digest: digestOf(sbom), size: sbom.length };
}

function sameAnnotations(a: Descriptor, b: Descriptor): boolean {
  const left = Object.entries(a.annotations ?? {}).sort();
  const right = Object.entries(b.annotations ?? {}).sort();
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Existing layers plus `layer`, unless an identical layer (digest, type and annotations) is there already. */
export function appendLayer(existing: readonly Descriptor[], layer: Descriptor): Descriptor[] {
  const duplicate = existing.some(
    (d) =>
      d.digest === layer.digest && d.mediaType === layer.mediaType && sameAnnotations(d, layer),
  );
  return duplicate ? [...existing] : [...existing, layer];
}

/**
 * The image config go-containerregistry writes for cosign's `empty.Image` plus appended static layers:
 * one diff_id and one history entry per layer, the zero time as `created`.
 */
export function attachmentConfig(layers: readonly Descriptor[]): Uint8Array {
  const zeroTime = '0001-01-01T00:00:00Z';
  return goJsonBytes({
    architecture: '',
    created: zeroTime,
    history: layers.map(() => ({ created: zeroTime })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((d) => d.digest) },
    config: {},
  });
}

export interface AttachmentManifest {
  readonly config: Uint8Array;
  readonly configDescriptor: Descriptor;
  readonly manifest: Uint8Array;
}

/** A `.sig`, `.att` or `.sbom` manifest: an OCI image manifest over these layers. */
export function attachmentManifest(layers: readonly Descriptor[]): AttachmentManifest {
  const config = attachmentConfig(layers);
  const configDescriptor: Descriptor = {
    mediaType: OCI_CONFIG,
    digest: digestOf(config),
    size: config.length,
  };
  return {
    config,
    configDescriptor,
    manifest: encodeImageManifest({ config: configDescriptor, layers }),
  };
}

/** A legacy signature read back from a `.sig` layer. */
export interface ParsedSignatureLayer extends LayerMaterial {
  readonly payload: Uint8Array;
  readonly simpleSigning: SimpleSigningPayload;
  /** The image digest the payload names. */
  readonly namedDigest: string;
  /** Whether `namedDigest` is the subject the layer was found under; verification must refuse false. */
  readonly namesSubject: boolean;
  readonly signature: Uint8Array;
}

/** Parses a `.sig` layer and its (digest-checked) payload blob; a foreign digest is reported, not thrown. */
export function parseSignatureLayer(
  layer: Descriptor,
  payload: Uint8Array,
  subjectDigest: string,
): ParsedSignatureLayer {
  if (layer.mediaType !== SIMPLE_SIGNING) {
    throw new OciError(
      'UNSUPPORTED_MEDIA_TYPE',
      `.sig layer ${layer.digest} has media type ${layer.mediaType}`,
    );
  }
  const annotations = layer.annotations ?? {};
  const signatureText = annotations[ANNOTATION_SIGNATURE];
  if (signatureText === undefined || signatureText === '') {
    throw new OciError(
      'MALFORMED',
      `.sig layer ${layer.digest} has no ${ANNOTATION_SIGNATURE} annotation`,
    );
  }
  const simpleSigning = parseSimpleSigningPayload(payload);
  return {
    payload,
    simpleSigning,
    namedDigest: simpleSigning.dockerManifestDigest,
    namesSubject: simpleSigning.dockerManifestDigest === subjectDigest,
    signature: decodeBase64(signatureText, `${ANNOTATION_SIGNATURE} of ${layer.digest}`),
    ...parseMaterial(annotations),
  };
}

// --- DSSE envelopes and in-toto statements ---

export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signatures: readonly { readonly keyid: string; readonly sig: Uint8Array }[];
}

export function parseDsseEnvelope(value: unknown, what = 'DSSE envelope'): DsseEnvelope {
  if (
    !isRecord(value) ||
    typeof value.payloadType !== 'string' ||
    typeof value.payload !== 'string'
  ) {
    throw new OciError('MALFORMED', `${what} is not {payloadType, payload, signatures}`);
  }
  if (!Array.isArray(value.signatures) || value.signatures.length === 0) {
    throw new OciError('MALFORMED', `${what} has no signatures`);
  }
  const signatures = value.signatures.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.sig !== 'string') {
      throw new OciError('MALFORMED', `${what}.signatures[${i}] has no sig`);
    }
    const keyid = entry.keyid ?? '';
    if (typeof keyid !== 'string')
      throw new OciError('MALFORMED', `${what}.signatures[${i}].keyid is not a string`);
    return { keyid, sig: decodeBase64(entry.sig, `${what}.signatures[${i}].sig`) };
  });
  return {
    payloadType: value.payloadType,
    payload: decodeBase64(value.payload, `${what}.payload`),
    signatures,
  };
}

export interface StatementSummary {
  readonly predicateType: string;
  /** `sha256:<hex>` (and `sha512:<hex>`) for every subject digest the statement lists. */
  readonly subjectDigests: readonly string[];
}

/** The parts of an in-toto statement (v0.1 or v1) that bind it to images. */
export function summarizeStatement(payload: Uint8Array): StatementSummary {
  const json = parseJsonObject(payload, 'in-toto statement');
  if (typeof json.predicateType !== 'string' || !Array.isArray(json.subject)) {
    throw new OciError('MALFORMED', 'in-toto statement has no predicateType or subject list');
  }
  const subjectDigests: string[] = [];
  for (const subject of json.subject) {
    if (!isRecord(subject) || !isRecord(subject.digest)) {
      throw new OciError('MALFORMED', 'in-toto statement subject without a digest map');
    }
    for (const algorithm of ['sha256', 'sha512']) {
      const hex = subject.digest[algorithm];
      if (hex === undefined) continue;
      const digest = `${algorithm}:${String(hex)}`;
      if (!isDigest(digest))
        throw new OciError('MALFORMED', `in-toto statement subject ${algorithm} digest is not hex`);
      subjectDigests.push(digest);
    }
  }
  return { predicateType: json.predicateType, subjectDigests };
}

/** A legacy attestation read back from an `.att` layer. */
export interface ParsedAttestationLayer extends LayerMaterial {
  readonly envelopeBytes: Uint8Array;
  readonly envelope: DsseEnvelope;
  /** From the statement inside the envelope (what a verifier checks), not from the layer annotation. */
  readonly predicateType: string;
  readonly annotatedPredicateType: string | undefined;
  readonly namedDigests: readonly string[];
  readonly namesSubject: boolean;
}

export function parseAttestationEnvelope(envelopeBytes: Uint8Array, subjectDigest: string) {
  const envelope = parseDsseEnvelope(parseJsonObject(envelopeBytes, 'DSSE envelope'));
  const statement = summarizeStatement(envelope.payload);
  return {
    envelope,
    predicateType: statement.predicateType,
    namedDigests: statement.subjectDigests,
    namesSubject: statement.subjectDigests.includes(subjectDigest),
  };
}

export function parseAttestationLayer(
  layer: Descriptor,
  envelopeBytes: Uint8Array,
  subjectDigest: string,
): ParsedAttestationLayer {
  if (layer.mediaType !== DSSE_ENVELOPE) {
    throw new OciError(
      'UNSUPPORTED_MEDIA_TYPE',
      `.att layer ${layer.digest} has media type ${layer.mediaType}`,
    );
  }
  const annotations = layer.annotations ?? {};
  return {
    envelopeBytes,
    ...parseAttestationEnvelope(envelopeBytes, subjectDigest),
    annotatedPredicateType: annotations[ANNOTATION_PREDICATE_TYPE],
    ...parseMaterial(annotations),
  };
}

// --- Sigstore bundles as OCI 1.1 referrers (cosign v3) ---

export type BundleContent = 'dsse-envelope' | 'message-signature';

export interface BundleSummary {
  readonly mediaType: string;
  readonly bundle: Readonly<Record<string, unknown>>;
  readonly content: BundleContent;
  /** The in-toto predicate type for DSSE bundles; undefined for message signatures. */
  readonly predicateType: string | undefined;
  /** The image digests the signed content names (statement subjects, or the signed message digest). */
  readonly namedDigests: readonly string[];
  readonly namesSubject: boolean;
}

const BUNDLE_V0_MINOR = /^application\/vnd\.dev\.sigstore\.bundle\.v0\.(\d+)\+json$/;
const BUNDLE_LEGACY_VERSION = /^application\/vnd\.dev\.sigstore\.bundle\+json;version=0\.(\d+)$/;

/**
 * Reads the parts of a Sigstore bundle (protobuf JSON, v0.3 or later) that tie it to an image.
 * Signatures, certificates and log entries are left for the verifier.
 */
export function summarizeBundle(bytes: Uint8Array, subjectDigest: string): BundleSummary {
  const bundle = parseJsonObject(bytes, 'Sigstore bundle');
  const mediaType = bundle.mediaType;
  const minor =
    typeof mediaType === 'string'
      ? (BUNDLE_V0_MINOR.exec(mediaType) ?? BUNDLE_LEGACY_VERSION.exec(mediaType))?.[1]
      : undefined;
  if (typeof mediaType !== 'string' || minor === undefined || Number(minor) < 3) {
    throw new OciError(
      'MALFORMED',
      `Sigstore bundle media type ${String(mediaType).slice(0, 80)} is not v0.3 or later`,
    );
  }
  let content: BundleContent;
  let predicateType: string | undefined;
  let namedDigests: readonly string[];
  if (bundle.dsseEnvelope !== undefined) {
    const envelope = parseDsseEnvelope(bundle.dsseEnvelope, 'bundle dsseEnvelope');
    const statement = summarizeStatement(envelope.payload);
    content = 'dsse-envelope';
    predicateType = statement.predicateType;
    namedDigests = statement.subjectDigests;
  } else if (isRecord(bundle.messageSignature)) {
    const messageDigest = bundle.messageSignature.messageDigest;
    if (
      !isRecord(messageDigest) ||
      messageDigest.algorithm !== 'SHA2_256' ||
      typeof messageDigest.digest !== 'string'
    ) {
      throw new OciError('MALFORMED', 'bundle messageSignature has no SHA2_256 messageDigest');
    }
    const raw = decodeBase64(messageDigest.digest, 'bundle messageDigest');
    content = 'message-signature';
    namedDigests = [`sha256:${Buffer.from(raw).toString('hex')}`];
  } else {
    throw new OciError(
      'MALFORMED',
      'Sigstore bundle has neither dsseEnvelope nor messageSignature',
    );
  }
  return {
    mediaType,
    bundle,
    content,
    predicateType,
    namedDigests,
    namesSubject: namedDigests.includes(subjectDigest),
  };
}

export interface BundleReferrerInput {
  /** The image: its manifest media type, digest and size. */
  readonly subject: Descriptor;
  readonly bundle: Uint8Array;
  readonly content: BundleContent;
  readonly predicateType?: string;
  readonly created: Date;
}

export interface BundleReferrer {
  readonly bundleDescriptor: Descriptor;
  readonly config: Uint8Array;
  readonly manifest: Uint8Array;
}

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339 prints it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The referrer manifest cosign v3 pushes by digest for a bundle (§8.2 of the wire-format notes). */
export function bundleReferrerManifest(input: BundleReferrerInput): BundleReferrer {
  const bundleDescriptor: Descriptor = {
    mediaType: SIGSTORE_BUNDLE_V03,
    digest: digestOf(input.bundle),
    size: input.bundle.length,
  };
  const annotations: Record<string, string> = {
    [ANNOTATION_CREATED]: rfc3339(input.created),
    [ANNOTATION_BUNDLE_CONTENT]: input.content,
  };
  if (input.predicateType !== undefined)
    annotations[ANNOTATION_BUNDLE_PREDICATE_TYPE] = input.predicateType;
  const manifest = encodeImageManifest({
    artifactType: SIGSTORE_BUNDLE_V03,
    config: {
      mediaType: OCI_EMPTY,
      artifactType: SIGSTORE_BUNDLE_V03,
      digest: EMPTY_JSON_DIGEST,
      size: EMPTY_JSON.length,
    },
    layers: [bundleDescriptor],
    subject: {
      mediaType: input.subject.mediaType,
      digest: input.subject.digest,
      size: input.subject.size,
    },
    annotations,
  });
  return { bundleDescriptor, config: EMPTY_JSON, manifest };
}

export function isBundleMediaType(mediaType: string | undefined): boolean {
  return mediaType?.startsWith(SIGSTORE_BUNDLE_PREFIX) === true;
}
