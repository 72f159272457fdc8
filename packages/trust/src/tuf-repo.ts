// A TUF repository in a directory, laid out as Sigstore clients fetch it (consistent snapshots):
// N.root.json, timestamp.json, N.snapshot.json, N.targets.json and targets/<sha256>.<name>. Every
// write verifies what it signed against the current root before a file appears, and every read
// verifies what is on disk, so a repository this module writes is one tuf-js and go-tuf accept.
//
// One writer at a time: the TUF server's refresh timer and an administrator's `addTargets` must not
// run against the same directory at once (the second would fail on an existing version file, not
// corrupt it, since versioned files are never overwritten).
import { type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Signer } from '@airlock/keys';
import { canonicalize } from '@tufjs/canonical-json';
import type { Metadata, Root } from '@tufjs/models';
import { formatTufTime } from './encoding.js';
import { TrustError } from './errors.js';
import { parseMetadata, requireThreshold } from './root-chain.js';
import {
  sha256Hex,
  signEnvelope,
  TUF_SPEC_VERSION,
  type TufEnvelope,
  type TufKeyJson,
  tufKeyOf,
} from './tuf-metadata.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long each role's metadata is valid, in milliseconds. */
export interface TufExpiries {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

/**
 * Defaults: root a year and targets six months (both signed by offline keys in a ceremony, so a
 * long life); snapshot two weeks and timestamp one day (online keys, re-signed by `refresh`, so a
 * client never trusts a stale view of the repository for long).
 */
export const DEFAULT_TUF_EXPIRIES: TufExpiries = {
  root: 365 * DAY_MS,
  targets: 182 * DAY_MS,
  snapshot: 14 * DAY_MS,
  timestamp: 1 * DAY_MS,
};

/** `refresh` re-signs a role once less than this fraction of its lifetime remains. */
export const RENEW_WHEN_REMAINING = 0.5;

/** The targets Sigstore clients download (sigstore-js fetches only the first). */
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';

/** Target names: one path segment that is safe in a URL and a file name. */
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export type TopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

export interface TargetInput {
  readonly name: string;
  readonly content: Uint8Array | string;
  /** The target's `custom` metadata (JSON without floats). */
  readonly custom?: Readonly<Record<string, unknown>>;
}

interface RoleJson {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

interface CommonSigned {
  readonly spec_version: string;
  readonly version: number;
  readonly expires: string;
}

interface RootSigned extends CommonSigned {
  readonly _type: 'root';
  readonly consistent_snapshot: true;
  readonly keys: Readonly<Record<string, TufKeyJson>>;
  readonly roles: Readonly<Record<TopLevelRole, RoleJson>>;
}

interface TargetFileJson {
  readonly length: number;
  readonly hashes: { readonly sha256: string };
  readonly custom?: Readonly<Record<string, unknown>>;
}

interface TargetsSigned extends CommonSigned {
  readonly _type: 'targets';
  readonly targets: Readonly<Record<string, TargetFileJson>>;
}

interface SnapshotSigned extends CommonSigned {
  readonly _type: 'snapshot';
  readonly meta: { readonly 'targets.json': { readonly version: number } };
}

interface TimestampSigned extends CommonSigned {
  readonly _type: 'timestamp';
  readonly meta: {
    readonly 'snapshot.json': {
      readonly version: number;
      readonly length: number;
      readonly hashes: { readonly sha256: string };
    };
  };
}

/** The current metadata of a repository, verified. */
interface RepositoryState {
  readonly root: Metadata<Root>;
  readonly rootSigned: RootSigned;
  readonly targets: TargetsSigned;
  readonly snapshot: SnapshotSigned;
  readonly timestamp: TimestampSigned;
}

export interface RoleStatus {
  readonly version: number;
  readonly expires: string;
  readonly expired: boolean;
}

export interface RepositoryStatus {
  readonly roles: Readonly<Record<TopLevelRole, RoleStatus>>;
  readonly targets: readonly string[];
}

export interface RefreshResult {
  /** The roles re-signed, in the order written. */
  readonly renewed: readonly ('snapshot' | 'timestamp')[];
  /** Roles signed by offline keys that are expired or due for renewal: a signing ceremony is due. */
  readonly ceremonyDue: readonly ('root' | 'targets')[];
}

export interface InitRepositoryOptions {
  readonly dir: string;
  /** The root keys; all of them sign version 1. */
  readonly rootKeys: readonly Signer[];
  /** How many root keys must sign a root (1 ≤ threshold ≤ rootKeys.length). */
  readonly threshold: number;
  readonly targetsKey: Signer;
  readonly snapshotKey: Signer;
  readonly timestampKey: Signer;
  readonly expiries?: Partial<TufExpiries>;
  readonly targets?: readonly TargetInput[];
  readonly now?: Date;
}

export interface AddTargetsOptions {
  readonly targetsSigner: Signer;
  readonly snapshotSigner: Signer;
  readonly timestampSigner: Signer;
  readonly now?: Date;
}

export interface RefreshOptions {
  readonly snapshotSigner: Signer;
  readonly timestampSigner: Signer;
  readonly now?: Date;
}

export interface RotateRootOptions {
  /** The root keys of the new root version (may keep some of the old ones). */
  readonly newKeys: readonly KeyObject[];
  readonly threshold: number;
  /** At least the current root's threshold of its root keys. */
  readonly oldSigners: readonly Signer[];
  /** At least the new threshold of the new root keys. */
  readonly newSigners: readonly Signer[];
  readonly now?: Date;
}

/** Creates a repository in `dir` (which must not hold one): root, targets, snapshot, timestamp 1. */
export async function initRepository(options: InitRepositoryOptions): Promise<TufRepository> {
  const dir = options.dir;
  const expiries = { ...DEFAULT_TUF_EXPIRIES, ...options.expiries };
  const now = options.now ?? new Date();
  await mkdir(join(dir, 'targets'), { recursive: true });
  const existing = await readdir(dir);
  if (existing.some((name) => name === 'timestamp.json' || /^\d+\.root\.json$/.test(name))) {
    throw new TrustError('REPOSITORY_EXISTS', `${dir} already holds a TUF repository`);
  }

  const rootKeys = options.rootKeys.map((signer) => tufKeyOf(signer.publicKey));
  checkThreshold(
    rootKeys.map((key) => key.keyId),
    options.threshold,
  );
  const single = (signer: Signer) => {
    const key = tufKeyOf(signer.publicKey);
    return { key, role: { keyids: [key.keyId], threshold: 1 } };
  };
  const targetsRole = single(options.targetsKey);
  const snapshotRole = single(options.snapshotKey);
  const timestampRole = single(options.timestampKey);
  const keys: Record<string, TufKeyJson> = {};
  for (const key of [...rootKeys, targetsRole.key, snapshotRole.key, timestampRole.key]) {
    keys[key.keyId] = key.json;
  }
  const rootSigned: RootSigned = {
    _type: 'root',
    spec_version: TUF_SPEC_VERSION,
    version: 1,
    expires: expiresAt(now, expiries.root),
    consistent_snapshot: true,
    keys,
    roles: {
      root: { keyids: rootKeys.map((key) => key.keyId), threshold: options.threshold },
      targets: targetsRole.role,
      snapshot: snapshotRole.role,
      timestamp: timestampRole.role,
    },
  };
  const rootEnvelope = await signEnvelope(rootSigned, options.rootKeys);
  const root = parseMetadata('root', rootEnvelope, 'the new root');
  requireThreshold(root, 'root', root, 'root v1', 'WRONG_SIGNER');

  const targetFiles = await writeTargetFiles(dir, options.targets ?? []);
  const targets: TargetsSigned = {
    _type: 'targets',
    spec_version: TUF_SPEC_VERSION,
    version: 1,
    expires: expiresAt(now, expiries.targets),
    targets: targetFiles,
  };
  await publish(
    { dir, expiries },
    root,
    { targets, targetsSigner: options.targetsKey },
    {
      snapshotSigner: options.snapshotKey,
      timestampSigner: options.timestampKey,
      now,
      previous: undefined,
    },
  );
  // The root goes last: until it exists, the directory is not a repository anyone can read.
  await writeImmutable(dir, '1.root.json', encode(rootEnvelope));
  await writeReplacing(dir, 'root.json', encode(rootEnvelope));
  const repository = new TufRepository(dir, expiries);
  await repository.status(now);
  return repository;
}

/** Opens the repository in `dir`, verifying its current metadata. */
export async function openRepository(
  dir: string,
  options: { readonly expiries?: Partial<TufExpiries> } = {},
): Promise<TufRepository> {
  const repository = new TufRepository(dir, { ...DEFAULT_TUF_EXPIRIES, ...options.expiries });
  await repository.status();
  return repository;
}

/**
 * A handle on a repository directory. Every operation reads and verifies the current metadata from
 * disk first, so a long-lived handle (the server's) sees what another process published.
 */
export class TufRepository {
  constructor(
    readonly dir: string,
    readonly expiries: TufExpiries,
  ) {}

