// The web explorer: three static files (HTML, CSS, vanilla JS; no build step, nothing from outside)
// served at /explorer/. The page talks to the v1 API and verifies inclusion proofs itself.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the explorer's files live: beside src/ and dist/, so both find them. */
export const EXPLORER_DIR = new URL('../explorer/', import.meta.url);

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'explorer.css': 'text/css; charset=utf-8',
  'explorer.js': 'text/javascript; charset=utf-8',
};

/**
 * Only this origin's scripts, styles and API: entry data shown by the page can never run as code,
 * and the page cannot be framed.
 */
export const EXPLORER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function explorerRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map(
    Object.entries(FILES).map(([name, type]) => [
      name,
      { type, body: readFileSync(new URL(name, EXPLORER_DIR)) },
    ]),
  );
  const send = (name: string) => async (_request: unknown, reply: FastifyReply) => {
    const file = files.get(name)!;
    return reply
      .type(file.type)
      .header('content-security-policy', EXPLORER_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(file.body);
  };
  // Relative, so the explorer also works where the service is mounted under a path.
  app.get('/explorer', async (_request, reply) => reply.redirect('explorer/'));
  app.get('/explorer/', send('index.html'));
  for (const name of files.keys()) app.get(`/explorer/${name}`, send(name));
}
