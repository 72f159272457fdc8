// Real SoftHSM tokens for tests: a private token directory per test process, and fresh, initialized
// tokens in it, each with its PIN in a file, ready to be named by a `pkcs11:` URI.
//
// SoftHSM reads SOFTHSM2_CONF and scans its token directory when the module is initialized, and
// initialization is process-wide. So every token of a test file lives in one directory, and a token
// created while a token of this process is open stays invisible until every token has been closed:
// create the tokens a file needs in beforeAll, before opening any.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's softhsm2 package puts the module (a symlink into the multiarch directory). */
export const SOFTHSM_MODULE_PATH = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly modulePath: string;
  readonly tokenLabel: string;
  /** The user PIN. */
  readonly pin: string;
  readonly soPin: string;
  /** A file holding the user PIN and a newline, as `echo` writes it; mode 0600. */
  readonly pinFile: string;
  /** The token directory shared by this process's tokens. */
  readonly dir: string;
  /** Variables a subprocess (pkcs11-tool, a service) needs to see the token. */
  readonly env: { readonly SOFTHSM2_CONF: string };
  /** A URI for a private key in this token, with module-path and pin-source. */
  uri(objectLabel: string, options?: { readonly id?: Uint8Array }): string;
  /** Deletes the token (close everything that uses it first); the last one removes the directory. */
  cleanup(): Promise<void>;
}

interface TokenStore {
  readonly dir: string;
  readonly conf: string;
  tokens: number;
}

let store: TokenStore | undefined;

async function tokenStore(): Promise<TokenStore> {
  if (store !== undefined) return store;
  if (!existsSync(SOFTHSM_MODULE_PATH)) {
    throw new Error(
      `SoftHSM is not installed (${SOFTHSM_MODULE_PATH} is missing); run npm run prepare-env`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'airlock-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(
    conf,
    [
      `directories.tokendir = ${dir}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      'slots.mechanisms = ALL',
      'library.reset_on_fork = false',
      '',
    ].join('\n'),
  );
  // The module in this process reads it at C_Initialize; subprocesses get it through `env`.
  process.env.SOFTHSM2_CONF = conf;
  store = { dir, conf, tokens: 0 };
  return store;
}

/** RFC 7512 percent-encoding, written independently of @airlock/keys so tests cross-check it. */
function pct(text: string | Uint8Array): string {
  if (typeof text === 'string') return encodeURIComponent(text);
  return Array.from(text, (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** Creates and initializes a fresh token (label default: random) with its own SO and user PINs. */
export async function createSoftHsmToken(
  options: { readonly label?: string; readonly pin?: string } = {},
): Promise<SoftHsmToken> {
  const current = await tokenStore();
  const tokenLabel = options.label ?? `airlock-test-${randomBytes(4).toString('hex')}`;
  const pin = options.pin ?? randomBytes(6).toString('hex');
  const soPin = randomBytes(6).toString('hex');
  const env = { SOFTHSM2_CONF: current.conf };
  await run(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--so-pin', soPin, '--pin', pin],
    { env: { ...process.env, ...env } },
  );
  current.tokens++;
  const pinFile = join(current.dir, `${tokenLabel}.pin`);
  await writeFile(pinFile, `${pin}\n`, { mode: 0o600 });

  let cleaned = false;
  return {
    modulePath: SOFTHSM_MODULE_PATH,
    tokenLabel,
    pin,
    soPin,
    pinFile,
    dir: current.dir,
    env,
    uri(objectLabel, uriOptions = {}) {
      const path = [`token=${pct(tokenLabel)}`, `object=${pct(objectLabel)}`];
      if (uriOptions.id !== undefined) path.push(`id=${pct(uriOptions.id)}`);
      path.push('type=private');
      return `pkcs11:${path.join(';')}?module-path=${pct(SOFTHSM_MODULE_PATH)}&pin-source=${pct(pinFile)}`;
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await run('softhsm2-util', ['--delete-token', '--token', tokenLabel], {
        env: { ...process.env, ...env },
      }).catch(() => {});
      await rm(pinFile, { force: true });
      current.tokens--;
      if (current.tokens === 0 && store === current) {
        store = undefined;
        if (process.env.SOFTHSM2_CONF === current.conf) delete process.env.SOFTHSM2_CONF;
        await rm(current.dir, { recursive: true, force: true });
      }
    },
  };
}