  /** Versions and expiry of every role, and the target names. Throws if the metadata does not verify. */
  async status(now: Date = new Date()): Promise<RepositoryStatus> {
    const state = await this.#read();
    const status = (signed: CommonSigned): RoleStatus => ({
      version: signed.version,
      expires: signed.expires,
      expired: Date.parse(signed.expires) <= now.getTime(),
    });
    return {
      roles: {
        root: status(state.rootSigned),
        targets: status(state.targets),
        snapshot: status(state.snapshot),
        timestamp: status(state.timestamp),
      },
      targets: Object.keys(state.targets.targets).sort(),
    };
  }

  /** The current root.json, as clients are bootstrapped with. */
  async rootJson(): Promise<Uint8Array> {
    const state = await this.#read();
    return readFile(join(this.dir, `${state.rootSigned.version}.root.json`));
  }

  /**
   * Publishes targets (replacing same-named ones): writes their files, then a new targets, snapshot
   * and timestamp version. Earlier target files and metadata versions stay for clients mid-update.
   */
  async addTargets(files: readonly TargetInput[], options: AddTargetsOptions): Promise<void> {
    const now = options.now ?? new Date();
    const state = await this.#read();
    const added = await writeTargetFiles(this.dir, files);
    const targets: TargetsSigned = {
      _type: 'targets',
      spec_version: TUF_SPEC_VERSION,
      version: state.targets.version + 1,
      expires: expiresAt(now, this.expiries.targets),
      targets: { ...state.targets.targets, ...added },
    };
    await publish(
      this,
      state.root,
      { targets, targetsSigner: options.targetsSigner },
      {
        snapshotSigner: options.snapshotSigner,
        timestampSigner: options.timestampSigner,
        now,
        previous: state,
      },
    );
  }

