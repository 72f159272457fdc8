// The image's HEALTHCHECK: asks the service this container runs whether it is ready (/readyz).
// One image runs every service, so without an explicit URL the address comes from the command line
// of the container's main process (`serve <service> [--listen host:port]`). Node's standard library
// only: the image has no curl or wget.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The port each `airlock serve` command listens on without --listen (Sigstore's usual ports). */
export const SERVE_DEFAULT_PORTS = Object.freeze({
  ca: 5555,
  ctlog: 6962,
  tlog: 3000,
  tsa: 3004,
  tuf: 8088,
});

/** Listen addresses that mean "every interface": the check then goes to loopback. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The readiness URL of the service a container started with `argv` runs, or null when it runs no
 * service (a one-shot command such as the key ceremony or `keys list`). Throws when the command
 * names a service but its address cannot be worked out: an unknown address must not look healthy.
 */
export function readinessUrl(argv) {
  const serve = argv.indexOf('serve');
  if (serve < 0) return null;
  const service = argv[serve + 1] ?? '';
  let host = '127.0.0.1';
  let port = Object.hasOwn(SERVE_DEFAULT_PORTS, service) ? SERVE_DEFAULT_PORTS[service] : undefined;
  for (let i = serve + 2; i < argv.length; i++) {
    const arg = argv[i];
    const value =
      arg === '--listen' ? argv[i + 1] : arg.startsWith('--listen=') ? arg.slice(9) : null;
    if (value === null) continue;
    const match = /^(.*):([0-9]{1,5})$/.exec(value ?? '');
    if (!match) throw new Error(`cannot read the listen address ${JSON.stringify(value)}`);
    host = WILDCARD_HOSTS.has(match[1]) ? '127.0.0.1' : match[1];
    port = Number(match[2]);
  }
  if (port === undefined) throw new Error(`no port known for "serve ${service}"`);
  return `http://${host}:${port}/readyz`;
}

/** Exit 0 when the service answers 2xx within the timeout, 1 otherwise. */
async function main() {
  const url =
    process.argv[2] ??
    process.env.AIRLOCK_HEALTHCHECK_URL ??
    readinessUrl(readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean));
  if (url === null) return 0;
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (response.ok) return 0;
  console.error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`healthcheck: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
