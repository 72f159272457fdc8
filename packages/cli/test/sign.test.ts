// `airlock sign-blob | attest-blob | generate-key-pair | sign-bundle` against the real development
// stack started in this process: exit codes, one-line errors, the files cosign's flags write, and
// bundles that @sigstore/verify accepts with the stack's trusted root and DEFAULT thresholds.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { keyHint } from '@airlock/client';
import { approveDeviceCode, declineDeviceCode } from '@airlock/dev-idp';
import { formatPkcs11Uri } from '@airlock/keys';
import { type RunningStack, STACK_TOKEN_LABEL, startStack } from '@airlock/stack';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import {
  expiredToken,
  type ScriptedProvider,
  startScriptedProvider,
} from '../../client/test/support/scripted-provider.js';

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

/**
 * Runs a command as a person at a terminal would, answering a device login: whoever reads the code
 * on stderr calls `respond` with it (approves or declines it in their browser).
 */
async function runWithDeviceLogin(
  respond: (userCode: string) => Promise<void>,
  argv: string[],
  interactive = false,
) {
  let stdout = '';
  let stderr = '';
  const responses: Promise<void>[] = [];
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => {
      stderr += t;
      const userCode = /enter code {2}(\S+)/.exec(t)?.[1];
      if (userCode !== undefined) responses.push(respond(userCode));
    },
    interactive,
  });
  await Promise.all(responses);
  return { code, stdout, stderr, prompts: responses.length };
}

/** The one block a device login prints on stderr, with nothing before or after it. */
const DEVICE_LOGIN_BLOCK =
  /^To sign, log in from any device with a browser:\n {2}open {8}(\S+)\n {2}enter code {2}(\S+)\n {2}\(or open (\S+), which holds the code\)\nThe code expires in \d+ minutes; waiting for the approval\.\n/;

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
      ? { subjectAlternativeName: options.identity, extensions: { issuer: stack.idp!.issuer } }
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
    const token = await stack.idp!.tokenFor(email);
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
    const token = await stack.idp!.tokenFor('cli@airlock.test');
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
    const token = await stack.idp!.tokenFor('cli@airlock.test');
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
      await stack.idp!.tokenFor(email),
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
    const token = await stack.idp!.tokenFor('attester@airlock.test');
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
    const token = await stack.idp!.tokenFor('conformance@airlock.test');
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
    const token = await stack.idp!.tokenFor('conformance@airlock.test');
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

