// The witness over HTTP against logs held in memory: it cosigns what the log signed and what is
// consistent with what it cosigned before, answers each refusal with the status c2sp.org/tlog-witness
// names, and remembers the latest size across restarts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import {
  cosignatureVerifierFromPublicKey,
  noteSignerFromSigner,
  openNote,
  parseCosignature,
  parseSignedNote,
  parseVerifierKey,
} from '@airlock/note';
import {
  createWitnessServer,
  formatAddCheckpoint,
  logVerifierFromText,
  parseAddCheckpoint,
  STATE_FILE,
  Witness,
  WitnessError,
  WitnessStateStore,
} from '@airlock/witness';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLog } from './support.js';

const NAME = 'witness.airlock.test/w1';
const NOW = 1_760_000_000n;

interface Setup {
  app: FastifyInstance;
  witness: Witness;
  dir: string;
  key: SoftwareSigner;
  logs: MemoryLog[];
}

const opened: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function setup(
  logs: MemoryLog[],
  dir = mkdtempSync(join(tmpdir(), 'airlock-witness-')),
  key = SoftwareSigner.generate('ed25519'),
): Promise<Setup> {
  const witness = new Witness({
    name: NAME,
    signer: key,
    logs: logs.map((log) => ({
      origin: log.origin,
      verifiers: [logVerifierFromText(log.origin, log.vkey)],
    })),
    state: WitnessStateStore.open(dir),
    now: () => NOW,
  });
  const app = await createWitnessServer({ witness });
  opened.push(app);
  return { app, witness, dir, key, logs };
}

function add(app: FastifyInstance, oldSize: bigint, proof: readonly Uint8Array[], note: string) {
  return app.inject({
    method: 'POST',
    url: '/add-checkpoint',
    headers: { 'content-type': 'text/plain' },
    payload: formatAddCheckpoint({ oldSize, proof, note }),
  });
}

