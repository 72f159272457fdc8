// A C2SP tlog-witness: for each log it follows, it cosigns a checkpoint only if the log signed it and it
// is consistent with the last checkpoint the witness cosigned for that log, which it never forgets.
import { createPublicKey } from 'node:crypto';
import type { Signer } from '@airlock/keys';
import { bytesEqual, verifyConsistency } from '@airlock/merkle';
import {
  cosignatureSignerFromSigner,
  formatSignatureLine,
  formatVerifierKey,
  NoteError,
  type NoteSigner,
  type NoteVerifier,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCheckpoint,
  parseRekorV1Origin,
  parseSignedNote,
  parseVerifierKey,
  SIGNATURE_TYPE,
} from '@airlock/note';
import { WitnessError } from './errors.js';
import { parseAddCheckpoint } from './request.js';
import type { CosignedCheckpoint, WitnessStateStore } from './state.js';

/** A log the witness follows: its origin and the keys whose signatures on its checkpoints count. */
export interface WitnessedLog {
  readonly origin: string;
  readonly verifiers: readonly NoteVerifier[];
}

export interface WitnessOptions {
  /** The witness's key name (its cosignature lines carry it), e.g. `witness.example/w1`. */
  readonly name: string;
  /** The witness key: Ed25519, as cosignature/v1 requires. */
  readonly signer: Signer;
  readonly logs: readonly WitnessedLog[];
  readonly state: WitnessStateStore;
  /** The clock of the cosignature timestamps, in POSIX seconds (tests pin it). */
  readonly now?: () => bigint;
}

/**
 * A log key given as text: a verifier key (`name+hex+base64`, Ed25519 type 0x01) or a PEM public key
 * (ECDSA, Ed25519 or RSA), whose key name is the origin, or the host for a Rekor v1 origin.
 */