describe('airlock sign-blob with a device login (RFC 8628)', () => {
  const scripted: ScriptedProvider[] = [];
  afterAll(async () => {
    await Promise.all(scripted.map((provider) => provider.close()));
  });

  it("--oidc-device-flow logs in at the signing config's IdP; stderr holds the instructions and nothing else", async () => {
    const issuer = stack.description.oidc;
    const result = await runWithDeviceLogin(
      (userCode) => approveDeviceCode(issuer, userCode, 'device-cli@airlock.test'),
      [
        'sign-blob',
        artifactPath,
        '--oidc-device-flow',
        '--stack-dir',
        stackDir,
        '--bundle',
        out('device.sigstore.json'),
      ],
    );
    expect(result.code).toBe(EXIT.ok);
    expect(result.prompts).toBe(1);
    const block = DEVICE_LOGIN_BLOCK.exec(result.stderr);
    expect(block?.[0]).toBe(result.stderr);
    expect(block?.[1]).toBe(`${issuer}/device`);
    expect(block?.[3]).toBe(`${issuer}/device?user_code=${block?.[2]}`);
    expect(result.stdout.trim()).toBe(
      readJson(out('device.sigstore.json')).messageSignature.signature,
    );
    const signer = verify(out('device.sigstore.json'), {
      artifact,
      identity: 'device-cli@airlock.test',
    });
    expect(signer.identity?.subjectAlternativeName).toBe('device-cli@airlock.test');
  });

  it('exits 2 in one line when the login is declined at --oidc-issuer, and writes no bundle', async () => {
    const issuer = stack.description.oidc;
    const result = await runWithDeviceLogin(
      (userCode) => declineDeviceCode(issuer, userCode),
      [
        'sign-blob',
        artifactPath,
        '--oidc-issuer',
        issuer,
        '--oidc-client-id',
        'sigstore',
        '--stack-dir',
        stackDir,
        '--bundle',
        out('declined.sigstore.json'),
      ],
    );
    expect(result.code).toBe(EXIT.usage);
    const block = DEVICE_LOGIN_BLOCK.exec(result.stderr)![0];
    expect(result.stderr.slice(block.length)).toBe(
      `error: the device login at ${issuer} was declined\n`,
    );
    expect(existsSync(out('declined.sigstore.json'))).toBe(false);
  });

  it("at a terminal, logs in at the signing config's IdP and nowhere else; exit 2 when the code expires", async () => {
    const provider = await startScriptedProvider({ tokenAnswers: [expiredToken] });
    scripted.push(provider);
    const config = readJson(stack.description.signingConfig);
    config.oidcUrls = [{ ...config.oidcUrls[0], url: provider.issuer }];
    const configPath = out('device-signing-config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const argv = [
      'attest-blob',
      artifactPath,
      '--predicate',
      out('predicate-device.json'),
      '--signing-config',
      configPath,
      '--bundle',
      out('expired.sigstore.json'),
    ];
    writeFileSync(out('predicate-device.json'), '{}');

    // Not at a terminal and not asked: no login, no request to the IdP.
    expectUsageError(await run(...argv), /^error: no identity token/);
    expect(provider.requests).toEqual([]);

    const result = await runWithDeviceLogin(async () => {}, argv, true);
    expect(result.code).toBe(EXIT.usage);
    const block = DEVICE_LOGIN_BLOCK.exec(result.stderr)![0];
    expect(result.stderr.slice(block.length)).toBe(
      `error: the device login code expired before it was approved at ${provider.issuer}; run the command again\n`,
    );
    expect(provider.requests.map((request) => request.path)).toEqual([
      '/.well-known/openid-configuration',
      '/device/auth',
      '/token',
    ]);
    expect(existsSync(out('expired.sigstore.json'))).toBe(false);
  });

  it('exits 2 for an IdP without a device endpoint, a bad issuer, or --key with --oidc-issuer', async () => {
    const provider = await startScriptedProvider({
      discovery: () => ({ device_authorization_endpoint: undefined }),
    });
    scripted.push(provider);
    const common = ['--stack-dir', stackDir, '--bundle', out('never-device.sigstore.json')];
    expectUsageError(
      await run('sign-blob', artifactPath, '--oidc-issuer', provider.issuer, ...common),
      /^error: the OpenID provider http:\/\/127\.0\.0\.1:\d+ offers no device login/,
    );
    expectUsageError(
      await run('sign-blob', artifactPath, '--oidc-issuer', 'ldap://idp.test', ...common),
      /^error: --oidc-issuer is not an http\(s\) URL/,
    );
    expectUsageError(
      await run(
        'sign-blob',
        artifactPath,
        '--key',
        'cosign.key',
        '--oidc-issuer',
        provider.issuer,
        ...common,
      ),
      /^error: sign with --key or with an identity token/,
    );
    expect(existsSync(out('never-device.sigstore.json'))).toBe(false);
  });

  it('documents the order identity tokens are looked for in, in each signing command help', async () => {
    for (const command of ['sign-blob', 'attest-blob']) {
      const help = await run(command, '--help');
      expect(help.code).toBe(EXIT.ok);
      expect(help.stdout).toContain('--oidc-issuer <url>');
      expect(help.stdout).toContain('--oidc-client-id <id>');
      expect(help.stdout).toContain('--oidc-device-flow');
      expect(help.stdout).toMatch(
        /Keyless identity token, the first of:\n {2}1\. --identity-token[\s\S]*2\. \$SIGSTORE_ID_TOKEN[\s\S]*3\. --dev-email[\s\S]*4\. a device login/,
      );
    }
  });
});