describe('add-checkpoint', () => {
  it('cosigns a signed checkpoint from size 0, then a consistent extension of it', async () => {
    const log = new MemoryLog('log.airlock.test/one').grow(5);
    const { app, witness, key } = await setup([log]);
    const first = await log.checkpoint();
    const response = await add(app, 0n, [], first);
    expect(response.statusCode).toBe(200);
    const lines = response.body;
    expect(lines).toMatch(/^— witness\.airlock\.test\/w1 [A-Za-z0-9+/]+=*\n$/);

    // The line verifies as a cosignature/v1 of exactly that checkpoint, at the witness's time.
    const cosigned = `${first}${lines}`;
    const verifier = cosignatureVerifierFromPublicKey(NAME, key.publicKey);
    const openedNote = openNote(cosigned, [verifier]);
    expect(openedNote.verified).toHaveLength(1);
    expect(parseCosignature(openedNote.verified[0]!.signature).timestamp).toBe(NOW);
    // The witness's published verifier key is the same key.
    expect(openNote(cosigned, [parseVerifierKey(witness.verifierKey)]).verified).toHaveLength(1);
    // ...and it is a cosignature over this text only.
    const other = await log.grow(1).checkpoint();
    expect(() => openNote(`${other}${lines}`, [verifier])).toThrow(/invalid signature/);

    const second = await add(app, 5n, log.proof(5n), other);
    expect(second.statusCode).toBe(200);
    expect(witness.latest(log.origin)?.size).toBe(6n);
  });

  it('answers 409 with the latest size as text/x.tlog.size when the old size is not its own', async () => {
    const log = new MemoryLog('log.airlock.test/two').grow(3);
    const { app } = await setup([log]);
    expect((await add(app, 0n, [], await log.checkpoint())).statusCode).toBe(200);
    log.grow(4);
    const stale = await add(app, 0n, [], await log.checkpoint());
    expect(stale.statusCode).toBe(409);
    expect(stale.headers['content-type']).toBe('text/x.tlog.size');
    expect(stale.body).toBe('3\n');
    const wrong = await add(app, 2n, log.proof(2n), await log.checkpoint());
    expect(wrong.statusCode).toBe(409);
    expect(wrong.body).toBe('3\n');
    // A client that learned the size retries and succeeds.
    expect((await add(app, 3n, log.proof(3n), await log.checkpoint())).statusCode).toBe(200);
  });

  it('re-cosigns the same checkpoint but answers 409 for another root at the same size', async () => {
    const log = new MemoryLog('log.airlock.test/three').grow(4);
    const { app, witness } = await setup([log]);
    const note = await log.checkpoint();
    expect((await add(app, 0n, [], note)).statusCode).toBe(200);
    expect((await add(app, 4n, [], note)).statusCode).toBe(200);
    const fork = new MemoryLog(log.origin, log.signer, 'forged').grow(4);
    const forked = await add(app, 4n, [], await fork.checkpoint());
    expect(forked.statusCode).toBe(409);
    expect(forked.body).toBe('4\n');
    expect(Buffer.from(witness.latest(log.origin)!.rootHash)).toEqual(Buffer.from(log.roots[4]!));
  });

  it('refuses with 422 a proof that does not verify, a fork, and any proof from size 0', async () => {
    const log = new MemoryLog('log.airlock.test/four').grow(6);
    const { app, witness } = await setup([log]);
    const withProof = await add(
      app,
      0n,
      log.store.consistencyProof(3n, 6n),
      await log.checkpoint(),
    );
    expect(withProof.statusCode).toBe(422);
    expect((await add(app, 0n, [], await log.checkpoint(3n))).statusCode).toBe(200);

    const proof = log.proof(3n);
    const flipped = proof.map((hash) => Uint8Array.from(hash));
    flipped[0]![0]! ^= 1;
    expect((await add(app, 3n, flipped, await log.checkpoint())).statusCode).toBe(422);
    expect((await add(app, 3n, proof.slice(1), await log.checkpoint())).statusCode).toBe(422);

    // A fork that agrees on nothing, signed by the log's own key, with a proof from its own tree.
    const fork = new MemoryLog(log.origin, log.signer, 'forged').grow(9);
    expect((await add(app, 3n, fork.proof(3n), await fork.checkpoint())).statusCode).toBe(422);
    // Nothing was recorded by the refusals.
    expect(witness.latest(log.origin)?.size).toBe(3n);
    expect((await add(app, 3n, proof, await log.checkpoint())).statusCode).toBe(200);
  });

  it('answers 404 for an unknown origin and 403 unless the log key signed the checkpoint', async () => {
    const log = new MemoryLog('log.airlock.test/five').grow(2);
    const { app } = await setup([log]);
    const stranger = new MemoryLog('log.airlock.test/stranger').grow(2);
    expect((await add(app, 0n, [], await stranger.checkpoint())).statusCode).toBe(404);

    // Same origin, another key: the line is ignored, so nothing verifies.
    const impostor = new MemoryLog(log.origin).grow(2);
    expect((await add(app, 0n, [], await impostor.checkpoint())).statusCode).toBe(403);

    // The log's key, but the signature does not match the text (the root was changed after signing).
    const note = await log.checkpoint();
    const parsed = parseSignedNote(note);
    const lines = note.slice(parsed.text.length);
    const forgedRoot = Buffer.alloc(32, 7).toString('base64');
    const tampered = `${parsed.text.split('\n').slice(0, 2).join('\n')}\n${forgedRoot}\n${lines}`;
    expect((await add(app, 0n, [], tampered)).statusCode).toBe(403);

    // A valid log signature next to a bad one from the same key is still refused (fail closed).
    const sig = parsed.signatures[0]!;
    const bad = Uint8Array.from(sig.signature);
    bad[10]! ^= 1;
    const badLine = `— ${sig.name} ${Buffer.concat([Buffer.from([sig.keyId >>> 24, (sig.keyId >>> 16) & 255, (sig.keyId >>> 8) & 255, sig.keyId & 255]), bad]).toString('base64')}\n`;
    expect((await add(app, 0n, [], `${note}${badLine}`)).statusCode).toBe(403);
  });

  it('answers 400 for an old size beyond the checkpoint and for malformed bodies, 422 for size 0', async () => {
    const log = new MemoryLog('log.airlock.test/six').grow(2);
    const { app } = await setup([log]);
    const note = await log.checkpoint();
    expect((await add(app, 3n, [], note)).statusCode).toBe(400);
    const raw = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/add-checkpoint',
        payload,
        headers: { 'content-type': 'text/plain' },
      });
    for (const body of [
      '',
      `old 01\n\n${note}`,
      `old -1\n\n${note}`,
      `new 0\n\n${note}`,
      `old 0\n${note}`,
      `old 0\nnot-base64!\n\n${note}`,
      `old 0\n${Buffer.alloc(31).toString('base64')}\n\n${note}`,
      `old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${note}`,
      'old 0\n\nnot a note\n',
    ]) {
      expect((await raw(body)).statusCode, JSON.stringify(body.slice(0, 40))).toBe(400);
    }
    // No content type at all is the same request.
    const untyped = await app.inject({
      method: 'POST',
      url: '/add-checkpoint',
      payload: formatAddCheckpoint({ oldSize: 0n, proof: [], note }),
    });
    expect(untyped.statusCode).toBe(200);
    const empty = new MemoryLog('log.airlock.test/empty', log.signer);
    const { app: other } = await setup([empty]);
    expect((await add(other, 0n, [], await empty.checkpoint())).statusCode).toBe(422);
  });

  it('checks and records atomically: of two racing requests from the same old size one wins', async () => {
    const log = new MemoryLog('log.airlock.test/seven').grow(2);
    const { app, witness } = await setup([log]);
    expect((await add(app, 0n, [], await log.checkpoint())).statusCode).toBe(200);
    log.grow(3);
    const [a, b] = await Promise.all([
      add(app, 2n, log.proof(2n, 4n), await log.checkpoint(4n)),
      add(app, 2n, log.proof(2n, 5n), await log.checkpoint(5n)),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    // The loser learns the winner's size, and the recorded size never goes back.
    expect(witness.latest(log.origin)?.size).toBe(a.statusCode === 200 ? 4n : 5n);
  });
});

