// `airlock up` (what `npm start` runs): the development stack on loopback, with its state in .airlock/.
// The first start runs the key ceremony; later starts reuse the same keys, certificates and logs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// The stack and the dev IdP load only when their commands run: oidc-provider warns on Node 20 at
// import time, and every other command should start fast and print nothing it did not mean to.
import type { StackConfig, StackDescription } from '@airlock/stack';
import type { Command } from 'commander';
import { decodeUint } from '../encoding.js';
import { UsageError } from '../errors.js';
import { untilSignal } from './serve.js';

/** Ports of the development stack; keep in step with @airlock/stack's DEFAULT_STACK_PORTS (tested). */
export const DEFAULT_STACK_PORTS = {
  oidc: 5556,
  ca: 5555,
  ctlog: 6962,
  tlog: 3000,
  tsa: 3004,
  tuf: 8088,
} as const;
type StackPorts = { -readonly [K in keyof typeof DEFAULT_STACK_PORTS]: number };

/** The account `airlock dev token` logs in as unless told otherwise. */
export const DEFAULT_DEV_EMAIL = 'developer@airlock.test';

type PortFlags = Partial<Record<keyof StackPorts, string>>;

function ports(flags: PortFlags): Partial<StackPorts> {
  const out: Partial<StackPorts> = {};
  for (const name of Object.keys(DEFAULT_STACK_PORTS) as (keyof StackPorts)[]) {
    const value = flags[name];
    if (value !== undefined) out[name] = Number(decodeUint(`--${name}-port`, value));
  }
  return out;
}

/**
 * The three commands `airlock up` prints (token, sign, verify), run from the folder it was started in.
 * test/stack.test.ts runs exactly these lines.
 */
export function nextSteps(description: StackDescription, dir: string | undefined): string[] {
  const email = 'you@example.test';
  const stackDir = dir === undefined || dir === '.airlock' ? '' : ` --dir ${dir}`;
  const tokenFile = `${dir ?? '.airlock'}/token`;
  return [
    'Try it (from this folder):',
    `  npx airlock dev token --email ${email}${stackDir} > ${tokenFile}`,
    `  npx airlock sign-blob README.md --bundle README.md.sigstore.json --identity-token ${tokenFile}${dir && dir !== '.airlock' ? ` --stack-dir ${dir}` : ''} --yes`,
    `  npx airlock verify-blob README.md --bundle README.md.sigstore.json --certificate-identity ${email} --certificate-oidc-issuer ${description.oidc} --trusted-root ${description.trustedRoot}`,
  ];
}

/** Reads the stack.json an `airlock up` wrote. */
export function readStackDescription(dir: string): StackDescription {
  const path = join(resolve(dir), 'stack.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackDescription;
  } catch {
    throw new UsageError(
      `no running development stack described at ${path}: start one with npm start`,
    );
  }
}

export function registerUpCommand(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
): void {
  const up = program
    .command('up')
    .description('start the development stack on loopback (state, keys and logs in .airlock/)')
    .option(
      '--config <file>',
      'an operator configuration (YAML; docs/configuration.md lists every key)',
    )
    .option('--dir <dir>', 'where keys, databases and stack.json live (default: .airlock)');
  for (const [name, port] of Object.entries(DEFAULT_STACK_PORTS)) {
    const key = name as keyof StackPorts;
    // No commander default: a flag given on the command line wins over the configuration file.
    up.option(`--${key}-port <port>`, `${key} port, 0 picks a free one (default: ${port})`);
  }
  up.action(async (flags: { dir?: string; config?: string } & Record<string, string>) => {
    const portFlags: PortFlags = {};
    for (const name of Object.keys(DEFAULT_STACK_PORTS) as (keyof StackPorts)[]) {
      const value = flags[`${name}Port`];
      if (value !== undefined) portFlags[name] = value;
    }
    const { loadStackConfig, StackConfigError, startStack } = await import('@airlock/stack');
    let config: StackConfig = {};
    if (flags.config) {
      try {
        config = loadStackConfig(flags.config);
      } catch (error) {
        // One line naming the file and the bad key; nothing has started.
        if (error instanceof StackConfigError) throw new UsageError(error.message);
        throw error;
      }
    }
    const dir = resolve(flags.dir ?? config.dir ?? '.airlock');
    const stack = await startStack({ dir, ports: ports(portFlags), config });
    const { description } = stack;
    if (description.keyBackend === 'file') {
      warn(
        'WARNING: softhsm2 is not installed: the stack keys are UNENCRYPTED FILES (development only)',
      );
    }
    print(
      stack.idp
        ? `OIDC provider (development only): ${description.oidc}`
        : `OIDC issuer:                      ${description.oidc}`,
    );
    print(`certificate authority:            ${description.ca}`);
    print(`CT log:                           ${description.ctlog}`);
    print(`transparency log:                 ${description.tlog}`);
    print(`timestamp authority:              ${description.tsa}`);
    print(`TUF repository:                   ${description.tuf} (root: ${description.tufRoot})`);
    print(`trusted root:                     ${description.trustedRoot}`);
    print(`stack description:                ${stack.stackJson}`);
    print('');
    // The dev IdP's commands; with the organisation's IdP, tokens come from there.
    if (stack.idp) for (const line of nextSteps(description, flags.dir ?? config.dir)) print(line);
    print('airlock: ready (Ctrl-C stops)');
    const signal = await untilSignal();
    print(`airlock: ${signal}, stopping`);
    await stack.close();
  });

  program
    .command('dev')
    .description('development helpers for the local stack')
    .command('token')
    .description('print an identity token from the development OIDC provider')
    .option('--dir <dir>', 'the stack folder', '.airlock')
    .option('--email <address>', 'who to log in as', DEFAULT_DEV_EMAIL)
    .action(async (flags: { dir: string; email: string }) => {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(flags.email))
        throw new UsageError(`--email must be an email address`);
      const { oidc } = readStackDescription(flags.dir);
      const { loginToken } = await import('@airlock/dev-idp');
      let token: string;
      try {
        token = await loginToken(oidc, flags.email);
      } catch (error) {
        throw new UsageError(
          `cannot get a token from ${oidc}: ${(error as Error).message} (is the stack running?)`,
        );
      }
      print(token);
    });
}
