// The C2SP tlog-tiles read API of one log: its checkpoint, hash tiles and entry bundles. Tiles and
// bundles are immutable and cached for a long time; the checkpoint for a short time.
import type { TransparencyLog } from '@airlock/log';
import { MerkleError, parseTilePath } from '@airlock/merkle';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

/** Registers `<prefix>/checkpoint` and `<prefix>/tile/...` for `log`. */
export async function tileRoutes(
  app: FastifyInstance,
  log: TransparencyLog,
  prefix: string,
): Promise<void> {
  app.get(`${prefix}/checkpoint`, async (_request, reply) => {
    return reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(log.treeState.checkpoint);
  });

  app.get(`${prefix}/tile/*`, async (request, reply) => {
    const path = `tile/${(request.params as { '*': string })['*']}`;
    let parsed: ReturnType<typeof parseTilePath>;
    try {
      parsed = parseTilePath(path);
    } catch (error) {
      if (error instanceof MerkleError) throw new ApiError(404, error.message);
      throw error;
    }
    const body =
      parsed.kind === 'hashes'
        ? await log.readTile(parsed.tile.level, parsed.tile.index, parsed.tile.width)
        : await log.readEntryBundle(parsed.index, parsed.width);
    if (!body) throw new ApiError(404, `${path} is not in the log`);
    return reply
      .type('application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(Buffer.from(body));
  });
}
