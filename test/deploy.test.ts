// No Docker engine runs here, so the deployment files are checked statically: the compose file parses,
// builds from files that exist, and runs airlock commands and flags that exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '@airlock/cli';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/shared-vectors.js';

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { build?: { context: string; dockerfile: string }; command?: string[]; ports?: string[] }
  >;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');

/** Resolves `serve tlog --flag v ...` to the commander command and the flags it was given. */
function resolveCommand(args: string[]): { command: Command; flags: string[] } {
  let command: Command = buildProgram({ stdout: () => {}, stderr: () => {} });
  let i = 0;
  for (; i < args.length && !args[i]!.startsWith('-'); i++) {
    const next = command.commands.find((sub) => sub.name() === args[i]);
    if (!next) throw new Error(`airlock has no command ${args.slice(0, i + 1).join(' ')}`);
    command = next;
  }
  return { command, flags: args.slice(i).filter((arg) => arg.startsWith('--')) };
}

describe('docker-compose.yml', () => {
  it('has services', () => {
    expect(Object.keys(compose.services).length).toBeGreaterThan(0);
  });

  for (const [name, service] of Object.entries(compose.services)) {
    it(`${name}: builds from the repository's Dockerfile and runs a real airlock command`, () => {
      expect(service.build).toBeDefined();
      expect(existsSync(join(REPO_ROOT, service.build!.context, service.build!.dockerfile))).toBe(
        true,
      );
      const { command, flags } = resolveCommand(service.command ?? []);
      const known = command.options.map((option) => option.long);
      for (const flag of flags) expect(known, `${name}: ${flag}`).toContain(flag);
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    });
  }

  it('declares every named volume it mounts', () => {
    for (const service of Object.values(compose.services) as { volumes?: string[] }[]) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(compose.volumes).toHaveProperty(source);
      }
    }
  });
});

describe('deploy/Dockerfile', () => {
  it('copies only paths that exist and runs the CLI binary the cli package declares', () => {
    for (const line of dockerfile
      .split('\n')
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    }
    const cli = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(dockerfile).toContain(`"/app/packages/cli/${cli.bin.airlock!.replace('./', '')}"`);
  });

  it('runs as a non-root user', () => {
    const stages = dockerfile.split(/^FROM /m);
    expect(stages.at(-1)).toMatch(/^USER node$/m);
  });
});
