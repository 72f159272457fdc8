// Every sigstore-conformance bundle-verify case gives the outcome its folder name promises, run the
// way the upstream harness runs it: once with the artifact (PATH), once with `sha256:<hex>` (DIGEST).
import { VerifyError, type VerifyErrorCode, verifyBundle } from '@airlock/verify';
import { describe, expect, it } from 'vitest';
import { CASES_INDEX, type ConformanceCase, conformanceCases } from './support/conformance.js';

/**
 * Why each failing case fails. Codes from our own checks (not sigstore-js) are marked "ours"; the
 * rest are @sigstore/verify's refusals mapped onto our codes.
 */
const EXPECTED_FAILURE: Record<string, VerifyErrorCode> = {
  'bundle-empty-certificate-chain_fail': 'BUNDLE',
  'bundle-invalid-base64-signature_fail': 'BUNDLE', // ours: strict base64 (Node would half-decode it)
  'bundle-malformed-json_fail': 'BUNDLE',
  'bundle-with-root-cert_fail': 'CERTIFICATE', // ours: sigstore-js only crashes on its missing checkpoint
  'checkpoint-bad-keyhint_fail': 'TLOG', // ours too: checkpoint signed by the entry's own log
  'dsse-invalid-sig_fail': 'TLOG',
  'dsse-mismatch-envelope_fail': 'TLOG', // ours: the log records another payload
  'incorrect-public-key_fail': 'TLOG', // ours: the log records another certificate
  'intoto-expired-certificate_fail': 'CERTIFICATE',
  'intoto-log-entry-mismatch_fail': 'TLOG',
  'intoto-missing-inclusion-proof_fail': 'BUNDLE',
  'intoto-set-outside-signing-cert-validity_fail': 'CERTIFICATE',
  'intoto-tsa-timestamp-outside-cert-validity_fail': 'CERTIFICATE',
  'invalid-checkpoint-signature_fail': 'TLOG',
  'invalid-ct-key_fail': 'SCT',
  'invalid-inclusion-proof_fail': 'BUNDLE',
  'managed-key-no-key_fail': 'KEY', // ours: a key bundle needs a key policy
  'rekor2-checkpoint-missing-log-signature_fail': 'TLOG',
  'rekor2-checkpoint-missing-origin_fail': 'TLOG',
  'rekor2-checkpoint-missing-size_fail': 'TLOG',
  'rekor2-dsse-mismatch-sig_fail': 'TLOG',
  'rekor2-no-inclusion-proof_fail': 'BUNDLE',
  'rekor2-no-timestamp_fail': 'TIMESTAMP',
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': 'TIMESTAMP',
  'rekor2-timestamp-outside-tsa-cert-validity_fail': 'TIMESTAMP',
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': 'TIMESTAMP',
  'rekor2-timestamp-with-incorrect-time_fail': 'CERTIFICATE',
  'set-invalid-signature_fail': 'TLOG',
  'signature-mismatch_fail': 'TLOG',
  'wrong-hashedrekord-artifact_fail': 'TLOG', // ours: the log records another artifact digest
  'wrong-hashedrekord-cert-and-sig_fail': 'TLOG', // ours: the log records another certificate
  'wrong-material_fail': 'ARTIFACT', // ours: compared before any signature work
};

const cases = conformanceCases();

function run(testCase: ConformanceCase, mode: 'PATH' | 'DIGEST') {
  return verifyBundle({
    bundle: testCase.bundle(),
    artifact:
      mode === 'PATH'
        ? { bytes: testCase.artifact }
        : { digest: { algorithm: 'sha256', hex: testCase.artifactSha256 } },
    trustedRoot: testCase.trustedRoot,
    policy: testCase.policy,
  });
}

describe('sigstore-conformance bundle-verify', () => {
  it('runs every case folder, and the folders are the ones the index lists', () => {
    expect(cases).toHaveLength(46);
    expect(cases.map((c) => c.name)).toEqual(CASES_INDEX.cases.map((c) => c.case).sort());
    for (const c of CASES_INDEX.cases) {
      expect(c.expected === 'must-fail').toBe(c.case.endsWith('_fail'));
    }
    expect(Object.keys(EXPECTED_FAILURE).sort()).toEqual(
      cases.filter((c) => c.mustFail).map((c) => c.name),
    );
  });

  for (const testCase of cases) {
    for (const mode of ['PATH', 'DIGEST'] as const) {
      it(`${mode}-${testCase.name}`, () => {
        if (testCase.mustFail) {
          let error: unknown;
          try {
            run(testCase, mode);
          } catch (err) {
            error = err;
          }
          expect(error).toBeInstanceOf(VerifyError);
          expect((error as VerifyError).code).toBe(EXPECTED_FAILURE[testCase.name]);
          expect((error as VerifyError).message).not.toMatch(/\n/);
          return;
        }
        const result = run(testCase, mode);
        expect(result.verifiedTimes.length).toBeGreaterThanOrEqual(1);
        expect(result.tlogEntries.length).toBeGreaterThanOrEqual(1);
        if ('identity' in testCase.policy) {
          expect(result.identity).toBe(testCase.policy.identity);
          expect(result.issuer).toBe(testCase.policy.issuer);
        } else {
          expect(result.identity).toBeUndefined();
        }
      });
    }
  }
});
