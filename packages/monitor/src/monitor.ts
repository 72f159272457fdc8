// The monitor's step: fetch the newest signed tree head, prove it consistent with the remembered one,
// read the new entries, check that they hash to the signed root, and report the entries that hit a
// watch rule. Anything that does not add up is an alert, and the log is not followed past it.
import { bytesEqual, CompactRange, EMPTY_ROOT, verifyConsistency } from '@airlock/merkle';
import type { VerifierSummary } from './describe.js';
import { MonitorError } from './errors.js';
import type { FollowedEntry, LogSource, SignedTreeHead } from './sources.js';
import type { FollowedLogState, MonitorStateStore } from './state.js';
import { type Match, matchVerifiers, type WatchRules } from './watch.js';

/** How often a monitor polls by default. */
export const DEFAULT_POLL_INTERVAL_MS = 60_000;

interface AlertBase {
  readonly log: string;
  readonly url: string;
  /** When the monitor raised it, ISO 8601. */
  readonly time: string;
}

export interface MatchAlert extends AlertBase {
  readonly alert: 'match';
  readonly origin: string;
  readonly index: number;
  readonly id: string;
  readonly matches: readonly Match[];
  readonly identities: readonly string[];
  readonly issuers: readonly string[];
  readonly keyFingerprints: readonly string[];
}

/** The log contradicted itself or its signature: the log is not followed past this. */
export interface IntegrityAlert extends AlertBase {
  readonly alert: 'inconsistent' | 'bad-signature' | 'origin-changed';
  readonly reason: string;
  readonly storedSize?: number;
  readonly storedRoot?: string;
  readonly newSize?: number;
  readonly newRoot?: string;
  /** The tree head the log signed, as evidence. */
  readonly signed?: string;
}

/** An entry the monitor could not decode: it cannot say the entry is not one it watches for. */
export interface UndecodableAlert extends AlertBase {
  readonly alert: 'undecodable';
  readonly index: number;
  readonly id: string;
  readonly reason: string;
}

export type Alert = MatchAlert | IntegrityAlert | UndecodableAlert;

export interface StepResult {
  /** False once the log has contradicted itself: stop following it. */
  readonly ok: boolean;
  readonly fromSize: bigint;
  readonly toSize: bigint;
  readonly alerts: readonly Alert[];
  /** Records the new state; call it after the alerts are delivered (at-least-once delivery). */
  commit(): void;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export interface LogMonitorOptions {
  readonly source: LogSource;
  readonly rules: WatchRules;
  readonly state: MonitorStateStore;
  readonly now?: () => Date;
}

export class LogMonitor {
  readonly source: LogSource;
  readonly #rules: WatchRules;
  readonly #state: MonitorStateStore;
  readonly #now: () => Date;

  constructor(options: LogMonitorOptions) {
    this.source = options.source;
    this.#rules = options.rules;
    this.#state = options.state;
    this.#now = options.now ?? (() => new Date());
  }

  /** The remembered state of this log, if any. */
  get remembered(): FollowedLogState | undefined {
    return this.#state.get(this.source.label);
  }

