// Checks each inclusion proof's checkpoint against the log the entry names. sigstore-js accepts a
// signature from any trusted log whose base URL merely matches the signature name as a regular
// expression, and never compares the proof's own root hash and tree size with the checkpoint's.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import {
  PublicKeyDetails,
  type TransparencyLogInstance,
  type TrustedRoot,
} from '@sigstore/protobuf-specs';
import { isStrictBase64 } from './bundle-input.js';
import { VerifyError } from './errors.js';
import { findLog } from './trusted-root.js';

interface SignedCheckpoint {
  /** The note text the signatures cover, through its final newline. */
  body: string;
  origin: string;
  size: bigint;
  rootHash: Buffer;
  signatures: { name: string; keyHint: Buffer; signature: Buffer }[];
}

/**
 * Every entry must name a trusted log, and every entry with an inclusion proof must carry a
 * checkpoint that this log signed (its name and key hint, verified with its key) for the proof's
 * tree size and root hash. Signature lines from other keys (witness cosignatures) are ignored.
 */
export function checkCheckpoints(bundle: Bundle, root: TrustedRoot): void {
  for (const [i, entry] of bundle.verificationMaterial.tlogEntries.entries()) {
    const fail = (why: string): never => {
      throw new VerifyError('TLOG', `log entry ${i}: ${why}`);
    };
    const logId = entry.logId?.keyId ?? Buffer.alloc(0);
    const log = findLog(root, logId);
    if (log === undefined) {
      fail(`log ${logId.toString('base64')} is not in the trusted root`);
      continue;
    }
    const proof = entry.inclusionProof;
    if (proof === undefined) continue;
    if (proof.checkpoint === undefined || proof.checkpoint.envelope === '') {
      fail('inclusion proof carries no checkpoint');
      continue;
    }
    const checkpoint = parseCheckpoint(proof.checkpoint.envelope, fail);
    const names = logNames(log);
    const isV1Origin = names.some((name) =>
      new RegExp(`^${escapeRegExp(name)} - \\d+$`).test(checkpoint.origin),
    );
    if (!names.includes(checkpoint.origin) && !isV1Origin) {
      fail(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not log ${log.baseUrl}`);
    }
    const keyId = log.checkpointKeyId?.keyId ?? log.logId?.keyId ?? Buffer.alloc(0);
    const keyHint = keyId.subarray(0, 4);
    const key = logKey(log);
    const signed = checkpoint.signatures.some(
      (line) =>
        names.includes(line.name) &&
        line.keyHint.equals(keyHint) &&
        verifyNote(log, key, Buffer.from(checkpoint.body, 'utf8'), line.signature),
    );
    if (!signed) fail(`checkpoint carries no valid signature by log ${log.baseUrl}`);
    if (checkpoint.size !== BigInt(proof.treeSize)) {
      fail(
        `inclusion proof tree size ${proof.treeSize} is not the checkpoint's ${checkpoint.size}`,
      );
    }
    if (!checkpoint.rootHash.equals(proof.rootHash)) {
      fail('inclusion proof root hash is not the checkpoint root hash');
    }
  }
}

/** C2SP signed note carrying a tlog-checkpoint body; any deviation is a refusal, not a guess. */
function parseCheckpoint(envelope: string, fail: (why: string) => never): SignedCheckpoint {
  const split = envelope.indexOf('\n\n');
  if (split < 0) fail('checkpoint has no blank line before its signatures');
  const body = envelope.slice(0, split + 1);
  const [origin, sizeLine, rootLine] = body.slice(0, -1).split('\n');
  if (!origin) fail('checkpoint has no origin line');
  if (sizeLine === undefined || !/^(?:0|[1-9]\d*)$/.test(sizeLine)) {
    fail('checkpoint tree size line is not a decimal number');
  }
  if (rootLine === undefined || !isStrictBase64(rootLine))
    fail('checkpoint root hash is not base64');
  const rootHash = Buffer.from(rootLine ?? '', 'base64');
  if (rootHash.length !== 32) fail('checkpoint root hash is not 32 bytes');
  const signatureText = envelope.slice(split + 2);
  if (signatureText === '') fail('checkpoint carries no signatures');
  if (!signatureText.endsWith('\n')) fail('checkpoint signatures do not end with a newline');
  const signatures = signatureText
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const match = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (match === null || !isStrictBase64(match[2] ?? '')) {
        return fail('checkpoint signature line is malformed');
      }
      const bytes = Buffer.from(match[2] ?? '', 'base64');
      if (bytes.length < 5) return fail('checkpoint signature is too short');
      return { name: match[1] ?? '', keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
    });
  return { body, origin: origin ?? '', size: BigInt(sizeLine ?? '0'), rootHash, signatures };
}

/**
 * Names a log signs checkpoints with: the host of its base URL (Rekor v1 `rekor.sigstore.dev`,
 * private `localhost:8000`), its bare hostname (Rekor v2, as sigstore-go requires), or host and path.
 */
function logNames(log: TransparencyLogInstance): string[] {
  let url: URL;
  try {
    url = new URL(log.baseUrl);
  } catch {
    return [];
  }
  const path = url.pathname.replace(/\/+$/, '');
  return [...new Set([url.host, url.hostname, ...(path ? [`${url.host}${path}`] : [])])];
}

function logKey(log: TransparencyLogInstance): KeyObject {
  const raw = log.publicKey?.rawBytes ?? Buffer.alloc(0);
  const pkcs1 = log.publicKey?.keyDetails === PublicKeyDetails.PKCS1_RSA_PKCS1V5;
  try {
    return createPublicKey({ key: raw, format: 'der', type: pkcs1 ? 'pkcs1' : 'spki' });
  } catch (err) {
    throw new VerifyError('TRUST_ROOT', `trusted log ${log.baseUrl} has an unreadable key`, {
      cause: err,
    });
  }
}

function verifyNote(
  log: TransparencyLogInstance,
  key: KeyObject,
  body: Buffer,
  signature: Buffer,
): boolean {
  try {
    return verify(noteDigest(log, key), body, key, signature);
  } catch {
    return false;
  }
}

/** Ed25519 signs the note itself; ECDSA and RSA logs sign a digest named by their key details. */
function noteDigest(log: TransparencyLogInstance, key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  switch (log.publicKey?.keyDetails) {
    case PublicKeyDetails.PKIX_ECDSA_P384_SHA_384:
      return 'sha384';
    case PublicKeyDetails.PKIX_ECDSA_P521_SHA_512:
      return 'sha512';
    default:
      return 'sha256';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
