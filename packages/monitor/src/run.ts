// Running monitors on a schedule: poll each log, deliver its alerts (to stdout and an optional
// webhook), then remember the new state; stop for good once a log has contradicted itself.
import { MonitorError } from './errors.js';
import type { Alert, LogMonitor } from './monitor.js';

/** How long a webhook may take to accept one alert. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface RunMonitorsOptions {
  readonly monitors: readonly LogMonitor[];
  readonly intervalMs: number;
  /** Delivers one alert; it must not throw for a delivery that failed (report it instead). */
  readonly deliver: (alert: Alert) => Promise<void>;
  /** Problems that are not alerts: a log that cannot be reached, a webhook that failed. */
  readonly warn: (message: string) => void;
  /** Stops the loop between steps. */
  readonly signal?: AbortSignal;
  /** One step per log, then return. */
  readonly once?: boolean;
}

/** `failed` when a log contradicted itself (or its key), `stopped` when the signal stopped the loop. */
export type RunOutcome = 'stopped' | 'failed' | 'done';

export async function runMonitors(options: RunMonitorsOptions): Promise<RunOutcome> {
  for (;;) {
    for (const monitor of options.monitors) {
      if (options.signal?.aborted) return 'stopped';
      let result: Awaited<ReturnType<LogMonitor['step']>>;
      try {
        result = await monitor.step();
      } catch (error) {
        if (error instanceof MonitorError && error.code !== 'STATE') {
          options.warn(`${monitor.source.label}: ${error.message} (retrying)`);
          continue;
        }
        throw error;
      }
      for (const alert of result.alerts) await options.deliver(alert);
      if (!result.ok) return 'failed';
      result.commit();
    }
    if (options.once) return 'done';
    if (!(await sleep(options.intervalMs, options.signal))) return 'stopped';
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** A deliverer that POSTs each alert as JSON to `url`; a failure is reported, never thrown. */
export function webhookDeliverer(
  url: string,
  warn: (message: string) => void,
  timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS,
): (alert: Alert) => Promise<void> {
  if (!/^https?:\/\//.test(url))
    throw new MonitorError('INVALID_CONFIG', `webhook ${url} is not an http(s) URL`);
  return async (alert) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      if (!response.ok)
        warn(`webhook ${url} answered ${response.status} to a ${alert.alert} alert`);
    } catch (error) {
      warn(`webhook ${url} failed for a ${alert.alert} alert: ${(error as Error).message}`);
    }
  };
}
