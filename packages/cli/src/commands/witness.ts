// `airlock witness`: run a C2SP tlog-witness that cosigns the checkpoints of the logs it is given, after
// checking each log's signature and the consistency with what it cosigned before.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureDevKey } from '../dev-keys.js';
import { UsageError } from '../errors.js';
import { parseListen, untilSignal } from './serve.js';

interface WitnessFlags {
  name: string;
  key?: string;
  dataDir: string;
  listen: string;
  log: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `<origin>=<key>`, the key a verifier key or a PEM file; the origin is everything before the first '='. */
function parseLogFlag(value: string): { origin: string; key: string } {
  const equals = value.indexOf('=');
  if (equals <= 0)
    throw new UsageError(`--log must be <origin>=<PEM file or verifier key>, got ${value}`);
  const origin = value.slice(0, equals);
  const key = value.slice(equals + 1);
  if (existsSync(key)) return { origin, key: readFileSync(key, 'utf8') };
  return { origin, key };
}

export function registerWitnessCommand(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
): void {
  program
    .command('witness')
    .description('run a C2SP tlog-witness (POST /add-checkpoint) for the given logs')
    .requiredOption('--name <name>', 'the witness key name, e.g. witness.example/w1')
    .option(
      '--key <uri>',
      'pkcs11: or file: URI of the Ed25519 witness key; default: a development file key',
    )
    .option(
      '--data-dir <dir>',
      'where the witness remembers the latest cosigned checkpoints',
      '.airlock/witness',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7380')
    .option(
      '--log <origin=key>',
      'a log to witness: its origin and its PEM public key file or verifier key; repeatable',
      collect,
      [],
    )
    .action(async (flags: WitnessFlags) => {
      if (flags.log.length === 0)
        throw new UsageError('give at least one --log <origin>=<key> to witness');
      const logs = flags.log.map(parseLogFlag);
      const { host, port } = parseListen(flags.listen);
      const dataDir = resolve(flags.dataDir);
      let keyUri = flags.key;
      if (!keyUri) {
        warn(
          'WARNING: using a development witness key stored unencrypted in a file; give --key a pkcs11: URI in production',
        );
        keyUri = ensureDevKey(join(dataDir, 'keys', 'witness-ed25519.pem'), 'ed25519');
      }
      const { startWitness, WitnessError } = await import('@airlock/witness');
      let running: Awaited<ReturnType<typeof startWitness>>;
      try {
        running = await startWitness({
          name: flags.name,
          keyUri,
          dataDir,
          logs,
          listenHost: host,
          port,
        });
      } catch (error) {
        if (error instanceof WitnessError && error.code !== 'STATE')
          throw new UsageError(error.message);
        throw error;
      }
      print(`witness: verifier key ${running.witness.verifierKey}`);
      print(`witness: listening on ${running.url}`);
      await untilSignal();
      await running.close();
    });
}
