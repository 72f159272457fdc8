// `airlock up` (what `npm start` runs): the development stack on loopback, with state in .airlock/.
// First start creates keys and databases; later starts reuse them. Today the stack is the
// transparency log; each service joins it as it lands.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTlog } from '@airlock/tlog';
import type { Command } from 'commander';
import { ensureDevKey } from '../dev-keys.js';
import { decodeUint } from '../encoding.js';
import { untilSignal } from './serve.js';

/** Ports of the development stack, Sigstore's usual ones where there is one. */
export const DEV_PORTS = { tlog: 3000 } as const;

interface UpFlags {
  dir: string;
  tlogPort: string;
}

export interface StackDescription {
  readonly tlog: string;
  readonly keys: Readonly<Record<string, string>>;
}

export function registerUpCommand(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
): void {
  program
    .command('up')
    .description('start the development stack on loopback (state in .airlock/)')
    .option('--dir <dir>', 'where keys, databases and stack.json live', '.airlock')
    .option(
      '--tlog-port <port>',
      'transparency log port (0 picks a free one)',
      String(DEV_PORTS.tlog),
    )
    .action(async (flags: UpFlags) => {
      const dir = resolve(flags.dir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      warn(`WARNING: development stack: keys are unencrypted files under ${join(dir, 'keys')}`);
      const keys = {
        tlogV1: ensureDevKey(join(dir, 'keys', 'rekor-v1.pem'), 'ecdsa-p256-sha256'),
        tlogV2: ensureDevKey(join(dir, 'keys', 'rekor-v2.pem'), 'ecdsa-p256-sha256'),
      };
      const tlog = await startTlog({
        dataDir: join(dir, 'tlog'),
        hostname: '127.0.0.1',
        listenHost: '127.0.0.1',
        port: Number(decodeUint('--tlog-port', flags.tlogPort)),
        v1KeyUri: keys.tlogV1,
        v2KeyUri: keys.tlogV2,
      });
      const stack: StackDescription = { tlog: tlog.url, keys };
      writeFileSync(join(dir, 'stack.json'), `${JSON.stringify(stack, null, 2)}\n`);
      print(`transparency log: ${tlog.url} (Rekor v1 and v2 APIs)`);
      print(`stack description: ${join(dir, 'stack.json')}`);
      print(`try: curl ${tlog.url}/api/v1/log`);
      print('airlock: ready (Ctrl-C stops)');
      const signal = await untilSignal();
      print(`airlock: ${signal}, stopping`);
      await tlog.close();
    });
}