  /**
   * Re-signs what the online keys sign before it expires: a new snapshot version when less than
   * RENEW_WHEN_REMAINING of its lifetime is left, and then (or likewise on its own) a new timestamp.
   * An already expired timestamp is renewed too, which is how a repository recovers from downtime.
   */
  async refresh(options: RefreshOptions): Promise<RefreshResult> {
    const now = options.now ?? new Date();
    const state = await this.#read();
    const due = (signed: CommonSigned, lifetime: number) =>
      Date.parse(signed.expires) - now.getTime() < lifetime * RENEW_WHEN_REMAINING;
    const renewed: ('snapshot' | 'timestamp')[] = [];
    if (due(state.snapshot, this.expiries.snapshot)) {
      renewed.push('snapshot', 'timestamp');
      await publish(this, state.root, undefined, {
        snapshotSigner: options.snapshotSigner,
        timestampSigner: options.timestampSigner,
        now,
        previous: state,
      });
    } else if (due(state.timestamp, this.expiries.timestamp)) {
      renewed.push('timestamp');
      await publishTimestamp(this, state.root, state.snapshot.version, {
        ...options,
        now,
        previous: state,
      });
    }
    const ceremonyDue: ('root' | 'targets')[] = [];
    if (due(state.rootSigned, this.expiries.root)) ceremonyDue.push('root');
    if (due(state.targets, this.expiries.targets)) ceremonyDue.push('targets');
    return { renewed, ceremonyDue };
  }

