// OCI/Docker image manifests and indexes: checked parsing of what a registry returns, and encoding of
// the manifests this package pushes (Go field order, as go-containerregistry and so cosign write them).
import { isDigest } from './digest.js';
import { OciError } from './errors.js';
import {
  goJsonBytes,
  isRecord,
  optionalString,
  optionalStringRecord,
  parseJsonObject,
  sortedRecord,
} from './json.js';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, OCI_INDEX, OCI_MANIFEST } from './media-types.js';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
  readonly platform?: Platform;
}

interface ManifestCommon {
  /** From the body's `mediaType`, or the response Content-Type when the body has none. */
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest extends ManifestCommon {
  readonly kind: 'manifest';
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ImageIndex extends ManifestCommon {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
}

export type ParsedManifest = ImageManifest | ImageIndex;

/** Manifests are JSON of a few KiB; 4 MiB is the limit the major registries enforce too. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function parsePlatform(value: unknown, what: string): Platform | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.architecture !== 'string' || typeof value.os !== 'string') {
    throw new OciError('MALFORMED', `${what} is not a platform {architecture, os}`);
  }
  const variant = optionalString(value.variant, `${what}.variant`);
  const osVersion = optionalString(value['os.version'], `${what}.os.version`);
  return {
    architecture: value.architecture,
    os: value.os,
    ...(variant === undefined ? {} : { variant }),
    ...(osVersion === undefined ? {} : { 'os.version': osVersion }),
  };
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isRecord(value)) throw new OciError('MALFORMED', `${what} is not a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw new OciError('MALFORMED', `${what}.mediaType is missing`);
  }
  if (!isDigest(digest))
    throw new OciError('MALFORMED', `${what}.digest is not a sha256/sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new OciError('MALFORMED', `${what}.size is not a non-negative integer`);
  }
  const annotations = optionalStringRecord(value.annotations, `${what}.annotations`);
  const artifactType = optionalString(value.artifactType, `${what}.artifactType`);
  const platform = parsePlatform(value.platform, `${what}.platform`);
  return {
    mediaType,
    digest,
    size,
    ...(annotations === undefined ? {} : { annotations }),
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(platform === undefined ? {} : { platform }),
  };
}

function parseDescriptors(value: unknown, what: string): Descriptor[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OciError('MALFORMED', `${what} is not an array`);
  return value.map((entry, i) => parseDescriptor(entry, `${what}[${i}]`));
}

/**
 * Parses a manifest or index. The body's own `mediaType` wins over `contentType` because only the
 * body is covered by the digest; Docker schema 1 and unknown types are UNSUPPORTED_MEDIA_TYPE.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const json = parseJsonObject(bytes, 'manifest');
  if (json.schemaVersion !== 2) {
    throw new OciError(
      'UNSUPPORTED_MEDIA_TYPE',
      `manifest schemaVersion ${String(json.schemaVersion)} is not 2`,
    );
  }
  const bodyType = optionalString(json.mediaType, 'manifest.mediaType');
  const headerType = contentType?.split(';')[0]?.trim();
  let mediaType = bodyType ?? headerType;
  // An OCI manifest may omit mediaType; its shape then says what it is.
  if (mediaType === undefined || mediaType === '' || mediaType === 'application/json') {
    mediaType = Array.isArray(json.manifests) ? OCI_INDEX : OCI_MANIFEST;
  }
  const common = {
    mediaType,
    ...optionalField('artifactType', optionalString(json.artifactType, 'manifest.artifactType')),
    ...optionalField(
      'subject',
      json.subject === undefined || json.subject === null
        ? undefined
        : parseDescriptor(json.subject, 'manifest.subject'),
    ),
    ...optionalField('annotations', optionalStringRecord(json.annotations, 'manifest.annotations')),
  };
  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    if (json.config === undefined) throw new OciError('MALFORMED', 'image manifest has no config');
    return {
      kind: 'manifest',
      ...common,
      config: parseDescriptor(json.config, 'manifest.config'),
      layers: parseDescriptors(json.layers, 'manifest.layers'),
    };
  }
  if (INDEX_TYPES.includes(mediaType)) {
    return {
      kind: 'index',
      ...common,
      manifests: parseDescriptors(json.manifests, 'index.manifests'),
    };
  }
  throw new OciError('UNSUPPORTED_MEDIA_TYPE', `manifest media type ${mediaType} is not supported`);
}

function optionalField<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function encodePlatform(platform: Platform): Record<string, unknown> {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...optionalField('os.version', platform['os.version']),
    ...optionalField('variant', platform.variant),
  };
}

/** A descriptor in go-containerregistry's field order, annotations sorted as Go marshals a map. */
export function encodeDescriptor(descriptor: Descriptor): Record<string, unknown> {
  return {
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    digest: descriptor.digest,
    ...optionalField(
      'annotations',
      descriptor.annotations === undefined ? undefined : sortedRecord(descriptor.annotations),
    ),
    ...optionalField(
      'platform',
      descriptor.platform === undefined ? undefined : encodePlatform(descriptor.platform),
    ),
    ...optionalField('artifactType', descriptor.artifactType),
  };
}

export interface ImageManifestFields {
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export function encodeImageManifest(fields: ImageManifestFields): Uint8Array {
  return goJsonBytes({
    schemaVersion: 2,
    mediaType: fields.mediaType ?? OCI_MANIFEST,
    ...optionalField('artifactType', fields.artifactType),
    config: encodeDescriptor(fields.config),
    layers: fields.layers.map(encodeDescriptor),
    ...optionalField(
      'subject',
      fields.subject === undefined ? undefined : encodeDescriptor(fields.subject),
    ),
    ...optionalField(
      'annotations',
      fields.annotations === undefined ? undefined : sortedRecord(fields.annotations),
    ),
  });
}

export interface ImageIndexFields {
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export function encodeImageIndex(fields: ImageIndexFields): Uint8Array {
  return goJsonBytes({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: fields.manifests.map(encodeDescriptor),
    ...optionalField(
      'annotations',
      fields.annotations === undefined ? undefined : sortedRecord(fields.annotations),
    ),
  });
}

export interface PlatformSelector {
  readonly os: string;
  readonly architecture: string;
  /** Matched only when given. */
  readonly variant?: string;
}

/** `os/arch[/variant]`, as `--platform` takes it. */
export function parsePlatformSelector(text: string): PlatformSelector {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length > 0 || variant === '') {
    throw new OciError('MALFORMED', `platform ${JSON.stringify(text)} is not os/arch[/variant]`);
  }
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

export function platformMatches(
  platform: Platform | undefined,
  selector: PlatformSelector,
): boolean {
  return (
    platform !== undefined &&
    platform.os === selector.os &&
    platform.architecture === selector.architecture &&
    (selector.variant === undefined || platform.variant === selector.variant)
  );
}
