// cosign's simple signing payload (sigstore/sigstore `payload.Cosign`): what a legacy `.sig` layer
// signs, built byte-for-byte as Go marshals it, and parsed with a check of the image digest it names.
import { isDigest } from './digest.js';
import { OciError } from './errors.js';
import { goJsonBytes, isRecord, parseJsonObject, sortedRecord } from './json.js';
import type { ImageReference } from './reference.js';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference`: informational, cosign does not check it. */
  readonly dockerReference: string;
  /** `critical.image.docker-manifest-digest`: the image this signature is for. */
  readonly dockerManifestDigest: string;
  /** The `-a key=value` annotations, or null. */
  readonly optional: Readonly<Record<string, unknown>> | null;
}

export interface SimpleSigningInput {
  readonly dockerReference: string;
  readonly digest: string;
  readonly optional?: Readonly<Record<string, unknown>> | null;
}

/** The `docker-reference` cosign writes: the repository, without tag or digest. */
export function dockerReferenceOf(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}`;
}

/** Go marshals nested maps with sorted keys; arrays and scalars are left as they are. */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (!isRecord(value)) return value;
  const sorted = sortedRecord(value);
  for (const key of Object.keys(sorted)) sorted[key] = sortDeep(sorted[key]);
  return sorted;
}

export function buildSimpleSigningPayload(input: SimpleSigningInput): Uint8Array {
  if (!isDigest(input.digest))
    throw new OciError('INVALID_DIGEST', `not a digest: ${String(input.digest).slice(0, 80)}`);
  return goJsonBytes({
    critical: {
      identity: { 'docker-reference': input.dockerReference },
      image: { 'docker-manifest-digest': input.digest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional:
      input.optional === undefined || input.optional === null ? null : sortDeep(input.optional),
  });
}

/**
 * Go's decoder matches field names case-insensitively, so `Docker-Manifest-Digest` would count for
 * cosign; a key that differs from a known one only in case is refused, so both readers agree.
 */
function objectWithKnownKeys(
  value: unknown,
  what: string,
  known: readonly string[],
): Record<string, unknown> {
  if (!isRecord(value))
    throw new OciError('MALFORMED', `simple signing payload: ${what} is not an object`);
  for (const key of Object.keys(value)) {
    const twin = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (twin !== undefined && twin !== key) {
      throw new OciError(
        'MALFORMED',
        `simple signing payload: ${what} has ${JSON.stringify(key)}, a case variant of ${twin}`,
      );
    }
  }
  return value;
}

/**
 * Parses a simple signing payload. With `expectedDigest`, a payload naming any other image is
 * SUBJECT_MISMATCH: a signature copied from one image's `.sig` tag to another's must not count.
 */
export function parseSimpleSigningPayload(
  bytes: Uint8Array,
  options: { readonly expectedDigest?: string } = {},
): SimpleSigningPayload {
  const json = objectWithKnownKeys(
    parseJsonObject(bytes, 'simple signing payload'),
    'the payload',
    ['critical', 'optional'],
  );
  const critical = objectWithKnownKeys(json.critical, 'critical', ['identity', 'image', 'type']);
  if (critical.type !== SIMPLE_SIGNING_TYPE) {
    throw new OciError(
      'MALFORMED',
      `simple signing payload: critical.type is not "${SIMPLE_SIGNING_TYPE}"`,
    );
  }
  const image = objectWithKnownKeys(critical.image, 'critical.image', ['docker-manifest-digest']);
  const digest = image['docker-manifest-digest'];
  if (!isDigest(digest)) {
    throw new OciError(
      'MALFORMED',
      'simple signing payload: critical.image.docker-manifest-digest is not a digest',
    );
  }
  let dockerReference = '';
  if (critical.identity !== undefined && critical.identity !== null) {
    const identity = objectWithKnownKeys(critical.identity, 'critical.identity', [
      'docker-reference',
    ]);
    const reference = identity['docker-reference'];
    if (reference !== undefined && typeof reference !== 'string') {
      throw new OciError(
        'MALFORMED',
        'simple signing payload: critical.identity.docker-reference is not a string',
      );
    }
    dockerReference = reference ?? '';
  }
  const optional = json.optional ?? null;
  if (optional !== null && !isRecord(optional)) {
    throw new OciError(
      'MALFORMED',
      'simple signing payload: optional is neither null nor an object',
    );
  }
  if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
    throw new OciError(
      'SUBJECT_MISMATCH',
      `simple signing payload names ${digest}, not ${options.expectedDigest}`,
    );
  }
  return { dockerReference, dockerManifestDigest: digest, optional };
}
