// Helpers shared by the @airlock/oidc tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OidcError, type OidcErrorCode } from '@airlock/oidc';

/** The OidcError `run` throws; fails the test if it returns or throws anything else. */
export function oidcError(run: () => unknown): OidcError {
  try {
    run();
  } catch (error) {
    if (error instanceof OidcError) return error;
    throw error;
  }
  throw new Error('expected an OidcError, got none');
}

/** The code of the OidcError the promise rejects with. */
export async function asyncOidcErrorCode(promise: Promise<unknown>): Promise<OidcErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OidcError) return error.code;
    throw error;
  }
  throw new Error('expected an OidcError, got none');
}

/** A temporary folder removed by the returned cleanup function. */
export function tempDir(): {
  dir: string;
  write(name: string, content: unknown): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-oidc-'));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
