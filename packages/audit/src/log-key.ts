// Which keys may sign a log's checkpoints, taken from the trusted root (or one pinned key), and the
// checkpoint check every other audit step starts from.
//
// Sigstore's two log generations sign checkpoints differently (specs/sigstore-wire-formats.md §2.5,
// §3.4): a Rekor v1 checkpoint has the origin "<host> - <treeID>", key name "<host>" and the key ID
// SHA-256(SPKI)[0:4]; a Rekor v2 (tlog-tiles) checkpoint has origin = key name = "<host>" and the
// C2SP key ID. The origin line says which rule applies; the key name must be the log URL's host.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { spkiDer } from '@airlock/keys';
import {
  NoteError,
  type NoteVerifier,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCheckpoint,
  parseRekorV1Origin,
  parseSignedNote,
} from '@airlock/note';
import { parseRfc3339, parseTrustedRoot, TrustError } from '@airlock/trust';
import { isObject, parseJson, toHex } from './encoding.js';
import { AuditError } from './errors.js';
import { normalizeBaseUrl } from './http.js';

/** One key the trusted root lists for the log, with the log ID entries of that key carry. */
export interface TrustedLogKey {
  readonly publicKey: KeyObject;
  /** SHA-256 of the key's SPKI: Rekor v1's logID, and what the trusted root lists for ECDSA logs. */
  readonly spkiHash: Uint8Array;
  /** The log ID the trusted root gives for this key. */
  readonly logId: Uint8Array;
}

/** The keys that may sign one log's checkpoints. */
export interface LogKey {
  /** The log's base URL as the trusted root gives it (or as the caller gave it). */
  readonly baseUrl?: string;
  /**
   * The checkpoint key name: the bare hostname of the log URL. Absent only for a pinned key used on
   * a mirror whose URL is unknown; the name is then taken from the checkpoint's origin.
   */
  readonly hostname?: string;
  readonly keys: readonly TrustedLogKey[];
}

/** A checkpoint whose signature has been verified with a trusted key. */
export interface VerifiedCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The signed note, exactly as received. */
  readonly note: string;
  /** Which generation's rules it was checked by. */
  readonly format: 'rekor-v1' | 'c2sp';
  /** The trusted key whose signature verified. */
  readonly signedBy: TrustedLogKey;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function sameUrl(a: string, b: string): boolean {
  try {
    return normalizeBaseUrl(a) === normalizeBaseUrl(b);
  } catch {
    return false;
  }
}

function trustedKey(publicKey: KeyObject, logId?: Uint8Array): TrustedLogKey {
  const spkiHash = sha256(spkiDer(publicKey));
  return { publicKey, spkiHash, logId: logId ?? spkiHash };
}

/**
 * The keys the trusted root lists for the transparency log at `logUrl` (matched on `baseUrl`), each
 * valid at `at` (default: now). Throws UNKNOWN_LOG if there is none: an auditor never falls back to a
 * key the log itself hands out.
 */
