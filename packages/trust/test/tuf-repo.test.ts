// The TUF repository on disk: the layout clients fetch, versions and expiries as each operation moves
// them, root rotation signed by both key sets, and the refusals (wrong keys, unsafe names, tampering).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import {
  DEFAULT_TUF_EXPIRIES,
  initRepository,
  openRepository,
  SIGNING_CONFIG_TARGET,
  TRUSTED_ROOT_TARGET,
  TrustError,
  tufKeyOf,
  verifyRootChain,
} from '@airlock/trust';
import { describe, expect, it } from 'vitest';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const now = new Date('2026-03-01T00:00:00Z');

function keys() {
  return {
    rootKeys: [SoftwareSigner.generate('ecdsa-p256-sha256'), SoftwareSigner.generate('ed25519')],
    targetsKey: SoftwareSigner.generate('ed25519'),
    snapshotKey: SoftwareSigner.generate('ecdsa-p256-sha256'),
    timestampKey: SoftwareSigner.generate('ed25519'),
  };
}

async function newRepository() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-tuf-'));
  const k = keys();
  const repository = await initRepository({
    dir,
    ...k,
    threshold: 2,
    now,
    targets: [{ name: TRUSTED_ROOT_TARGET, content: '{"trusted":true}' }],
  });
  const online = { snapshotSigner: k.snapshotKey, timestampSigner: k.timestampKey };
  return { dir, k, repository, online };
}

const json = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

async function expectTrustError(action: Promise<unknown>, code: string, message: RegExp) {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrustError);
  expect((error as TrustError).code).toBe(code);
  expect((error as TrustError).message).toMatch(message);
}

describe('initRepository', () => {
  it('lays out a consistent-snapshot repository with sha256-only target hashes', async () => {
    const { dir, k } = await newRepository();
    const content = Buffer.from('{"trusted":true}');
    const sha = createHash('sha256').update(content).digest('hex');
    expect(readdirSync(dir).sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'root.json',
      'targets',
      'timestamp.json',
    ]);
    expect(readdirSync(join(dir, 'targets'))).toEqual([`${sha}.${TRUSTED_ROOT_TARGET}`]);
    expect(readFileSync(join(dir, 'root.json'))).toEqual(readFileSync(join(dir, '1.root.json')));

    const root = json(dir, '1.root.json').signed;
    expect(root).toMatchObject({
      _type: 'root',
      version: 1,
      consistent_snapshot: true,
      spec_version: '1.0.31',
    });
    expect(root.expires).toBe('2027-03-01T00:00:00Z');
    expect(root.roles.root).toEqual({
      keyids: k.rootKeys.map((key) => tufKeyOf(key.publicKey).keyId),
      threshold: 2,
    });
    expect(root.roles.timestamp.keyids).toEqual([tufKeyOf(k.timestampKey.publicKey).keyId]);
    expect(json(dir, '1.root.json').signatures).toHaveLength(2);

    const targets = json(dir, '1.targets.json').signed;
    expect(targets.targets[TRUSTED_ROOT_TARGET]).toEqual({
      length: content.length,
      hashes: { sha256: sha },
    });
    expect(Date.parse(targets.expires) - now.getTime()).toBe(DEFAULT_TUF_EXPIRIES.targets);
    expect(json(dir, '1.snapshot.json').signed.meta).toEqual({ 'targets.json': { version: 1 } });
    const timestamp = json(dir, 'timestamp.json').signed;
    const snapshotBytes = readFileSync(join(dir, '1.snapshot.json'));
    expect(timestamp.meta['snapshot.json']).toEqual({
      version: 1,
      length: snapshotBytes.length,
      hashes: { sha256: createHash('sha256').update(snapshotBytes).digest('hex') },
    });
    expect(timestamp.expires).toBe('2026-03-02T00:00:00Z');
  });

  it('refuses an existing repository, bad thresholds and keys tuf-js cannot verify', async () => {
    const { dir, k } = await newRepository();
    await expectTrustError(
      initRepository({ dir, ...k, threshold: 1 }),
      'REPOSITORY_EXISTS',
      /already holds/,
    );
    const fresh = () => mkdtempSync(join(tmpdir(), 'airlock-tuf-'));
    await expectTrustError(
      initRepository({ dir: fresh(), ...k, threshold: 3 }),
      'INVALID_INPUT',
      /threshold of 3/,
    );
    await expectTrustError(
      initRepository({ dir: fresh(), ...k, threshold: 0 }),
      'INVALID_INPUT',
      /threshold of 0/,
    );
    await expectTrustError(
      initRepository({
        dir: fresh(),
        ...k,
        rootKeys: [k.rootKeys[0]!, k.rootKeys[0]!],
        threshold: 1,
      }),
      'INVALID_INPUT',
      /same key twice/,
    );
    await expectTrustError(
      initRepository({
        dir: fresh(),
        ...k,
        timestampKey: SoftwareSigner.generate('ecdsa-p384-sha384'),
        threshold: 1,
      }),
      'UNSUPPORTED_KEY',
      /SHA-256/,
    );
    await expectTrustError(
      initRepository({
        dir: fresh(),
        ...k,
        threshold: 1,
        targets: [{ name: '../escape.json', content: 'x' }],
      }),
      'INVALID_TARGET_NAME',
      /one path segment/,
    );
  });
});

