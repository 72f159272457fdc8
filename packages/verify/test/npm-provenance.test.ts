// Real npm attestations from the public-good instance: SLSA provenance (keyless, GitHub Actions
// identity) and npm publish attestations (npm registry key), plus the tampered copies pacote and
// slsa-verifier publish as negative tests. Each bundle gives the outcome its meta.json states.
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  type VerificationPolicy,
  type VerificationResult,
  VerifyError,
  verifyBundle,
} from '@airlock/verify';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

const dir = sharedVectorsPath('npm-provenance');
const read = (...parts: string[]): unknown => JSON.parse(readFileSync(join(dir, ...parts), 'utf8'));
const trustedRoot = read('trusted_root.json');

interface RegistryKey {
  keyId: string;
  keyUsage: string;
  publicKey: { rawBytes: string; validFor: { start: string; end?: string } };
}
const registryKeys = (read('npm-registry-keys.json') as { keys: RegistryKey[] }).keys;

type VerifyPolicyMeta =
  | { kind: 'certificate-identity'; certificateIdentity: string; certificateOidcIssuer: string }
  | { kind: 'public-key'; keyHint: string };

interface BundleMeta {
  file: string;
  expected: 'verify-ok' | 'must-fail';
  verifyPolicy: VerifyPolicyMeta;
  bundleChanges?: string[];
}

interface PackageMeta {
  purl: string;
  subjectSha512Hex: string;
  tarballSha512Hex?: string;
  bundles: Record<string, BundleMeta>;
}

interface Index {
  valid: { dir: string; package: string; roles: string[] }[];
  mutated: { dir: string; base: string; expected: 'must-fail' }[];
}
const index = read('index.shared.json') as Index;

/** The npm registry key the bundle's hint names, for attestations, with its validity window. */
function registryKeyPolicy(keyHint: string): VerificationPolicy {
  const key = registryKeys.find((k) => k.keyId === keyHint && k.keyUsage === 'npm:attestations');
  if (key === undefined) throw new Error(`no npm:attestations registry key ${keyHint}`);
  const { start, end } = key.publicKey.validFor;
  return {
    publicKey: createPublicKey({
      key: Buffer.from(key.publicKey.rawBytes, 'base64'),
      format: 'der',
      type: 'spki',
    }),
    keyId: key.keyId,
    validFor: { start: new Date(start), ...(end !== undefined ? { end: new Date(end) } : {}) },
  };
}

function policyFor(meta: VerifyPolicyMeta): VerificationPolicy {
  return meta.kind === 'public-key'
    ? registryKeyPolicy(meta.keyHint)
    : { identity: meta.certificateIdentity, issuer: meta.certificateOidcIssuer };
}

type Outcome = { ok: true; result: VerificationResult } | { ok: false; error: VerifyError };

function verifyRole(caseDir: string, base: PackageMeta, bundle: BundleMeta): Outcome {
  try {
    const result = verifyBundle({
      bundle: read(caseDir, bundle.file),
      // The statement's subject must carry the tarball's sha512 (where the kit has the tarball's).
      artifact: {
        digest: { algorithm: 'sha512', hex: base.tarballSha512Hex ?? base.subjectSha512Hex },
      },
      trustedRoot,
      policy: policyFor(bundle.verifyPolicy),
    });
    return { ok: true, result };
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    return { ok: false, error: err };
  }
}

/**
 * What `npm audit signatures` checks on top of the bundles: each entry of the registry response is
 * labelled with its statement's predicate type, names this package, and a publish attestation's
 * DSSE keyid names a registry key. None of this is covered by a signature.
 */
