// Publishes the stack's trusted root and signing config through its TUF repository: created at the
// first start (root v1, the root key from the ceremony), updated when the trust files change.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OpenedSigner, openSigner } from '@airlock/keys';
import {
  initRepository,
  openRepository,
  SIGNING_CONFIG_TARGET,
  TRUSTED_ROOT_TARGET,
} from '@airlock/trust';
import type { StackKeyUris } from './keys.js';
import type { StackLayout } from './layout.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface TufSigners {
  readonly snapshot: OpenedSigner;
  readonly timestamp: OpenedSigner;
  close(): Promise<void>;
}

/** Makes the repository publish `trustedRoot` and `signingConfig`; returns the online signers. */
export async function publishTrust(
  layout: StackLayout,
  keys: StackKeyUris,
  trustedRoot: string,
  signingConfig: string,
): Promise<TufSigners> {
  const [targetsSigner, snapshot, timestamp] = await Promise.all([
    openSigner(keys['tuf-targets']),
    openSigner(keys['tuf-snapshot']),
    openSigner(keys['tuf-timestamp']),
  ]);
  try {
    const published = { trustedRoot: sha256(trustedRoot), signingConfig: sha256(signingConfig) };
    const targets = [
      { name: TRUSTED_ROOT_TARGET, content: trustedRoot },
      { name: SIGNING_CONFIG_TARGET, content: signingConfig },
    ];
    if (!existsSync(join(layout.tufDir, '1.root.json'))) {
      const rootSigner = await openSigner(keys['tuf-root']);
      try {
        await initRepository({
          dir: layout.tufDir,
          rootKeys: [rootSigner],
          threshold: 1,
          targetsKey: targetsSigner,
          snapshotKey: snapshot,
          timestampKey: timestamp,
          targets,
        });
      } finally {
        await rootSigner.close();
      }
    } else {
      const before = existsSync(layout.tufPublished)
        ? readFileSync(layout.tufPublished, 'utf8')
        : '';
      if (before !== JSON.stringify(published)) {
        const repository = await openRepository(layout.tufDir);
        await repository.addTargets(targets, {
          targetsSigner,
          snapshotSigner: snapshot,
          timestampSigner: timestamp,
        });
      }
    }
    writeFileSync(layout.tufPublished, JSON.stringify(published));
  } catch (error) {
    await Promise.all([snapshot.close(), timestamp.close()]);
    throw error;
  } finally {
    await targetsSigner.close();
  }
  return {
    snapshot,
    timestamp,
    close: async () => {
      await Promise.all([snapshot.close(), timestamp.close()]);
    },
  };
}
