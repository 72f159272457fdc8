// The TUF repository directory over HTTP, read-only: only the file names a TUF client asks for are
// served (versioned roots, timestamp, versioned snapshot and targets, hash-prefixed targets), so no
// request can reach a temporary file, a key, or anything outside the directory.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, jsonErrorHandler, jsonNotFound } from '@airlock/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface TufRepositoryPluginOptions {
  /** The repository directory @airlock/trust writes. */
  readonly dir: string;
}

/** Metadata clients fetch: N.root.json, root.json, timestamp.json, N.snapshot.json, N.targets.json. */
const METADATA_FILE = /^(?:[1-9]\d{0,9}\.(?:root|snapshot|targets)|root|timestamp)\.json$/;
/** Targets under consistent snapshots: targets/<sha256 hex>.<name>. */
const TARGET_FILE = /^targets\/[0-9a-f]{64}\.[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Files that change in place must be revalidated; versioned and hash-named ones never change. */
const MUTABLE_FILES = new Set(['root.json', 'timestamp.json']);
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/** The largest file served; TUF clients refuse metadata far smaller (tuf-js: 5 MB for targets). */
export const MAX_SERVED_FILE_BYTES = 16 * 1024 * 1024;

export async function tufRepositoryPlugin(
  app: FastifyInstance,
  options: TufRepositoryPluginOptions,
): Promise<void> {
  app.setErrorHandler(jsonErrorHandler());
  app.setNotFoundHandler(jsonNotFound);
  app.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const name = (request.params as { '*'?: string })['*'] ?? '';
    if (!METADATA_FILE.test(name) && !TARGET_FILE.test(name)) {
      throw new ApiError(404, 'not a file of this TUF repository');
    }
    const content = await readServedFile(join(options.dir, name));
    reply
      .header(
        'content-type',
        name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      )
      .header('cache-control', MUTABLE_FILES.has(name) ? 'no-cache' : IMMUTABLE_CACHE)
      .header('x-content-type-options', 'nosniff');
    return reply.send(content);
  });
}

/** A regular file's bytes; symbolic links and missing files are both "not here". */
async function readServedFile(path: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') {
      throw new ApiError(404, 'no such file in this TUF repository');
    }
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ApiError(404, 'no such file in this TUF repository');
    if (stat.size > MAX_SERVED_FILE_BYTES) throw new ApiError(500, 'file too large to serve');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
