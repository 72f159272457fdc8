// What an auditor reads from a Sigstore bundle (protobuf JSON, §5): its first transparency log
// entry (canonical body, indices, log ID, inclusion proof) and the artifact digest it signs.
import { HASH_SIZE, hashLeaf } from '@airlock/merkle';
import { FieldReader, isObject, parseJson, toHex } from './encoding.js';
import type { InclusionProof } from './rekor-client.js';

/** A bundle's transparency log entry, decoded. */
export interface BundleTlogEntry {
  readonly body: Uint8Array;
  /** The entry UUID: lowercase hex of the body's leaf hash. */
  readonly uuid: string;
  readonly logIndex: bigint;
  readonly logId: Uint8Array;
  readonly integratedTime: bigint;
  readonly kind?: string;
  readonly version?: string;
  /** Bundles before v0.2 may carry a proof without the checkpoint that signs its root. */
  readonly inclusionProof?: Omit<InclusionProof, 'checkpoint'> & { readonly checkpoint?: string };
  /** The SET (inclusion promise), if the bundle carries one. */
  readonly signedEntryTimestamp?: Uint8Array;
}

export interface BundleSummary {
  readonly entry: BundleTlogEntry;
  /** The SHA-256 digest a message-signature bundle signs; absent for DSSE bundles. */
  readonly sha256?: Uint8Array;
}

/** Reads a bundle from its JSON bytes or parsed value; INVALID_INPUT for anything malformed. */
export function readBundle(input: Uint8Array | unknown): BundleSummary {
  const json =
    input instanceof Uint8Array ? parseJson(input, 'INVALID_INPUT', 'the bundle') : input;
  const reader: FieldReader = new FieldReader('INVALID_INPUT', 'bundle');
  const bundle = reader.object(json, 'the bundle');
  const material = reader.object(bundle.verificationMaterial, 'verificationMaterial');
  const entries = reader.list(material.tlogEntries, 'verificationMaterial.tlogEntries');
  if (entries.length === 0) reader.fail('verificationMaterial.tlogEntries is empty');
  const tle = reader.object(entries[0], 'tlogEntries[0]');
  const body = reader.base64(tle.canonicalizedBody, 'tlogEntries[0].canonicalizedBody');
  const logId = reader.base64(
    reader.object(tle.logId, 'tlogEntries[0].logId').keyId,
    'logId.keyId',
  );
  if (logId.length !== HASH_SIZE) reader.fail(`logId.keyId is not ${HASH_SIZE} bytes`);
  const kindVersion = isObject(tle.kindVersion) ? tle.kindVersion : {};
  const kind = typeof kindVersion.kind === 'string' ? kindVersion.kind : undefined;
  const version = typeof kindVersion.version === 'string' ? kindVersion.version : undefined;
  let inclusionProof: BundleTlogEntry['inclusionProof'];
  if (tle.inclusionProof !== undefined) {
    const proof = reader.object(tle.inclusionProof, 'tlogEntries[0].inclusionProof');
    const checkpoint =
      proof.checkpoint === undefined
        ? undefined
        : reader.string(
            reader.object(proof.checkpoint, 'inclusionProof.checkpoint').envelope,
            'inclusionProof.checkpoint.envelope',
          );
    inclusionProof = {
      // proto3 JSON omits integers that are 0: the first entry of a log has no logIndex field.
      logIndex: reader.uint(proof.logIndex ?? '0', 'inclusionProof.logIndex'),
      rootHash: reader.base64(proof.rootHash, 'inclusionProof.rootHash'),
      treeSize: reader.uint(proof.treeSize, 'inclusionProof.treeSize'),
      hashes: reader
        .list(proof.hashes ?? [], 'inclusionProof.hashes')
        .map((hash, i) => reader.base64(hash, `inclusionProof.hashes[${i}]`)),
      ...(checkpoint !== undefined ? { checkpoint } : {}),
    };
  }
  let signedEntryTimestamp: Uint8Array | undefined;
  if (tle.inclusionPromise !== undefined) {
    const promise = reader.object(tle.inclusionPromise, 'tlogEntries[0].inclusionPromise');
    signedEntryTimestamp = reader.base64(
      promise.signedEntryTimestamp,
      'inclusionPromise.signedEntryTimestamp',
    );
  }
  const entry: BundleTlogEntry = {
    body,
    uuid: toHex(hashLeaf(body)),
    logIndex: reader.uint(tle.logIndex ?? '0', 'tlogEntries[0].logIndex'),
    logId,
    // proto3 JSON omits a zero integratedTime (Rekor v2 entries).
    integratedTime:
      tle.integratedTime === undefined ? 0n : reader.uint(tle.integratedTime, 'integratedTime'),
    ...(kind !== undefined ? { kind } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(inclusionProof ? { inclusionProof } : {}),
    ...(signedEntryTimestamp ? { signedEntryTimestamp } : {}),
  };
  let sha256: Uint8Array | undefined;
  if (isObject(bundle.messageSignature) && isObject(bundle.messageSignature.messageDigest)) {
    const digest = bundle.messageSignature.messageDigest;
    if (digest.algorithm === 'SHA2_256') {
      sha256 = reader.base64(digest.digest, 'messageSignature.messageDigest.digest');
      if (sha256.length !== 32) reader.fail('the SHA2_256 message digest is not 32 bytes');
    }
  }
  return { entry, ...(sha256 ? { sha256 } : {}) };
}
