// A transparency log service on a fresh data directory with software keys, for in-process tests.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import { createTlogServer, openRekorLogs, type RekorLogs } from '@airlock/tlog';
import type { FastifyInstance } from 'fastify';

export const HOSTNAME = '127.0.0.1';

export interface TestTlog {
  app: FastifyInstance;
  logs: RekorLogs;
  v1Signer: SoftwareSigner;
  v2Signer: SoftwareSigner;
  dataDir: string;
}

export async function startTestTlog(batch = { batchMaxAgeMs: 2 }): Promise<TestTlog> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-tlog-'));
  const v1Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const v2Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const logs = await openRekorLogs({ dataDir, hostname: HOSTNAME, v1Signer, v2Signer, batch });
  const app = await createTlogServer({ logs });
  return { app, logs, v1Signer, v2Signer, dataDir };
}

/** A key pair whose signatures go into proposed entries, as a client's would. */
export class ArtifactSigner {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  /** A hashedrekord 0.0.1 proposed entry for `artifact` (random if not given). */
  hashedrekord(artifact: Buffer = randomBytes(32)) {
    const digest = createHash('sha256').update(artifact).digest('hex');
    const signature = sign('sha256', artifact, this.privateKey).toString('base64');
    return {
      artifact,
      digest,
      entry: {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: digest } },
          signature: {
            content: signature,
            publicKey: { content: Buffer.from(this.publicKeyPem).toString('base64') },
          },
        },
      },
    };
  }
}
