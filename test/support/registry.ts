// Runs Debian's docker-registry (CNCF Distribution 2.8.2, no referrers API) on loopback with a
// throwaway storage folder, optionally behind htpasswd Basic auth or TLS (with client certificates).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/**
 * The htpasswd user of `auth: 'htpasswd'` registries. The bcrypt hash below is of this password (cost
 * 4, made once with libxcrypt via Python's `crypt`): neither `htpasswd` nor a JS bcrypt is installed,
 * and a fixed test credential needs no generator.
 */
export const REGISTRY_TEST_USER = {
  username: 'airlock',
  password: 'airlock-registry-test',
} as const;
const REGISTRY_TEST_HTPASSWD = `airlock:$2b$04$s16CUrpRxoIl/S/0jLbYCu6CZ9L.e55xsn7jlmDtfrqsuI2bjWmRy\n`;

export interface RegistryTls {
  /** PEM server certificate (for 127.0.0.1) and key. */
  readonly certificate: string;
  readonly key: string;
  /** PEM CA whose client certificates the registry requires (mutual TLS). */
  readonly clientCa?: string;
}

export interface RegistryOptions {
  readonly auth?: 'htpasswd';
  readonly tls?: RegistryTls;
  readonly startTimeoutMs?: number;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>` (https with `tls`). */
  readonly url: string;
  /** `127.0.0.1:<port>`, the registry part of image references. */
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** What the registry printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts a registry; the config is JSON, which the registry's YAML parser reads as well. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-registry-'));
  const dataDir = join(dir, 'data');
  const http: Record<string, unknown> = { secret: randomBytes(16).toString('hex') };
  if (options.tls !== undefined) {
    await writeFile(join(dir, 'server.pem'), options.tls.certificate);
    await writeFile(join(dir, 'server.key'), options.tls.key);
    const tls: Record<string, unknown> = {
      certificate: join(dir, 'server.pem'),
      key: join(dir, 'server.key'),
    };
    if (options.tls.clientCa !== undefined) {
      await writeFile(join(dir, 'client-ca.pem'), options.tls.clientCa);
      tls.clientcas = [join(dir, 'client-ca.pem')];
    }
    http.tls = tls;
  }
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http,
  };
  if (options.auth === 'htpasswd') {
    await writeFile(join(dir, 'htpasswd'), REGISTRY_TEST_HTPASSWD);
    config.auth = { htpasswd: { realm: 'airlock-test', path: join(dir, 'htpasswd') } };
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  let lastOutput = '';
  // The port is reserved then released before the registry binds it; another test may win the race.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    http.addr = `127.0.0.1:${port}`;
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const capture = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    child.on('error', capture.bind(null, Buffer.from('spawn failed\n')));
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await canConnect(port)) {
        const scheme = options.tls === undefined ? 'http' : 'https';
        return {
          url: `${scheme}://127.0.0.1:${port}`,
          host: `127.0.0.1:${port}`,
          port,
          dataDir,
          output: () => output,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited(child);
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
    lastOutput = output;
    if (!output.includes('address already in use')) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start:\n${lastOutput}`);
}