export function logVerifierFromText(origin: string, keyText: string): NoteVerifier {
  try {
    if (keyText.includes('-----BEGIN')) {
      const name = parseRekorV1Origin(origin)?.hostname ?? origin;
      return noteVerifierFromPublicKey(name, createPublicKey(keyText));
    }
    const vkey = keyText.trim();
    // name+keyID+base64(type || key): base64 may hold '+', so the key starts after the second one.
    const afterName = vkey.indexOf('+');
    const typed = Buffer.from(vkey.slice(vkey.indexOf('+', afterName + 1) + 1), 'base64');
    if (typed[0] !== SIGNATURE_TYPE.ed25519)
      throw new Error('a verifier key given for a log must be an Ed25519 (0x01) key');
    return parseVerifierKey(vkey);
  } catch (error) {
    throw new WitnessError(
      'INVALID_CONFIG',
      `cannot use the key of log ${origin}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

export class Witness {
  readonly name: string;
  /** The verifier key (type 0x04) logs and clients configure to check this witness's cosignatures. */
  readonly verifierKey: string;
  readonly #cosigner: NoteSigner;
  readonly #logs: ReadonlyMap<string, WitnessedLog>;
  readonly #state: WitnessStateStore;
  // One request at a time: checking the old size and recording the new one must be atomic.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: WitnessOptions) {
    if (options.signer.algorithm !== 'ed25519')
      throw new WitnessError('INVALID_CONFIG', 'a witness key must be Ed25519 (cosignature/v1)');
    this.name = options.name;
    try {
      this.#cosigner = cosignatureSignerFromSigner(options.name, options.signer, {
        ...(options.now ? { now: options.now } : {}),
      });
    } catch (error) {
      throw new WitnessError('INVALID_CONFIG', (error as Error).message, { cause: error });
    }
    this.verifierKey = formatVerifierKey(
      options.name,
      options.signer.publicKey,
      SIGNATURE_TYPE.cosignatureV1,
    );
    const logs = new Map<string, WitnessedLog>();
    for (const log of options.logs) {
      if (logs.has(log.origin))
        throw new WitnessError('INVALID_CONFIG', `log ${log.origin} is configured twice`);
      if (log.verifiers.length === 0)
        throw new WitnessError('INVALID_CONFIG', `log ${log.origin} has no key`);
      logs.set(log.origin, log);
    }
    this.#logs = logs;
    this.#state = options.state;
  }

  /** The origins this witness follows. */
  get origins(): string[] {
    return [...this.#logs.keys()];
  }

  /** The latest checkpoint cosigned for `origin`, with this witness's cosignature lines. */
  latest(origin: string): CosignedCheckpoint | undefined {
    return this.#state.latest(origin);
  }

  /**
   * Handles an add-checkpoint body: returns this witness's cosignature line(s) once the new state is
   * durable, or throws a WitnessError whose code says which check failed.
   */
  addCheckpoint(body: string): Promise<string> {
    const result = this.#queue.then(() => this.#add(body));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #add(body: string): Promise<string> {
    const request = parseAddCheckpoint(body);
    let text: string;
    try {
      text = parseSignedNote(request.note).text;
    } catch (error) {
      throw new WitnessError('MALFORMED_REQUEST', (error as Error).message, { cause: error });
    }
    let origin: string;
    try {
      origin = parseCheckpoint(text).origin;
    } catch (error) {
      throw new WitnessError('MALFORMED_REQUEST', (error as Error).message, { cause: error });
    }
    const log = this.#logs.get(origin);
    if (!log) throw new WitnessError('UNKNOWN_ORIGIN', `this witness does not follow ${origin}`);
    let checkpoint: ReturnType<typeof parseCheckpoint>;
    try {
      checkpoint = openCheckpoint(request.note, log.verifiers, { origin }).checkpoint;
    } catch (error) {
      if (error instanceof NoteError)
        throw new WitnessError(
          'UNTRUSTED_SIGNATURE',
          `checkpoint not signed by ${origin}: ${error.message}`,
          {
            cause: error,
          },
        );
      throw error;
    }
    const { size, rootHash } = checkpoint;
    if (request.oldSize > size)
      throw new WitnessError(
        'OLD_SIZE_TOO_LARGE',
        `old size ${request.oldSize} is beyond the checkpoint size ${size}`,
      );
    const latest = this.#state.latest(origin);
    const latestSize = latest?.size ?? 0n;
    if (request.oldSize !== latestSize)
      throw new WitnessError('CONFLICT', `the latest cosigned size of ${origin} is ${latestSize}`, {
        latestSize,
      });
    if (size === 0n)
      throw new WitnessError('EMPTY_TREE', 'a checkpoint of the empty tree is not witnessed');
    if (request.oldSize === 0n) {
      if (request.proof.length > 0)
        throw new WitnessError('BAD_PROOF', 'the consistency proof from size 0 must be empty');
    } else if (request.oldSize === size) {
      // Same size: the root must be the one cosigned before (a second root is a fork).
      if (!bytesEqual(rootHash, latest!.rootHash))
        throw new WitnessError('CONFLICT', `a different root for size ${size} of ${origin}`, {
          latestSize,
        });
      if (request.proof.length > 0)
        throw new WitnessError(
          'BAD_PROOF',
          'the consistency proof between equal sizes must be empty',
        );
    } else if (
      !verifyConsistency(request.oldSize, size, request.proof, latest!.rootHash, rootHash)
    ) {
      throw new WitnessError(
        'BAD_PROOF',
        `the checkpoint of size ${size} is not consistent with size ${request.oldSize}`,
      );
    }

    let line: string;
    try {
      const payload = await this.#cosigner.sign(new TextEncoder().encode(text));
      line = formatSignatureLine({
        name: this.#cosigner.name,
        keyId: this.#cosigner.keyId,
        signature: payload,
      });
    } catch (error) {
      throw new WitnessError('STATE', 'the witness key failed to sign', { cause: error });
    }
    // Durable before the answer: a cosignature the witness might forget could be repeated on a fork.
    this.#state.record(origin, { size, rootHash, note: `${request.note}${line}` });
    return line;
  }
}
