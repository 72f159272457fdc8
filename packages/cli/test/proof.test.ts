// `airlock proof ...` end to end: flags and JSON documents in, one-line verdict and exit code out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { hashLeaf, MemoryHashStore } from '@airlock/merkle';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, sharedVectorsPath } from '../../../test/support/shared-vectors.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function tree(size: number) {
  const store = new MemoryHashStore();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    const leaf = hashLeaf(Buffer.from(`entry ${i}`));
    leaves.push(leaf);
    store.append(leaf);
  }
  return { store, leaves, root: store.root() };
}

const tmp = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
function writeJson(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('airlock proof verify-inclusion', () => {
  const { store, leaves, root } = tree(1000);
  const proof = store.inclusionProof(617n, 1000n).map(hex);
  const args = ['--index', '617', '--tree-size', '1000', '--root', hex(root)];

  it('accepts a valid proof given as flags, hex or base64', async () => {
    const result = await run(
      'proof',
      'verify-inclusion',
      '--leaf-hash',
      hex(leaves[617]!),
      ...args,
      '--proof',
      proof.join(','),
    );
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(result.stdout).toMatch(/^OK: .* index 617 in the tree of size 1000/);
    const b64 = proof.map((h) => Buffer.from(h, 'hex').toString('base64'));
    const repeated = b64.flatMap((h) => ['--proof', h]);
    expect(
      (
        await run(
          'proof',
          'verify-inclusion',
          '--leaf-hash',
          hex(leaves[617]!),
          ...args,
          ...repeated,
        )
      ).code,
    ).toBe(EXIT.ok);
  });

  it('rejects the wrong leaf, index, size or root with exit 1 and one line', async () => {
    const cases = [
      ['--leaf-hash', hex(leaves[616]!), ...args],
      [
        '--leaf-hash',
        hex(leaves[617]!),
        '--index',
        '616',
        '--tree-size',
        '1000',
        '--root',
        hex(root),
      ],
      [
        '--leaf-hash',
        hex(leaves[617]!),
        '--index',
        '617',
        '--tree-size',
        '2000',
        '--root',
        hex(root),
      ],
      [
        '--leaf-hash',
        hex(leaves[617]!),
        '--index',
        '617',
        '--tree-size',
        '1000',
        '--root',
        hex(leaves[0]!),
      ],
    ];
    for (const flags of cases) {
      const result = await run('proof', 'verify-inclusion', ...flags, '--proof', proof.join(','));
      expect(result.code).toBe(EXIT.checkFailed);
      expect(result.stderr).toMatch(/^FAIL: inclusion proof rejected: .*\n$/);
      expect(result.stdout).toBe('');
    }
  });

  it('reads a Rekor v1 log entry and a Sigstore bundle', async () => {
    const body = Buffer.from('{"kind":"hashedrekord"}');
    const small = new MemoryHashStore();
    small.append(hashLeaf(Buffer.from('other')));
    small.append(hashLeaf(body));
    small.append(hashLeaf(Buffer.from('third')));
    const rekorEntry = {
      abc: {
        body: body.toString('base64'),
        verification: {
          inclusionProof: {
            logIndex: 1,
            treeSize: 3,
            rootHash: hex(small.root()),
            hashes: small.inclusionProof(1n, 3n).map(hex),
          },
        },
      },
    };
    expect(
      (await run('proof', 'verify-inclusion', '--json', writeJson('entry.json', rekorEntry))).code,
    ).toBe(EXIT.ok);

    const bundle = sharedVectorsPath(
      'conformance',
      'bundle-verify',
      'happy-path-v0.3',
      'bundle.sigstore.json',
    );
    const ok = await run('proof', 'verify-inclusion', '--json', bundle);
    expect(ok.code).toBe(EXIT.ok);
    const tampered = JSON.parse(readFileSync(bundle, 'utf8'));
    const entry = tampered.verificationMaterial.tlogEntries[0];
    entry.inclusionProof.logIndex = String(BigInt(entry.inclusionProof.logIndex) - 1n);
    expect(
      (await run('proof', 'verify-inclusion', '--json', writeJson('tampered.json', tampered))).code,
    ).toBe(EXIT.checkFailed);
  });

  it('keeps 64-bit indices exact when reading JSON', async () => {
    // Written as text: a JavaScript number cannot hold 2^64-1, which is the point of the test.
    const max = '18446744073709551615';
    const path = join(tmp, 'huge.json');
    writeFileSync(
      path,
      `{"leafHash":"${hex(leaves[0]!)}","logIndex":${max},"treeSize":${max},"rootHash":"${hex(root)}","hashes":[]}`,
    );
    const result = await run('proof', 'verify-inclusion', '--json', path);
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toContain('18446744073709551615');
  });

  it('answers malformed input with a usage error (exit 2), never a stack trace', async () => {
    const cases: string[][] = [
      ['--index', '1'],
      ['--leaf-hash', 'zz', ...args],
      ['--leaf-hash', hex(leaves[0]!), '--index', '-1', '--tree-size', '8', '--root', hex(root)],
      ['--json', join(tmp, 'missing.json')],
      ['--json', writeJson('array.json', [1, 2])],
      ['--unknown-flag'],
    ];
    writeFileSync(join(tmp, 'broken.json'), '{not json');
    cases.push(['--json', join(tmp, 'broken.json')]);
    for (const flags of cases) {
      const result = await run('proof', 'verify-inclusion', ...flags);
      expect(result.code, flags.join(' ')).toBe(EXIT.usage);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    }
  });
});

describe('airlock proof verify-consistency', () => {
  const { store, root } = tree(1000);
  const old = tree(600);

  it('accepts a valid proof and rejects a rewritten history', async () => {
    const proof = store.consistencyProof(600n, 1000n).map(hex);
    const flags = [
      '--size1',
      '600',
      '--size2',
      '1000',
      '--root2',
      hex(root),
      '--proof',
      proof.join(','),
    ];
    expect(
      (await run('proof', 'verify-consistency', '--root1', hex(old.root), ...flags)).code,
    ).toBe(EXIT.ok);
    const rewritten = tree(600);
    rewritten.store.append(hashLeaf(Buffer.from('x')));
    const result = await run(
      'proof',
      'verify-consistency',
      '--root1',
      hex(tree(599).root),
      ...flags,
    );
    expect(result.code).toBe(EXIT.checkFailed);
    expect(result.stderr).toMatch(/^FAIL: consistency proof rejected/);
  });

  it("reads Rekor's /api/v1/log/proof answer", async () => {
    const answer = { rootHash: hex(root), hashes: store.consistencyProof(600n, 1000n).map(hex) };
    const path = writeJson('proof.json', answer);
    const result = await run(
      'proof',
      'verify-consistency',
      '--json',
      path,
      '--size1',
      '600',
      '--size2',
      '1000',
      '--root1',
      hex(old.root),
    );
    expect(result.code).toBe(EXIT.ok);
  });
});

describe('the airlock binary', () => {
  it('prints its version and exits 0', () => {
    const result = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'packages/cli/dist/bin.js'), '--version'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 1 with one line when a proof fails', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'packages/cli/dist/bin.js'),
        'proof',
        'verify-consistency',
        '--size1',
        '2',
        '--size2',
        '2',
        '--root1',
        'aa',
        '--root2',
        'bb',
      ],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'FAIL: consistency proof rejected: equal tree sizes with different roots\n',
    );
  });
});

describe('the development stack ports', () => {
  it('are the same in the CLI and in @airlock/stack', async () => {
    const { DEFAULT_STACK_PORTS: fromStack } = await import('@airlock/stack');
    const { DEFAULT_STACK_PORTS: fromCli } = await import('../src/commands/up.js');
    expect(fromCli).toEqual(fromStack);
  });
});
