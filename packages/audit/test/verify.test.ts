// Inclusion, consistency and SET checks against the real log service and against Sigstore's public
// conformance bundles: what verifies, and every way a lying log or a doctored bundle is refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  auditConsistency,
  checkConsistency,
  fetchVerifiedLogInfo,
  type LogEntry,
  type LogKey,
  logKeyFromPublicKey,
  logKeyFromTrustedRoot,
  openLogCheckpoint,
  RekorClient,
  readBundle,
  readRememberedCheckpoint,
  rememberCheckpoint,
  verifyBundleEntry,
  verifyLogEntry,
} from '@airlock/audit';
import { SoftwareSigner } from '@airlock/keys';
import { noteSignerFromSigner, signCheckpoint } from '@airlock/note';
import { buildTrustedRoot } from '@airlock/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { ENGINE_HOST, openEngineLog } from './engine-log.js';
import { HOSTNAME, LiveTlog } from './live-tlog.js';

const tmp = mkdtempSync(join(tmpdir(), 'airlock-audit-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rejects(promise: Promise<unknown> | (() => unknown), code: AuditError['code']) {
  const run = typeof promise === 'function' ? Promise.resolve().then(promise) : promise;
  await expect(run).rejects.toBeInstanceOf(AuditError);
  await expect(run).rejects.toMatchObject({ code });
}

describe('against the transparency log service', () => {
  let live: LiveTlog;
  let client: RekorClient;
  let logKey: LogKey;

  beforeAll(async () => {
    live = await LiveTlog.start();
    await live.addEntries(12);
    client = new RekorClient(live.url);
    logKey = logKeyFromTrustedRoot(live.trustedRoot, `${live.url}/`);
  });
  afterAll(async () => {
    await live.close();
  });

  it('finds the log keys in the trusted root by URL, and only keys valid now', () => {
    expect(logKey.hostname).toBe(HOSTNAME);
    expect(logKey.keys).toHaveLength(2);
    expect(() => logKeyFromTrustedRoot(live.trustedRoot, 'http://127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_LOG' }),
    );
    const retired = buildTrustedRoot({
      tlogs: [
        {
          baseUrl: live.url,
          publicKey: live.tlog.v1Signer.publicKey,
          validFor: {
            start: new Date(Date.now() - 7200_000),
            end: new Date(Date.now() - 3600_000),
          },
        },
      ],
    });
    expect(() => logKeyFromTrustedRoot(retired, live.url)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_LOG' }),
    );
    expect(() => logKeyFromTrustedRoot({ mediaType: 'nope' }, live.url)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('verifies the log info and entries fetched by index and UUID', async () => {
    const { info, checkpoint } = await fetchVerifiedLogInfo(client, logKey);
    expect(info.treeSize).toBe(12n);
    expect(checkpoint.format).toBe('rekor-v1');
    expect(checkpoint.origin).toBe(live.tlog.logs.v1.origin);
    const entry = await client.entryByIndex(5n);
    const verified = verifyLogEntry(entry, logKey);
    expect(verified).toMatchObject({ setVerified: true, inclusion: { leafIndex: 5n } });
    expect((await client.entryByUuid(entry.uuid.slice(16))).logIndex).toBe(5n);
    await rejects(client.entryByIndex(12n), 'NOT_FOUND');
    await rejects(client.entryByUuid('zz'), 'INVALID_INPUT');
  });

  it('refuses an entry whose proof, log ID, SET or claimed tree does not hold', async () => {
    const entry = await client.entryByIndex(7n);
    const proof = entry.inclusionProof!;
    const flipped = (bytes: Uint8Array) => {
      const copy = Uint8Array.from(bytes);
      copy[0]! ^= 1;
      return copy;
    };
    const variants: [AuditError['code'], LogEntry][] = [
      ['INCLUSION_FAILED', { ...entry, body: Buffer.from('{"other":"body"}') }],
      [
        'INCLUSION_FAILED',
        {
          ...entry,
          inclusionProof: {
            ...proof,
            hashes: [flipped(proof.hashes[0]!), ...proof.hashes.slice(1)],
          },
        },
      ],
      ['INCLUSION_FAILED', { ...entry, inclusionProof: { ...proof, logIndex: 6n } }],
      [
        'INCLUSION_FAILED',
        { ...entry, inclusionProof: { ...proof, treeSize: proof.treeSize + 1n } },
      ],
      [
        'INCLUSION_FAILED',
        { ...entry, inclusionProof: { ...proof, rootHash: flipped(proof.rootHash) } },
      ],
      ['LOG_ID_MISMATCH', { ...entry, logId: flipped(entry.logId) }],
      ['SET_INVALID', { ...entry, integratedTime: entry.integratedTime + 1n }],
      ['SET_INVALID', { ...entry, signedEntryTimestamp: flipped(entry.signedEntryTimestamp!) }],
      [
        'BAD_CHECKPOINT',
        {
          ...entry,
          inclusionProof: { ...proof, checkpoint: proof.checkpoint.replace('\n12\n', '\n13\n') },
        },
      ],
    ];
    for (const [code, bad] of variants) await rejects(() => verifyLogEntry(bad, logKey), code);
    // The right proof under a key the trusted root does not list for this log.
    const stranger = logKeyFromPublicKey(live.tlog.v2Signer.publicKey, live.url);
    await rejects(() => verifyLogEntry(entry, stranger), 'BAD_CHECKPOINT');
  });

  it('refuses a checkpoint for another host than the log URL', async () => {
    const { info } = await fetchVerifiedLogInfo(client, logKey);
    const elsewhere = logKeyFromPublicKey(live.tlog.v1Signer.publicKey, 'https://rekor.example');
    await rejects(() => openLogCheckpoint(info.signedTreeHead, elsewhere), 'BAD_CHECKPOINT');
  });

  it('consistency: remembers, proves growth, and refuses a fork or a rollback', async () => {
    const file = join(tmp, 'live-checkpoint.json');
    const source = { kind: 'rekor-v1', client } as const;
    expect(await auditConsistency({ source, logKey, checkpointFile: file })).toMatchObject({
      status: 'first-use',
      new: { size: 12n },
    });
    const old = readRememberedCheckpoint(file)!;
    await live.addEntries(9);
    expect(await auditConsistency({ source, logKey, checkpointFile: file })).toMatchObject({
      status: 'consistent',
      old: { size: 12n },
      new: { size: 21n },
    });
    const current = (await fetchVerifiedLogInfo(client, logKey)).checkpoint;
    const proof = (await client.consistencyProof(12n, 21n)).hashes;
    expect(checkConsistency({ old: old.note, new: current.note, proof }, logKey).new.size).toBe(
      21n,
    );

    // The same key signing a different tree: a fork at an old size, a smaller tree, a wrong proof.
    const signer = noteSignerFromSigner(HOSTNAME, live.tlog.v1Signer, { keyIdRule: 'rekor-v1' });
    const fork = await signCheckpoint(
      { origin: current.origin, size: 12n, rootHash: current.rootHash },
      [signer],
    );
    await rejects(
      () => checkConsistency({ old: old.note, new: fork, proof: [] }, logKey),
      'INCONSISTENT',
    );
    await rejects(
      () => checkConsistency({ old: current.note, new: old.note, proof: [] }, logKey),
      'INCONSISTENT',
    );
    await rejects(
      () => checkConsistency({ old: old.note, new: current.note, proof: proof.slice(1) }, logKey),
      'INCONSISTENT',
    );
    const otherLog = await signCheckpoint(
      { origin: `${HOSTNAME} - 1`, size: 21n, rootHash: current.rootHash },
      [signer],
    );
    await rejects(
      () => checkConsistency({ old: old.note, new: otherLog, proof }, logKey),
      'ORIGIN_MISMATCH',
    );
  });

  it('the checkpoint store only moves forward and only for its own log', async () => {
    const file = join(tmp, 'store.json');
    const current = (await fetchVerifiedLogInfo(client, logKey)).checkpoint;
    rememberCheckpoint(file, current, live.url);
    expect(readRememberedCheckpoint(file)).toMatchObject({
      origin: current.origin,
      size: current.size,
      logUrl: live.url,
    });
    expect(() => rememberCheckpoint(file, { ...current, size: 3n })).toThrow(
      expect.objectContaining({ code: 'STORE' }),
    );
    expect(() => rememberCheckpoint(file, { ...current, origin: 'other' })).toThrow(
      expect.objectContaining({ code: 'STORE' }),
    );
    writeFileSync(file, '{"kind":"something else"}');
    expect(() => readRememberedCheckpoint(file)).toThrow(
      expect.objectContaining({ code: 'STORE' }),
    );
  });
});

describe('consistency from tiles (a Rekor v2 style log)', () => {
  it('proves growth from the tiles, and catches a log rebuilt with other entries', async () => {
    const engine = await openEngineLog(1000);
    const file = join(tmp, 'tiles-checkpoint.json');
    try {
      const source = { kind: 'tiles', tiles: engine.source } as const;
      const options = { source, logKey: engine.logKey, checkpointFile: file };
      expect((await auditConsistency(options)).status).toBe('first-use');
      await engine.grow(70_000);
      expect(await auditConsistency(options)).toMatchObject({
        status: 'consistent',
        old: { size: 1000n, format: 'c2sp', origin: ENGINE_HOST },
        new: { size: 70_000n },
      });
      const forked = await openEngineLog(80_000, engine.signer, 'fork');
      try {
        await rejects(
          auditConsistency({ ...options, source: { kind: 'tiles', tiles: forked.source } }),
          'INCONSISTENT',
        );
        expect(readRememberedCheckpoint(file)?.size).toBe(70_000n);
      } finally {
        await forked.log.close();
      }
    } finally {
      await engine.log.close();
      rmSync(engine.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Sigstore conformance bundles, offline with the trusted root alone', () => {
  const publicGood = JSON.parse(
    readFileSync(sharedVectorsPath('npm-provenance', 'trusted_root.json'), 'utf8'),
  );
  const bundleOf = (name: string) =>
    readBundle(
      readFileSync(sharedVectorsPath('conformance', 'bundle-verify', name, 'bundle.sigstore.json')),
    );

  function verifyBundle(name: string, trustedRoot: unknown, url: string) {
    const { inclusion } = verifyBundleEntry(
      bundleOf(name).entry,
      logKeyFromTrustedRoot(trustedRoot, url),
      {
        requireProof: true,
      },
    );
    return inclusion!;
  }

  it('a Rekor v1 bundle of the public-good instance', () => {
    const inclusion = verifyBundle('happy-path-v0.3', publicGood, 'https://rekor.sigstore.dev');
    expect(inclusion.checkpoint).toMatchObject({
      origin: 'rekor.sigstore.dev - 2605736670972794746',
      size: 75_408_393n,
      format: 'rekor-v1',
    });
  });

  it('a Rekor v2 bundle (Ed25519 checkpoint, C2SP key ID)', () => {
    const root = JSON.parse(
      readFileSync(
        sharedVectorsPath('conformance', 'bundle-verify', 'rekor2-happy-path', 'trusted_root.json'),
        'utf8',
      ),
    );
    const inclusion = verifyBundle(
      'rekor2-happy-path',
      root,
      'https://log2025-alpha1.rekor.sigstage.dev',
    );
    expect(inclusion.checkpoint).toMatchObject({ size: 736n, format: 'c2sp' });
  });

  it.each([
    ['invalid-inclusion-proof_fail', 'INCLUSION_FAILED'],
    ['checkpoint-bad-keyhint_fail', 'BAD_CHECKPOINT'],
    ['invalid-checkpoint-signature_fail', 'BAD_CHECKPOINT'],
    ['set-invalid-signature_fail', 'SET_INVALID'],
  ] as const)('%s is refused with %s', async (name, code) => {
    await rejects(() => verifyBundle(name, publicGood, 'https://rekor.sigstore.dev'), code);
  });

  it('a malformed bundle is INVALID_INPUT', () => {
    for (const bad of ['not json', '{}', '{"verificationMaterial":{"tlogEntries":[]}}']) {
      expect(() => readBundle(Buffer.from(bad))).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    }
  });
});

describe('a log key pinned without a URL', () => {
  it('takes the key name from the checkpoint, but still only trusts the pinned key', async () => {
    const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
    const note = await signCheckpoint(
      { origin: 'log.example', size: 0n, rootHash: Buffer.alloc(32) },
      [noteSignerFromSigner('log.example', signer)],
    );
    expect(openLogCheckpoint(note, logKeyFromPublicKey(signer.publicKey)).origin).toBe(
      'log.example',
    );
    const other = logKeyFromPublicKey(SoftwareSigner.generate('ecdsa-p256-sha256').publicKey);
    await rejects(() => openLogCheckpoint(note, other), 'BAD_CHECKPOINT');
    await rejects(() => logKeyFromPublicKey(Buffer.from('not a key')), 'INVALID_INPUT');
  });
});