  /**
   * Writes root version N+1 with new root keys and threshold (the other roles keep their keys), signed
   * by a threshold of the current root keys AND of the new ones, as clients require to follow it.
   * Rotating to the same keys renews the root's expiry.
   */
  async rotateRoot(options: RotateRootOptions): Promise<void> {
    const now = options.now ?? new Date();
    const state = await this.#read();
    const previous = state.rootSigned;
    const newKeys = options.newKeys.map((key) => tufKeyOf(key));
    checkThreshold(
      newKeys.map((key) => key.keyId),
      options.threshold,
    );
    checkSigners(options.oldSigners, previous.roles.root.keyids, 'the current root');
    checkSigners(
      options.newSigners,
      newKeys.map((key) => key.keyId),
      'the new root',
    );

    const roles: Record<TopLevelRole, RoleJson> = {
      root: { keyids: newKeys.map((key) => key.keyId), threshold: options.threshold },
      targets: previous.roles.targets,
      snapshot: previous.roles.snapshot,
      timestamp: previous.roles.timestamp,
    };
    const keys: Record<string, TufKeyJson> = {};
    for (const key of newKeys) keys[key.keyId] = key.json;
    for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
      for (const keyId of roles[role].keyids) {
        const key = previous.keys[keyId];
        if (key === undefined) {
          throw new TrustError(
            'INVALID_REPOSITORY',
            `root v${previous.version} lacks key ${keyId}`,
          );
        }
        keys[keyId] = key;
      }
    }
    const signed: RootSigned = {
      _type: 'root',
      spec_version: TUF_SPEC_VERSION,
      version: previous.version + 1,
      expires: expiresAt(now, this.expiries.root),
      consistent_snapshot: true,
      keys,
      roles,
    };
    const envelope = await signEnvelope(signed, [...options.oldSigners, ...options.newSigners]);
    const next = parseMetadata('root', envelope, `root v${signed.version}`);
    requireThreshold(
      state.root,
      'root',
      next,
      `root v${signed.version} under root v${previous.version}`,
      'WRONG_SIGNER',
    );
    requireThreshold(next, 'root', next, `root v${signed.version} under itself`, 'WRONG_SIGNER');
    await writeImmutable(this.dir, `${signed.version}.root.json`, encode(envelope));
    await writeReplacing(this.dir, 'root.json', encode(envelope));
  }

  /** Reads the newest root and the timestamp → snapshot → targets it leads to, verifying each. */
  async #read(): Promise<RepositoryState> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      throw new TrustError('INVALID_REPOSITORY', `cannot read ${this.dir}`, { cause: error });
    }
    const rootVersions = names
      .map((name) => /^([1-9]\d*)\.root\.json$/.exec(name)?.[1])
      .filter((version): version is string => version !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const rootVersion = rootVersions.at(-1);
    if (rootVersion === undefined) {
      throw new TrustError('INVALID_REPOSITORY', `${this.dir} holds no N.root.json`);
    }
    const rootBytes = await this.#file(`${rootVersion}.root.json`);
    const root = parseMetadata('root', rootBytes, `${rootVersion}.root.json`);
    if (root.signed.version !== rootVersion) {
      throw new TrustError('INVALID_REPOSITORY', `${rootVersion}.root.json holds another version`);
    }
    requireThreshold(root, 'root', root, `${rootVersion}.root.json`, 'INVALID_REPOSITORY');

    const timestampBytes = await this.#file('timestamp.json');
    const timestamp = parseMetadata('timestamp', timestampBytes, 'timestamp.json');
    requireThreshold(root, 'timestamp', timestamp, 'timestamp.json', 'INVALID_REPOSITORY');

    const snapshotName = `${timestamp.signed.snapshotMeta.version}.snapshot.json`;
    const snapshotBytes = await this.#file(snapshotName);
    try {
      timestamp.signed.snapshotMeta.verify(Buffer.from(snapshotBytes));
    } catch (error) {
      throw new TrustError('INVALID_REPOSITORY', `${snapshotName} does not match timestamp.json`, {
        cause: error,
      });
    }
    const snapshot = parseMetadata('snapshot', snapshotBytes, snapshotName);
    requireThreshold(root, 'snapshot', snapshot, snapshotName, 'INVALID_REPOSITORY');

    const targetsMeta = snapshot.signed.meta['targets.json'];
    if (targetsMeta === undefined) {
      throw new TrustError('INVALID_REPOSITORY', `${snapshotName} names no targets.json`);
    }
    const targetsName = `${targetsMeta.version}.targets.json`;
    const targetsBytes = await this.#file(targetsName);
    const targets = parseMetadata('targets', targetsBytes, targetsName);
    requireThreshold(root, 'targets', targets, targetsName, 'INVALID_REPOSITORY');

    return {
      root,
      rootSigned: signedOf<RootSigned>(rootBytes),
      targets: signedOf<TargetsSigned>(targetsBytes),
      snapshot: signedOf<SnapshotSigned>(snapshotBytes),
      timestamp: signedOf<TimestampSigned>(timestampBytes),
    };
  }

