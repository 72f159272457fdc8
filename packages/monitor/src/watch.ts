// What the monitor watches for: identities (SAN values, `*` as a wildcard), OIDC issuers, certificate
// extensions (an OID, optionally with its value) and key fingerprints; and which of them an entry hits.
import type { VerifierSummary } from './describe.js';
import { MonitorError } from './errors.js';

export interface OidRule {
  readonly oid: string;
  /** The extension's value as describeCertificate prints it; any value if absent. */
  readonly value?: string;
}

export interface WatchRules {
  readonly identities: readonly string[];
  readonly issuers: readonly string[];
  readonly oids: readonly OidRule[];
  /** `sha256:<hex>` of a DER SubjectPublicKeyInfo or of a DER certificate. */
  readonly fingerprints: readonly string[];
}

export interface WatchRulesInput {
  readonly identities?: readonly string[];
  readonly issuers?: readonly string[];
  /** `1.2.3` or `1.2.3=value`. */
  readonly oids?: readonly string[];
  /** `sha256:<hex>` or bare hex. */
  readonly fingerprints?: readonly string[];
}

export type MatchRule = 'identity' | 'issuer' | 'oid' | 'fingerprint';

export interface Match {
  readonly rule: MatchRule;
  /** The rule as configured. */
  readonly pattern: string;
  /** What in the entry matched it. */
  readonly value: string;
}

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;

export function parseWatchRules(input: WatchRulesInput): WatchRules {
  const identities = [...(input.identities ?? [])];
  for (const identity of identities)
    if (identity.trim() === '' || identity === '*')
      throw new MonitorError('INVALID_CONFIG', 'an identity to watch must name something');
  const oids = (input.oids ?? []).map((text): OidRule => {
    const equals = text.indexOf('=');
    const oid = equals < 0 ? text : text.slice(0, equals);
    if (!OID_PATTERN.test(oid))
      throw new MonitorError('INVALID_CONFIG', `${oid} is not a dotted OID`);
    return equals < 0 ? { oid } : { oid, value: text.slice(equals + 1) };
  });
  const fingerprints = (input.fingerprints ?? []).map((text) => {
    const hex = text.toLowerCase().replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new MonitorError(
        'INVALID_CONFIG',
        `${text} is not a SHA-256 fingerprint (64 hex digits)`,
      );
    return `sha256:${hex}`;
  });
  const rules = { identities, issuers: [...(input.issuers ?? [])], oids, fingerprints };
  if (Object.values(rules).every((list) => list.length === 0))
    throw new MonitorError(
      'INVALID_CONFIG',
      'give at least one identity, issuer, OID or fingerprint to watch',
    );
  return rules;
}

function globMatcher(pattern: string): (value: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  // Email local parts are case-sensitive in theory and never in practice; domains and schemes never.
  const regex = new RegExp(`^${source}$`, 'i');
  return (value) => regex.test(value);
}

/** The rules that `verifiers` (an entry's keys and certificates) hit, each once per value. */
export function matchVerifiers(verifiers: readonly VerifierSummary[], rules: WatchRules): Match[] {
  const matches: Match[] = [];
  const seen = new Set<string>();
  const hit = (rule: MatchRule, pattern: string, value: string) => {
    const key = `${rule}\u0000${pattern}\u0000${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    matches.push({ rule, pattern, value });
  };
  const identityMatchers = rules.identities.map((pattern) => ({
    pattern,
    test: globMatcher(pattern),
  }));
  for (const verifier of verifiers) {
    for (const pattern of rules.fingerprints) {
      if (verifier.keyFingerprint === pattern) hit('fingerprint', pattern, verifier.keyFingerprint);
      if (verifier.certificate && `sha256:${verifier.certificate.sha256}` === pattern)
        hit('fingerprint', pattern, pattern);
    }
    const certificate = verifier.certificate;
    if (!certificate) continue;
    for (const san of certificate.subjectAlternativeNames) {
      if (san.type === 'other') continue;
      for (const { pattern, test } of identityMatchers)
        if (test(san.value)) hit('identity', pattern, san.value);
    }
    if (certificate.oidcIssuer !== undefined) {
      for (const issuer of rules.issuers)
        if (issuer === certificate.oidcIssuer) hit('issuer', issuer, certificate.oidcIssuer);
    }
    for (const rule of rules.oids) {
      for (const extension of certificate.extensions) {
        if (extension.oid !== rule.oid) continue;
        if (rule.value === undefined || rule.value === extension.value)
          hit(
            'oid',
            rule.value === undefined ? rule.oid : `${rule.oid}=${rule.value}`,
            extension.value,
          );
      }
    }
  }
  return matches;
}
