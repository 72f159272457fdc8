// One test run for the whole repository: @airlock/* imports resolve to each workspace's TypeScript
// source, so every test sees one copy of every module and no stale build.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = ['packages', 'services'].flatMap((group) => {
  const dir = fileURLToPath(new URL(`./${group}/`, import.meta.url));
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${dir}${entry.name}/package.json`))
    .map((entry) => {
      const { name } = JSON.parse(readFileSync(`${dir}${entry.name}/package.json`, 'utf8')) as {
        name: string;
      };
      return { find: new RegExp(`^${name}$`), replacement: `${dir}${entry.name}/src/index.ts` };
    });
});

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
