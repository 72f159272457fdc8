// The airlock command line: builds the command tree, runs one command, maps its outcome to an exit code.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerImageCommands } from './commands/image.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerLogCommands } from './commands/log.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { registerProofCommands } from './commands/proof.js';
import { registerServeCommands } from './commands/serve.js';
import { registerSignCommands } from './commands/sign.js';
import { registerTrustCommands } from './commands/trust.js';
import { registerUpCommand } from './commands/up.js';
import { registerVerifyCommands } from './commands/verify.js';
import { registerWitnessCommand } from './commands/witness.js';
import { CheckFailed, EXIT, UsageError } from './errors.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** A person is at the terminal (stdin and stderr are TTYs), so a command may wait for them. */
  interactive?: boolean;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
};

export function cliVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string;
  };
  return manifest.version;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('airlock')
    .description('Airlock: a self-hosted Sigstore stack for disconnected networks')
    .version(cliVersion(), '-v, --version')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showSuggestionAfterError(true);
  const print = (line: string) => io.stdout(`${line}\n`);
  registerKeysCommands(program, print);
  registerProofCommands(program, print);
  const warn = (line: string) => io.stderr(`${line}\n`);
  registerServeCommands(program, print, warn);
  registerTrustCommands(program, print);
  registerUpCommand(program, print, warn);
  registerVerifyCommands(program, print);
  registerLogCommands(program, print, warn);
  registerSignCommands(program, print, warn, io.interactive === true);
  registerImageCommands(program, print, warn, io.interactive === true);
  registerMonitorCommand(program, print, warn);
  registerWitnessCommand(program, print, warn);
  return program;
}

/** Runs one command line and returns the process exit code; prints one line on failure. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help, the version or its one-line error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CheckFailed) {
      io.stderr(`FAIL: ${error.message}\n`);
      return EXIT.checkFailed;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    // By name, so that no command pays for loading the PKCS#11 module just to recognise the error.
    if (error instanceof Error && error.name === 'KeysError') {
      // Wrong PIN, missing key, bad key URI: configuration the user fixes. Messages hold no secrets.
      io.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      io.stderr(`error: cannot listen: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`internal error: ${message}\n`);
    return EXIT.internal;
  }
}