export function logKeyFromTrustedRoot(
  trustedRoot: unknown,
  logUrl: string,
  options: { at?: Date } = {},
): LogKey {
  const baseUrl = normalizeBaseUrl(logUrl);
  let root: ReturnType<typeof parseTrustedRoot>;
  try {
    // Only the tlogs are checked: a CA or CT log key this tool never uses must not stop an audit.
    const parsed =
      typeof trustedRoot === 'string' || trustedRoot instanceof Uint8Array
        ? parseJson(
            typeof trustedRoot === 'string' ? Buffer.from(trustedRoot) : trustedRoot,
            'INVALID_INPUT',
            'the trusted root',
          )
        : trustedRoot;
    const json = isObject(parsed) ? parsed : {};
    root = parseTrustedRoot({ mediaType: json.mediaType, tlogs: json.tlogs });
  } catch (error) {
    if (error instanceof TrustError)
      throw new AuditError('INVALID_INPUT', `trusted root: ${error.message}`, { cause: error });
    throw error;
  }
  const at = (options.at ?? new Date()).getTime();
  const keys: TrustedLogKey[] = [];
  const seen = new Set<string>();
  for (const log of root.tlogs) {
    if (!sameUrl(log.baseUrl, baseUrl)) continue;
    const start = parseRfc3339(log.publicKey.validFor.start)?.getTime() ?? Number.POSITIVE_INFINITY;
    const end =
      log.publicKey.validFor.end === undefined
        ? Number.POSITIVE_INFINITY
        : (parseRfc3339(log.publicKey.validFor.end)?.getTime() ?? Number.NEGATIVE_INFINITY);
    if (at < start || at > end) continue;
    const publicKey = createPublicKey({
      key: Buffer.from(log.publicKey.rawBytes, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const key = trustedKey(publicKey, Buffer.from(log.logId.keyId, 'base64'));
    // The same key listed twice (a v1 and a v2 entry) is one verifier, not an ambiguity.
    const id = toHex(key.spkiHash);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push(key);
  }
  if (keys.length === 0) {
    throw new AuditError(
      'UNKNOWN_LOG',
      `the trusted root lists no transparency log key valid now for ${baseUrl}`,
    );
  }
  return { baseUrl, hostname: new URL(baseUrl).hostname, keys };
}

/**
 * A pinned log key (PEM or DER SPKI, or a KeyObject) for the log at `logUrl`. Without a URL the
 * checkpoint key name is taken from the checkpoint's origin: the pinned key is what is trusted.
 */
export function logKeyFromPublicKey(publicKey: KeyObject | Uint8Array, logUrl?: string): LogKey {
  let key: KeyObject;
  try {
    key =
      publicKey instanceof Uint8Array
        ? Buffer.from(publicKey).toString('utf8').includes('-----BEGIN')
          ? createPublicKey(Buffer.from(publicKey).toString('utf8'))
          : createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' })
        : publicKey.type === 'public'
          ? publicKey
          : createPublicKey(publicKey);
  } catch (cause) {
    throw new AuditError('INVALID_INPUT', 'the log key is not a PEM or DER public key', { cause });
  }
  if (logUrl === undefined) return { keys: [trustedKey(key)] };
  const baseUrl = normalizeBaseUrl(logUrl);
  return { baseUrl, hostname: new URL(baseUrl).hostname, keys: [trustedKey(key)] };
}

/** The hostname a checkpoint's signature must be under, by the rules of its origin. */
function checkpointRules(
  origin: string,
  logKey: LogKey,
): { format: VerifiedCheckpoint['format']; name: string } {
  const v1 = parseRekorV1Origin(origin);
  const name = v1 ? v1.hostname : origin;
  if (logKey.hostname !== undefined && name !== logKey.hostname) {
    throw new AuditError(
      'BAD_CHECKPOINT',
      `checkpoint origin ${origin} is not the log at ${logKey.baseUrl ?? logKey.hostname}`,
    );
  }
  return { format: v1 ? 'rekor-v1' : 'c2sp', name };
}

/**
 * Opens a signed checkpoint with the log's trusted keys. `origin`, when given, pins the log (a
 * remembered checkpoint, a mirror): a checkpoint of any other log is refused. Nothing in the
 * checkpoint is trusted unless this returns.
 */
export function openLogCheckpoint(
  note: string,
  logKey: LogKey,
  options: { origin?: string } = {},
): VerifiedCheckpoint {
  try {
    // The origin line decides which key ID rule the signature uses; it is trusted only once verified.
    const claimed = parseCheckpoint(parseSignedNote(note).text);
    const { format, name } = checkpointRules(claimed.origin, logKey);
    const verifiers: NoteVerifier[] = logKey.keys.map((key) =>
      noteVerifierFromPublicKey(name, key.publicKey, {
        keyIdRule: format === 'rekor-v1' ? 'rekor-v1' : 'c2sp',
      }),
    );
    const opened = openCheckpoint(
      note,
      verifiers,
      options.origin !== undefined ? { origin: options.origin } : {},
    );
    // openCheckpoint verified every line from a configured key; the first one names the signer.
    const line = opened.verified[0]!;
    const index = verifiers.findIndex((v) => v.name === line.name && v.keyId === line.keyId);
    const signedBy = logKey.keys[index];
    if (!signedBy) throw new AuditError('BAD_CHECKPOINT', 'no trusted key signed the checkpoint');
    const { checkpoint } = opened;
    return {
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash: checkpoint.rootHash,
      note,
      format,
      signedBy,
    };
  } catch (error) {
    if (error instanceof NoteError) {
      throw new AuditError('BAD_CHECKPOINT', `checkpoint rejected: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
