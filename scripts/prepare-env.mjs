#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, installs npm dependencies when the lockfile changed,
// and installs the Debian packages the stack and its tests use (as root), or names them (otherwise).
// Uses nothing but Node's standard library, because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages and one file each installs, which tells us whether it is present. */
const SYSTEM_PACKAGES = JSON.parse(
  readFileSync(join(root, 'scripts', 'system-packages.json'), 'utf8'),
);

function fail(message) {
  process.stderr.write(`prepare-env: ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 24;
  if (!supported)
    fail(`Node ${process.versions.node} is not supported; use Node 20.19+, 22.12+ or 24+`);
}

function installSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((pkg) => !existsSync(pkg.provides)).map((pkg) => pkg.name);
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    fail(`these Debian packages are needed; as root run:\n  apt-get update && ${line}`);
  }
  process.stderr.write(`prepare-env: installing ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function installNodeModules() {
  const lockfile = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.airlock-lock-sha256');
  const want = createHash('sha256').update(readFileSync(lockfile)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  process.stderr.write(
    'prepare-env: installing npm dependencies (native addons build from source)\n',
  );
  // `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages (Biome's, Rollup's)
  // out of the lockfile and `npm ci` then refuses it as out of sync. With the lockfile present,
  // `npm install` installs exactly the locked versions.
  run('npm', ['install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, want);
}

checkNode();
installSystemPackages();
installNodeModules();