  /** One polling step. Throws MonitorError UNREACHABLE when the log cannot be read (try again later). */
  async step(): Promise<StepResult> {
    const { label, url } = this.source;
    const base = () => ({ log: label, url, time: this.#now().toISOString() });
    const stored = this.#state.get(label);
    const fromSize = stored?.size ?? 0n;
    const failed = (alert: IntegrityAlert): StepResult => ({
      ok: false,
      fromSize,
      toSize: fromSize,
      alerts: [alert],
      commit: () => {},
    });

    let head: SignedTreeHead;
    try {
      head = await this.source.latestTreeHead();
    } catch (error) {
      if (error instanceof MonitorError && error.code === 'BAD_SIGNATURE')
        return failed({ ...base(), alert: 'bad-signature', reason: error.message });
      throw error;
    }
    const evidence = {
      ...(stored ? { storedSize: Number(stored.size), storedRoot: b64(stored.rootHash) } : {}),
      newSize: Number(head.size),
      newRoot: b64(head.rootHash),
      signed: head.signed,
    };
    if (stored && stored.origin !== head.origin) {
      return failed({
        ...base(),
        alert: 'origin-changed',
        reason: `the log now signs tree heads for ${head.origin}, not ${stored.origin}`,
        ...evidence,
      });
    }
    const storedRoot = stored?.rootHash ?? EMPTY_ROOT;
    if (head.size < fromSize) {
      return failed({
        ...base(),
        alert: 'inconsistent',
        reason: `the log shrank from ${fromSize} to ${head.size} entries`,
        ...evidence,
      });
    }
    if (head.size === fromSize) {
      if (!bytesEqual(head.rootHash, storedRoot))
        return failed({
          ...base(),
          alert: 'inconsistent',
          reason: `two different roots for tree size ${fromSize}`,
          ...evidence,
        });
      return { ok: true, fromSize, toSize: fromSize, alerts: [], commit: () => {} };
    }
    if (fromSize > 0n) {
      const proof = await this.source.consistencyProof(fromSize, head.size);
      if (!verifyConsistency(fromSize, head.size, proof, storedRoot, head.rootHash)) {
        return failed({
          ...base(),
          alert: 'inconsistent',
          reason: `the tree of size ${head.size} is not an extension of the remembered tree of size ${fromSize}`,
          ...evidence,
        });
      }
    }

    // Rebuild the new part of the tree from the entries themselves: the alerts below are about
    // exactly the entries the signed root commits to, no others.
    const range = stored ? CompactRange.fromPeaks(stored.size, stored.peaks) : CompactRange.empty();
    const found: Alert[] = [];
    for await (const page of this.source.entries(fromSize, head.size)) {
      for (const entry of page) {
        if (entry.index !== range.size)
          throw new MonitorError(
            'UNREACHABLE',
            `the log sent entry ${entry.index} where ${range.size} was due`,
          );
        range.append(entry.leafHash);
        const alert = this.#check(entry, base, head.origin);
        if (alert) found.push(alert);
      }
    }
    if (range.size !== head.size)
      throw new MonitorError(
        'UNREACHABLE',
        `the log sent ${range.size - fromSize} of ${head.size - fromSize} new entries`,
      );
    if (!bytesEqual(range.root(), head.rootHash)) {
      return failed({
        ...base(),
        alert: 'inconsistent',
        reason: `the entries ${fromSize}..${head.size - 1n} the log served do not hash to its signed root`,
        ...evidence,
      });
    }
    const next: FollowedLogState = {
      origin: head.origin,
      size: head.size,
      rootHash: head.rootHash,
      peaks: range.peaks().map((peak) => peak.hash),
      signed: head.signed,
    };
    return {
      ok: true,
      fromSize,
      toSize: head.size,
      alerts: found,
      commit: () => this.#state.set(label, next),
    };
  }

  #check(
    entry: FollowedEntry,
    base: () => { log: string; url: string; time: string },
    origin: string,
  ): Alert | null {
    let verifiers: readonly VerifierSummary[];
    try {
      verifiers = entry.verifiers();
    } catch (error) {
      return {
        ...base(),
        alert: 'undecodable',
        index: Number(entry.index),
        id: entry.id,
        reason: (error as Error).message,
      };
    }
    const matches = matchVerifiers(verifiers, this.#rules);
    if (matches.length === 0) return null;
    const certificates = verifiers.flatMap((verifier) =>
      verifier.certificate ? [verifier.certificate] : [],
    );
    return {
      ...base(),
      alert: 'match',
      origin,
      index: Number(entry.index),
      id: entry.id,
      matches,
      identities: certificates.flatMap((certificate) =>
        certificate.subjectAlternativeNames
          .filter((san) => san.type !== 'other')
          .map((san) => san.value),
      ),
      issuers: certificates.flatMap((certificate) =>
        certificate.oidcIssuer === undefined ? [] : [certificate.oidcIssuer],
      ),
      keyFingerprints: verifiers.map((verifier) => verifier.keyFingerprint),
    };
  }
}
