// The conformance entry point: every sigstore-conformance case, with exactly the arguments the
// harness passes (by path and by digest), gives its expected outcome through `airlock verify-bundle`.
import { readFileSync } from 'node:fs';
import { EXIT, runCli } from '@airlock/cli';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

interface ConformanceCase {
  case: string;
  expected: 'verify-ok' | 'must-fail';
  harnessArgsPath: string[];
  harnessArgsDigest: string[];
}

const root = sharedVectorsPath('conformance');
const { cases } = JSON.parse(
  readFileSync(sharedVectorsPath('conformance', 'cases.shared.json'), 'utf8'),
) as {
  cases: ConformanceCase[];
};
// Cases signed by the public-good instance name no trust root; offline, that is its trusted_root.json.
const publicGoodRoot = sharedVectorsPath('npm-provenance', 'trusted_root.json');

function argv(args: string[]): string[] {
  const absolute = args.map((arg) => (arg.startsWith('bundle-verify/') ? `${root}/${arg}` : arg));
  if (absolute.includes('--trusted-root')) return absolute;
  // The trust flag goes before the positional artifact, as the harness orders it.
  return [...absolute.slice(0, -1), '--trusted-root', publicGoodRoot, absolute.at(-1)!];
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('airlock verify-bundle on the sigstore-conformance cases', () => {
  it('runs every case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(46);
  });
  for (const testCase of cases) {
    for (const [mode, args] of [
      ['path', testCase.harnessArgsPath],
      ['digest', testCase.harnessArgsDigest],
    ] as const) {
      it(`${testCase.case} (${mode}) ${testCase.expected === 'verify-ok' ? 'passes' : 'fails'}`, async () => {
        const result = await run(argv(args));
        if (testCase.expected === 'verify-ok') {
          expect(result.stderr).toBe('');
          expect(result.code).toBe(EXIT.ok);
          expect(result.stdout).toMatch(/^Verified OK/);
        } else {
          expect(result.code).not.toBe(EXIT.ok);
          expect(result.stderr.trim().split('\n')).toHaveLength(1);
        }
      });
    }
  }
});

describe('airlock verify-blob', () => {
  const happy = cases.find((c) => c.case === 'happy-path-v0.3')!;
  const [, , bundle, , identity, , issuer, artifact] = happy.harnessArgsPath.map((arg) =>
    arg.startsWith('bundle-verify/') ? `${root}/${arg}` : arg,
  );

  it('needs a policy and a trust root, and says so in one line', async () => {
    const noPolicy = await run([
      'verify-blob',
      '--bundle',
      bundle!,
      '--trusted-root',
      publicGoodRoot,
      artifact!,
    ]);
    expect(noPolicy.code).toBe(EXIT.usage);
    expect(noPolicy.stderr).toMatch(/^error: keyless verification needs/);
  });

  it('accepts the happy path and rejects a wrong identity or issuer with exit 1', async () => {
    const base = ['verify-blob', '--bundle', bundle!, '--trusted-root', publicGoodRoot];
    expect(
      (
        await run([
          ...base,
          '--certificate-identity',
          identity!,
          '--certificate-oidc-issuer',
          issuer!,
          artifact!,
        ])
      ).code,
    ).toBe(EXIT.ok);
    const regexp = await run([
      ...base,
      '--certificate-identity-regexp',
      '^https://github\\.com/sigstore-conformance/.*$',
      '--certificate-oidc-issuer',
      issuer!,
      artifact!,
    ]);
    expect(regexp.code).toBe(EXIT.ok);
    const wrongIdentity = await run([
      ...base,
      '--certificate-identity',
      'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main',
      '--certificate-oidc-issuer',
      issuer!,
      artifact!,
    ]);
    expect(wrongIdentity.code).toBe(EXIT.checkFailed);
    expect(wrongIdentity.stderr).toMatch(/^FAIL: IDENTITY: /);
    const wrongIssuer = await run([
      ...base,
      '--certificate-identity',
      identity!,
      '--certificate-oidc-issuer',
      'https://accounts.google.com',
      artifact!,
    ]);
    expect(wrongIssuer.code).toBe(EXIT.checkFailed);
    expect(wrongIssuer.stderr).toMatch(/^FAIL: ISSUER: /);
  });
});
