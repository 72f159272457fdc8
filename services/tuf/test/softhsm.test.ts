// Root and targets keys that never leave a token: a repository signed through PKCS#11 (SoftHSM) is
// one tuf-js accepts, including a root rotation signed by keys in the token.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, type OpenedSigner, openSigner, SoftwareSigner } from '@airlock/keys';
import { initRepository, TRUSTED_ROOT_TARGET, verifyRootChain } from '@airlock/trust';
import { startTufServer } from '@airlock/tuf-server';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

let token: SoftHsmToken;
const signers: OpenedSigner[] = [];

beforeAll(async () => {
  token = await createSoftHsmToken();
  await generateKey(token.uri('tuf-root-1'), 'ecdsa-p256-sha256');
  await generateKey(token.uri('tuf-root-2'), 'ed25519');
  await generateKey(token.uri('tuf-root-3'), 'ecdsa-p256-sha256');
  await generateKey(token.uri('tuf-targets'), 'ecdsa-p256-sha256');
  for (const label of ['tuf-root-1', 'tuf-root-2', 'tuf-root-3', 'tuf-targets']) {
    signers.push(await openSigner(token.uri(label)));
  }
});

afterAll(async () => {
  for (const signer of signers) await signer.close();
  await token?.cleanup();
});

describe('a TUF repository with keys in SoftHSM', () => {
  it('is accepted by tuf-js, through a rotation signed in the token', async () => {
    const [root1, root2, root3, targetsKey] = signers;
    const snapshotKey = SoftwareSigner.generate('ed25519');
    const timestampKey = SoftwareSigner.generate('ecdsa-p256-sha256');
    const dir = mkdtempSync(join(tmpdir(), 'airlock-tuf-hsm-'));
    const trustedRoot = '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}';
    const repository = await initRepository({
      dir,
      rootKeys: [root1!, root2!],
      threshold: 2,
      targetsKey: targetsKey!,
      snapshotKey,
      timestampKey,
      targets: [{ name: TRUSTED_ROOT_TARGET, content: trustedRoot }],
    });
    await repository.rotateRoot({
      newKeys: [root2!.publicKey, root3!.publicKey],
      threshold: 2,
      oldSigners: [root1!, root2!],
      newSigners: [root2!, root3!],
    });
    const roots = [1, 2].map((v) => JSON.parse(readFileSync(join(dir, `${v}.root.json`), 'utf8')));
    expect(verifyRootChain(roots).map((link) => link.signedBySelf.length)).toEqual([2, 2]);

    const server = await startTufServer({
      dir,
      listen: { host: '127.0.0.1', port: 0 },
      timestampSigner: timestampKey,
      snapshotSigner: snapshotKey,
    });
    try {
      const metadataDir = mkdtempSync(join(tmpdir(), 'airlock-tuf-client-'));
      writeFileSync(join(metadataDir, 'root.json'), readFileSync(join(dir, '1.root.json')));
      const updater = new Updater({
        metadataDir,
        metadataBaseUrl: server.url,
        targetBaseUrl: `${server.url}/targets`,
        targetDir: mkdtempSync(join(tmpdir(), 'airlock-tuf-targets-')),
      });
      await updater.refresh();
      expect(JSON.parse(readFileSync(join(metadataDir, 'root.json'), 'utf8')).signed.version).toBe(
        2,
      );
      const info = await updater.getTargetInfo(TRUSTED_ROOT_TARGET);
      expect(readFileSync(await updater.downloadTarget(info!), 'utf8')).toBe(trustedRoot);
    } finally {
      await server.close();
    }
  });
});
