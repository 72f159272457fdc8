// The log and a real witness on loopback (c2sp.org/tlog-witness): every new v2 checkpoint is sent with
// a consistency proof, the witness's cosignature comes back and is served on /checkpoint, a restarted
// log catches up with what the witness already has, and cosignatures from a wrong key are dropped.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import {
  cosignatureVerifierFromPublicKey,
  noteVerifierFromPublicKey,
  openNote,
  parseCheckpoint,
  parseSignedNote,
} from '@airlock/note';
import { createTlogServer, openRekorLogs, witnessVerifier } from '@airlock/tlog';
import {
  createWitnessServer,
  logVerifierFromText,
  Witness,
  WitnessStateStore,
} from '@airlock/witness';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactSigner, HOSTNAME } from './support.js';

const WITNESS_NAME = 'witness.airlock.test/w1';
const v1Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
const v2Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
const witnessKey = SoftwareSigner.generate('ed25519');
const artifacts = new ArtifactSigner();
let witness: Witness;
let witnessApp: FastifyInstance;
let witnessUrl: string;

beforeAll(async () => {
  witness = new Witness({
    name: WITNESS_NAME,
    signer: witnessKey,
    logs: [
      {
        origin: HOSTNAME,
        verifiers: [
          logVerifierFromText(
            HOSTNAME,
            v2Signer.publicKey.export({ type: 'spki', format: 'pem' }) as string,
          ),
        ],
      },
    ],
    state: WitnessStateStore.open(mkdtempSync(join(tmpdir(), 'airlock-witness-'))),
  });
  witnessApp = await createWitnessServer({ witness });
  await witnessApp.listen({ host: '127.0.0.1', port: 0 });
  const address = witnessApp.server.address();
  witnessUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await witnessApp?.close();
});

async function startLog(dataDir: string, verifierKey = witness.verifierKey, url = witnessUrl) {
  const logs = await openRekorLogs({
    dataDir,
    hostname: HOSTNAME,
    v1Signer,
    v2Signer,
    batch: { batchMaxAgeMs: 2 },
  });
  const app = await createTlogServer({ logs, witnesses: [{ url, verifierKey }] });
  await app.ready();
  return { app, logs };
}

async function submit(app: FastifyInstance, count: number) {
  for (let i = 0; i < count; i++) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/log/entries',
      payload: v2Entry(),
    });
    expect(response.statusCode).toBe(201);
  }
}

function v2Entry() {
  const { entry } = artifacts.hashedrekord();
  return {
    hashedRekordRequestV002: {
      digest: Buffer.from(entry.spec.data.hash.value, 'hex').toString('base64'),
      signature: {
        content: entry.spec.signature.content,
        verifier: {
          publicKey: {
            rawBytes: Buffer.from(
              artifacts.publicKeyPem.replace(/-----[A-Z ]+-----|\s+/g, ''),
              'base64',
            ).toString('base64'),
          },
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        },
      },
    },
  };
}

/** Polls /checkpoint until it is cosigned for `size`. */
async function cosignedCheckpoint(app: FastifyInstance, size: bigint): Promise<string> {
  let note = '';
  await expect
    .poll(
      async () => {
        note = (await app.inject({ method: 'GET', url: '/checkpoint' })).body;
        const parsed = parseSignedNote(note);
        return `${parseCheckpoint(parsed.text).size} ${parsed.signatures.length}`;
      },
      { timeout: 5_000, interval: 20 },
    )
    .toBe(`${size} 2`);
  return note;
}

const verifiers = () => [
  noteVerifierFromPublicKey(HOSTNAME, v2Signer.publicKey),
  cosignatureVerifierFromPublicKey(WITNESS_NAME, witnessKey.publicKey),
];

describe('witnessing', () => {
  it('serves each new v2 checkpoint with the witness cosignature, and v1 checkpoints without', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-tlog-'));
    const { app } = await startLog(dataDir);
    try {
      await submit(app, 3);
      const first = await cosignedCheckpoint(app, 3n);
      const opened = openNote(first, verifiers());
      expect(opened.verified.map((line) => line.name)).toEqual([HOSTNAME, WITNESS_NAME]);
      expect(witness.latest(HOSTNAME)?.size).toBe(3n);

      // The next checkpoint reaches the witness with a consistency proof from size 3.
      await submit(app, 4);
      const second = await cosignedCheckpoint(app, 7n);
      expect(openNote(second, verifiers()).verified).toHaveLength(2);
      expect(witness.latest(HOSTNAME)?.size).toBe(7n);

      // Rekor v1 checkpoints keep exactly the log's line (sigstore-go requires it).
      const info = (await app.inject({ method: 'GET', url: '/api/v1/log' })).json();
      expect(parseSignedNote(info.signedTreeHead).signatures).toHaveLength(1);
    } finally {
      await app.close();
    }

    // A restarted log starts from old size 0; the witness's 409 names its size and the log catches up.
    const again = await startLog(dataDir);
    try {
      const note = await cosignedCheckpoint(again.app, 7n);
      expect(openNote(note, verifiers()).verified).toHaveLength(2);
      await submit(again.app, 1);
      await cosignedCheckpoint(again.app, 8n);
    } finally {
      await again.app.close();
    }
  });

  it('drops lines that do not verify under the configured witness key, and keeps logging', async () => {
    const otherKey = new Witness({
      name: WITNESS_NAME,
      signer: SoftwareSigner.generate('ed25519'),
      logs: [],
      state: WitnessStateStore.open(mkdtempSync(join(tmpdir(), 'airlock-witness-'))),
    }).verifierKey;
    const { app } = await startLog(mkdtempSync(join(tmpdir(), 'airlock-tlog-')), otherKey);
    try {
      await submit(app, 2);
      // Give the round time to finish, then check nothing but the log's own line is served.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const note = (await app.inject({ method: 'GET', url: '/checkpoint' })).body;
      expect(parseSignedNote(note).signatures).toHaveLength(1);
      expect(parseCheckpoint(parseSignedNote(note).text).size).toBe(2n);
    } finally {
      await app.close();
    }
  });

  it('serves the bare checkpoint while a witness cannot be reached', async () => {
    const { app } = await startLog(
      mkdtempSync(join(tmpdir(), 'airlock-tlog-')),
      witness.verifierKey,
      'http://127.0.0.1:9',
    );
    try {
      await submit(app, 1);
      const note = (await app.inject({ method: 'GET', url: '/checkpoint' })).body;
      expect(openNote(note, verifiers()).verified.map((line) => line.name)).toEqual([HOSTNAME]);
    } finally {
      await app.close();
    }
  });

  it('takes only cosignature (0x04) keys as witness keys', () => {
    expect(() => witnessVerifier(witness.verifierKey)).not.toThrow();
    // A log's Ed25519 note key (type 0x01) is not a witness key.
    const [name, keyId, ...key] = witness.verifierKey.split('+');
    const typed = Buffer.from(key.join('+'), 'base64');
    typed[0] = 0x01;
    const logKey = `${name}+${keyId}+${typed.toString('base64')}`;
    expect(() => witnessVerifier(logKey)).toThrow(/cosignature/);
    expect(() => witnessVerifier('nonsense')).toThrow();
  });
});
