// Locates the third-party test vectors in ../shared/vectors (beside the repository, in CI too).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a file or folder under ../shared/vectors; throws if the vectors are not there. */
export function sharedVectorsPath(...parts: string[]): string {
  const path = join(repoRoot, '..', 'shared', 'vectors', ...parts);
  if (!existsSync(path)) {
    throw new Error(
      `test vectors not found at ${path}: the shared/ folder must sit beside the repository`,
    );
  }
  return path;
}

export const REPO_ROOT = repoRoot;