function registryResponseHolds(
  caseDir: string,
  base: PackageMeta,
  outcomes: Map<string, Outcome>,
): boolean {
  const wrapperPath = join(dir, caseDir, 'attestations.json');
  if (!existsSync(wrapperPath)) return true;
  const wrapper = JSON.parse(readFileSync(wrapperPath, 'utf8')) as {
    attestations: { predicateType: string; bundle: unknown }[];
  };
  return wrapper.attestations.every((attestation) => {
    const role = [...outcomes.keys()].find((name) =>
      isDeepStrictEqual(read(caseDir, `${name}.sigstore.json`), attestation.bundle),
    );
    const outcome = role === undefined ? undefined : outcomes.get(role);
    if (outcome === undefined || !outcome.ok) return false;
    const statement = outcome.result.statement;
    const envelope = (attestation.bundle as { dsseEnvelope: { signatures: { keyid?: string }[] } })
      .dsseEnvelope;
    const keyid = envelope.signatures[0]?.keyid ?? '';
    return (
      statement?.predicateType === attestation.predicateType &&
      statement.subject[0]?.name === base.purl &&
      (role !== 'publish' || registryKeys.some((k) => k.keyId === keyid))
    );
  });
}

const valid = index.valid.map((entry) => ({
  name: entry.package,
  caseDir: entry.dir,
  meta: read(entry.dir, 'meta.json') as PackageMeta,
  base: read(entry.dir, 'meta.json') as PackageMeta,
  expected: 'verify-ok' as const,
}));
const mutated = index.mutated.map((entry) => ({
  name: entry.dir.replace(/^mutated\//, ''),
  caseDir: entry.dir,
  meta: read(entry.dir, 'meta.json') as PackageMeta,
  base: read('packages', entry.base, 'meta.json') as PackageMeta,
  expected: entry.expected,
}));

describe('npm provenance and publish attestations', () => {
  it('covers all 7 packages and 19 mutated cases of the kit', () => {
    expect(valid).toHaveLength(7);
    expect(mutated).toHaveLength(19);
  });

  for (const npmCase of [...valid, ...mutated]) {
    describe(npmCase.name, () => {
      const outcomes = new Map<string, Outcome>();
      for (const [role, bundle] of Object.entries(npmCase.meta.bundles)) {
        it(`${role} bundle: ${bundle.expected}`, () => {
          const outcome = verifyRole(npmCase.caseDir, npmCase.base, bundle);
          outcomes.set(role, outcome);
          if (bundle.expected === 'verify-ok') {
            if (!outcome.ok) throw outcome.error;
            expect(outcome.result.statement?.subject[0]?.digest.sha512).toBe(
              npmCase.base.subjectSha512Hex,
            );
            if (bundle.verifyPolicy.kind === 'certificate-identity') {
              expect(outcome.result.identity).toBe(bundle.verifyPolicy.certificateIdentity);
              expect(outcome.result.issuer).toBe(bundle.verifyPolicy.certificateOidcIssuer);
            }
            return;
          }
          expect(outcome.ok).toBe(false);
          // A changed payloadType changes only what is signed (PAE); a changed payload changes what
          // the log recorded too, and the log binding is checked first.
          const changesType = (bundle.bundleChanges ?? []).some((c) => c.includes('payloadType'));
          expect(outcome.ok ? undefined : outcome.error.code).toBe(
            changesType ? 'SIGNATURE' : 'TLOG',
          );
        });
      }
      it(`whole registry response: ${npmCase.expected}`, () => {
        for (const [role, bundle] of Object.entries(npmCase.meta.bundles)) {
          if (!outcomes.has(role))
            outcomes.set(role, verifyRole(npmCase.caseDir, npmCase.base, bundle));
        }
        const holds =
          [...outcomes.values()].every((outcome) => outcome.ok) &&
          registryResponseHolds(npmCase.caseDir, npmCase.base, outcomes);
        expect(holds).toBe(npmCase.expected === 'verify-ok');
      });
    });
  }

  it('a genuine provenance does not verify against another tarball digest', () => {
    const base = valid[0]!.base;
    const other = base.subjectSha512Hex.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const outcome = verifyRole(
      valid[0]!.caseDir,
      { ...base, subjectSha512Hex: other, tarballSha512Hex: other },
      base.bundles.provenance!,
    );
    expect(outcome.ok ? undefined : outcome.error.code).toBe('ARTIFACT');
  });
});
