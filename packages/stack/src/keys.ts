// The key ceremony of the development stack: every service key is created once, inside a SoftHSM
// token when SoftHSM is installed (sensitive, never extractable), otherwise as development files.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  formatPkcs11Uri,
  generateKey,
  listTokenKeys,
  type SignatureAlgorithm,
  SoftwareSigner,
} from '@airlock/keys';
import type { StackLayout } from './layout.js';

const run = promisify(execFile);

/** Debian's SoftHSM module. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
/** The token label of the development stack. */
export const STACK_TOKEN_LABEL = 'airlock-dev';

/** Every key of the stack, by name, with the algorithm clients require of it. */
export const STACK_KEYS = {
  'ca-root': 'ecdsa-p384-sha384',
  'ca-intermediate': 'ecdsa-p256-sha256',
  ctlog: 'ecdsa-p256-sha256',
  'rekor-v1': 'ecdsa-p256-sha256',
  'rekor-v2': 'ecdsa-p256-sha256',
  // The TSA's own root, and its signing key (sigstore-js verifies ecdsa-with-SHA* tokens only).
  'tsa-root': 'ecdsa-p384-sha384',
  tsa: 'ecdsa-p256-sha256',
  // TUF keys are P-256: tuf-js verifies every ECDSA signature with SHA-256.
  'tuf-root': 'ecdsa-p256-sha256',
  'tuf-targets': 'ecdsa-p256-sha256',
  'tuf-snapshot': 'ecdsa-p256-sha256',
  'tuf-timestamp': 'ecdsa-p256-sha256',
} as const satisfies Record<string, SignatureAlgorithm>;

export type StackKeyName = keyof typeof STACK_KEYS;
export type StackKeyUris = Record<StackKeyName, string>;
export type KeyBackend = 'softhsm' | 'file';

export function softHsmInstalled(): boolean {
  return existsSync(SOFTHSM_MODULE);
}

/**
 * Points SoftHSM at the stack's token store. It must run before the first PKCS#11 call in the process:
 * SoftHSM reads its configuration once, at C_Initialize.
 */
export function useStackSoftHsm(layout: StackLayout): void {
  mkdirSync(layout.softhsmDir, { recursive: true, mode: 0o700 });
  if (!existsSync(layout.softhsmConf)) {
    writeFileSync(
      layout.softhsmConf,
      [
        `directories.tokendir = ${layout.softhsmDir}`,
        'objectstore.backend = file',
        'log.level = ERROR',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }
  process.env.SOFTHSM2_CONF = layout.softhsmConf;
}

async function ensureToken(layout: StackLayout): Promise<void> {
  if (existsSync(layout.userPinFile)) return;
  const pin = randomBytes(8).toString('hex');
  const soPin = randomBytes(8).toString('hex');
  await run(
    'softhsm2-util',
    ['--init-token', '--free', '--label', STACK_TOKEN_LABEL, '--so-pin', soPin, '--pin', pin],
    { env: { ...process.env, SOFTHSM2_CONF: layout.softhsmConf } },
  );
  writeFileSync(layout.soPinFile, `${soPin}\n`, { mode: 0o600 });
  writeFileSync(layout.userPinFile, `${pin}\n`, { mode: 0o600 });
}

function pkcs11Uri(layout: StackLayout, object: string): string {
  return formatPkcs11Uri({
    token: STACK_TOKEN_LABEL,
    object,
    type: 'private',
    modulePath: SOFTHSM_MODULE,
    pinSource: layout.userPinFile,
  });
}

/** Creates whatever key of the stack does not exist yet and returns every key's URI. */
export async function ensureStackKeys(
  layout: StackLayout,
  backend: KeyBackend,
): Promise<StackKeyUris> {
  const uris = {} as StackKeyUris;
  if (backend === 'softhsm') {
    useStackSoftHsm(layout);
    await ensureToken(layout);
    const tokenUri = formatPkcs11Uri({
      token: STACK_TOKEN_LABEL,
      modulePath: SOFTHSM_MODULE,
      pinSource: layout.userPinFile,
    });
    const existing = new Set((await listTokenKeys(tokenUri)).map((key) => key.label));
    for (const [name, algorithm] of Object.entries(STACK_KEYS) as [
      StackKeyName,
      SignatureAlgorithm,
    ][]) {
      uris[name] = pkcs11Uri(layout, name);
      if (!existing.has(name)) await generateKey(uris[name], algorithm);
    }
    return uris;
  }
  mkdirSync(layout.keysDir, { recursive: true, mode: 0o700 });
  for (const [name, algorithm] of Object.entries(STACK_KEYS) as [
    StackKeyName,
    SignatureAlgorithm,
  ][]) {
    const path = join(layout.keysDir, `${name}.pem`);
    if (!existsSync(path)) {
      const pem = SoftwareSigner.generate(algorithm)
        .exportPrivateKey()
        .export({ type: 'pkcs8', format: 'pem' });
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    }
    uris[name] = `file:${path}`;
  }
  return uris;
}

export interface StackState {
  /** When the stack's keys were made: the start of every log's validity in the trusted root. */
  readonly createdAt: string;
  readonly keyBackend: KeyBackend;
}

/** The first start's decisions, made once and then read back. */
export function loadOrCreateState(layout: StackLayout): StackState {
  if (existsSync(layout.state)) return JSON.parse(readFileSync(layout.state, 'utf8')) as StackState;
  const state: StackState = {
    // A minute back, so that a clock a little behind still sees the keys as valid.
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    keyBackend: softHsmInstalled() ? 'softhsm' : 'file',
  };
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`);
  return state;
}
