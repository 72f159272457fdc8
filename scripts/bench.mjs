#!/usr/bin/env node
// `npm run bench -- <name>`: runs bench/<name>.ts (compiled to bench/dist) in its own process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const available = readdirSync(join(benchDir, 'dist'))
  .filter((file) => file.endsWith('.js') && !file.startsWith('_'))
  .map((file) => file.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [options]\n`);
  process.exit(2);
}
const script = join(benchDir, 'dist', `${name}.js`);
if (!existsSync(script)) process.exit(2);
const result = spawnSync(process.execPath, ['--expose-gc', script, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
