// Binds a bundle to the artifact the caller holds: the artifact's bytes or only its digest, compared
// with a message signature's digest or with the subjects of a DSSE envelope's in-toto statement.
import { createHash } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { isRecord } from './bundle-input.js';
import { VerifyError } from './errors.js';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** What the caller verifies against: the artifact itself, or a digest of it (`sha256:<hex>`). */
export type Artifact =
  | { bytes: Uint8Array }
  | { digest: { algorithm: DigestAlgorithm; hex: string } };

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** The artifact as the checks need it: its digest under any algorithm it can be hashed with. */
export class ArtifactDigests {
  private readonly known = new Map<DigestAlgorithm, Buffer>();
  readonly bytes: Buffer | undefined;

  constructor(artifact: Artifact) {
    if (typeof artifact !== 'object' || artifact === null) {
      throw new VerifyError('ARTIFACT', 'no artifact given (its bytes or its digest)');
    }
    if ('bytes' in artifact) {
      if (!(artifact.bytes instanceof Uint8Array)) {
        throw new VerifyError('ARTIFACT', 'artifact bytes are not a byte array');
      }
      this.bytes = Buffer.from(artifact.bytes);
      return;
    }
    this.bytes = undefined;
    const { algorithm, hex } = artifact.digest ?? {};
    if (!(algorithm !== undefined && Object.hasOwn(DIGEST_BYTES, algorithm))) {
      throw new VerifyError(
        'ARTIFACT',
        `unsupported artifact digest algorithm ${String(algorithm)}`,
      );
    }
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new VerifyError('ARTIFACT', 'artifact digest is not hexadecimal');
    }
    if (hex.length !== DIGEST_BYTES[algorithm] * 2) {
      throw new VerifyError(
        'ARTIFACT',
        `a ${algorithm} artifact digest has ${DIGEST_BYTES[algorithm] * 2} hex digits, not ${hex.length}`,
      );
    }
    this.known.set(algorithm, Buffer.from(hex, 'hex'));
  }

  /** The artifact's digest under `algorithm`, or undefined when only another digest was given. */
  digest(algorithm: DigestAlgorithm): Buffer | undefined {
    const known = this.known.get(algorithm);
    if (known !== undefined || this.bytes === undefined) return known;
    const computed = createHash(algorithm).update(this.bytes).digest();
    this.known.set(algorithm, computed);
    return computed;
  }

  /** The algorithms a digest exists for without hashing: for naming what was given in errors. */
  get givenAlgorithms(): DigestAlgorithm[] {
    return [...this.known.keys()];
  }
}

export function digestAlgorithmOf(algorithm: HashAlgorithm): DigestAlgorithm | undefined {
  switch (algorithm) {
    case HashAlgorithm.SHA2_256:
      return 'sha256';
    case HashAlgorithm.SHA2_384:
      return 'sha384';
    case HashAlgorithm.SHA2_512:
      return 'sha512';
    default:
      return undefined;
  }
}

/**
 * A message signature names the artifact by its digest; that digest must be the artifact's, since
 * it is what the log entry records and (for a digest-only artifact) what the signature is over.
 */
export function checkMessageDigest(
  bundle: Bundle,
  artifact: ArtifactDigests,
): { algorithm: DigestAlgorithm; digest: Buffer } | undefined {
  if (bundle.content.$case !== 'messageSignature') return undefined;
  const messageDigest = bundle.content.messageSignature.messageDigest;
  const algorithm = messageDigest && digestAlgorithmOf(messageDigest.algorithm);
  if (messageDigest === undefined || algorithm === undefined) {
    throw new VerifyError('BUNDLE', 'message signature names no supported digest algorithm');
  }
  const digest = artifact.digest(algorithm);
  if (digest === undefined) {
    throw new VerifyError(
      'ARTIFACT',
      `bundle signs a ${algorithm} digest; a ${artifact.givenAlgorithms.join('/')} artifact digest cannot be checked against it`,
    );
  }
  if (!digest.equals(messageDigest.digest)) {
    throw new VerifyError(
      'ARTIFACT',
      `artifact ${algorithm} digest is not the one the bundle signs`,
    );
  }
  return { algorithm, digest };
}

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Statement types whose subject semantics we know; anything else must not be read as one. */
export const IN_TOTO_STATEMENT_TYPES: readonly string[] = [
  'https://in-toto.io/Statement/v1',
  'https://in-toto.io/Statement/v0.1',
];

export interface InTotoSubject {
  name?: string;
  digest: Record<string, string>;
}

/** The decoded payload of a verified DSSE envelope. */
export interface InTotoStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate?: unknown;
}

/**
 * A DSSE signature covers the statement, not the artifact; the artifact is bound only if one of the
 * statement's subjects carries its digest. Call after the envelope signature has verified.
 */
export function checkStatementSubject(bundle: Bundle, artifact: ArtifactDigests): InTotoStatement {
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new VerifyError('BUNDLE', 'bundle carries no DSSE envelope');
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerifyError(
      'ARTIFACT',
      `DSSE payload type ${JSON.stringify(envelope.payloadType)} is not an in-toto statement`,
    );
  }
  const statement = decodeStatement(envelope.payload);
  const algorithms = Object.keys(DIGEST_BYTES) as DigestAlgorithm[];
  const matches = statement.subject.some((subject) =>
    algorithms.some((algorithm) => {
      const claimed = subject.digest[algorithm];
      if (claimed === undefined) return false;
      const actual = artifact.digest(algorithm);
      return actual !== undefined && claimed.toLowerCase() === actual.toString('hex');
    }),
  );
  if (!matches) {
    throw new VerifyError('ARTIFACT', 'no in-toto subject carries the artifact digest');
  }
  return statement;
}

function decodeStatement(payload: Buffer): InTotoStatement {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new VerifyError('ARTIFACT', 'in-toto statement is not UTF-8 JSON');
  }
  if (!isRecord(parsed)) throw new VerifyError('ARTIFACT', 'in-toto statement is not an object');
  const type = parsed._type;
  if (typeof type !== 'string' || !IN_TOTO_STATEMENT_TYPES.includes(type)) {
    throw new VerifyError('ARTIFACT', `unknown in-toto statement type ${JSON.stringify(type)}`);
  }
  if (typeof parsed.predicateType !== 'string' || parsed.predicateType === '') {
    throw new VerifyError('ARTIFACT', 'in-toto statement has no predicate type');
  }
  const subjects = parsed.subject;
  if (!Array.isArray(subjects) || subjects.length === 0) {
    throw new VerifyError('ARTIFACT', 'in-toto statement has no subject');
  }
  const subject = subjects.map((entry, i): InTotoSubject => {
    const digest = isRecord(entry) ? entry.digest : undefined;
    if (
      !isRecord(entry) ||
      !isRecord(digest) ||
      Object.values(digest).some((value) => typeof value !== 'string') ||
      (entry.name !== undefined && typeof entry.name !== 'string')
    ) {
      throw new VerifyError('ARTIFACT', `in-toto subject ${i} is malformed`);
    }
    return {
      ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
      digest: digest as Record<string, string>,
    };
  });
  return {
    _type: type,
    subject,
    predicateType: parsed.predicateType,
    ...(parsed.predicate !== undefined ? { predicate: parsed.predicate } : {}),
  };
}
