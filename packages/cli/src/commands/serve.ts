// `airlock serve <service>`: run one service in the foreground, as a container or unit file would.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  witness: string[];
}

/** `--witness <url>=<verifier key>`: the URL is everything before the first '=' (keys may end in '='). */
function parseWitnessFlag(value: string): { url: string; verifierKey: string } {
  const equals = value.indexOf('=');
  const url = equals < 0 ? '' : value.slice(0, equals);
  if (!/^https?:\/\/[^\s=]+$/.test(url))
    throw new UsageError(`--witness must be <http(s) URL>=<witness verifier key>, got ${value}`);
  return { url, verifierKey: value.slice(equals + 1) };
}

function optionalNumber(what: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(decodeUint(what, value));
}

/** A file a flag names, read as text; an unreadable file is the operator's mistake, not a crash. */
function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/**
 * The CT log's public key for the CA: a PEM file, or the `pkcs11:` URI of the log key itself, read
 * from the token (a deployment whose CA and CT log share an HSM needs no exported PEM file then).
 */
async function ctPublicKeyOf(value: string): Promise<string> {
  if (!value.startsWith('pkcs11:')) return readFlagFile('--ct-public-key', value);
  const { readPublicKey } = await import('@airlock/keys');
  const key = await readPublicKey(value);
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * Configuration errors the services report at startup (a bad chain, issuer file or CT URL) are usage
 * errors: the operator fixes the flags or files. OidcError is matched by shape so that the CLI does
 * not depend on @airlock/oidc only to name it.
 */
function asUsageError(error: unknown): unknown {
  const { name, code, message } = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const configError = (name === 'CaError' || name === 'OidcError') && code === 'INVALID_CONFIG';
  return configError && typeof message === 'string' ? new UsageError(message) : error;
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
    .option(
      '--witness <url=vkey>',
      'a C2SP witness asked to cosign each v2 checkpoint: its URL and cosignature verifier key; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
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
      const witnesses = flags.witness.map(parseWitnessFlag);
      const { startTlog, witnessVerifier } = await import('@airlock/tlog');
      for (const { verifierKey } of witnesses) {
        try {
          witnessVerifier(verifierKey);
        } catch (error) {
          throw new UsageError(`--witness: ${(error as Error).message}`);
        }
      }
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
        ...(witnesses.length > 0 ? { witnesses } : {}),
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

  serve
    .command('ca')
    .description('the Fulcio-compatible certificate authority: OIDC token in, certificate out')
    .requiredOption(
      '--key <uri>',
      "pkcs11: or file: URI of the issuing key (the intermediate's; the root's if there is none)",
    )
    .requiredOption('--chain <file>', 'PEM CA chain: the issuing certificate first, the root last')
    .requiredOption(
      '--issuer-config <file>',
      'Fulcio-style issuer configuration, YAML or JSON (oidc-issuers, meta-issuers, ...)',
    )
    .requiredOption('--ct-url <url>', 'base URL of the CT log the CA submits precertificates to')
    .requiredOption(
      '--ct-public-key <file|uri>',
      "the CT log's public key: a PEM file, or the pkcs11: URI of the log key",
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5555')
    .action(
      async (flags: {
        key: string;
        chain: string;
        issuerConfig: string;
        ctUrl: string;
        ctPublicKey: string;
        listen: string;
      }) => {
        const { host, port } = parseListen(flags.listen);
        const chainPem = readFlagFile('--chain', flags.chain);
        const issuerText = readFlagFile('--issuer-config', flags.issuerConfig);
        const { parse: parseYaml } = await import('yaml');
        let issuerConfig: unknown;
        try {
          // YAML is a superset of JSON, so one parser reads both of Fulcio's formats.
          issuerConfig = parseYaml(issuerText);
        } catch (error) {
          const reason = (error as Error).message.split('\n')[0];
          throw new UsageError(
            `--issuer-config ${flags.issuerConfig} is not YAML or JSON: ${reason}`,
          );
        }
        const ctPublicKey = await ctPublicKeyOf(flags.ctPublicKey);
        const { startCa } = await import('@airlock/ca');
        const running = await startCa({
          listenHost: host,
          port,
          caKeyUri: flags.key,
          chain: { pem: chainPem },
          issuerConfig,
          // Relative jwks-file paths in the issuer file are relative to the file, as Fulcio reads them.
          issuerConfigBaseDir: dirname(resolve(flags.issuerConfig)),
          ctUrl: flags.ctUrl,
          ctPublicKey,
        }).catch((error: unknown) => {
          throw asUsageError(error);
        });
        print(`ca: listening on ${running.url}`);
        await untilSignal();
        await running.close();
      },
    );

  serve
    .command('tsa')
    .description('the RFC 3161 timestamp authority (POST /api/v1/timestamp)')
    .requiredOption('--key <uri>', 'pkcs11: or file: URI of the TSA signing key')
    .requiredOption('--chain <file>', 'PEM chain: the TSA certificate first, the root last')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:3004')
    .action(async (flags: { key: string; chain: string; listen: string }) => {
      const { host, port } = parseListen(flags.listen);
      const chainPem = readFlagFile('--chain', flags.chain);
      const { startTsa } = await import('@airlock/tsa');
      const running = await startTsa({
        listenHost: host,
        port,
        keyUri: flags.key,
        chain: { pem: chainPem },
      });
      print(`tsa: listening on ${running.url}`);
      await untilSignal();
      await running.close();
    });

  serve
    .command('tuf')
    .description('the TUF repository that distributes trusted_root.json and the signing config')
    .requiredOption('--timestamp-key <uri>', 'pkcs11: or file: URI of the TUF timestamp key')
    .requiredOption('--snapshot-key <uri>', 'pkcs11: or file: URI of the TUF snapshot key')
    .option(
      '--dir <dir>',
      'the repository the key ceremony made (1.root.json, ...)',
      '.airlock/tuf',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8088')
    .option(
      '--refresh-interval-ms <n>',
      'how often expiring timestamp/snapshot metadata is renewed',
    )
    .action(
      async (flags: {
        timestampKey: string;
        snapshotKey: string;
        dir: string;
        listen: string;
        refreshIntervalMs?: string;
      }) => {
        const { host, port } = parseListen(flags.listen);
        const dir = resolve(flags.dir);
        if (!existsSync(join(dir, '1.root.json'))) {
          throw new UsageError(`no TUF repository in ${dir}: the key ceremony creates it`);
        }
        const refreshIntervalMs = optionalNumber('--refresh-interval-ms', flags.refreshIntervalMs);
        const { startTufServer } = await import('@airlock/tuf-server');
        const { openSigner } = await import('@airlock/keys');
        const timestampSigner = await openSigner(flags.timestampKey);
        try {
          const snapshotSigner = await openSigner(flags.snapshotKey);
          try {
            const running = await startTufServer({
              dir,
              listen: { host, port },
              timestampSigner,
              snapshotSigner,
              ...(refreshIntervalMs !== undefined ? { refreshIntervalMs } : {}),
            });
            print(`tuf: listening on ${running.url}`);
            await untilSignal();
            await running.close();
          } finally {
            await snapshotSigner.close();
          }
        } finally {
          await timestampSigner.close();
        }
      },
    );
}
