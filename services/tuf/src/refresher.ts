// Keeps a repository's online roles fresh: re-signs the timestamp (and the snapshot when due) on a
// timer, one run at a time, so clients never see metadata expire while the server is up.
import type { Signer } from '@airlock/keys';
import type { RefreshResult, TufRepository } from '@airlock/trust';

/**
 * How often to check. The default timestamp lives a day and is renewed with half its life left, so
 * a check every ten minutes leaves hours to spare for a token that is briefly unavailable.
 */
export const DEFAULT_REFRESH_INTERVAL_MS = 10 * 60 * 1000;

export interface RefresherOptions {
  readonly timestampSigner: Signer;
  readonly snapshotSigner: Signer;
  readonly intervalMs?: number;
  /** The clock (tests move it). */
  readonly now?: () => Date;
  readonly onRefreshed?: (result: RefreshResult) => void;
  /** A failed run is reported here and retried at the next tick; the timer keeps going. */
  readonly onError?: (error: unknown) => void;
}

export class RepositoryRefresher {
  readonly #repository: TufRepository;
  readonly #options: RefresherOptions;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshResult> | undefined;
  #stopped = false;

  constructor(repository: TufRepository, options: RefresherOptions) {
    const intervalMs = options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError('the refresh interval must be a positive number of milliseconds');
    }
    this.#repository = repository;
    this.#options = options;
    this.#intervalMs = intervalMs;
  }

  /** Refreshes now (joining a run in progress rather than racing it). */
  refreshNow(): Promise<RefreshResult> {
    if (this.#running === undefined) {
      this.#running = this.#repository
        .refresh({
          timestampSigner: this.#options.timestampSigner,
          snapshotSigner: this.#options.snapshotSigner,
          now: this.#options.now?.() ?? new Date(),
        })
        .finally(() => {
          this.#running = undefined;
        });
    }
    return this.#running;
  }

  /** Starts the timer; each run is scheduled after the previous one ends, so runs never overlap. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.refreshNow()
        .then((result) => this.#options.onRefreshed?.(result))
        .catch((error: unknown) => this.#options.onError?.(error))
        .finally(() => {
          if (!this.#stopped) this.#schedule();
        });
    }, this.#intervalMs);
    // A pending refresh alone does not keep the process alive; the listening socket does.
    this.#timer.unref();
  }
}
