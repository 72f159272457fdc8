// Collecting witness cosignatures (c2sp.org/tlog-witness) for the Rekor v2 log's checkpoints: after
// each batch the log sends its new checkpoint and a consistency proof to every configured witness, keeps
// the cosignature lines that verify under that witness's key, and serves them appended to /checkpoint.
//
// Only the v2 log is witnessed: sigstore-go requires every signature line of a Rekor v1 checkpoint to
// carry the log's key hint, so cosignature lines there would break v1 clients (wire formats §0.1).
import type { TransparencyLog } from '@airlock/log';
import {
  formatSignatureLine,
  type NoteVerifier,
  openNote,
  parseVerifierKey,
  SIGNATURE_TYPE,
} from '@airlock/note';

/** How long the log waits for one witness's answer. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 5_000;

export interface WitnessEndpoint {
  /** The witness's submission prefix: the log POSTs to `<url>/add-checkpoint`. */
  readonly url: string;
  /** The witness's cosignature/v1 verifier key (`name+hex+base64`, type 0x04). */
  readonly verifierKey: string;
}

export interface WitnessingOptions {
  readonly timeoutMs?: number;
  /** Where a witness that refuses or cannot be reached is reported (the service's logger). */
  readonly warn?: (message: string) => void;
}

interface Witness {
  readonly url: string;
  readonly verifier: NoteVerifier;
  /** The size this witness last cosigned, as far as the log knows (0 until it answers). */
  knownSize: bigint;
}

/** Parses a witness's verifier key; refuses anything but an Ed25519 cosignature key. */
export function witnessVerifier(verifierKey: string): NoteVerifier {
  // name+keyID+base64(type || key): base64 may hold '+', so the key starts after the second one.
  const first = verifierKey.indexOf('+');
  const typed = Buffer.from(verifierKey.slice(verifierKey.indexOf('+', first + 1) + 1), 'base64');
  if (first < 0 || typed[0] !== SIGNATURE_TYPE.cosignatureV1)
    throw new Error(`witness key ${verifierKey} is not a cosignature/v1 (0x04) verifier key`);
  return parseVerifierKey(verifierKey);
}

export class CheckpointWitnessing {
  readonly #log: TransparencyLog;
  readonly #witnesses: Witness[];
  readonly #timeoutMs: number;
  readonly #warn: (message: string) => void;
  /** The newest checkpoint cosignatures were collected for, and each witness's lines for it. */
  #cosigned: { note: string; lines: Map<string, string> } | null = null;
  #dirty = false;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(
    log: TransparencyLog,
    witnesses: readonly WitnessEndpoint[],
    options: WitnessingOptions = {},
  ) {
    this.#log = log;
    this.#witnesses = witnesses.map((witness) => ({
      url: witness.url.replace(/\/+$/, ''),
      verifier: witnessVerifier(witness.verifierKey),
      knownSize: 0n,
    }));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS;
    this.#warn = options.warn ?? (() => {});
    log.onBatch((batch) => {
      if (batch.added > 0) this.request();
    });
  }

  /** Asks the witnesses to cosign the current checkpoint (again, if a round is running). */
  request(): void {
    if (this.#closed || this.#witnesses.length === 0) return;
    this.#dirty = true;
    this.#running ??= (async () => {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        await this.#round();
      }
    })().finally(() => {
      this.#running = null;
    });
  }

  /** Resolves when no round is running: every witness has answered (or failed) for the newest state. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** `note` with the cosignature lines collected for it appended; `note` itself if there are none. */
  cosigned(note: string): string {
    if (this.#cosigned?.note !== note) return note;
    return note + [...this.#cosigned.lines.values()].join('');
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.settled();
  }

  async #round(): Promise<void> {
    const state = this.#log.treeState;
    if (state.size === 0n) return;
    const lines = new Map<string, string>();
    await Promise.all(
      this.#witnesses.map(async (witness) => {
        try {
          const line = await this.#submit(witness, state.size, state.checkpoint);
          if (line) lines.set(witness.url, line);
        } catch (error) {
          this.#warn(`witness ${witness.url}: ${(error as Error).message}`);
        }
      }),
    );
    this.#cosigned = { note: state.checkpoint, lines };
  }

  /** One add-checkpoint exchange (plus one retry after a 409 names the witness's size). */
  async #submit(witness: Witness, size: bigint, note: string): Promise<string | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = witness.knownSize;
      if (old > size) throw new Error(`the witness has size ${old}, beyond this log's ${size}`);
      const proof = old === 0n || old === size ? [] : await this.#log.consistencyProof(old, size);
      const body = `old ${old}\n${proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('')}\n${note}`;
      const response = await fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      if (
        response.status === 409 &&
        response.headers.get('content-type')?.startsWith('text/x.tlog.size')
      ) {
        const match = /^(0|[1-9][0-9]*)\n$/.exec(text);
        if (!match) throw new Error('409 without a tree size');
        witness.knownSize = BigInt(match[1]!);
        continue;
      }
      if (response.status !== 200)
        throw new Error(`add-checkpoint answered ${response.status}: ${text.slice(0, 200)}`);
      // Keep only lines that verify under this witness's key over exactly this checkpoint.
      const opened = openNote(`${note}${text}`, [witness.verifier]);
      witness.knownSize = size;
      return opened.verified.map(formatSignatureLine).join('');
    }
    throw new Error('the witness kept answering 409');
  }
}
