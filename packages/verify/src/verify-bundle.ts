// verifyBundle: one Sigstore bundle against one artifact, a trusted root and a policy, entirely
// offline. @sigstore/verify does the core work; the steps around it close the gaps each module
// names (digest-only artifacts, in-toto subjects, log binding, checkpoints, times, policy).
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { PolicyError, toTrustMaterial, VerificationError, Verifier } from '@sigstore/verify';
import {
  type Artifact,
  ArtifactDigests,
  checkMessageDigest,
  checkStatementSubject,
  type InTotoStatement,
} from './artifact.js';
import { parseBundle } from './bundle-input.js';
import { checkCheckpoints } from './checkpoint.js';
import { VerifyError, type VerifyErrorCode } from './errors.js';
import {
  checkIdentity,
  type ResolvedPolicy,
  resolvePolicy,
  type VerificationPolicy,
} from './policy.js';
import {
  bundleCertificates,
  checkBundleCertificates,
  checkTimestampTokens,
  signedEntity,
} from './signed-entity.js';
import { allTimes, bundleTimes, checkTimes } from './times.js';
import { certificateSpki, checkTlogBodies, type SignerMaterial } from './tlog-body.js';
import { parseTrustedRoot } from './trusted-root.js';

/** Minimum counts, as in cosign and sigstore-js: one log entry, one SCT, one verified time. */
export const DEFAULT_THRESHOLDS = { tlog: 1, ctlog: 1, timestamp: 1 } as const;

export interface VerifyOptions {
  /** Minimum number of transparency-log entries (each one present must verify). Default 1. */
  tlogThreshold?: number;
  /** Minimum number of verified embedded SCTs. Default 1. */
  ctlogThreshold?: number;
  /** Minimum number of verified times (SET integrated times plus RFC 3161 timestamps). Default 1. */
  timestampThreshold?: number;
  /** The verifier's clock, to refuse signed times in the future. Default: the current time. */
  now?: Date;
}

export interface VerifyBundleInput {
  /** Parsed `*.sigstore.json`. */
  bundle: unknown;
  artifact: Artifact;
  /** Parsed `trusted_root.json`. */
  trustedRoot: unknown;
  policy: VerificationPolicy;
  options?: VerifyOptions;
}

export interface VerifiedTlogEntry {
  logIndex: bigint;
  /** Base64 log ID, as in the bundle and the trusted root. */
  logId: string;
  kind: string;
  version: string;
  /** Present when an inclusion promise (SET) vouches for it. */
  integratedTime?: Date;
}

export interface VerificationResult {
  /** The certificate's SAN (keyless bundles). */
  identity?: string;
  /** The certificate's OIDC issuer extension (keyless bundles). */
  issuer?: string;
  /** Every verified time, earliest first. */
  verifiedTimes: Date[];
  tlogEntries: VerifiedTlogEntry[];
  /** The in-toto statement of a DSSE bundle, after its signature and subject checked out. */
  statement?: InTotoStatement;
}

/**
 * Verifies a bundle or throws a VerifyError. Nothing returns unless every check passed: any
 * exception from the libraries underneath becomes a VerifyError.
 */
export function verifyBundle(input: VerifyBundleInput): VerificationResult {
  try {
    return verifyOrThrow(input);
  } catch (err) {
    if (err instanceof VerifyError) throw err;
    throw new VerifyError('BUNDLE', `verification failed: ${describe(err)}`, { cause: err });
  }
}