describe('addTargets', () => {
  it('publishes new targets, snapshot and timestamp versions and keeps the old ones', async () => {
    const { dir, k, repository, online } = await newRepository();
    await repository.addTargets(
      [
        { name: TRUSTED_ROOT_TARGET, content: '{"trusted":2}' },
        {
          name: SIGNING_CONFIG_TARGET,
          content: '{"signing":1}',
          custom: { sigstore: { usage: 'SigningConfig' } },
        },
      ],
      { targetsSigner: k.targetsKey, ...online, now },
    );
    const status = await repository.status(now);
    expect(status.roles.targets.version).toBe(2);
    expect(status.roles.snapshot.version).toBe(2);
    expect(status.roles.timestamp.version).toBe(2);
    expect(status.targets).toEqual([SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET]);
    expect(existsSync(join(dir, '1.targets.json'))).toBe(true);
    expect(readdirSync(join(dir, 'targets'))).toHaveLength(3);
    expect(json(dir, '2.targets.json').signed.targets[SIGNING_CONFIG_TARGET].custom).toEqual({
      sigstore: { usage: 'SigningConfig' },
    });
  });

  it('refuses a signer the role does not list, writing nothing', async () => {
    const { dir, k, repository, online } = await newRepository();
    await expectTrustError(
      repository.addTargets([{ name: 'x.json', content: '{}' }], {
        targetsSigner: k.snapshotKey,
        ...online,
        now,
      }),
      'WRONG_SIGNER',
      /not one of the targets role's keys/,
    );
    await expectTrustError(
      repository.addTargets([{ name: 'x.json', content: '{}' }], {
        targetsSigner: k.targetsKey,
        snapshotSigner: k.timestampKey,
        timestampSigner: k.timestampKey,
        now,
      }),
      'WRONG_SIGNER',
      /snapshot role/,
    );
    expect(existsSync(join(dir, '2.snapshot.json'))).toBe(false);
    expect((await repository.status(now)).roles.timestamp.version).toBe(1);
  });
});

describe('refresh', () => {
  it('re-signs the timestamp with half its life left, the snapshot likewise, and reports ceremonies due', async () => {
    const { repository, online } = await newRepository();
    expect(await repository.refresh({ ...online, now })).toEqual({ renewed: [], ceremonyDue: [] });

    const later = new Date(now.getTime() + 13 * HOUR);
    expect((await repository.refresh({ ...online, now: later })).renewed).toEqual(['timestamp']);
    let status = await repository.status(later);
    expect(status.roles.timestamp).toEqual({
      version: 2,
      expires: '2026-03-02T13:00:00Z',
      expired: false,
    });
    expect(status.roles.snapshot.version).toBe(1);

    // Timestamp long expired, snapshot past half its life: both renewed, in that order.
    const muchLater = new Date(now.getTime() + 8 * DAY);
    expect((await repository.status(muchLater)).roles.timestamp.expired).toBe(true);
    expect((await repository.refresh({ ...online, now: muchLater })).renewed).toEqual([
      'snapshot',
      'timestamp',
    ]);
    status = await repository.status(muchLater);
    expect(status.roles.snapshot.version).toBe(2);
    expect(status.roles.timestamp).toMatchObject({ version: 3, expired: false });
    expect(status.roles.targets.version).toBe(1);

    const months = new Date(now.getTime() + 100 * DAY);
    expect((await repository.refresh({ ...online, now: months })).ceremonyDue).toEqual(['targets']);
    const year = new Date(now.getTime() + 200 * DAY);
    expect((await repository.refresh({ ...online, now: year })).ceremonyDue).toEqual([
      'root',
      'targets',
    ]);
  });
});

