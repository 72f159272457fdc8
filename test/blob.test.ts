// The blob workflow a user runs against `npm start`'s stack, entirely through the airlock CLI:
// dev token → sign-blob / attest-blob → verify-blob / verify-blob-attestation, and the refusals.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { type RunningStack, startStack } from '@airlock/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from './support/shared-vectors.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-blob-'));
const file = (name: string) => join(work, name);
let stack: RunningStack;
let token: string;
const email = 'release@airlock.test';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  delete process.env.SIGSTORE_ID_TOKEN;
  stack = await startStack({
    dir: file('.airlock'),
    ports: { oidc: 0, ca: 0, ctlog: 0, tlog: 0, tsa: 0, tuf: 0 },
  });
  token = await stack.idp!.tokenFor(email);
  writeFileSync(file('app.tar'), 'release 1.0\n');
  writeFileSync(file('other.tar'), 'release 1.1\n');
  writeFileSync(
    file('sbom.json'),
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [] }),
  );
});
afterAll(async () => {
  await stack?.close();
});

describe('signing and verifying blobs through the stack', () => {
  const services = () => ['--signing-config', stack.description.signingConfig];
  const trust = () => ['--trusted-root', stack.description.trustedRoot];
  const identity = () => [
    '--certificate-identity',
    email,
    '--certificate-oidc-issuer',
    stack.description.oidc,
  ];

  it('sign-blob, then verify-blob by path and by digest', async () => {
    const signed = await run(
      'sign-blob',
      file('app.tar'),
      '--bundle',
      file('app.sigstore.json'),
      '--identity-token',
      token,
      ...services(),
      '--yes',
    );
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    const byPath = await run(
      'verify-blob',
      file('app.tar'),
      '--bundle',
      file('app.sigstore.json'),
      ...identity(),
      ...trust(),
    );
    expect(byPath).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(byPath.stdout).toContain(email);
    const digest = `sha256:${createHash('sha256').update('release 1.0\n').digest('hex')}`;
    expect(
      (
        await run(
          'verify-blob',
          digest,
          '--bundle',
          file('app.sigstore.json'),
          ...identity(),
          ...trust(),
        )
      ).code,
    ).toBe(EXIT.ok);
  });

  it('an auditor proves the bundle entry is in the log, offline against the trust root', async () => {
    // The first entry of a log: its bundle has no logIndex field at all (proto3 JSON omits zeros).
    const result = await run(
      'log',
      'inclusion',
      '--bundle',
      file('app.sigstore.json'),
      '--rekor-url',
      stack.description.tlog,
      ...trust(),
    );
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^OK/);
  });

  it('verify-blob refuses another file, another identity and another issuer, each with exit 1', async () => {
    const bundle = ['--bundle', file('app.sigstore.json'), ...trust()];
    const cases = [
      [file('other.tar'), ...bundle, ...identity()],
      [
        file('app.tar'),
        ...bundle,
        '--certificate-identity',
        'mallory@airlock.test',
        '--certificate-oidc-issuer',
        stack.description.oidc,
      ],
      [
        file('app.tar'),
        ...bundle,
        '--certificate-identity',
        email,
        '--certificate-oidc-issuer',
        'https://accounts.google.com',
      ],
    ];
    for (const args of cases) {
      const result = await run('verify-blob', ...args);
      expect(result.code).toBe(EXIT.checkFailed);
      expect(result.stderr).toMatch(/^FAIL: [A-Z_]+: .+\n$/);
    }
  });

  it('attest-blob, then verify-blob-attestation checks the predicate type and the subject', async () => {
    const attested = await run(
      'attest-blob',
      file('app.tar'),
      '--predicate',
      file('sbom.json'),
      '--type',
      'cyclonedx',
      '--bundle',
      file('app.att.json'),
      '--identity-token',
      token,
      ...services(),
      '--yes',
    );
    expect(attested.code, attested.stderr).toBe(EXIT.ok);
    const ok = await run(
      'verify-blob-attestation',
      file('app.tar'),
      '--bundle',
      file('app.att.json'),
      '--type',
      'cyclonedx',
      ...identity(),
      ...trust(),
    );
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
    const wrongType = await run(
      'verify-blob-attestation',
      file('app.tar'),
      '--bundle',
      file('app.att.json'),
      '--type',
      'slsaprovenance',
      ...identity(),
      ...trust(),
    );
    expect(wrongType.code).toBe(EXIT.checkFailed);
    // The signature is fine, but the statement is about another artifact.
    const wrongSubject = await run(
      'verify-blob-attestation',
      file('other.tar'),
      '--bundle',
      file('app.att.json'),
      ...identity(),
      ...trust(),
    );
    expect(wrongSubject.code).toBe(EXIT.checkFailed);
    const notAnAttestation = await run(
      'verify-blob-attestation',
      file('app.tar'),
      '--bundle',
      file('app.sigstore.json'),
      ...identity(),
      ...trust(),
    );
    expect(notAnAttestation.code).toBe(EXIT.checkFailed);
    const badType = await run(
      'verify-blob-attestation',
      file('app.tar'),
      '--bundle',
      file('app.att.json'),
      '--type',
      'not a type',
      ...identity(),
      ...trust(),
    );
    expect(badType.code).toBe(EXIT.usage);
  });

  it('refuses a bundle checked against another trust root (the public-good one)', async () => {
    const result = await run(
      'verify-blob',
      file('app.tar'),
      '--bundle',
      file('app.sigstore.json'),
      ...identity(),
      '--trusted-root',
      sharedVectorsPath('npm-provenance', 'trusted_root.json'),
    );
    expect(result.code).toBe(EXIT.checkFailed);
  });
});