  async #file(name: string): Promise<Uint8Array> {
    try {
      return await readFile(join(this.dir, name));
    } catch (error) {
      throw new TrustError('INVALID_REPOSITORY', `${this.dir} lacks ${name}`, { cause: error });
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Where and how long-lived metadata is written. */
interface RepositoryPlace {
  readonly dir: string;
  readonly expiries: TufExpiries;
}

interface PublishOptions extends RefreshOptions {
  readonly now: Date;
  /** The state being succeeded; undefined when initializing. */
  readonly previous: RepositoryState | undefined;
}

/** Writes (optionally) a new targets version, then a new snapshot and timestamp. */
async function publish(
  place: RepositoryPlace,
  root: Metadata<Root>,
  newTargets: { readonly targets: TargetsSigned; readonly targetsSigner: Signer } | undefined,
  options: PublishOptions,
): Promise<void> {
  const { previous, now } = options;
  let targetsVersion = previous?.targets.version ?? 0;
  if (newTargets !== undefined) {
    const envelope = await signRole(root, 'targets', newTargets.targets, [
      newTargets.targetsSigner,
    ]);
    await writeImmutable(place.dir, `${newTargets.targets.version}.targets.json`, encode(envelope));
    targetsVersion = newTargets.targets.version;
  }
  const snapshot: SnapshotSigned = {
    _type: 'snapshot',
    spec_version: TUF_SPEC_VERSION,
    version: (previous?.snapshot.version ?? 0) + 1,
    expires: expiresAt(now, place.expiries.snapshot),
    meta: { 'targets.json': { version: targetsVersion } },
  };
  const envelope = await signRole(root, 'snapshot', snapshot, [options.snapshotSigner]);
  await writeImmutable(place.dir, `${snapshot.version}.snapshot.json`, encode(envelope));
  await publishTimestamp(place, root, snapshot.version, options);
}

/** Writes a new timestamp.json naming (with length and hash) the given snapshot version. */
async function publishTimestamp(
  place: RepositoryPlace,
  root: Metadata<Root>,
  snapshotVersion: number,
  options: PublishOptions,
): Promise<void> {
  const snapshotBytes = await readFile(join(place.dir, `${snapshotVersion}.snapshot.json`));
  const timestamp: TimestampSigned = {
    _type: 'timestamp',
    spec_version: TUF_SPEC_VERSION,
    version: (options.previous?.timestamp.version ?? 0) + 1,
    expires: expiresAt(options.now, place.expiries.timestamp),
    meta: {
      'snapshot.json': {
        version: snapshotVersion,
        length: snapshotBytes.length,
        hashes: { sha256: sha256Hex(snapshotBytes) },
      },
    },
  };
  const envelope = await signRole(root, 'timestamp', timestamp, [options.timestampSigner]);
  await writeReplacing(place.dir, 'timestamp.json', encode(envelope));
}

/** Signs a role's metadata after checking the signers are its keys, and verifies the result. */
async function signRole<Signed extends CommonSigned & { readonly _type: string }>(
  root: Metadata<Root>,
  role: 'targets' | 'snapshot' | 'timestamp',
  signed: Signed,
  signers: readonly Signer[],
): Promise<TufEnvelope<Signed>> {
  checkSigners(signers, root.signed.roles[role]?.keyIDs ?? [], `the ${role} role`);
  const envelope = await signEnvelope(signed, signers);
  const metadata = parseMetadata(role, envelope, `the new ${role}`);
  requireThreshold(root, role, metadata, `${role} v${signed.version}`, 'WRONG_SIGNER');
  return envelope;
}

/** The path a client downloads a target from, relative to the targets base URL. */
export function targetFileName(name: string, sha256: string): string {
  return `${sha256}.${name}`;
}

async function writeTargetFiles(
  dir: string,
  files: readonly TargetInput[],
): Promise<Record<string, TargetFileJson>> {
  const written: Record<string, TargetFileJson> = {};
  for (const file of files) {
    if (!TARGET_NAME.test(file.name)) {
      throw new TrustError(
        'INVALID_TARGET_NAME',
        `target name ${JSON.stringify(file.name)} is not one path segment of letters, digits, '.', '_' or '-'`,
      );
    }
    if (file.custom !== undefined) {
      try {
        canonicalize(file.custom);
      } catch (error) {
        throw new TrustError(
          'INVALID_INPUT',
          `custom metadata of ${file.name} is not canonical JSON`,
          {
            cause: error,
          },
        );
      }
    }
    const content =
      typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    const sha256 = sha256Hex(content);
    // Only sha256: tuf-js downloads `<first hash>.<name>`, go-tuf iterates a map; one hash, one file.
    await writeImmutable(join(dir, 'targets'), targetFileName(file.name, sha256), content, {
      sameContentOk: true,
    });
    written[file.name] = {
      length: content.length,
      hashes: { sha256 },
      ...(file.custom !== undefined ? { custom: file.custom } : {}),
    };
  }
  return written;
}

function checkThreshold(keyIds: readonly string[], threshold: number): void {
  if (new Set(keyIds).size !== keyIds.length) {
    throw new TrustError('INVALID_INPUT', 'the root keys include the same key twice');
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keyIds.length) {
    throw new TrustError(
      'INVALID_INPUT',
      `a threshold of ${threshold} is not between 1 and the ${keyIds.length} root keys`,
    );
  }
}

function checkSigners(signers: readonly Signer[], keyIds: readonly string[], what: string): void {
  for (const signer of signers) {
    const { keyId } = tufKeyOf(signer.publicKey);
    if (!keyIds.includes(keyId)) {
      throw new TrustError('WRONG_SIGNER', `key ${keyId} is not one of ${what}'s keys`);
    }
  }
}

function expiresAt(now: Date, lifetime: number): string {
  return formatTufTime(new Date(now.getTime() + lifetime));
}

function encode(envelope: TufEnvelope<object>): Uint8Array {
  return Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8');
}

function signedOf<Signed>(bytes: Uint8Array): Signed {
  return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed: Signed }).signed;
}

/** Writes a file durably under a temporary name that the server never serves. */
async function writeTemporary(dir: string, name: string, content: Uint8Array): Promise<string> {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temporary;
}

/**
 * Publishes a file that must never change once published (a versioned metadata file, a target): it
 * appears whole or not at all, and an existing one is never replaced.
 */
async function writeImmutable(
  dir: string,
  name: string,
  content: Uint8Array,
  options: { readonly sameContentOk?: boolean } = {},
): Promise<void> {
  const temporary = await writeTemporary(dir, name, content);
  try {
    await link(temporary, join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !options.sameContentOk) {
      throw new TrustError(
        'INVALID_REPOSITORY',
        `cannot publish ${name}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists (another writer?)' : (error as Error).message}`,
        { cause: error },
      );
    }
  } finally {
    await unlink(temporary);
  }
}

/** Replaces a file (timestamp.json, root.json) atomically: readers see the old or the new one. */
async function writeReplacing(dir: string, name: string, content: Uint8Array): Promise<void> {
  const temporary = await writeTemporary(dir, name, content);
  try {
    await rename(temporary, join(dir, name));
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw new TrustError('INVALID_REPOSITORY', `cannot write ${name}`, { cause: error });
  }
}
