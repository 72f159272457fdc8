// Registry credentials from docker's config.json, and the WWW-Authenticate challenges that ask for
// them (Basic, or Bearer tokens from the realm the registry names).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OciError } from './errors.js';
import { isRecord, parseJsonObject } from './json.js';
import { DOCKER_HUB_REGISTRY } from './reference.js';

export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
}

/** The credential for a registry (`host[:port]`, `docker.io` for Docker Hub), if there is one. */
export type CredentialLookup = (registry: string) => RegistryCredential | undefined;

export const anonymous: CredentialLookup = () => undefined;

/** `https://index.docker.io/v1/`, `http://host:5000/`, `host:5000` → the registry name a reference uses. */
export function normalizeRegistryKey(key: string): string {
  const withoutScheme = key.replace(/^[a-z]+:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  const lower = host.toLowerCase();
  if (lower === 'index.docker.io' || lower === 'registry-1.docker.io') return DOCKER_HUB_REGISTRY;
  return host;
}

function decodeAuthField(value: string, key: string): RegistryCredential {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || colon <= 0) {
    throw new OciError(
      'MALFORMED',
      `docker config: auths[${JSON.stringify(key)}].auth is not base64 of user:password`,
    );
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Reads the `auths` of a docker config.json: `auth` (base64 `user:password`) or `username` and
 * `password`. Credential helpers (`credsStore`, `credHelpers`) and `identitytoken` entries are not
 * run or used: such registries are reached anonymously. A malformed entry is MALFORMED, not skipped.
 */
export function parseDockerConfig(config: string | Uint8Array): CredentialLookup {
  const bytes = typeof config === 'string' ? new TextEncoder().encode(config) : config;
  const json = parseJsonObject(bytes, 'docker config');
  const credentials = new Map<string, RegistryCredential>();
  if (json.auths !== undefined) {
    if (!isRecord(json.auths))
      throw new OciError('MALFORMED', 'docker config: auths is not an object');
    for (const [key, entry] of Object.entries(json.auths)) {
      if (!isRecord(entry))
        throw new OciError(
          'MALFORMED',
          `docker config: auths[${JSON.stringify(key)}] is not an object`,
        );
      let credential: RegistryCredential | undefined;
      if (typeof entry.auth === 'string' && entry.auth !== '') {
        credential = decodeAuthField(entry.auth, key);
      } else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
        credential = { username: entry.username, password: entry.password };
      }
      if (credential !== undefined) credentials.set(normalizeRegistryKey(key), credential);
    }
  }
  return (registry) => credentials.get(normalizeRegistryKey(registry));
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Loads a docker config.json; a missing file means anonymous access, not an error. */
export async function loadDockerConfig(
  path = defaultDockerConfigPath(),
): Promise<CredentialLookup> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return anonymous;
    throw error;
  }
  return parseDockerConfig(new Uint8Array(bytes));
}

export interface AuthChallenge {
  /** Lowercased: `basic`, `bearer`, or whatever else the registry sent. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `Bearer realm="…",service="…",scope="repository:a:pull,push"` (quoted values may hold commas). */
export function parseChallenge(header: string): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+(.*))?$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  const rest = match[2] ?? '';
  let param = paramPattern.exec(rest);
  while (param !== null && param[0] !== '') {
    const value = param[2] === undefined ? (param[3] ?? '') : param[2].replace(/\\(.)/g, '$1');
    params[param[1]!.toLowerCase()] = value;
    param = paramPattern.exec(rest);
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export function basicAuthorization(credential: RegistryCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}
