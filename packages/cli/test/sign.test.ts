// `airlock sign-blob | attest-blob | generate-key-pair | sign-bundle` against the real development
// stack started in this process: exit codes, one-line errors, the files cosign's flags write, and
// bundles that @sigstore/verify accepts with the stack's trusted root and DEFAULT thresholds.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { keyHint } from '@airlock/client';
import { formatPkcs11Uri } from '@airlock/keys';
import { type RunningStack, STACK_TOKEN_LABEL, startStack } from '@airlock/stack';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-sign-'));
const stackDir = join(work, '.airlock');
const artifactPath = join(work, 'artifact.txt');
const artifact = Buffer.from('a file signed from the command line\n');
let stack: RunningStack;

beforeAll(async () => {
  delete process.env.SIGSTORE_ID_TOKEN;
  delete process.env.COSIGN_PASSWORD;
  stack = await startStack({
    dir: stackDir,
    ports: { oidc: 0, ca: 0, ctlog: 0, tlog: 0, tsa: 0, tuf: 0 },
  });
  writeFileSync(artifactPath, artifact);
});
afterAll(async () => {
  await stack?.close();
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const out = (name: string) => join(work, name);
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function verify(
  bundlePath: string,
  options: { artifact?: Buffer; identity?: string; key?: KeyObject; root?: unknown } = {},
) {
  const root = options.root ?? readJson(stack.description.trustedRoot);
  const { key } = options;
  const material = toTrustMaterial(
    TrustedRoot.fromJSON(root),
    key ? () => ({ publicKey: key, validFor: () => true }) : undefined,
  );
  const verifier = new Verifier(material, key ? { ctlogThreshold: 0 } : {});
  return verifier.verify(
    toSignedEntity(bundleFromJSON(readJson(bundlePath)), options.artifact),
    options.identity
      ? { subjectAlternativeName: options.identity, extensions: { issuer: stack.idp.issuer } }
      : undefined,
  );
}

/** Exit 2 and exactly one line on stderr, as every usage error must look. */
function expectUsageError(result: { code: number; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(EXIT.usage);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

describe('airlock sign-blob', () => {
  it('signs keyless with --identity-token; the bundle, --output-signature and --output-certificate agree', async () => {
    const email = 'cli@airlock.test';
    const token = await stack.idp.tokenFor(email);
    const result = await run(
      'sign-blob',
      artifactPath,
      '--identity-token',
      token,
      '--stack-dir',
      stackDir,
      '--yes',
      '--bundle',
      out('keyless.sigstore.json'),
      '--output-signature',
      out('keyless.sig'),
      '--output-certificate',
      out('keyless.pem'),
    );
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(result.stdout).not.toContain(token);
    const signer = verify(out('keyless.sigstore.json'), { artifact, identity: email });
    expect(signer.identity?.subjectAlternativeName).toBe(email);

    const bundle = readJson(out('keyless.sigstore.json'));
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(readFileSync(out('keyless.sig'), 'utf8')).toBe(bundle.messageSignature.signature);
    const pem = readFileSync(out('keyless.pem'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(pem.replace(/-----[A-Z ]+-----|\s/g, '')).toBe(
      bundle.verificationMaterial.certificate.rawBytes,
    );
    // The signature file is the bundle's signature over this artifact, under the certificate's key.
    const certificateKey = createPublicKey(pem);
    const signature = Buffer.from(readFileSync(out('keyless.sig'), 'utf8'), 'base64');
    expect(
      (await import('node:crypto')).verify('sha256', artifact, certificateKey, signature),
    ).toBe(true);
  });

  it('gets a token from the development IdP only when asked with --dev-email', async () => {
    const result = await run(
      'sign-blob',
      artifactPath,
      '--dev-email',
      'dev@airlock.test',
      '--stack-dir',
      stackDir,
      '--bundle',
      out('dev.sigstore.json'),
    );
    expect(result.code).toBe(EXIT.ok);
    // Without --output-signature, cosign prints the base64 signature.
    expect(result.stdout.trim()).toBe(
      readJson(out('dev.sigstore.json')).messageSignature.signature,
    );
    verify(out('dev.sigstore.json'), { artifact, identity: 'dev@airlock.test' });
  });

  it('fails with one line and exit 2 without a token, without the file, and on bad flags', async () => {
    const bundle = out('never.sigstore.json');
    const common = ['--stack-dir', stackDir, '--bundle', bundle];
    expectUsageError(await run('sign-blob', artifactPath, ...common), /^error: no identity token/);
    expectUsageError(
      await run('sign-blob', join(work, 'missing.txt'), '--dev-email', 'a@b.test', ...common),
      /^error: cannot read .*missing\.txt: ENOENT/,
    );
    expectUsageError(await run('sign-blob', artifactPath, '--stack-dir', stackDir), /--bundle/);
    expectUsageError(
      await run('sign-blob', artifactPath, '--no-such-flag', ...common),
      /unknown option/,
    );
    expectUsageError(
      await run(
        'sign-blob',
        artifactPath,
        '--key',
        'cosign.key',
        '--dev-email',
        'a@b.test',
        ...common,
      ),
      /^error: sign with --key or with an identity token/,
    );
    expectUsageError(
      await run(
        'sign-blob',
        artifactPath,
        '--identity-token',
        'x',
        '--rekor-url',
        'http://127.0.0.1:1',
        '--signing-config',
        stack.description.signingConfig,
        ...common,
      ),
      /^error: cannot give service URLs and a signing config together/,
    );
    expectUsageError(
      await run('sign-blob', artifactPath, '--identity-token', 'not-a-token', ...common),
      /^error: the identity token given is neither a JWT nor the path/,
    );
    const nowhere = mkdtempSync(join(tmpdir(), 'airlock-nostack-'));
    expectUsageError(
      await run(
        'sign-blob',
        artifactPath,
        '--dev-email',
        'a@b.test',
        '--stack-dir',
        nowhere,
        '--bundle',
        bundle,
      ),
      /^error: no signing services/,
    );
    expect(existsSync(bundle)).toBe(false);
  });

  it('exits 1 when the new bundle does not verify with --trusted-root, and writes no bundle', async () => {
    const root = readJson(stack.description.trustedRoot);
    const withoutCtlog = out('no-ctlog-root.json');
    writeFileSync(withoutCtlog, JSON.stringify({ ...root, ctlogs: [] }));
    const token = await stack.idp.tokenFor('cli@airlock.test');
    const result = await run(
      'sign-blob',
      artifactPath,
      '--identity-token',
      token,
      '--stack-dir',
      stackDir,
      '--trusted-root',
      withoutCtlog,
      '--bundle',
      out('unchecked.sigstore.json'),
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toMatch(/^FAIL: the new bundle does not verify with the trusted root/);
    expect(result.stderr).not.toContain(token);
    expect(existsSync(out('unchecked.sigstore.json'))).toBe(false);
  });

  it('reports a token the CA refuses in one line that does not repeat the token', async () => {
    const token = await stack.idp.tokenFor('cli@airlock.test');
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`;
    const result = await run(
      'sign-blob',
      artifactPath,
      '--identity-token',
      forged,
      '--stack-dir',
      stackDir,
      '--bundle',
      out('forged.sigstore.json'),
    );
    expectUsageError(result, /^error: certificate authority http:\/\/127\.0\.0\.1:\d+: /);
    expect(result.stderr).not.toContain(forged);
    expect(result.stderr).not.toContain(payload!);
  });
});

describe('airlock generate-key-pair and sign-blob --key', () => {
  it('writes an encrypted cosign.key and cosign.pub; a bundle signed with the key verifies with cosign.pub', async () => {
    const prefix = out('cosign');
    process.env.COSIGN_PASSWORD = 'cli-key-password';
    try {
      const generated = await run('generate-key-pair', '--output-key-prefix', prefix);
      expect(generated.code).toBe(EXIT.ok);
      expect(generated.stdout).toContain(`${prefix}.key`);
      expect(readFileSync(`${prefix}.key`, 'utf8')).toMatch(
        /^-----BEGIN ENCRYPTED PRIVATE KEY-----/,
      );
      const publicKey = createPublicKey(readFileSync(`${prefix}.pub`, 'utf8'));

      const signed = await run(
        'sign-blob',
        artifactPath,
        '--key',
        `${prefix}.key`,
        '--stack-dir',
        stackDir,
        '--bundle',
        out('keyed.sigstore.json'),
        '--output-certificate',
        out('keyed.pem'),
      );
      expect(signed.code).toBe(EXIT.ok);
      // A key signature has no certificate to write: said once, on stderr, as cosign does.
      expect(signed.stderr).toMatch(/^no certificate written/);
      expect(existsSync(out('keyed.pem'))).toBe(false);
      const bundle = readJson(out('keyed.sigstore.json'));
      expect(bundle.verificationMaterial.publicKey.hint).toBe(keyHint(publicKey));
      verify(out('keyed.sigstore.json'), { artifact, key: publicKey });
      expect(() =>
        verify(out('keyed.sigstore.json'), { artifact: Buffer.from('x'), key: publicKey }),
      ).toThrow();

      expectUsageError(
        await run('generate-key-pair', '--output-key-prefix', prefix),
        /^error: .*cosign\.pub already exists/,
      );
      process.env.COSIGN_PASSWORD = 'the-wrong-password';
      const wrong = await run(
        'sign-blob',
        artifactPath,
        '--key',
        `${prefix}.key`,
        '--stack-dir',
        stackDir,
        '--bundle',
        out('wrong.sigstore.json'),
      );
      expectUsageError(wrong, /^error: wrong password/);
      expect(wrong.stderr).not.toContain('the-wrong-password');
    } finally {
      delete process.env.COSIGN_PASSWORD;
    }
    expectUsageError(
      await run('generate-key-pair', '--output-key-prefix', out('nopass')),
      /^error: the key file needs a password/,
    );
  });

  it('creates the key inside the SoftHSM token with --key pkcs11:, and signs with it', async () => {
    const pinSource = decodeURIComponent(
      stack.description.keys.ctlog.match(/pin-source=([^&]+)/)![1]!,
    );
    const uri = formatPkcs11Uri({
      token: STACK_TOKEN_LABEL,
      object: 'cli-release-key',
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinSource,
    });
    const prefix = out('hsm');
    const generated = await run('generate-key-pair', '--output-key-prefix', prefix, '--key', uri);
    expect(generated.code).toBe(EXIT.ok);
    expect(existsSync(`${prefix}.key`)).toBe(false);
    const publicKey = createPublicKey(readFileSync(`${prefix}.pub`, 'utf8'));
    const signed = await run(
      'sign-blob',
      artifactPath,
      '--key',
      uri,
      '--stack-dir',
      stackDir,
      '--bundle',
      out('hsm.sigstore.json'),
    );
    expect(signed.code).toBe(EXIT.ok);
    verify(out('hsm.sigstore.json'), { artifact, key: publicKey });
  });
});

describe('airlock attest-blob', () => {
  it('attests with a predicate and --type; the statement names the artifact by SHA-256 and verifies', async () => {
    const predicatePath = out('predicate.json');
    writeFileSync(predicatePath, JSON.stringify({ buildType: 'https://airlock.test/build' }));
    const email = 'attester@airlock.test';
    const result = await run(
      'attest-blob',
      artifactPath,
      '--predicate',
      predicatePath,
      '--type',
      'slsaprovenance',
      '--identity-token',
      await stack.idp.tokenFor(email),
      '--stack-dir',
      stackDir,
      '--bundle',
      out('attestation.sigstore.json'),
      '--output-signature',
      out('attestation.dsse.json'),
      '--output-attestation',
      out('statement.json'),
    );
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    verify(out('attestation.sigstore.json'), { identity: email });
    const bundle = readJson(out('attestation.sigstore.json'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    expect(statement.subject).toEqual([
      {
        name: 'artifact.txt',
        digest: { sha256: createHash('sha256').update(artifact).digest('hex') },
      },
    ]);
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v0.2');
    expect(readJson(out('statement.json'))).toEqual(statement);
    expect(readJson(out('attestation.dsse.json'))).toEqual(bundle.dsseEnvelope);
  });

  it('refuses an unknown --type and a predicate that is not JSON, in one line', async () => {
    const token = await stack.idp.tokenFor('attester@airlock.test');
    const notJson = out('predicate.txt');
    writeFileSync(notJson, 'not json');
    const common = ['--identity-token', token, '--stack-dir', stackDir, '--bundle', out('x.json')];
    expectUsageError(
      await run('attest-blob', artifactPath, '--predicate', notJson, '--type', 'slsa', ...common),
      /^error: predicate type 'slsa' is neither a URI nor one of/,
    );
    expectUsageError(
      await run(
        'attest-blob',
        artifactPath,
        '--predicate',
        notJson,
        '--type',
        'cyclonedx',
        ...common,
      ),
      /^error: the predicate for https:\/\/cyclonedx\.org\/bom is not JSON/,
    );
    expectUsageError(await run('attest-blob', artifactPath, ...common), /--predicate/);
  });
});

describe('airlock sign-bundle (sigstore-conformance protocol)', () => {
  it('signs a file and an in-toto statement with the conformance argument order', async () => {
    const token = await stack.idp.tokenFor('conformance@airlock.test');
    const plain = await run(
      'sign-bundle',
      '--identity-token',
      token,
      '--bundle',
      out('conformance.sigstore.json'),
      '--trusted-root',
      stack.description.trustedRoot,
      '--signing-config',
      stack.description.signingConfig,
      sharedVectorsPath('conformance', 'a.txt'),
    );
    expect(plain).toMatchObject({ code: EXIT.ok, stdout: '', stderr: '' });
    verify(out('conformance.sigstore.json'), {
      artifact: readFileSync(sharedVectorsPath('conformance', 'a.txt')),
      identity: 'conformance@airlock.test',
    });

    const statementPath = sharedVectorsPath('conformance', 'statement.json');
    const inToto = await run(
      'sign-bundle',
      '--in-toto',
      '--identity-token',
      token,
      '--bundle',
      out('conformance-dsse.sigstore.json'),
      '--trusted-root',
      stack.description.trustedRoot,
      '--signing-config',
      stack.description.signingConfig,
      statementPath,
    );
    expect(inToto.code).toBe(EXIT.ok);
    const bundle = readJson(out('conformance-dsse.sigstore.json'));
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(Buffer.from(bundle.dsseEnvelope.payload, 'base64')).toEqual(readFileSync(statementPath));
    verify(out('conformance-dsse.sigstore.json'), { identity: 'conformance@airlock.test' });
  });

  it('refuses --staging and a --in-toto file that is no statement', async () => {
    const token = await stack.idp.tokenFor('conformance@airlock.test');
    const args = ['--identity-token', token, '--bundle', out('refused.sigstore.json')];
    expectUsageError(
      await run('sign-bundle', '--staging', ...args, artifactPath),
      /^error: --staging: there is no public staging instance here/,
    );
    expectUsageError(
      await run('sign-bundle', '--in-toto', ...args, artifactPath),
      /^error: the in-toto statement is not JSON/,
    );
    expect(existsSync(out('refused.sigstore.json'))).toBe(false);
  });
});
