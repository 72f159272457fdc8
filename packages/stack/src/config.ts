// The operator's configuration of `airlock up --config FILE`: one YAML file, validated against a JSON
// Schema before anything starts, with environment overrides. docs/configuration.md lists every key.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { STACK_KEYS } from './keys.js';

export interface StackConfig {
  /** Where keys, databases and stack.json live. */
  readonly dir?: string;
  /** The address services listen on, and the host in every URL and checkpoint. */
  readonly host?: string;
  readonly ports?: Partial<Record<'oidc' | 'ca' | 'ctlog' | 'tlog' | 'tsa' | 'tuf', number>>;
  readonly oidc?: {
    /** Fulcio-style `oidc-issuers`; when set, the development IdP does not start. */
    readonly issuers?: Record<string, unknown>;
  };
  readonly tlog?: {
    readonly batchMaxSize?: number;
    readonly batchMaxAgeMs?: number;
    readonly maxPending?: number;
  };
  /** Key URIs that replace the ceremony's keys (pkcs11: with pin-source, or file:). */
  readonly keys?: Partial<Record<keyof typeof STACK_KEYS, string>>;
}

const port = { type: 'integer', minimum: 0, maximum: 65535 };
const positive = { type: 'integer', minimum: 1 };

/** The schema, also the reference for docs/configuration.md. */
export const STACK_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dir: { type: 'string', minLength: 1 },
    host: { type: 'string', pattern: '^[A-Za-z0-9.-]+$' },
    ports: {
      type: 'object',
      additionalProperties: false,
      properties: { oidc: port, ca: port, ctlog: port, tlog: port, tsa: port, tuf: port },
    },
    oidc: {
      type: 'object',
      additionalProperties: false,
      properties: { issuers: { type: 'object', minProperties: 1 } },
    },
    tlog: {
      type: 'object',
      additionalProperties: false,
      properties: { batchMaxSize: positive, batchMaxAgeMs: positive, maxPending: positive },
    },
    keys: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        Object.keys(STACK_KEYS).map((name) => [
          name,
          // A key URI may point at a PIN or password (pin-source=, password-source=), never hold one.
          { type: 'string', pattern: '^(pkcs11:|file:)', not: { pattern: 'pin-value=' } },
        ]),
      ),
    },
  },
} as const;

/** Environment variables that override scalar keys: AIRLOCK_HOST, AIRLOCK_PORTS_CA, AIRLOCK_TLOG_MAX_PENDING, … */
export const ENV_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  AIRLOCK_DIR: ['dir'],
  AIRLOCK_HOST: ['host'],
  ...Object.fromEntries(
    ['oidc', 'ca', 'ctlog', 'tlog', 'tsa', 'tuf'].map((name) => [
      `AIRLOCK_PORTS_${name.toUpperCase()}`,
      ['ports', name],
    ]),
  ),
  AIRLOCK_TLOG_BATCH_MAX_SIZE: ['tlog', 'batchMaxSize'],
  AIRLOCK_TLOG_BATCH_MAX_AGE_MS: ['tlog', 'batchMaxAgeMs'],
  AIRLOCK_TLOG_MAX_PENDING: ['tlog', 'maxPending'],
};

export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return `${path === '(top level)' ? key : `${path}.${key}`} is not a known key`;
  }
  if (error.keyword === 'not')
    return `${path} must not hold a secret (use pin-source= or an environment variable)`;
  return `${path} ${error.message ?? 'is invalid'}`;
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validate = ajv.compile<StackConfig>(STACK_CONFIG_SCHEMA);

function applyEnv(config: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined) continue;
    let target = config;
    for (const key of path.slice(0, -1)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path.at(-1)!] = /^[0-9]+$/.test(value) ? Number(value) : value;
  }
}

/** Parses and validates a configuration (YAML or JSON text); `source` names it in error messages. */
export function parseStackConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = {},
): StackConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new StackConfigError(
      `${source}: not valid YAML (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StackConfigError(`${source}: the configuration must be a mapping of keys`);
  }
  applyEnv(raw as Record<string, unknown>, env);
  if (!validate(raw)) throw new StackConfigError(`${source}: ${describe(validate.errors![0]!)}`);
  return raw;
}

export function loadStackConfig(path: string, env: NodeJS.ProcessEnv = process.env): StackConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StackConfigError(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseStackConfig(text, path, env);
}
