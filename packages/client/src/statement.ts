// in-toto Statement v1 for `attest-blob`: the artifact as the one subject, a predicate read as cosign
// reads it for each `--type`, and cosign's predicate type shorthands.
import { createHash } from 'node:crypto';
import { ClientError } from './errors.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** cosign's own predicate type, whose predicate wraps the given text with a timestamp. */
export const COSIGN_CUSTOM_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/v1';

/** cosign's `--type` shorthands and the predicate types they stand for. */
export const PREDICATE_TYPE_SHORTHANDS: Readonly<Record<string, string>> = {
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
  custom: COSIGN_CUSTOM_PREDICATE_TYPE,
};

export interface InTotoSubject {
  readonly name: string;
  readonly digest: { readonly sha256: string };
}

export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly InTotoSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/**
 * The predicate type a `--type` value names: a shorthand, or an absolute URI. Anything else is refused
 * rather than taken as a custom type, so a misspelt shorthand cannot produce an attestation nobody's
 * policy will ever match.
 */
export function predicateTypeOf(type: string): string {
  const shorthand = PREDICATE_TYPE_SHORTHANDS[type];
  if (shorthand !== undefined) return shorthand;
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(type)) {
    try {
      new URL(type);
      return type;
    } catch {
      // fall through
    }
  }
  throw new ClientError(
    'INVALID_INPUT',
    `predicate type '${type.length > 60 ? `${type.slice(0, 57)}...` : type}' is neither a URI nor one of ${Object.keys(PREDICATE_TYPE_SHORTHANDS).join(', ')}`,
  );
}

export interface StatementInput {
  readonly artifact: Uint8Array;
  /** The subject name (cosign uses the file's base name). */
  readonly artifactName: string;
  /** The predicate file's bytes. */
  readonly predicate: Uint8Array | string;
  /** A `--type` value: shorthand or URI. */
  readonly type: string;
  /** The time a `custom` predicate records (default now). */
  readonly now?: Date;
}

/**
 * Builds the statement. The predicate is JSON (an object) for every type but two, as in cosign:
 * `spdx` (tag-value text, carried as a string) and `custom` (any text, wrapped as {Data, Timestamp}).
 */
export function buildStatement(input: StatementInput): InTotoStatement {
  const predicateType = predicateTypeOf(input.type);
  const text =
    typeof input.predicate === 'string'
      ? input.predicate
      : Buffer.from(input.predicate).toString('utf8');
  let predicate: unknown;
  if (input.type === 'spdx') {
    predicate = text;
  } else if (predicateType === COSIGN_CUSTOM_PREDICATE_TYPE) {
    const timestamp = (input.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    predicate = { Data: text, Timestamp: timestamp };
  } else {
    try {
      predicate = JSON.parse(text);
    } catch {
      throw new ClientError('INVALID_INPUT', `the predicate for ${predicateType} is not JSON`);
    }
    if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
      throw new ClientError(
        'INVALID_INPUT',
        `the predicate for ${predicateType} must be a JSON object`,
      );
    }
  }
  if (input.artifactName === '') {
    throw new ClientError('INVALID_INPUT', 'the subject needs a name');
  }
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [
      {
        name: input.artifactName,
        digest: { sha256: createHash('sha256').update(input.artifact).digest('hex') },
      },
    ],
    predicateType,
    predicate,
  };
}

/**
 * Checks that bytes are an in-toto statement worth signing (`sign-bundle --in-toto`): a JSON object
 * with a statement `_type`, at least one subject with a digest, and a predicate type.
 */
export function checkStatement(payload: Uint8Array): void {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new ClientError('INVALID_INPUT', 'the in-toto statement is not JSON');
  }
  const statement = json as Record<string, unknown> | null;
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
    throw new ClientError('INVALID_INPUT', 'the in-toto statement is not a JSON object');
  }
  if (
    typeof statement._type !== 'string' ||
    !statement._type.startsWith('https://in-toto.io/Statement/')
  ) {
    throw new ClientError('INVALID_INPUT', 'the in-toto statement has no in-toto _type');
  }
  const subjects = statement.subject;
  if (
    !Array.isArray(subjects) ||
    subjects.length === 0 ||
    !subjects.every(
      (subject) =>
        typeof subject === 'object' &&
        subject !== null &&
        typeof (subject as { digest?: unknown }).digest === 'object' &&
        (subject as { digest?: unknown }).digest !== null,
    )
  ) {
    throw new ClientError('INVALID_INPUT', 'the in-toto statement needs subjects with digests');
  }
  if (typeof statement.predicateType !== 'string' || statement.predicateType === '') {
    throw new ClientError('INVALID_INPUT', 'the in-toto statement has no predicateType');
  }
}
