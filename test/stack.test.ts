// `airlock up` end to end, as a user runs it: the stack starts from nothing (key ceremony in SoftHSM),
// `airlock dev token` gets a token, sigstore-js signs through the stack's CA and log, and
// @sigstore/verify accepts the bundle with the trusted root the stack wrote and DEFAULT thresholds.
// A second start reuses the same keys and logs, and the old bundle still verifies.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
} from '@sigstore/sign';
import { getTrustedRoot } from '@sigstore/tuf';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/shared-vectors.js';

const run = promisify(execFile);
const BIN = join(REPO_ROOT, 'packages/cli/dist/bin.js');
const dir = join(mkdtempSync(join(tmpdir(), 'airlock-stack-')), '.airlock');
// Every port chosen by the kernel, so that the test never collides with a stack a developer runs.
const PORT_FLAGS = ['oidc', 'ca', 'ctlog', 'tlog', 'tsa', 'tuf'].flatMap((name) => [
  `--${name}-port`,
  '0',
]);

interface Stack {
  child: ChildProcess;
  output: () => string;
}

async function up(): Promise<Stack> {
  const child = spawn(process.execPath, [BIN, 'up', '--dir', dir, ...PORT_FLAGS], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack not ready:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      if (output.includes('airlock: ready')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => reject(new Error(`airlock up exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}

async function down(stack: Stack): Promise<number | null> {
  const exited = new Promise<number | null>((resolveExit) => stack.child.once('exit', resolveExit));
  stack.child.kill('SIGTERM');
  return exited;
}

const stackJson = () => JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8'));
const trustedRoot = () =>
  TrustedRoot.fromJSON(JSON.parse(readFileSync(join(dir, 'trusted_root.json'), 'utf8')));

function verify(bundle: unknown, artifact: Buffer, email: string, issuer: string) {
  // Default thresholds: one tlog entry, one SCT, one verified time.
  const verifier = new Verifier(toTrustMaterial(trustedRoot()));
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle), artifact), {
    subjectAlternativeName: email,
    extensions: { issuer },
  });
}

let running: Stack | undefined;
afterAll(async () => {
  if (running) await down(running);
});

describe('airlock up', () => {
  const email = 'dev@airlock.test';
  const artifact = Buffer.from('an artifact signed through the development stack\n');
  let bundle: unknown;
  let firstRoot: string;
  let issuer: string;

  it('starts from nothing, with every key in a SoftHSM token', async () => {
    running = await up();
    const stack = stackJson();
    expect(stack.keyBackend).toBe('softhsm');
    for (const uri of Object.values(stack.keys) as string[])
      expect(uri).toMatch(/^pkcs11:token=airlock-dev;object=/);
    expect(running.output()).not.toMatch(/pin-value|[0-9a-f]{16}\n/);
    firstRoot = readFileSync(join(dir, 'trusted_root.json'), 'utf8');
  });

  it('the three commands it prints (token, sign, verify) succeed as printed', async () => {
    const commands = running!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('  npx airlock '))
      .map((line) => line.trim());
    expect(commands).toHaveLength(3);
    const cwd = mkdtempSync(join(tmpdir(), 'airlock-readme-'));
    writeFileSync(join(cwd, 'README.md'), '# a project\n');
    let last = '';
    for (const command of commands) {
      // `npx airlock` is the repository's own binary; outside the repository, call it by path.
      const line = command.replace(/^npx airlock /, `"${process.execPath}" "${BIN}" `);
      const { stdout } = await run('bash', ['-c', line], { cwd });
      last = stdout;
    }
    expect(last).toMatch(/^Verified OK: signed by you@example.test/);
  });

  it('signs with a dev token through the CA and the log; the bundle verifies with the stack trust root', async () => {
    const { stdout: token } = await run(process.execPath, [
      BIN,
      'dev',
      'token',
      '--dir',
      dir,
      '--email',
      email,
    ]);
    const stack = stackJson();
    const builder = new MessageSignatureBundleBuilder({
      signer: new FulcioSigner({
        fulcioBaseURL: stack.ca,
        identityProvider: { getToken: async () => token.trim() },
      }),
      witnesses: [
        new RekorWitness({ rekorBaseURL: stack.tlog }),
        new TSAWitness({ tsaBaseURL: stack.tsa.replace(/\/api\/v1\/timestamp$/, '') }),
      ],
    });
    bundle = bundleToJSON(await builder.create({ data: artifact }));
    expect(
      (bundle as any).verificationMaterial.timestampVerificationData.rfc3161Timestamps,
    ).toHaveLength(1);
    issuer = stack.oidc;
    const signer = verify(bundle, artifact, email, stack.oidc);
    expect(signer.identity?.subjectAlternativeName).toBe(email);
    expect(() => verify(bundle, Buffer.from('something else'), email, stack.oidc)).toThrow();
    // The other direction: Airlock's own verifier accepts what sigstore-js signed.
    const work = mkdtempSync(join(tmpdir(), 'airlock-sigstore-js-'));
    writeFileSync(join(work, 'artifact'), artifact);
    writeFileSync(join(work, 'bundle.json'), JSON.stringify(bundle));
    const { stdout } = await run(process.execPath, [
      BIN,
      'verify-blob',
      join(work, 'artifact'),
      '--bundle',
      join(work, 'bundle.json'),
      '--certificate-identity',
      email,
      '--certificate-oidc-issuer',
      stack.oidc,
      '--trusted-root',
      join(dir, 'trusted_root.json'),
    ]);
    expect(stdout).toMatch(/^Verified OK: signed by dev@airlock.test/);
    expect(() => verify(bundle, artifact, 'someone@airlock.test', stack.oidc)).toThrow();
  });

  it('publishes the trusted root through TUF, as sigstore-js fetches it', async () => {
    const stack = stackJson();
    const fetched = await getTrustedRoot({
      mirrorURL: stack.tuf,
      rootPath: stack.tufRoot,
      cachePath: mkdtempSync(join(tmpdir(), 'airlock-tuf-cache-')),
      forceCache: false,
    });
    expect(TrustedRoot.toJSON(fetched)).toEqual(TrustedRoot.toJSON(trustedRoot()));
  });

  it('every service serves Prometheus metrics that count the requests this test made', async () => {
    const stack = stackJson();
    const tsaBase = stack.tsa.replace(/\/api\/v1\/timestamp$/, '');
    const expected: [string, string, string][] = [
      [stack.ca, '/api/v2/signingCert', '200'],
      [stack.ctlog, '/ct/v1/add-pre-chain', '200'],
      [stack.tlog, '/api/v1/log/entries', '201'],
      [tsaBase, '/api/v1/timestamp', '200'],
    ];
    for (const [base, route, status] of expected) {
      const response = await fetch(`${base}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      // Prometheus text format: every sample line is `name{labels} value`.
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
        expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/);
      }
      const sample = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('airlock_http_requests_total{') &&
            l.includes(`route="${route}"`) &&
            l.includes(`status="${status}"`),
        );
      // Two signatures went through the stack: the README from the printed commands, and sigstore-js's.
      expect(Number(sample?.split(' ').at(-1)), `${base} ${route}`).toBeGreaterThanOrEqual(2);
    }
    const tuf = await (await fetch(`${stack.tuf}/metrics`)).text();
    expect(tuf).toMatch(/airlock_http_requests_total\{[^}]*service="tuf"/);
    for (const base of [stack.ca, stack.ctlog, stack.tlog, tsaBase, stack.tuf]) {
      expect((await fetch(`${base}/readyz`)).status, base).toBe(200);
    }
  });

  it('refuses a bad configuration file with one line naming the key, before starting anything', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'airlock-config-')), 'airlock.yaml');
    writeFileSync(config, 'ports:\n  tlgo: 3000\n');
    const badDir = join(dirname(config), 'state');
    const result = await run(process.execPath, [
      BIN,
      'up',
      '--config',
      config,
      '--dir',
      badDir,
    ]).catch((error) => error);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: ${config}: ports.tlgo is not a known key\n`);
    expect(existsSync(badDir)).toBe(false);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await down(running!)).toBe(0);
    running = undefined;
  });

  it('starts again with the same keys and logs, and the old bundle still verifies', async () => {
    running = await up();
    const stack = stackJson();
    const root = JSON.parse(readFileSync(join(dir, 'trusted_root.json'), 'utf8'));
    const first = JSON.parse(firstRoot);
    // Ports were chosen afresh (port 0), so only the URLs may differ.
    const keysOf = (r: any) => [
      r.certificateAuthorities.map((c: any) => c.certChain),
      r.tlogs.map((t: any) => t.publicKey),
      r.ctlogs.map((t: any) => t.publicKey),
    ];
    expect(keysOf(root)).toEqual(keysOf(first));
    // The certificate names the issuer it was issued under (the IdP's port was chosen afresh too).
    expect(verify(bundle, artifact, email, issuer).identity?.subjectAlternativeName).toBe(email);
    const info = (await (await fetch(`${stack.tlog}/api/v1/log`)).json()) as { treeSize: number };
    // The README signed from the printed commands and the bundle signed above.
    expect(info.treeSize).toBe(2);
  });
});
