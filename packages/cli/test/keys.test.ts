// `airlock keys …` against a real SoftHSM token and encrypted files.
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli } from '@airlock/cli';
import { openSigner } from '@airlock/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

let token: SoftHsmToken;
beforeAll(async () => {
  token = await createSoftHsmToken();
});
afterAll(async () => {
  await token.cleanup();
});

describe('airlock keys', () => {
  it('generates a key inside the token, lists it as sensitive and non-extractable, exports its public key', async () => {
    const generated = await run(
      'keys',
      'generate',
      '--key',
      token.uri('ca-root'),
      '--algorithm',
      'ecdsa-p384',
    );
    expect(generated).toMatchObject({ code: EXIT.ok, stderr: '' });
    const publicKey = createPublicKey(generated.stdout);
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    const tokenUri = token
      .uri('ca-root')
      .replace(/;object=[^;?]*/, '')
      .replace(/;type=private/, '');
    const listed = await run('keys', 'list', '--token', tokenUri);
    expect(listed.code).toBe(EXIT.ok);
    const line = listed.stdout.split('\n').find((l) => l.startsWith('ca-root\t'));
    expect(line).toContain('ecdsa-p384-sha384');
    expect(line).toContain('sensitive,non-extractable');

    const exported = await run('keys', 'export-public', '--key', token.uri('ca-root'));
    expect(exported.stdout).toBe(generated.stdout);
    // The key signs inside the token and the exported key verifies it.
    const signer = await openSigner(token.uri('ca-root'));
    const signature = await signer.sign(Buffer.from('hello'));
    await signer.close();
    expect(verify('sha384', Buffer.from('hello'), publicKey, signature)).toBe(true);
  });

  it('refuses to overwrite a key, and answers a wrong PIN without printing it', async () => {
    await run('keys', 'generate', '--key', token.uri('twice'));
    const again = await run('keys', 'generate', '--key', token.uri('twice'));
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toMatch(/^error: .*already holds/);
    const badPin = join(mkdtempSync(join(tmpdir(), 'airlock-pin-')), 'pin');
    writeFileSync(badPin, 'wrong-pin-123456\n');
    const uri = token
      .uri('twice')
      .replace(/pin-source=[^&]*/, `pin-source=${encodeURIComponent(badPin)}`);
    const result = await run('keys', 'export-public', '--key', uri);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).not.toContain('wrong-pin-123456');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('generates encrypted file keys only with a password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-keys-'));
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 'correct horse\n', { mode: 0o600 });
    const keyPath = join(dir, 'signing.pem');
    const noPassword = await run('keys', 'generate', '--key', `file:${keyPath}`);
    expect(noPassword.code).toBe(EXIT.usage);
    const generated = await run(
      'keys',
      'generate',
      '--key',
      `file:${keyPath}?password-source=${passwordFile}`,
      '--algorithm',
      'ed25519',
    );
    expect(generated.code).toBe(EXIT.ok);
    expect(readFileSync(keyPath, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const signer = await openSigner(`file:${keyPath}?password-source=${passwordFile}`);
    const signature = await signer.sign(Buffer.from('x'));
    expect(verify(null, Buffer.from('x'), createPublicKey(generated.stdout), signature)).toBe(true);
  });

  it('rejects an unknown algorithm and a malformed URI with exit 2', async () => {
    expect(
      (await run('keys', 'generate', '--key', token.uri('x'), '--algorithm', 'rsa-1024')).code,
    ).toBe(EXIT.usage);
    expect((await run('keys', 'export-public', '--key', 'http://example/key')).code).toBe(
      EXIT.usage,
    );
  });
});
