// Verifies TUF metadata as a client does: a role's signatures against the keys and threshold its
// delegator names, and a sequence of root.json versions as a client walks them during an update.
import {
  Metadata,
  type MetadataKind,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import { TrustError, type TrustErrorCode } from './errors.js';

type AnyMetadata = Parameters<Metadata<Root>['verifyDelegate']>[1];

export interface RootChainLink {
  readonly version: number;
  readonly expires: string;
  /** Key IDs of the previous root's root role whose signatures verify (none for the first root). */
  readonly signedByPrevious: readonly string[];
  /** Key IDs of this root's own root role whose signatures verify. */
  readonly signedBySelf: readonly string[];
}

export interface VerifyRootChainOptions {
  /** When given, the last root must not have expired at this time (clients refuse an expired root). */
  readonly now?: Date;
}

/**
 * Verifies a sequence of root.json versions (objects, JSON text or bytes) as a TUF client updating
 * from the first: every root is signed by a threshold of its own root keys; every later root has the
 * next version number and is signed by a threshold of the previous root's root keys too. Signatures
 * that do not verify (or are empty) are not counted, as clients do not count them. Returns what
 * verified for each version; throws ROOT_CHAIN_BROKEN at the first version that does not follow.
 */
export function verifyRootChain(
  roots: readonly unknown[],
  options: VerifyRootChainOptions = {},
): RootChainLink[] {
  if (roots.length === 0) throw new TrustError('ROOT_CHAIN_BROKEN', 'no root to verify');
  const links: RootChainLink[] = [];
  let previous: Metadata<Root> | undefined;
  roots.forEach((json, index) => {
    const root = parseMetadata('root', json, `roots[${index}]`);
    const version = root.signed.version;
    if (previous !== undefined && version !== previous.signed.version + 1) {
      throw new TrustError(
        'ROOT_CHAIN_BROKEN',
        `roots[${index}] is version ${version}; after version ${previous.signed.version} a client expects ${previous.signed.version + 1}`,
      );
    }
    const signedByPrevious =
      previous === undefined
        ? []
        : requireThreshold(
            previous,
            'root',
            root,
            `root v${version} under root v${previous.signed.version}`,
            'ROOT_CHAIN_BROKEN',
          );
    const signedBySelf = requireThreshold(
      root,
      'root',
      root,
      `root v${version} under itself`,
      'ROOT_CHAIN_BROKEN',
    );
    links.push({ version, expires: root.signed.expires, signedByPrevious, signedBySelf });
    previous = root;
  });
  const last = previous!;
  if (options.now !== undefined && last.signed.isExpired(options.now)) {
    throw new TrustError(
      'ROOT_CHAIN_BROKEN',
      `root v${last.signed.version} expired at ${last.signed.expires}`,
    );
  }
  return links;
}

/** Key IDs of `delegator`'s `role` keys whose signatures over `metadata` verify. */
export function verifiedKeyIds(
  delegator: Metadata<Root>,
  role: string,
  metadata: AnyMetadata,
): string[] {
  const delegation = delegator.signed.roles[role];
  if (delegation === undefined) return [];
  return delegation.keyIDs.filter((keyId) => {
    const key = delegator.signed.keys[keyId];
    if (key === undefined) return false;
    try {
      key.verifySignature(metadata);
      return true;
    } catch {
      return false;
    }
  });
}

/** Like verifiedKeyIds, but throws unless they reach the role's threshold. */
export function requireThreshold(
  delegator: Metadata<Root>,
  role: string,
  metadata: AnyMetadata,
  what: string,
  code: TrustErrorCode,
): string[] {
  const verified = verifiedKeyIds(delegator, role, metadata);
  const threshold = delegator.signed.roles[role]?.threshold ?? Number.POSITIVE_INFINITY;
  if (verified.length < threshold) {
    throw new TrustError(
      code,
      `${what}: ${verified.length} valid signature(s) from ${role} keys, threshold ${threshold}`,
    );
  }
  return verified;
}

/** The role types by metadata kind. */
export interface RoleTypes {
  readonly root: Root;
  readonly timestamp: Timestamp;
  readonly snapshot: Snapshot;
  readonly targets: Targets;
}

/** Parses metadata (an object, JSON text or bytes) of one kind; throws INVALID_METADATA. */
export function parseMetadata<K extends keyof RoleTypes>(
  kind: K,
  json: unknown,
  what: string,
): Metadata<RoleTypes[K]> {
  let value = json;
  try {
    if (typeof json === 'string' || json instanceof Uint8Array) {
      value = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8'));
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError('not a JSON object');
    }
    // The overloads of fromJSON differ only in the kind they are given.
    return Metadata.fromJSON(kind as MetadataKind.Root, value as never) as unknown as Metadata<
      RoleTypes[K]
    >;
  } catch (error) {
    throw new TrustError(
      'INVALID_METADATA',
      `${what} is not ${kind} metadata: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