function verifyOrThrow({
  bundle: bundleJson,
  artifact: artifactInput,
  trustedRoot: rootJson,
  policy: policyInput,
  options = {},
}: VerifyBundleInput): VerificationResult {
  const thresholds = {
    tlogThreshold: threshold('TLOG', options.tlogThreshold, DEFAULT_THRESHOLDS.tlog),
    ctlogThreshold: threshold('SCT', options.ctlogThreshold, DEFAULT_THRESHOLDS.ctlog),
    timestampThreshold: threshold(
      'TIMESTAMP',
      options.timestampThreshold,
      DEFAULT_THRESHOLDS.timestamp,
    ),
  };
  const now = options.now ?? new Date();
  const policy = resolvePolicy(policyInput);
  const bundle = parseBundle(bundleJson);
  const root = parseTrustedRoot(rootJson);
  const artifact = new ArtifactDigests(artifactInput);

  const signer = signerMaterial(bundle, policy, root);
  checkTimestampTokens(bundle);

  const messageDigest = checkMessageDigest(bundle, artifact);
  checkCheckpoints(bundle, root);
  checkTlogBodies(bundle, signer);

  const trustMaterial = withErrorCode('TRUST_ROOT', 'trusted root is unusable', () =>
    toTrustMaterial(
      root,
      policy.kind === 'key'
        ? () => ({ publicKey: policy.key, validFor: policy.validFor })
        : undefined,
    ),
  );
  const times = bundleTimes(bundle);
  const timeCount = allTimes(times).length;
  if (timeCount < thresholds.timestampThreshold) {
    throw new VerifyError(
      'TIMESTAMP',
      `bundle has ${timeCount} signed times (SET or RFC 3161), ${thresholds.timestampThreshold} needed`,
    );
  }
  // With the threshold at 0 sigstore-js would "chain" a certificate at no time at all (and crash).
  if (policy.kind === 'identity' && timeCount === 0) {
    throw new VerifyError('CERTIFICATE', 'no verified time to check the signing certificate at');
  }
  const entity = signedEntity(bundle, artifact.bytes, messageDigest);
  const verified = runSigstoreVerifier(() =>
    new Verifier(trustMaterial, thresholds).verify(entity),
  );

  checkTimes(bundle, root, times, now);

  const statement =
    bundle.content.$case === 'dsseEnvelope' ? checkStatementSubject(bundle, artifact) : undefined;

  const identity = verified.identity?.subjectAlternativeName;
  const issuer = verified.identity?.extensions?.issuer;
  if (policy.kind === 'identity') checkIdentity(policy, identity, issuer);

  return {
    ...(policy.kind === 'identity' && identity !== undefined ? { identity } : {}),
    ...(policy.kind === 'identity' && issuer !== undefined ? { issuer } : {}),
    verifiedTimes: allTimes(times),
    tlogEntries: bundle.verificationMaterial.tlogEntries.map((entry, i) => {
      const integratedTime = times.integrated[i];
      return {
        logIndex: BigInt(entry.logIndex),
        logId: (entry.logId?.keyId ?? Buffer.alloc(0)).toString('base64'),
        kind: entry.kindVersion?.kind ?? '',
        version: entry.kindVersion?.version ?? '',
        ...(integratedTime !== undefined ? { integratedTime } : {}),
      };
    }),
    ...(statement !== undefined ? { statement } : {}),
  };
}

/** Signing material and policy must be of one kind: a key bundle needs a key policy, and back. */
function signerMaterial(bundle: Bundle, policy: ResolvedPolicy, root: TrustedRoot): SignerMaterial {
  const material = bundle.verificationMaterial.content;
  if (policy.kind === 'key') {
    if (material.$case !== 'publicKey') {
      throw new VerifyError('KEY', 'bundle is signed with a certificate, the policy names a key');
    }
    const hint = material.publicKey.hint;
    if (policy.keyId !== undefined && hint !== policy.keyId) {
      throw new VerifyError(
        'KEY',
        `bundle key hint ${JSON.stringify(hint)} is not ${policy.keyId}`,
      );
    }
    return { spki: policy.spki, source: 'policy' };
  }
  if (material.$case === 'publicKey') {
    throw new VerifyError('KEY', 'bundle is signed with a key; verify it with a key policy');
  }
  const certificates = bundleCertificates(bundle);
  checkBundleCertificates(certificates, root);
  const leaf = certificates[0];
  if (leaf === undefined) throw new VerifyError('CERTIFICATE', 'bundle has no certificate');
  return { certificate: leaf.der, spki: certificateSpki(leaf.certificate), source: 'certificate' };
}

function threshold(code: VerifyErrorCode, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new VerifyError(code, `threshold ${String(value)} is not a non-negative integer`);
  }
  return value;
}

/** Runs @sigstore/verify and maps its error codes onto ours. */
function runSigstoreVerifier<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof VerifyError) throw err; // raised by our own signature content
    if (err instanceof VerificationError) {
      throw new VerifyError(codeOf(err.code, err.message), describe(err), { cause: err });
    }
    if (err instanceof PolicyError) {
      throw new VerifyError('IDENTITY', describe(err), { cause: err });
    }
    throw new VerifyError('BUNDLE', `bundle cannot be verified: ${describe(err)}`, { cause: err });
  }
}

function codeOf(code: string, message: string): VerifyErrorCode {
  switch (code) {
    case 'CERTIFICATE_ERROR':
      return /\bSCTs?\b/.test(message) ? 'SCT' : 'CERTIFICATE';
    case 'PUBLIC_KEY_ERROR':
      return 'KEY';
    case 'SIGNATURE_ERROR':
      return 'SIGNATURE';
    case 'TIMESTAMP_ERROR':
      return 'TIMESTAMP';
    case 'TLOG_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_BODY_ERROR':
      return 'TLOG';
    default:
      return 'BUNDLE';
  }
}

function withErrorCode<T>(code: VerifyErrorCode, what: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw new VerifyError(code, `${what}: ${describe(err)}`, { cause: err });
  }
}

/** One line naming an error, with its cause when sigstore-js wraps one ("chain failed: expired"). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}
