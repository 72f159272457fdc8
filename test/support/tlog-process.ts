// Runs the transparency log as a real child process (`airlock serve tlog`), talks to it over loopback
// HTTP, and makes valid hashedrekord submissions: shared by the crash-safety test and the tlog bench.
// Node's standard library only, so that the bench can use the compiled copy without the test runner.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file whose package.json is the `airlock` root. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'airlock') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tlog-process: cannot find the airlock repository root');
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();
/** The compiled CLI: the server runs from the build, as it would in production (`npx tsc -b` first). */
export const AIRLOCK_BIN = join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js');

const READY_LINE = /tlog: listening on (http:\/\/\S+)/;
/** Output kept per process for failure messages; a crash loop must not grow memory without bound. */
const MAX_CAPTURED_OUTPUT = 64 * 1024;

export interface TlogProcessOptions {
  readonly dataDir: string;
  /** The bare hostname in checkpoints (also the v1 checkpoint key name). */
  readonly hostname?: string;
  /** 0 (the default) lets the kernel pick a free port. */
  readonly port?: number;
  readonly batchMaxSize?: number;
  readonly batchMaxAgeMs?: number;
  readonly maxPending?: number;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TlogProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  /** What the process printed so far (the last 64 KiB), for failure messages. */
  output(): string;
  /** Sends SIGKILL (no shutdown code runs: a crash) and waits for the process to be gone. */
  kill(): Promise<ProcessExit>;
  /** Sends SIGTERM (graceful shutdown) and waits for exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ProcessExit>;
}

/** Starts `airlock serve tlog` and resolves once it prints that it listens. */
export function startTlogProcess(options: TlogProcessOptions): Promise<TlogProcess> {
  if (!existsSync(AIRLOCK_BIN)) {
    return Promise.reject(
      new Error(`${AIRLOCK_BIN} is missing: build the repository first (npx tsc -b)`),
    );
  }
  const args = [
    ...(options.nodeArgs ?? []),
    AIRLOCK_BIN,
    'serve',
    'tlog',
    '--data-dir',
    options.dataDir,
    '--listen',
    `127.0.0.1:${options.port ?? 0}`,
    '--hostname',
    options.hostname ?? '127.0.0.1',
  ];
  if (options.batchMaxSize !== undefined) args.push('--batch-max-size', `${options.batchMaxSize}`);
  if (options.batchMaxAgeMs !== undefined)
    args.push('--batch-max-age-ms', `${options.batchMaxAgeMs}`);
  if (options.maxPending !== undefined) args.push('--max-pending', `${options.maxPending}`);

  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let captured = '';
  const capture = (chunk: Buffer) => {
    captured = (captured + chunk.toString('utf8')).slice(-MAX_CAPTURED_OUTPUT);
  };
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return new Promise<TlogProcess>((resolve, reject) => {
    let stdoutText = '';
    let ready = false;
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tlog did not start within ${timeoutMs} ms:\n${captured}`));
    }, timeoutMs);
    child.stderr?.on('data', capture);
    child.stdout?.on('data', (chunk: Buffer) => {
      capture(chunk);
      if (ready) return;
      stdoutText += chunk.toString('utf8');
      const match = READY_LINE.exec(stdoutText);
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      const url = match[1]!;
      const port = Number(new URL(url).port);
      const signal = async (name: NodeJS.Signals) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(name);
        return exited;
      };
      resolve({
        url,
        port,
        pid: child.pid!,
        exited,
        output: () => captured,
        kill: () => signal('SIGKILL'),
        async stop(stopTimeoutMs = 10_000) {
          const force = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
          try {
            return await signal('SIGTERM');
          } finally {
            clearTimeout(force);
          }
        },
      });
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      // A no-op once the promise is settled (a process that exits after it started listening).
      reject(
        new Error(`tlog exited (code ${code}, signal ${signal}) before listening:\n${captured}`),
      );
    });
  });
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** One request on `agent` (keep-alive); rejects on network errors (reset, refused) and on timeout. */
export function httpRequest(
  agent: Agent,
  url: string,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = request(url, { agent, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`response from ${url} aborted`)));
    });
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(new Error(`${url}: no response in ${options.timeoutMs} ms`)),
      );
    }
    req.end(options.body);
  });
}

/** A keep-alive agent for load: one socket per concurrent client. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** A Rekor v1 `hashedrekord` submission over a fresh random artifact, signed in advance. */
export interface HashedRekordSubmission {
  /** Lowercase hex SHA-256 of the artifact: the entry's `spec.data.hash.value`. */
  readonly digest: string;
  /** The JSON request body of `POST /api/v1/log/entries`. */
  readonly json: string;
}

/** Makes hashedrekord submissions signed by one P-256 key, as cosign does with `--key`. */
export class HashedRekordFactory {
  readonly publicKey: KeyObject;
  readonly #privateKey: KeyObject;
  readonly #publicKeyPemBase64: string;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    this.#publicKeyPemBase64 = Buffer.from(pem).toString('base64');
  }

  /** One submission: a new 64-byte random artifact, its digest, and a DER ECDSA signature over it. */
  next(): HashedRekordSubmission {
    const artifact = randomBytes(64);
    const digest = createHash('sha256').update(artifact).digest('hex');
    const signature = sign('sha256', artifact, this.#privateKey).toString('base64');
    const json = JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest } },
        signature: { content: signature, publicKey: { content: this.#publicKeyPemBase64 } },
      },
    });
    return { digest, json };
  }

  /** `count` submissions made now, so that a load generator only sends. */
  many(count: number): HashedRekordSubmission[] {
    return Array.from({ length: count }, () => this.next());
  }
}

/** The artifact digest a canonical hashedrekord body records (`spec.data.hash.value`), or null. */
export function hashedRekordDigest(body: Uint8Array): string | null {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
      kind?: unknown;
      spec?: { data?: { hash?: { value?: unknown } } };
    };
    const value = parsed.spec?.data?.hash?.value;
    return parsed.kind === 'hashedrekord' && typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Rekor v1's LogEntry as the API returns it: one entry under its 80-hex EntryID. */
export interface RekorV1LogEntry {
  readonly body: string;
  readonly integratedTime: number;
  readonly logID: string;
  readonly logIndex: number;
  readonly verification: {
    readonly signedEntryTimestamp: string;
    readonly inclusionProof: {
      readonly checkpoint: string;
      readonly hashes: readonly string[];
      readonly logIndex: number;
      readonly rootHash: string;
      readonly treeSize: number;
    };
  };
}

/** Splits a `{ "<entryID>": LogEntryAnon }` response; throws unless it holds exactly one entry. */
export function parseLogEntryResponse(body: Buffer | string): {
  entryId: string;
  entry: RekorV1LogEntry;
} {
  const parsed = JSON.parse(body.toString()) as Record<string, RekorV1LogEntry>;
  const ids = Object.keys(parsed);
  if (ids.length !== 1) throw new Error(`expected one entry in a LogEntry, got ${ids.length}`);
  return { entryId: ids[0]!, entry: parsed[ids[0]!]! };
}