describe('state', () => {
  it('survives a restart: the latest size, root and cosigned checkpoint are read back', async () => {
    const log = new MemoryLog('log.airlock.test/eight').grow(7);
    const first = await setup([log]);
    const note = await log.checkpoint();
    const lines = (await add(first.app, 0n, [], note)).body;
    await first.app.close();

    const again = await setup([log], first.dir, first.key);
    const stale = await add(again.app, 0n, [], note);
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toBe('7\n');
    const state = JSON.parse(readFileSync(join(first.dir, STATE_FILE), 'utf8'));
    expect(state.logs[log.origin].size).toBe('7');

    // Monitors read the cosigned checkpoint at /<hex SHA-256(origin)>/checkpoint.
    const hash = (await import('node:crypto'))
      .createHash('sha256')
      .update(log.origin)
      .digest('hex');
    const monitored = await again.app.inject({ method: 'GET', url: `/${hash}/checkpoint` });
    expect(monitored.statusCode).toBe(200);
    expect(monitored.body).toBe(`${note}${lines}`);
    expect(
      (await again.app.inject({ method: 'GET', url: `/${'0'.repeat(64)}/checkpoint` })).statusCode,
    ).toBe(404);
  });

  it('refuses to start on a corrupt state file rather than forget what it cosigned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-witness-'));
    writeFileSync(join(dir, STATE_FILE), '{"version":1,"logs":{"x":{"size":"07"');
    expect(() => WitnessStateStore.open(dir)).toThrow(WitnessError);
    writeFileSync(
      join(dir, STATE_FILE),
      JSON.stringify({ version: 1, logs: { x: { size: '1', rootHash: 'AA==', note: '' } } }),
    );
    try {
      WitnessStateStore.open(dir);
      expect.unreachable();
    } catch (error) {
      expect((error as WitnessError).code).toBe('STATE');
    }
  });
});

describe('configuration', () => {
  it('takes Ed25519 witness keys only, and log keys as vkeys or PEM (ECDSA with the C2SP key ID)', async () => {
    const log = new MemoryLog('log.airlock.test/nine');
    const state = WitnessStateStore.open(mkdtempSync(join(tmpdir(), 'airlock-witness-')));
    const ecdsa = SoftwareSigner.generate('ecdsa-p256-sha256');
    const make = (signer: SoftwareSigner) =>
      new Witness({
        name: NAME,
        signer,
        logs: [{ origin: log.origin, verifiers: [logVerifierFromText(log.origin, log.vkey)] }],
        state,
      });
    expect(() => make(ecdsa)).toThrow(/Ed25519/);

    // A cosignature key (type 0x04) is not a log key.
    const witnessKey = make(SoftwareSigner.generate('ed25519')).verifierKey;
    expect(() => logVerifierFromText(log.origin, witnessKey)).toThrow(WitnessError);
    expect(() => logVerifierFromText(log.origin, 'not a key')).toThrow(WitnessError);

    // An ECDSA log configured by PEM: its checkpoints are cosigned.
    const pem = ecdsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const ecdsaLog = new MemoryLog('log.airlock.test/ecdsa', ecdsa).grow(3);
    expect(ecdsaLog.noteSigner.keyId).toBe(noteSignerFromSigner(ecdsaLog.origin, ecdsa).keyId);
    const witness = new Witness({
      name: NAME,
      signer: SoftwareSigner.generate('ed25519'),
      logs: [{ origin: ecdsaLog.origin, verifiers: [logVerifierFromText(ecdsaLog.origin, pem)] }],
      state,
    });
    const lines = await witness.addCheckpoint(
      formatAddCheckpoint({ oldSize: 0n, proof: [], note: await ecdsaLog.checkpoint() }),
    );
    expect(lines.startsWith(`— ${NAME} `)).toBe(true);
  });

  it('round-trips a request body', () => {
    const proof = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const body = formatAddCheckpoint({ oldSize: 12n, proof, note: 'o\n1\nAA==\n\n— o AAAA\n' });
    expect(body.startsWith('old 12\n')).toBe(true);
    const parsed = parseAddCheckpoint(body);
    expect(parsed.oldSize).toBe(12n);
    expect(parsed.proof).toEqual(proof);
    expect(parsed.note).toBe('o\n1\nAA==\n\n— o AAAA\n');
  });
});
