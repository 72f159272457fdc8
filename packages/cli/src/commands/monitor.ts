// `airlock monitor`: follow the transparency log and/or the CT log from the remembered state, verify
// every step, and print one JSON line per alert (also POSTed to --webhook). Exits 1 once a log has
// contradicted itself; otherwise runs until stopped (or one round with --once).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// The monitor loads only when the command runs, as the services do.
import type { Alert, LogMonitor } from '@airlock/monitor';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.js';
import { untilSignal } from './serve.js';

interface MonitorFlags {
  rekorUrl?: string;
  rekorKey?: string;
  ctUrl?: string;
  ctKey?: string;
  identity: string[];
  issuer: string[];
  oid: string[];
  fingerprint: string[];
  state: string;
  interval: string;
  webhook?: string;
  once?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function readPublicKey(flag: string, path: string | undefined): KeyObject {
  if (!path) throw new UsageError(`${flag} is required with its log URL`);
  try {
    return createPublicKey(readFileSync(resolve(path), 'utf8'));
  } catch (error) {
    throw new UsageError(`${flag} ${path}: not a PEM public key (${(error as Error).message})`);
  }
}

function intervalMs(text: string): number {
  const seconds = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(seconds >= 0.05) || seconds > 86_400)
    throw new UsageError(`--interval must be between 0.05 and 86400 seconds, got ${text}`);
  return Math.round(seconds * 1000);
}

export function registerMonitorCommand(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
): void {
  program
    .command('monitor')
    .description(
      'follow the transparency log and the CT log, verify every step, and alert (JSON lines) on watched identities, issuers, OIDs or keys',
    )
    .option('--rekor-url <url>', 'the Rekor v1 API of the transparency log to follow')
    .option('--rekor-key <file>', 'PEM public key of that log (its checkpoint key)')
    .option('--ct-url <url>', 'the RFC 6962 CT log to follow')
    .option('--ct-key <file>', 'PEM public key of the CT log')
    .option(
      '--identity <pattern>',
      'a SAN to watch (email or URI; * is a wildcard); repeatable',
      collect,
      [],
    )
    .option('--issuer <url>', 'an OIDC issuer to watch; repeatable', collect, [])
    .option(
      '--oid <oid[=value]>',
      'a certificate extension to watch, optionally with its value; repeatable',
      collect,
      [],
    )
    .option(
      '--fingerprint <sha256>',
      'a key (SPKI) or certificate SHA-256 to watch; repeatable',
      collect,
      [],
    )
    .option(
      '--state <file>',
      'where the followed tree heads are remembered',
      '.airlock/monitor-state.json',
    )
    .option('--interval <seconds>', 'time between polls', '60')
    .option('--webhook <url>', 'also POST each alert as JSON here')
    .option('--once', 'poll each log once and exit')
    .action(async (flags: MonitorFlags) => {
      const monitorLib = await import('@airlock/monitor');
      const {
        CtSource,
        LogMonitor,
        MonitorError,
        MonitorStateStore,
        parseWatchRules,
        RekorSource,
        runMonitors,
        webhookDeliverer,
      } = monitorLib;
      const configured = <T>(make: () => T): T => {
        try {
          return make();
        } catch (error) {
          if (error instanceof MonitorError) throw new UsageError(error.message);
          throw error;
        }
      };
      if (!flags.rekorUrl && !flags.ctUrl)
        throw new UsageError('give --rekor-url and/or --ct-url to follow');
      const period = intervalMs(flags.interval);
      const rules = configured(() =>
        parseWatchRules({
          identities: flags.identity,
          issuers: flags.issuer,
          oids: flags.oid,
          fingerprints: flags.fingerprint,
        }),
      );
      const state = configured(() => MonitorStateStore.open(resolve(flags.state)));
      const monitors: LogMonitor[] = [];
      if (flags.rekorUrl) {
        const key = readPublicKey('--rekor-key', flags.rekorKey);
        const source = configured(() => new RekorSource(flags.rekorUrl!, key));
        monitors.push(new LogMonitor({ source, rules, state }));
      }
      if (flags.ctUrl) {
        const key = readPublicKey('--ct-key', flags.ctKey);
        const source = configured(() => new CtSource(flags.ctUrl!, key));
        monitors.push(new LogMonitor({ source, rules, state }));
      }
      const hook = flags.webhook ? configured(() => webhookDeliverer(flags.webhook!, warn)) : null;
      const deliver = async (alert: Alert) => {
        print(JSON.stringify(alert));
        await hook?.(alert);
      };
      const controller = new AbortController();
      if (!flags.once) void untilSignal().then(() => controller.abort());
      const outcome = await runMonitors({
        monitors,
        intervalMs: period,
        deliver,
        warn,
        signal: controller.signal,
        ...(flags.once ? { once: true } : {}),
      });
      if (outcome === 'failed')
        throw new CheckFailed(
          'a followed log contradicted itself or its key; see the alert (the state was kept)',
        );
    });
}
