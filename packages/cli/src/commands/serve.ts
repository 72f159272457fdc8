// `airlock serve <service>`: run one service in the foreground, as a container or unit file would.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureDevKey } from '../dev-keys.js';
import { decodeUint } from '../encoding.js';
import { UsageError } from '../errors.js';

/** `host:port`; the host may be omitted (`:3000`). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(.*):([0-9]{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) throw new UsageError(`--listen must be host:port, got ${value}`);
  return { host: match[1] || '127.0.0.1', port };
}

/** Resolves when the process is told to stop. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals) => resolveSignal(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

interface TlogFlags {
  dataDir: string;
  hostname: string;
  listen: string;
  v1Key?: string;
  v2Key?: string;
  batchMaxSize?: string;
  batchMaxAgeMs?: string;
  maxPending?: string;
}

function optionalNumber(what: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(decodeUint(what, value));
}

export function registerServeCommands(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
): void {
  const serve = program.command('serve').description('run one Airlock service in the foreground');
  serve
    .command('tlog')
    .description('the Rekor-compatible transparency log (v1 and v2 APIs, C2SP tiles)')
    .option('--data-dir <dir>', 'where the log databases live', '.airlock/tlog')
    .option(
      '--hostname <host>',
      'bare hostname in checkpoints: the host of the URL clients use',
      '127.0.0.1',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:3000')
    .option(
      '--v1-key <uri>',
      'pkcs11: or file: URI of the Rekor v1 log key (ECDSA); default: a development file key',
    )
    .option(
      '--v2-key <uri>',
      'pkcs11: or file: URI of the Rekor v2 log key; default: a development file key',
    )
    .option('--batch-max-size <n>', 'entries per sequencing batch')
    .option('--batch-max-age-ms <n>', 'longest wait before a partial batch is sequenced')
    .option('--max-pending <n>', 'waiting entries beyond which submissions get 503')
    .action(async (flags: TlogFlags) => {
      const dataDir = resolve(flags.dataDir);
      const { host, port } = parseListen(flags.listen);
      let v1KeyUri = flags.v1Key;
      let v2KeyUri = flags.v2Key;
      if (!v1KeyUri || !v2KeyUri) {
        warn(
          'WARNING: using development log keys stored unencrypted in files; give --v1-key/--v2-key pkcs11: URIs in production',
        );
        v1KeyUri ??= ensureDevKey(join(dataDir, 'keys', 'rekor-v1.pem'), 'ecdsa-p256-sha256');
        v2KeyUri ??= ensureDevKey(join(dataDir, 'keys', 'rekor-v2.pem'), 'ecdsa-p256-sha256');
      }
      const batchMaxSize = optionalNumber('--batch-max-size', flags.batchMaxSize);
      const batchMaxAgeMs = optionalNumber('--batch-max-age-ms', flags.batchMaxAgeMs);
      const maxPending = optionalNumber('--max-pending', flags.maxPending);
      const { startTlog } = await import('@airlock/tlog');
      const running = await startTlog({
        dataDir,
        hostname: flags.hostname,
        listenHost: host,
        port,
        v1KeyUri,
        v2KeyUri,
        batch: {
          ...(batchMaxSize !== undefined ? { batchMaxSize } : {}),
          ...(batchMaxAgeMs !== undefined ? { batchMaxAgeMs } : {}),
          ...(maxPending !== undefined ? { maxPending } : {}),
        },
      });
      print(`tlog: listening on ${running.url}`);
      await untilSignal();
      await running.close();
    });

  serve
    .command('ctlog')
    .description('the RFC 6962 certificate transparency log the CA submits precertificates to')
    .requiredOption('--roots <file>', 'PEM file with the CA root certificate(s) the log accepts')
    .requiredOption('--key <uri>', 'pkcs11: or file: URI of the log key (ECDSA P-256)')
    .option('--data-dir <dir>', 'where the log database lives', '.airlock/ctlog')
    .option('--origin <name>', 'checkpoint origin of the log (hostname/path)', '127.0.0.1/ctlog')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:6962')
    .option('--prefix <path>', "URL path of the log (Fulcio's default log URL uses /test)", '')
    .action(
      async (flags: {
        roots: string;
        key: string;
        dataDir: string;
        origin: string;
        listen: string;
        prefix: string;
      }) => {
        const { host, port } = parseListen(flags.listen);
        if (flags.prefix && !/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(flags.prefix)) {
          throw new UsageError('--prefix must be a path like /test');
        }
        const { startCtLog } = await import('@airlock/ctlog');
        const running = await startCtLog({
          dataDir: resolve(flags.dataDir),
          origin: flags.origin,
          keyUri: flags.key,
          rootsPem: resolve(flags.roots),
          listenHost: host,
          port,
          ...(flags.prefix ? { prefix: flags.prefix } : {}),
        });
        print(`ctlog: listening on ${running.url}`);
        await untilSignal();
        await running.close();
      },
    );
}