describe('rotateRoot', () => {
  it('writes root v2 signed by a threshold of the old and of the new keys', async () => {
    const { dir, k, repository } = await newRepository();
    const [oldEcdsa, oldEd] = k.rootKeys;
    const replacement = SoftwareSigner.generate('ecdsa-p256-sha256');
    const later = new Date(now.getTime() + 30 * DAY);
    await repository.rotateRoot({
      newKeys: [oldEd!.publicKey, replacement.publicKey],
      threshold: 2,
      oldSigners: [oldEcdsa!, oldEd!],
      newSigners: [oldEd!, replacement],
      now: later,
    });
    const links = verifyRootChain([json(dir, '1.root.json'), json(dir, '2.root.json')]);
    expect(links[1]?.signedByPrevious).toHaveLength(2);
    expect(links[1]?.signedBySelf).toHaveLength(2);
    expect(json(dir, '2.root.json').signatures).toHaveLength(3);
    expect(readFileSync(join(dir, 'root.json'))).toEqual(readFileSync(join(dir, '2.root.json')));
    const root2 = json(dir, '2.root.json').signed;
    expect(Object.keys(root2.keys)).not.toContain(tufKeyOf(oldEcdsa!.publicKey).keyId);
    expect(root2.expires).toBe('2027-03-31T00:00:00Z');
    // The other roles keep their keys, so the published timestamp still verifies under root v2.
    expect((await repository.status(later)).roles.root.version).toBe(2);
  });

  it('refuses rotations clients could not follow', async () => {
    const { dir, k, repository } = await newRepository();
    const [oldEcdsa, oldEd] = k.rootKeys;
    const a = SoftwareSigner.generate('ed25519');
    const b = SoftwareSigner.generate('ed25519');
    const rotation = { newKeys: [a.publicKey, b.publicKey], threshold: 2, now };
    await expectTrustError(
      repository.rotateRoot({ ...rotation, oldSigners: [oldEcdsa!], newSigners: [a, b] }),
      'WRONG_SIGNER',
      /root v2 under root v1: 1 valid signature\(s\) from root keys, threshold 2/,
    );
    await expectTrustError(
      repository.rotateRoot({ ...rotation, oldSigners: [oldEcdsa!, oldEd!], newSigners: [a] }),
      'WRONG_SIGNER',
      /root v2 under itself: 1 valid/,
    );
    await expectTrustError(
      repository.rotateRoot({ ...rotation, oldSigners: [oldEcdsa!, a], newSigners: [a, b] }),
      'WRONG_SIGNER',
      /not one of the current root's keys/,
    );
    await expectTrustError(
      repository.rotateRoot({
        ...rotation,
        threshold: 3,
        oldSigners: [oldEcdsa!, oldEd!],
        newSigners: [a, b],
      }),
      'INVALID_INPUT',
      /threshold of 3/,
    );
    expect(existsSync(join(dir, '2.root.json'))).toBe(false);
  });
});

describe('openRepository', () => {
  it('verifies what is on disk and refuses tampered metadata', async () => {
    const { dir } = await newRepository();
    expect((await (await openRepository(dir)).status(now)).roles.root.version).toBe(1);

    const timestamp = readFileSync(join(dir, 'timestamp.json'), 'utf8');
    writeFileSync(join(dir, 'timestamp.json'), timestamp.replace('"version": 1', '"version": 7'));
    await expectTrustError(
      openRepository(dir),
      'INVALID_REPOSITORY',
      /timestamp.json: 0 valid signature/,
    );
    writeFileSync(join(dir, 'timestamp.json'), timestamp);

    const snapshot = readFileSync(join(dir, '1.snapshot.json'), 'utf8');
    writeFileSync(join(dir, '1.snapshot.json'), snapshot.replace('}\n', '} \n'));
    await expectTrustError(
      openRepository(dir),
      'INVALID_REPOSITORY',
      /does not match timestamp.json/,
    );

    await expectTrustError(
      openRepository(join(dir, 'targets')),
      'INVALID_REPOSITORY',
      /no N.root.json/,
    );
  });
});
