// `airlock witness` as a real process (the compiled CLI; `npx tsc -b` first) cosigning the
// transparency log's checkpoints over loopback, remembering what it cosigned across a restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, runCli } from '@airlock/cli';
import { SoftwareSigner } from '@airlock/keys';
import { openNote, parseCheckpoint, parseSignedNote, parseVerifierKey } from '@airlock/note';
import { createTlogServer, openRekorLogs } from '@airlock/tlog';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactSigner, HOSTNAME } from '../../monitor/test/support.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startWitness(dataDir: string, logKeyFile: string) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'witness',
      '--name',
      'witness.airlock.test/cli',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--log',
      `${HOSTNAME}=${logKeyFile}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = await new Promise<{ url: string; vkey: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`witness did not start: ${stdout} ${stderr}`)),
      15_000,
    );
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const url = /witness: listening on (\S+)/.exec(stdout)?.[1];
      const vkey = /witness: verifier key (\S+)/.exec(stdout)?.[1];
      if (url && vkey) {
        clearTimeout(timer);
        resolve({ url, vkey });
      }
    });
    child.once('exit', (code) => reject(new Error(`witness exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { ...ready, child, exited, stderr: () => stderr };
}

describe('airlock witness', () => {
  it('cosigns the log checkpoints, stops on SIGTERM and remembers the size it cosigned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-witness-'));
    const v2Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
    const keyFile = join(dir, 'rekor-v2.pem');
    writeFileSync(keyFile, v2Signer.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const witnessDir = join(dir, 'witness');
    const witness = await startWitness(witnessDir, keyFile);
    expect(witness.stderr()).toMatch(/development witness key/);

    const logs = await openRekorLogs({
      dataDir: join(dir, 'tlog'),
      hostname: HOSTNAME,
      v1Signer: SoftwareSigner.generate('ecdsa-p256-sha256'),
      v2Signer,
      batch: { batchMaxAgeMs: 2 },
    });
    const app = await createTlogServer({
      logs,
      witnesses: [{ url: witness.url, verifierKey: witness.vkey }],
    });
    const artifacts = new ArtifactSigner();
    let note = '';
    try {
      for (let i = 0; i < 3; i++) {
        const response = await app.inject({
          method: 'POST',
          url: '/api/v1/log/entries',
          payload: artifacts.hashedrekord().entry,
        });
        expect(response.statusCode).toBe(201);
      }
      // Only the v2 log is witnessed (v1 checkpoints carry no cosignatures): give it an entry too.
      await logs.v2.log.add({ body: Buffer.from('{"kind":"test"}') });
      await expect
        .poll(async () => {
          note = (await app.inject({ method: 'GET', url: '/checkpoint' })).body;
          return parseSignedNote(note).signatures.length;
        })
        .toBe(2);
      expect(openNote(note, [parseVerifierKey(witness.vkey)]).verified).toHaveLength(1);
    } finally {
      await app.close();
    }

    witness.child.kill('SIGTERM');
    expect(await witness.exited).toBe(0);

    const again = await startWitness(witnessDir, keyFile);
    expect(again.vkey).toBe(witness.vkey);
    const size = parseCheckpoint(parseSignedNote(note).text).size;
    const stale = await fetch(`${again.url}/add-checkpoint`, {
      method: 'POST',
      body: `old 0\n\n${note}`,
    });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toBe(`${size}\n`);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 60_000);

  it('exits 2 without a log to witness or with a log key it cannot use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-witness-'));
    const run = async (...argv: string[]) => {
      let stderr = '';
      const code = await runCli(argv, { stdout: () => {}, stderr: (t) => (stderr += t) });
      return { code, stderr };
    };
    expect((await run('witness', '--name', 'w', '--data-dir', dir)).code).toBe(EXIT.usage);
    const bad = await run(
      'witness',
      '--name',
      'w',
      '--data-dir',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--log',
      'log.test=not-a-key',
    );
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/cannot use the key of log log.test/);
    expect(
      (await run('witness', '--name', 'w', '--data-dir', dir, '--log', 'no-equals')).code,
    ).toBe(EXIT.usage);
  });
});
