// Who may have signed: a certificate identity (cosign's --certificate-identity[-regexp] and
// --certificate-oidc-issuer[-regexp]) or a public key (cosign's --key).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { VerifyError } from './errors.js';

/**
 * Keyless policy. Exact values compare whole strings; regexps must match the whole value, as in
 * cosign (anchored), so `https://github.com/org/.*` does not accept `https://evil/?https://github.com/org/x`.
 * At least one identity and one issuer constraint are required; given both, both must hold.
 */
export interface CertificateIdentityPolicy {
  /** The certificate's SAN (email or URI), exactly. */
  identity?: string;
  identityRegexp?: string;
  /** The Fulcio OIDC issuer extension (1.3.6.1.4.1.57264.1.8, else .1.1), exactly. */
  issuer?: string;
  issuerRegexp?: string;
}

/** Key policy: the bundle must be signed by this key (its `publicKey.hint` is otherwise opaque). */
export interface PublicKeyPolicy {
  publicKey: KeyObject | string;
  /** When set, the bundle's key hint must equal it (npm registry keys are named this way). */
  keyId?: string;
  /** When set, every verified time must lie inside it (closed interval; open ends unbounded). */
  validFor?: { start?: Date; end?: Date };
}

export type VerificationPolicy = CertificateIdentityPolicy | PublicKeyPolicy;

export type ResolvedPolicy =
  | {
      kind: 'identity';
      identity: ((san: string) => boolean)[];
      issuer: ((issuer: string) => boolean)[];
      describe: { identity: string; issuer: string };
    }
  | {
      kind: 'key';
      key: KeyObject;
      spki: Buffer;
      keyId: string | undefined;
      validFor: (date: Date) => boolean;
    };

export function resolvePolicy(policy: VerificationPolicy): ResolvedPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new VerifyError('IDENTITY', 'no verification policy given');
  }
  if ('publicKey' in policy) return resolveKeyPolicy(policy);
  const identity = matchers('IDENTITY', 'identity', policy.identity, policy.identityRegexp);
  const issuer = matchers('ISSUER', 'issuer', policy.issuer, policy.issuerRegexp);
  return {
    kind: 'identity',
    identity,
    issuer,
    describe: {
      identity: policy.identity ?? `/${policy.identityRegexp}/`,
      issuer: policy.issuer ?? `/${policy.issuerRegexp}/`,
    },
  };
}

function matchers(
  code: 'IDENTITY' | 'ISSUER',
  what: string,
  exact: string | undefined,
  pattern: string | undefined,
): ((value: string) => boolean)[] {
  const checks: ((value: string) => boolean)[] = [];
  if (exact !== undefined) {
    if (typeof exact !== 'string' || exact === '') {
      throw new VerifyError(code, `policy ${what} is empty`);
    }
    checks.push((value) => value === exact);
  }
  if (pattern !== undefined) {
    let regexp: RegExp;
    try {
      regexp = new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      throw new VerifyError(
        code,
        `policy ${what} regexp does not compile: ${(err as Error).message}`,
      );
    }
    checks.push((value) => regexp.test(value));
  }
  if (checks.length === 0) {
    throw new VerifyError(code, `policy names no certificate ${what}; give one or a regexp`);
  }
  return checks;
}

function resolveKeyPolicy(policy: PublicKeyPolicy): ResolvedPolicy {
  let key: KeyObject;
  try {
    key =
      typeof policy.publicKey === 'string' ? createPublicKey(policy.publicKey) : policy.publicKey;
  } catch (err) {
    throw new VerifyError('KEY', `policy public key does not parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof key !== 'object' || key === null || key.type !== 'public') {
    throw new VerifyError('KEY', 'policy key is not a public key');
  }
  const start = policy.validFor?.start;
  const end = policy.validFor?.end;
  return {
    kind: 'key',
    key,
    spki: key.export({ type: 'spki', format: 'der' }),
    keyId: policy.keyId,
    validFor: (date) =>
      (start === undefined || start.getTime() <= date.getTime()) &&
      (end === undefined || date.getTime() <= end.getTime()),
  };
}

/** The identity and issuer the verified certificate carries, checked against the policy. */
export function checkIdentity(
  policy: Extract<ResolvedPolicy, { kind: 'identity' }>,
  san: string | undefined,
  issuer: string | undefined,
): void {
  if (san === undefined || !policy.identity.every((matches) => matches(san))) {
    throw new VerifyError(
      'IDENTITY',
      `certificate identity ${JSON.stringify(san ?? '')} is not ${policy.describe.identity}`,
    );
  }
  if (issuer === undefined || !policy.issuer.every((matches) => matches(issuer))) {
    throw new VerifyError(
      'ISSUER',
      `certificate issuer ${JSON.stringify(issuer ?? '')} is not ${policy.describe.issuer}`,
    );
  }
}
