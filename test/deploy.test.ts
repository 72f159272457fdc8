// No Docker engine or cluster runs here, so the deployment files are checked statically: every YAML
// document parses, every airlock command line names real commands and flags, images are pinned by
// digest, containers are locked down and probed, the network policies cover every workload, and the
// URLs, ports, host names and issuer agree across compose, Kubernetes, the admission policies and the
// stack. The last block runs the compose services' own command lines as processes on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { buildProgram, EXIT, runCli } from '@airlock/cli';
import { parseKeyUri } from '@airlock/keys';
import { parseIssuerConfig } from '@airlock/oidc';
import {
  DEFAULT_STACK_PORTS,
  parseStackConfig,
  STACK_HOST,
  STACK_KEYS,
  stackLayout,
} from '@airlock/stack';
import { encodeTimeStampReq, parseTimeStampResponse, timeStampRequest } from '@airlock/timestamp';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { readinessUrl, SERVE_DEFAULT_PORTS } from '../deploy/healthcheck.mjs';
import { REPO_ROOT } from './support/shared-vectors.js';
import { HashedRekordFactory, startTlogProcess } from './support/tlog-process.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const SERVICES = ['ca', 'ctlog', 'tlog', 'tsa', 'tuf'] as const;
type ServiceName = (typeof SERVICES)[number];

/** The key each key flag of each service must name (an object label of the ceremony's token). */
const KEY_FLAGS: Record<ServiceName, Record<string, keyof typeof STACK_KEYS>> = {
  ca: { '--key': 'ca-intermediate', '--ct-public-key': 'ctlog' },
  ctlog: { '--key': 'ctlog' },
  tlog: { '--v1-key': 'rekor-v1', '--v2-key': 'rekor-v2' },
  tsa: { '--key': 'tsa' },
  tuf: { '--timestamp-key': 'tuf-timestamp', '--snapshot-key': 'tuf-snapshot' },
};

const DIGEST_PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const obj = (value: unknown): Obj => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Obj;
};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Every document of a YAML file (merge keys on, as compose reads them); a syntax error fails. */
function yamlDocuments(path: string): Obj[] {
  const documents = parseAllDocuments(read(path), { merge: true });
  const docs = Array.isArray(documents) ? documents : [documents];
  return docs.map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path} document ${i}: ${doc.errors[0]!.message}`);
    return obj(doc.toJS());
  });
}

/** Splits a shell-like line into words, honouring single and double quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = null;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

interface ResolvedCommand {
  readonly command: Command;
  /** The command path, e.g. `serve ca`. */
  readonly path: string;
  /** Long flag name → the value given (true for a flag without a value). */
  readonly flags: Map<string, string | true>;
  readonly positional: string[];
}

/**
 * Resolves an airlock command line (without the `airlock` word) against the real command tree, as
 * commander would parse it: unknown commands, unknown flags and flags missing their value throw.
 */
function resolveCommand(args: readonly string[]): ResolvedCommand {
  let command: Command = buildProgram({ stdout: () => {}, stderr: () => {} });
  const path: string[] = [];
  let i = 0;
  for (; i < args.length && command.commands.length > 0 && !args[i]!.startsWith('-'); i++) {
    const next = command.commands.find((sub) => sub.name() === args[i]);
    if (!next) throw new Error(`airlock has no command ${[...path, args[i]].join(' ')}`);
    command = next;
    path.push(args[i]!);
  }
  if (command.commands.length > 0) throw new Error(`airlock ${path.join(' ')} needs a subcommand`);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.startsWith('--')
      ? [arg.split('=')[0]!, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined]
      : [arg, undefined];
    if (name === '--help' || name === '-h') {
      flags.set('--help', true);
      continue;
    }
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (!option) throw new Error(`airlock ${path.join(' ')} has no flag ${name}`);
    const long = option.long ?? name;
    if (option.required || option.optional) {
      const value = inline ?? args[i + 1];
      if (inline === undefined) i++;
      if (value === undefined || (option.required && value.startsWith('--'))) {
        throw new Error(`airlock ${path.join(' ')}: ${long} needs a value`);
      }
      flags.set(long, value);
    } else {
      flags.set(long, true);
    }
  }
  return { command, path: path.join(' '), flags, positional };
}

/** Resolves a full service command line: every mandatory flag must be there too. */
function resolveServiceCommand(args: readonly string[]): ResolvedCommand {
  const resolved = resolveCommand(args);
  for (const option of resolved.command.options) {
    if (option.mandatory && !resolved.flags.has(option.long!)) {
      throw new Error(`airlock ${resolved.path} is missing ${option.long}`);
    }
  }
  return resolved;
}

function flag(resolved: ResolvedCommand, name: string): string {
  const value = resolved.flags.get(name);
  if (typeof value !== 'string') throw new Error(`airlock ${resolved.path} has no ${name} value`);
  return value;
}

function listenPort(resolved: ResolvedCommand): number {
  const listen = flag(resolved, '--listen');
  const match = /^0\.0\.0\.0:([0-9]+)$/.exec(listen);
  if (!match) throw new Error(`${resolved.path} must listen on 0.0.0.0:<port>, not ${listen}`);
  return Number(match[1]);
}

/** Checks every key flag: a pkcs11: URI of the right key, with its PIN from a file, never inline. */
function checkKeyFlags(service: ServiceName, resolved: ResolvedCommand, pinSource: string): void {
  for (const [name, keyName] of Object.entries(KEY_FLAGS[service])) {
    const value = flag(resolved, name);
    // The CA may read the CT log's public key from a PEM file instead of the token.
    if (name === '--ct-public-key' && !value.startsWith('pkcs11:')) continue;
    const uri = parseKeyUri(value);
    expect(uri.scheme, `${service} ${name}`).toBe('pkcs11');
    if (uri.scheme !== 'pkcs11') continue;
    expect(uri.object, `${service} ${name}`).toBe(keyName);
    expect(uri.type, `${service} ${name}`).toBe('private');
    expect(uri.modulePath, `${service} ${name}`).toBeDefined();
    expect(uri.pinSource, `${service} ${name}`).toBe(pinSource);
    expect(uri.pinValue, `${service} ${name}`).toBeUndefined();
  }
}

/** Compose interpolation with defaults only: `${VAR:-default}` and `$$`; a bare `${VAR}` throws. */
function interpolate(text: string, env: Record<string, string> = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (match, name, fallback) => {
      if (match === '$$') return '$';
      if (env[name] !== undefined) return env[name]!;
      if (fallback === undefined)
        throw new Error(`${match} has no default: compose would need .env`);
      return fallback;
    },
  );
}

function interpolateDeep<T>(value: T, env: Record<string, string> = {}): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, env)]),
    ) as T;
  }
  return value;
}

/** The `oidc-issuers` mapping of a Fulcio-style issuer file, after the CA's own parser accepted it. */
function issuersOf(config: unknown, where: string): Obj {
  expect(() => parseIssuerConfig(config), where).not.toThrow();
  return obj(obj(config)['oidc-issuers']);
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  ports?: string[];
  volumes?: string[];
  secrets?: (string | { source: string })[];
  configs?: { source: string; target: string }[];
  environment?: Record<string, string>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  extra_hosts?: string[];
}

const composeRaw = yamlDocuments('docker-compose.yml')[0]!;
const compose = interpolateDeep(composeRaw) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
  configs?: Record<string, { file: string }>;
};
const composeServices = Object.entries(compose.services);

/** The host path a container path maps to, through the service's config mounts. */
function composeConfigFile(service: ComposeService, target: string): string {
  const mount = (service.configs ?? []).find((config) => config.target === target);
  if (!mount) throw new Error(`no config is mounted at ${target}`);
  return join(REPO_ROOT, compose.configs![mount.source]!.file);
}

function composeCommand(name: ServiceName): ResolvedCommand {
  return resolveServiceCommand(compose.services[name]!.command ?? []);
}

describe('docker-compose.yml', () => {
  it('parses, and runs the whole stack plus a registry and PostgreSQL, and no development IdP', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['ca', 'ceremony', 'ctlog', 'postgres', 'registry', 'tlog', 'tsa', 'tuf'].sort(),
    );
    for (const [name, service] of composeServices) {
      expect(service.command ?? [], name).not.toContain('dev');
    }
  });

  it('needs no .env: every variable has a default', () => {
    expect(() => interpolateDeep(composeRaw)).not.toThrow();
    expect(() => interpolate(`\${UNSET_VARIABLE}`)).toThrow(/no default/);
  });

  for (const [name, service] of composeServices) {
    it(`${name}: builds the repository's image, or pulls one pinned by digest`, () => {
      if (service.build) {
        const dockerfile = join(REPO_ROOT, service.build.context, service.build.dockerfile);
        expect(existsSync(dockerfile)).toBe(true);
        expect(service.build.dockerfile).toBe('deploy/Dockerfile');
      } else {
        expect(service.image, name).toMatch(DIGEST_PINNED);
      }
    });

    it(`${name}: read-only root, no capabilities, no privilege escalation, loopback ports`, () => {
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    });
  }

  for (const service of SERVICES) {
    it(`${service}: airlock serve ${service} with real flags, every required one, on its stack port`, () => {
      const resolved = composeCommand(service);
      expect(resolved.path).toBe(`serve ${service}`);
      const port = listenPort(resolved);
      expect(port).toBe(DEFAULT_STACK_PORTS[service]);
      expect(compose.services[service]!.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      expect(compose.services[service]!.healthcheck?.test).toEqual([
        'CMD',
        'node',
        '/app/deploy/healthcheck.mjs',
        `http://127.0.0.1:${port}/readyz`,
      ]);
    });

    it(`${service}: every key is a pkcs11: URI of the right key, its PIN a compose secret`, () => {
      const secrets = (compose.services[service]!.secrets ?? []).map((s) =>
        typeof s === 'string' ? s : s.source,
      );
      expect(secrets).toEqual(['hsm_pin']);
      checkKeyFlags(service, composeCommand(service), '/run/secrets/hsm_pin');
    });
  }

  it('the ceremony runs `airlock up` with the mounted configuration into the state volume', () => {
    const ceremony = compose.services.ceremony!;
    const resolved = resolveCommand(ceremony.command ?? []);
    expect(resolved.path).toBe('up');
    expect(ceremony.profiles).toEqual(['ceremony']);
    expect(ceremony.volumes).toContain(`state:${flag(resolved, '--dir')}`);
    expect(existsSync(composeConfigFile(ceremony, flag(resolved, '--config')))).toBe(true);
    expect(ceremony.extra_hosts).toEqual([`${STACK_HOST}:127.0.0.1`]);
  });

  it('the services read the files the ceremony writes, where it writes them', () => {
    const ceremonyDir = flag(resolveCommand(compose.services.ceremony!.command ?? []), '--dir');
    const layout = stackLayout(ceremonyDir);
    expect(flag(composeCommand('ca'), '--chain')).toBe(layout.caChain);
    expect(flag(composeCommand('ctlog'), '--roots')).toBe(layout.caRoot);
    expect(flag(composeCommand('tsa'), '--chain')).toBe(layout.tsaChain);
    expect(flag(composeCommand('tuf'), '--dir')).toBe(layout.tufDir);
    for (const service of SERVICES) {
      const { environment, volumes } = compose.services[service]!;
      expect(environment?.SOFTHSM2_CONF, service).toBe(layout.softhsmConf);
      // Only the TUF server writes there (it re-signs timestamp and snapshot metadata).
      expect(volumes, service).toContain(
        service === 'tuf' ? `state:${ceremonyDir}` : `state:${ceremonyDir}:ro`,
      );
    }
  });

  it('the logs keep their databases in their own volumes', () => {
    for (const service of ['ctlog', 'tlog'] as const) {
      const dataDir = flag(composeCommand(service), '--data-dir');
      expect(compose.services[service]!.volumes).toContain(`${service}-data:${dataDir}`);
    }
  });

  it('one host name for the ceremony, the checkpoints and the CT log origin (the stack default)', () => {
    const host = compose.services.ceremony!.environment?.AIRLOCK_HOST;
    expect(host).toBe(STACK_HOST);
    expect(flag(composeCommand('tlog'), '--hostname')).toBe(host);
    expect(flag(composeCommand('ctlog'), '--origin')).toBe(`${host}/ctlog`);
    // A different AIRLOCK_HOST moves all of them together.
    const moved = interpolateDeep(composeRaw, { AIRLOCK_HOST: 'sigstore.corp.example' }) as {
      services: Record<string, ComposeService>;
    };
    const tlog = resolveServiceCommand(moved.services.tlog!.command ?? []);
    const ctlog = resolveServiceCommand(moved.services.ctlog!.command ?? []);
    expect(flag(tlog, '--hostname')).toBe('sigstore.corp.example');
    expect(flag(ctlog, '--origin')).toBe('sigstore.corp.example/ctlog');
    expect(moved.services.ceremony!.environment?.AIRLOCK_HOST).toBe('sigstore.corp.example');
  });

  it('the CA reaches the CT log by its service name and port, once the CT log is healthy', () => {
    const ctlogPort = listenPort(composeCommand('ctlog'));
    expect(flag(composeCommand('ca'), '--ct-url')).toBe(`http://ctlog:${ctlogPort}`);
    expect(compose.services.ca!.depends_on?.ctlog?.condition).toBe('service_healthy');
  });

  it('the CA and the ceremony trust the same issuers, which the CA and airlock up both accept', () => {
    const ca = compose.services.ca!;
    const issuerFile = composeConfigFile(ca, flag(composeCommand('ca'), '--issuer-config'));
    const caIssuers = issuersOf(parse(readFileSync(issuerFile, 'utf8')), issuerFile);
    const ceremony = compose.services.ceremony!;
    const configFile = composeConfigFile(
      ceremony,
      flag(resolveCommand(ceremony.command ?? []), '--config'),
    );
    const config = parseStackConfig(readFileSync(configFile, 'utf8'), configFile);
    expect(config.oidc?.issuers).toEqual(caIssuers);
    expect(config.host).toBe(STACK_HOST);
    expect(Object.keys(caIssuers)).toEqual(['https://idp.example.internal/realms/engineering']);
  });

  it('declares every volume, secret and config it uses; config files exist', () => {
    for (const [name, service] of composeServices) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(join(REPO_ROOT, source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(compose.volumes, name).toHaveProperty(source);
        }
      }
      for (const secret of service.secrets ?? []) {
        expect(compose.secrets, name).toHaveProperty(
          typeof secret === 'string' ? secret : secret.source,
        );
      }
      for (const config of service.configs ?? []) {
        expect(compose.configs, name).toHaveProperty(config.source);
      }
    }
    for (const { file } of Object.values(compose.configs ?? {})) {
      expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
    }
  });

  it('keeps secrets in files that git ignores, never in the environment or a URI', () => {
    const text = read('docker-compose.yml');
    expect(text).not.toMatch(/pin-value=/);
    for (const [name, service] of composeServices) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PIN|PASSWORD|SECRET|TOKEN/.test(key)) {
          expect(key, name).toMatch(/_FILE$/);
          expect(value, name).toMatch(/^\/run\/secrets\//);
        }
      }
    }
    const ignore = read('deploy/compose/secrets/.gitignore').split('\n');
    expect(ignore).toContain('*');
    for (const { file } of Object.values(compose.secrets ?? {})) {
      expect(dirname(file)).toBe('./deploy/compose/secrets');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/Dockerfile and its health check
// ---------------------------------------------------------------------------------------------

const dockerfile = read('deploy/Dockerfile');

describe('deploy/Dockerfile', () => {
  it('copies only paths that exist and runs the CLI binary the cli package declares', () => {
    for (const line of dockerfile
      .split('\n')
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    }
    const cli = JSON.parse(read('packages/cli/package.json')) as { bin: Record<string, string> };
    expect(dockerfile).toContain(`"/app/packages/cli/${cli.bin.airlock!.replace('./', '')}"`);
  });

  it('builds every stage from one Node 24 base image pinned by digest, and says where it came from', () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(arg).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const froms = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBe(2);
    for (const from of froms) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\}( AS \w+)?$/);
    expect(dockerfile).toMatch(/re-pin/);
  });

  it('runs as a non-root user with a health check', () => {
    const stages = dockerfile.split(/^FROM /m);
    expect(stages.at(-1)).toMatch(/^USER node$/m);
    expect(stages.at(-1)).toMatch(
      /^HEALTHCHECK .*\\\n\s+CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]$/m,
    );
    expect(stages.at(-1)).toMatch(/softhsm2 opensc/);
  });
});

describe('deploy/healthcheck.mjs', () => {
  it('asks the service the container runs, on loopback when it listens on every interface', () => {
    expect(readinessUrl(['node', 'bin.js', 'serve', 'tlog', '--listen', '0.0.0.0:3000'])).toBe(
      'http://127.0.0.1:3000/readyz',
    );
    expect(readinessUrl(['serve', 'ca', '--listen=10.1.2.3:7000'])).toBe(
      'http://10.1.2.3:7000/readyz',
    );
    expect(readinessUrl(['serve', 'tuf', '--dir', '/x'])).toBe('http://127.0.0.1:8088/readyz');
  });

  it('reports nothing for one-shot commands and refuses addresses it cannot work out', () => {
    expect(readinessUrl(['node', 'bin.js', 'up', '--dir', '/x'])).toBeNull();
    expect(readinessUrl(['keys', 'list', '--token', 'pkcs11:token=x'])).toBeNull();
    expect(() => readinessUrl(['serve', 'nonsense'])).toThrow(/no port known/);
    expect(() => readinessUrl(['serve', 'tlog', '--listen', 'localhost'])).toThrow(
      /listen address/,
    );
  });

  it('knows each serve command default port, which is the stack port', () => {
    for (const service of SERVICES) {
      expect(SERVE_DEFAULT_PORTS[service]).toBe(DEFAULT_STACK_PORTS[service]);
      const listen = resolveCommand(['serve', service]).command.options.find(
        (option) => option.long === '--listen',
      );
      expect(listen?.defaultValue).toBe(`127.0.0.1:${DEFAULT_STACK_PORTS[service]}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

const K8S_DIR = 'deploy/kubernetes';
/** The placeholder host of the Kubernetes manifests and the admission policies (the ceremony's host). */
const K8S_HOST = 'sigstore.example.internal';

const kustomization = yamlDocuments(`${K8S_DIR}/kustomization.yaml`)[0]! as {
  namespace: string;
  resources: string[];
  configMapGenerator: { name: string; files: string[] }[];
  images: { name: string; digest: string }[];
};
const k8sObjects = kustomization.resources.flatMap((file) =>
  yamlDocuments(`${K8S_DIR}/${file}`).map((doc) => ({ file, doc })),
);
const ofKind = (kind: string) =>
  k8sObjects.map(({ doc }) => doc).filter((doc) => doc.kind === kind);
const nameOf = (doc: Obj) => obj(doc.metadata).name as string;
const workloads = [...ofKind('Deployment'), ...ofKind('StatefulSet')];
const componentOf = (workload: Obj) =>
  obj(obj(obj(obj(workload.spec).template).metadata).labels)[
    'app.kubernetes.io/component'
  ] as ServiceName;
const workloadOf = (service: ServiceName) => {
  const found = workloads.find((w) => componentOf(w) === service);
  if (!found) throw new Error(`no workload for ${service}`);
  return found;
};
const podSpecOf = (workload: Obj) => obj(obj(obj(workload.spec).template).spec);
const podLabelsOf = (workload: Obj) =>
  obj(obj(obj(obj(workload.spec).template).metadata).labels) as Record<string, string>;
const containersOf = (workload: Obj) => list(podSpecOf(workload).containers).map(obj);
const initContainersOf = (workload: Obj) => list(podSpecOf(workload).initContainers).map(obj);
const configMaps = new Map(ofKind('ConfigMap').map((cm) => [nameOf(cm), obj(cm.data)]));

/** A container's $(VAR) references expanded from its env, as the kubelet does. */
function expandedArgs(container: Obj): string[] {
  const env = new Map<string, string>();
  for (const entry of list(container.env).map(obj)) {
    if (typeof entry.value === 'string') env.set(entry.name as string, entry.value);
    else {
      const ref = obj(obj(entry.valueFrom).configMapKeyRef);
      const data = configMaps.get(ref.name as string);
      const value = data?.[ref.key as string];
      if (typeof value !== 'string') {
        throw new Error(
          `env ${String(entry.name)}: no key ${String(ref.key)} in ${String(ref.name)}`,
        );
      }
      env.set(entry.name as string, value);
    }
  }
  return list(container.args).map((arg) =>
    String(arg).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string) => {
      const value = env.get(name);
      if (value === undefined) throw new Error(`${match} is not in the container's environment`);
      return value;
    }),
  );
}

function k8sCommand(service: ServiceName): ResolvedCommand {
  return resolveServiceCommand(expandedArgs(containersOf(workloadOf(service))[0]!));
}

/** Where a file a flag names comes from: the ConfigMap key mounted at that path. */
function mountedConfigMapFile(workload: Obj, path: string): { configMap: string; key: string } {
  const container = containersOf(workload)[0]!;
  for (const mount of list(container.volumeMounts).map(obj)) {
    const mountPath = mount.mountPath as string;
    if (!path.startsWith(`${mountPath}/`)) continue;
    const volume = list(podSpecOf(workload).volumes)
      .map(obj)
      .find((v) => v.name === mount.name);
    const configMap = volume?.configMap ? (obj(volume.configMap).name as string) : undefined;
    if (configMap) return { configMap, key: path.slice(mountPath.length + 1) };
  }
  throw new Error(`${path} is not on a ConfigMap volume`);
}

const generatedTrustFiles = kustomization.configMapGenerator
  .find((generator) => generator.name === 'airlock-trust')!
  .files.map((file) => file.split('/').at(-1)!);

describe('deploy/kubernetes', () => {
  it('lists every manifest in kustomization.yaml, and every listed file exists', () => {
    const files = readdirSync(join(REPO_ROOT, K8S_DIR)).filter(
      (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('airlock');
  });

  it('builds the trust ConfigMap from ceremony files that git ignores and trust/README.md explains', () => {
    expect(generatedTrustFiles.sort()).toEqual(
      ['ca-chain.pem', 'ca-root.pem', 'ctlog-public.pem', 'tsa-chain.pem'].sort(),
    );
    const readme = read(`${K8S_DIR}/trust/README.md`);
    for (const file of generatedTrustFiles) expect(readme).toContain(`\`${file}\``);
    expect(read(`${K8S_DIR}/trust/.gitignore`)).toMatch(/^\*\.pem$/m);
  });

  it('puts every object in the airlock namespace, which enforces the restricted pod standard', () => {
    for (const { file, doc } of k8sObjects) {
      expect(typeof doc.apiVersion, file).toBe('string');
      if (doc.kind === 'Namespace') {
        expect(nameOf(doc)).toBe('airlock');
        expect(obj(obj(doc.metadata).labels)['pod-security.kubernetes.io/enforce']).toBe(
          'restricted',
        );
      } else {
        expect(obj(doc.metadata).namespace, `${file} ${nameOf(doc)}`).toBe('airlock');
      }
    }
  });

  it('runs each service as the right kind: logs and TUF as single StatefulSets with a volume', () => {
    for (const service of SERVICES) {
      const workload = workloadOf(service);
      const single = service === 'ctlog' || service === 'tlog' || service === 'tuf';
      expect(workload.kind, service).toBe(single ? 'StatefulSet' : 'Deployment');
      const spec = obj(workload.spec);
      if (single) {
        expect(spec.replicas, service).toBe(1);
        const claims = list(spec.volumeClaimTemplates).map(obj);
        expect(claims.map((c) => obj(c.metadata).name)).toEqual(['data']);
        const dataMount = list(containersOf(workload)[0]!.volumeMounts)
          .map(obj)
          .find((m) => m.name === 'data');
        const dir = flag(k8sCommand(service), service === 'tuf' ? '--dir' : '--data-dir');
        expect(dataMount?.mountPath, service).toBe(dir);
      } else {
        expect(spec.replicas as number, service).toBeGreaterThanOrEqual(2);
      }
    }
    expect(workloads.length).toBe(SERVICES.length);
  });

  it('locks every pod down: non-root, no service account token, RuntimeDefault seccomp', () => {
    for (const workload of workloads) {
      const pod = podSpecOf(workload);
      const security = obj(pod.securityContext);
      expect(security.runAsNonRoot, nameOf(workload)).toBe(true);
      expect(obj(security.seccompProfile).type, nameOf(workload)).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, nameOf(workload)).toBe(false);
    }
  });

  it('locks every container down, limits it, and pins its image by the digest kustomize sets', () => {
    const [image] = kustomization.images;
    for (const workload of workloads) {
      for (const container of [...initContainersOf(workload), ...containersOf(workload)]) {
        const where = `${nameOf(workload)}/${String(container.name)}`;
        expect(container.image, where).toMatch(DIGEST_PINNED);
        expect(container.image, where).toBe(`${image!.name}@${image!.digest}`);
        const resources = obj(container.resources);
        for (const kind of ['requests', 'limits']) {
          expect(obj(resources[kind]).cpu, `${where} ${kind}`).toBeDefined();
          expect(obj(resources[kind]).memory, `${where} ${kind}`).toBeDefined();
        }
        const security = obj(container.securityContext);
        expect(security.runAsNonRoot, where).toBe(true);
        expect(security.readOnlyRootFilesystem, where).toBe(true);
        expect(security.allowPrivilegeEscalation, where).toBe(false);
        expect(obj(security.capabilities).drop, where).toEqual(['ALL']);
        expect(obj(security.seccompProfile).type, where).toBe('RuntimeDefault');
      }
    }
  });

  for (const service of SERVICES) {
    it(`${service}: airlock serve ${service} with real flags, probed on /healthz and /readyz`, () => {
      const workload = workloadOf(service);
      const [container, ...others] = containersOf(workload);
      expect(others).toEqual([]);
      const resolved = k8sCommand(service);
      expect(resolved.path).toBe(`serve ${service}`);
      const port = listenPort(resolved);
      expect(port).toBe(DEFAULT_STACK_PORTS[service]);
      const ports = list(container!.ports).map(obj);
      expect(ports).toEqual([{ name: 'http', containerPort: port }]);
      const probe = (name: string) => obj(obj(container![name]).httpGet);
      expect(probe('livenessProbe')).toEqual({ path: '/healthz', port: 'http' });
      expect(probe('readinessProbe')).toEqual({ path: '/readyz', port: 'http' });
    });

    it(`${service}: keys from the airlock-keys ConfigMap, PIN from the mounted Secret`, () => {
      checkKeyFlags(service, k8sCommand(service), '/run/secrets/airlock/hsm-pin');
      const workload = workloadOf(service);
      const pinVolume = list(podSpecOf(workload).volumes)
        .map(obj)
        .find((volume) => volume.name === 'hsm-pin');
      expect(obj(pinVolume?.secret).secretName).toBe('airlock-hsm-pin');
      const pinMount = list(containersOf(workload)[0]!.volumeMounts)
        .map(obj)
        .find((mount) => mount.name === 'hsm-pin');
      expect(pinMount).toMatchObject({ mountPath: '/run/secrets/airlock', readOnly: true });
    });

    it(`${service}: a Service on its port and a PodDisruptionBudget select its pods`, () => {
      const labels = podLabelsOf(workloadOf(service));
      const selects = (selector: unknown) =>
        Object.entries(obj(selector)).every(([key, value]) => labels[key] === value);
      const services = ofKind('Service').filter((s) => selects(obj(s.spec).selector));
      expect(services.map(nameOf)).toEqual([`airlock-${service}`]);
      expect(list(obj(services[0]!.spec).ports)).toEqual([
        { name: 'http', port: DEFAULT_STACK_PORTS[service], targetPort: 'http' },
      ]);
      const budgets = ofKind('PodDisruptionBudget').filter((pdb) =>
        selects(obj(obj(pdb.spec).selector).matchLabels),
      );
      expect(budgets.length, service).toBe(1);
    });
  }

  it('mounts every file a flag names from a ConfigMap that has it', () => {
    const fileFlags: [ServiceName, string][] = [
      ['ca', '--chain'],
      ['ca', '--issuer-config'],
      ['ca', '--ct-public-key'],
      ['ctlog', '--roots'],
      ['tsa', '--chain'],
    ];
    for (const [service, name] of fileFlags) {
      const { configMap, key } = mountedConfigMapFile(
        workloadOf(service),
        flag(k8sCommand(service), name),
      );
      if (configMap === 'airlock-trust') expect(generatedTrustFiles, name).toContain(key);
      else expect(configMaps.get(configMap), name).toHaveProperty(key);
    }
  });

  it('one host name for the checkpoints, the CT log origin and the admission policies', () => {
    expect(flag(k8sCommand('tlog'), '--hostname')).toBe(K8S_HOST);
    expect(flag(k8sCommand('ctlog'), '--origin')).toBe(`${K8S_HOST}/ctlog`);
  });

  it('the CA reaches the CT log through its Service', () => {
    expect(flag(k8sCommand('ca'), '--ct-url')).toBe(
      `http://airlock-ctlog:${DEFAULT_STACK_PORTS.ctlog}`,
    );
  });

  it('the CA trusts the same issuers as the compose deployment', () => {
    const k8sIssuers = issuersOf(
      parse(configMaps.get('airlock-ca-issuers')!['issuers.yaml'] as string),
      'ca-issuers.yaml',
    );
    const composeIssuers = issuersOf(parse(read('deploy/compose/issuers.yaml')), 'issuers.yaml');
    expect(k8sIssuers).toEqual(composeIssuers);
  });
});

describe('deploy/kubernetes/networkpolicies.yaml', () => {
  const policies = ofKind('NetworkPolicy').map((policy) => obj(policy.spec));
  const matches = (policySelector: unknown, labels: Record<string, string>) =>
    Object.entries(obj(obj(policySelector).matchLabels ?? {})).every(
      ([key, value]) => labels[key] === value,
    );
  const ingressRulesFor = (service: ServiceName) =>
    policies
      .filter((p) => matches(p.podSelector, podLabelsOf(workloadOf(service))))
      .flatMap((p) => list(p.ingress).map(obj));
  const ports = (rule: Obj) => list(rule.ports).map((port) => obj(port).port);

  it('denies all ingress and egress by default', () => {
    const deny = policies.find(
      (p) =>
        Object.keys(obj(p.podSelector)).length === 0 &&
        p.ingress === undefined &&
        p.egress === undefined,
    );
    expect(deny?.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('lets clients reach the CA, the transparency log, the TSA and TUF on their ports', () => {
    for (const service of ['ca', 'tlog', 'tsa', 'tuf'] as const) {
      const open = ingressRulesFor(service).filter((rule) => rule.from === undefined);
      expect(open.flatMap(ports), service).toEqual([DEFAULT_STACK_PORTS[service]]);
    }
  });

  it('lets only the CA reach the CT log, and the CA reach nothing else in the namespace', () => {
    const ctlogRules = ingressRulesFor('ctlog').filter((rule) =>
      list(rule.from).some((peer) => obj(peer).podSelector !== undefined),
    );
    expect(ctlogRules.length).toBe(1);
    expect(ctlogRules[0]!.from).toEqual([
      { podSelector: { matchLabels: podLabelsOf(workloadOf('ca')) } },
    ]);
    expect(ports(ctlogRules[0]!)).toEqual([DEFAULT_STACK_PORTS.ctlog]);
    // No open ingress rule on the CT log.
    expect(ingressRulesFor('ctlog').filter((rule) => rule.from === undefined)).toEqual([]);
    const caEgress = policies
      .filter((p) => matches(p.podSelector, podLabelsOf(workloadOf('ca'))))
      .flatMap((p) => list(p.egress).map(obj))
      .filter((rule) =>
        list(rule.to).some(
          (peer) =>
            obj(peer).podSelector !== undefined && obj(peer).namespaceSelector === undefined,
        ),
      );
    expect(caEgress.map((rule) => rule.to)).toEqual([
      [{ podSelector: { matchLabels: podLabelsOf(workloadOf('ctlog')) } }],
    ]);
    expect(caEgress.flatMap(ports)).toEqual([DEFAULT_STACK_PORTS.ctlog]);
  });

  it('selects every workload with a policy that lets something in', () => {
    for (const service of SERVICES)
      expect(ingressRulesFor(service).length, service).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Admission policies
// ---------------------------------------------------------------------------------------------

const k8sIssuerUrls = Object.keys(
  obj(obj(parse(configMaps.get('airlock-ca-issuers')!['issuers.yaml'] as string))['oidc-issuers']),
);
const serviceUrl = (service: ServiceName) => `http://${K8S_HOST}:${DEFAULT_STACK_PORTS[service]}`;

/** Field names found in Kyverno's and policy-controller's API types (kyverno.io/v1, policy.sigstore.dev). */
const KNOWN_FIELDS = {
  verifyImage: [
    'failureAction',
    'type',
    'imageReferences',
    'skipImageReferences',
    'attestors',
    'attestations',
    'repository',
    'cosignOCI11',
    'mutateDigest',
    'verifyDigest',
    'validate',
    'required',
    'imageRegistryCredentials',
    'useCache',
  ],
  attestorSet: ['count', 'entries'],
  attestor: [
    'keys',
    'certificates',
    'keyless',
    'attestor',
    'annotations',
    'repository',
    'signatureAlgorithm',
  ],
  keyless: [
    'rekor',
    'ctlog',
    'issuer',
    'issuerRegExp',
    'subject',
    'subjectRegExp',
    'roots',
    'additionalExtensions',
  ],
  rekor: ['url', 'pubkey', 'ignoreTlog'],
  ctlog: ['ignoreSCT', 'pubkey', 'tsaCertChain'],
  cipSpec: ['images', 'authorities', 'policy', 'mode', 'match'],
  authority: [
    'name',
    'key',
    'keyless',
    'static',
    'source',
    'ctlog',
    'attestations',
    'rfc3161timestamp',
  ],
  keylessRef: ['url', 'identities', 'ca-cert', 'trustRootRef', 'insecureIgnoreSCT'],
  identity: ['issuer', 'subject', 'issuerRegExp', 'subjectRegExp'],
  tlog: ['url', 'trustRootRef'],
  trustRootSpec: ['remote', 'repository', 'sigstoreKeys'],
  remote: ['root', 'mirror', 'targets'],
} as const;

function onlyKnownFields(value: unknown, fields: readonly string[], where: string): Obj {
  const object = obj(value);
  for (const key of Object.keys(object)) expect(fields, `${where}.${key}`).toContain(key);
  return object;
}

/** The placeholders operators fill from the key ceremony; each must be explained in the docs. */
const POLICY_PLACEHOLDERS = [
  'AIRLOCK_CA_ROOT_PEM',
  'AIRLOCK_REKOR_V1_PUBLIC_KEY_PEM',
  'AIRLOCK_CTLOG_PUBLIC_KEY_PEM',
  'AIRLOCK_TUF_ROOT_BASE64',
];

describe('deploy/policies', () => {
  const kyverno = yamlDocuments('deploy/policies/kyverno-verify-images.yaml');
  const trustRoots = yamlDocuments('deploy/policies/policy-controller-trustroot.yaml');
  const cips = yamlDocuments('deploy/policies/policy-controller-clusterimagepolicy.yaml');

  it('Kyverno: a keyless attestor for the IdP the CA trusts, Airlock log and CT log, enforced', () => {
    expect(kyverno.map((doc) => [doc.apiVersion, doc.kind])).toEqual([
      ['kyverno.io/v1', 'ClusterPolicy'],
    ]);
    const spec = obj(kyverno[0]!.spec);
    expect(obj(spec.webhookConfiguration).failurePolicy).toBe('Fail');
    const [rule] = list(spec.rules).map(obj);
    const [verify] = list(rule!.verifyImages);
    const image = onlyKnownFields(verify, KNOWN_FIELDS.verifyImage, 'verifyImages[0]');
    expect(image).toMatchObject({ failureAction: 'Enforce', required: true, verifyDigest: true });
    const [set] = list(image.attestors);
    const [entry] = list(onlyKnownFields(set, KNOWN_FIELDS.attestorSet, 'attestors[0]').entries);
    const keyless = onlyKnownFields(
      onlyKnownFields(entry, KNOWN_FIELDS.attestor, 'entries[0]').keyless,
      KNOWN_FIELDS.keyless,
      'keyless',
    );
    expect(k8sIssuerUrls).toContain(keyless.issuer);
    expect(keyless.roots).toBe('AIRLOCK_CA_ROOT_PEM');
    const rekor = onlyKnownFields(keyless.rekor, KNOWN_FIELDS.rekor, 'keyless.rekor');
    expect(rekor).toEqual({ url: serviceUrl('tlog'), pubkey: 'AIRLOCK_REKOR_V1_PUBLIC_KEY_PEM' });
    const ctlog = onlyKnownFields(keyless.ctlog, KNOWN_FIELDS.ctlog, 'keyless.ctlog');
    // The CA embeds an SCT in every certificate, so it must be checked, against the CT log key.
    expect(ctlog).toEqual({ ignoreSCT: false, pubkey: 'AIRLOCK_CTLOG_PUBLIC_KEY_PEM' });
    expect(new RegExp(keyless.subjectRegExp as string).test('developer@example.internal')).toBe(
      true,
    );
    expect(new RegExp(keyless.subjectRegExp as string).test('mallory@example.internal.evil')).toBe(
      false,
    );
  });

  it('policy-controller: a TrustRoot fetched from Airlock TUF, from the ceremony root', () => {
    expect(trustRoots.map((doc) => [doc.apiVersion, doc.kind])).toEqual([
      ['policy.sigstore.dev/v1alpha1', 'TrustRoot'],
    ]);
    const spec = onlyKnownFields(trustRoots[0]!.spec, KNOWN_FIELDS.trustRootSpec, 'spec');
    expect(onlyKnownFields(spec.remote, KNOWN_FIELDS.remote, 'spec.remote')).toEqual({
      mirror: serviceUrl('tuf'),
      root: 'AIRLOCK_TUF_ROOT_BASE64',
    });
  });

  it('policy-controller: a keyless authority for the CA issuer, logged in Airlock, enforced', () => {
    expect(cips.map((doc) => [doc.apiVersion, doc.kind])).toEqual([
      ['policy.sigstore.dev/v1beta1', 'ClusterImagePolicy'],
    ]);
    const spec = onlyKnownFields(cips[0]!.spec, KNOWN_FIELDS.cipSpec, 'spec');
    expect(spec.mode).toBe('enforce');
    const trustRoot = nameOf(trustRoots[0]!);
    const [authority] = list(spec.authorities).map((a) =>
      onlyKnownFields(a, KNOWN_FIELDS.authority, 'authority'),
    );
    const keyless = onlyKnownFields(authority!.keyless, KNOWN_FIELDS.keylessRef, 'keyless');
    expect(keyless.url).toBe(serviceUrl('ca'));
    expect(keyless.trustRootRef).toBe(trustRoot);
    const identities = list(keyless.identities).map((i) =>
      onlyKnownFields(i, KNOWN_FIELDS.identity, 'identity'),
    );
    expect(identities.map((identity) => identity.issuer)).toEqual(k8sIssuerUrls);
    expect(onlyKnownFields(authority!.ctlog, KNOWN_FIELDS.tlog, 'ctlog')).toEqual({
      url: serviceUrl('tlog'),
      trustRootRef: trustRoot,
    });
  });

  it('Kyverno and policy-controller guard the same images and identities', () => {
    const image = obj(list(obj(list(obj(kyverno[0]!.spec).rules)[0]).verifyImages)[0]);
    const glob = obj(list(obj(cips[0]!.spec).images)[0]).glob as string;
    const prefix = (pattern: string) => pattern.replace(/\*+$/, '');
    expect(prefix(glob)).toBe(prefix(list(image.imageReferences)[0] as string));
    expect(prefix(glob)).toBe(`${kustomization.images[0]!.name.split('/')[0]}/`);
  });

  it('explains every placeholder, and uses no URL outside the stack services', () => {
    const docs = read('docs/deployment.md');
    const text = [
      'kyverno-verify-images',
      'policy-controller-trustroot',
      'policy-controller-clusterimagepolicy',
    ]
      .map((name) => read(`deploy/policies/${name}.yaml`))
      .join('\n');
    for (const placeholder of POLICY_PLACEHOLDERS) {
      expect(text, placeholder).toContain(placeholder);
      expect(docs, placeholder).toContain(placeholder);
    }
    const allowed = new Set([...SERVICES.map(serviceUrl), ...k8sIssuerUrls]);
    for (const url of text.match(/https?:\/\/[^\s"'`]+/g) ?? []) {
      const base = url.replace(/\/api\/v1\/log\/publicKey$/, '');
      expect(allowed, url).toContain(base);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------------

const DEPLOYMENT_DOCS = [
  'docs/quickstart.md',
  'docs/deployment.md',
  'docs/operations.md',
  'docs/threat-model.md',
  'docs/air-gap-import.md',
];

/** The airlock command lines in a document's code blocks (continuations joined, shell tails cut). */
function documentedCommands(text: string): string[][] {
  const commands: string[][] = [];
  for (const block of text.matchAll(/^```(?:sh|bash|console|shell)\n([\s\S]*?)^```$/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n');
    for (const raw of lines) {
      const line = raw.replace(/^\$\s+/, '').trim();
      const match = /^(?:[A-Z_][A-Z0-9_]*=\S+\s+)*(?:npx\s+)?airlock\s+(.*)$/.exec(line);
      if (!match) continue;
      // The command ends where the shell takes over: a pipe, a redirection, a list or a comment.
      const words = shellWords(match[1]!.replace(/\s+(?:\||>|>>|&&|;|#)(?:\s.*)?$/, ''));
      commands.push(words);
    }
  }
  return commands;
}

describe('docs', () => {
  for (const file of DEPLOYMENT_DOCS) {
    it(`${file}: every airlock command in it is a real command with real flags`, () => {
      const commands = documentedCommands(read(file));
      for (const words of commands) {
        expect(() => resolveCommand(words), `airlock ${words.join(' ')}`).not.toThrow();
      }
    });

    it(`${file}: every relative link points at a file that exists`, () => {
      const text = read(file);
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const path = resolve(dirname(join(REPO_ROOT, file)), target!);
        expect(existsSync(path), `${file} → ${relative(REPO_ROOT, path)}`).toBe(true);
      }
    });
  }

  it('the key checks refuse a PIN in the URI, the wrong key and a file key', () => {
    const tsa = (key: string) =>
      resolveServiceCommand(['serve', 'tsa', '--key', key, '--chain', 'chain.pem']);
    const uri = (object: string, query: string) =>
      `pkcs11:token=t;object=${object};type=private?module-path=/m.so&${query}`;
    expect(() =>
      checkKeyFlags(
        'tsa',
        tsa(uri('tsa', 'pin-source=/run/secrets/hsm_pin')),
        '/run/secrets/hsm_pin',
      ),
    ).not.toThrow();
    expect(() =>
      checkKeyFlags('tsa', tsa(uri('tsa', 'pin-value=1234')), '/run/secrets/hsm_pin'),
    ).toThrow();
    expect(() =>
      checkKeyFlags(
        'tsa',
        tsa(uri('ca-root', 'pin-source=/run/secrets/hsm_pin')),
        '/run/secrets/hsm_pin',
      ),
    ).toThrow();
    expect(() => checkKeyFlags('tsa', tsa('file:/keys/tsa.pem'), '/run/secrets/hsm_pin')).toThrow();
  });

  it('docs/operations.md lists every key of the ceremony with its algorithm, online if a service uses it', () => {
    const rows = [
      ...read('docs/operations.md').matchAll(
        /^\| `([a-z0-9-]+)` +\| `(ecdsa-p256|ecdsa-p384|ed25519)` +\|[^|]+\| (yes|no) +\|$/gm,
      ),
    ];
    const algorithms = { 'ecdsa-p256': 'ecdsa-p256-sha256', 'ecdsa-p384': 'ecdsa-p384-sha384' };
    expect(
      Object.fromEntries(
        rows.map(([, name, algorithm]) => [name, algorithms[algorithm as keyof typeof algorithms]]),
      ),
    ).toEqual(STACK_KEYS);
    const online = new Set(Object.values(KEY_FLAGS).flatMap((flags) => Object.values(flags)));
    for (const [, name, , used] of rows)
      expect(used === 'yes', name).toBe(online.has(name as keyof typeof STACK_KEYS));
  });

  it('the command checks catch what they must', () => {
    expect(
      documentedCommands('```sh\nnpx airlock keys list --token "pkcs11:a b" | cat\n```\n'),
    ).toEqual([['keys', 'list', '--token', 'pkcs11:a b']]);
    expect(() => resolveCommand(['serve', 'nonsense'])).toThrow(/no command serve nonsense/);
    expect(() => resolveCommand(['serve', 'tlog', '--no-such-flag'])).toThrow(/no flag/);
    expect(() => resolveCommand(['serve', 'tlog', '--listen'])).toThrow(/needs a value/);
    expect(() => resolveServiceCommand(['serve', 'ctlog', '--roots', 'r.pem'])).toThrow(
      /missing --key/,
    );
    expect(() => resolveCommand(['serve'])).toThrow(/needs a subcommand/);
  });
});

// ---------------------------------------------------------------------------------------------
// The compose command lines, run as processes
// ---------------------------------------------------------------------------------------------

const BIN = join(REPO_ROOT, 'packages/cli/dist/bin.js');
const children: ChildProcess[] = [];

interface Started {
  readonly url: string;
  output(): string;
}

/** Starts `node bin.js <args>` and resolves when a line matching `ready` appears. */
function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let output = '';
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStarted({ url: match[1] ?? '', output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`airlock ${args.slice(0, 2).join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  await exited;
}

describe('the compose services, run as processes with their compose command lines', () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-compose-'));
  const urls = new Map<ServiceName, string>();
  let trustedRoot: Obj;

  /** Container paths → places under `root`, and the published ports → free ones. */
  function toHost(service: string, args: readonly string[], ctlogUrl?: string): string[] {
    const mounts: [string, string][] = [
      ['/var/lib/airlock/state', join(root, 'state')],
      ['/var/lib/airlock/data', join(root, `${service}-data`)],
      ['/run/secrets/', `${join(root, 'secrets')}/`],
    ];
    for (const config of compose.services[service]!.configs ?? []) {
      mounts.push([config.target, join(REPO_ROOT, compose.configs![config.source]!.file)]);
    }
    return args.map((arg) => {
      let mapped = arg.replace(/^0\.0\.0\.0:\d+$/, '127.0.0.1:0');
      if (ctlogUrl) mapped = mapped.replace(/^http:\/\/ctlog:\d+$/, ctlogUrl);
      for (const [from, to] of mounts) mapped = mapped.split(from).join(to);
      return mapped;
    });
  }

  function envOf(service: string): Record<string, string> {
    return Object.fromEntries(
      Object.entries(compose.services[service]!.environment ?? {}).map(([key, value]) => [
        key,
        toHost(service, [value])[0]!,
      ]),
    );
  }

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -b)`);
    // The ceremony, as compose runs it; its own listeners move to free ports.
    const ceremony = compose.services.ceremony!;
    const freePorts = Object.keys(DEFAULT_STACK_PORTS).flatMap((name) => [`--${name}-port`, '0']);
    const up = await start(
      [...toHost('ceremony', ceremony.command ?? []), ...freePorts],
      envOf('ceremony'),
      /airlock: ready/,
    );
    await stop(children.at(-1)!);
    expect(up.output()).toContain('https://idp.example.internal/realms/engineering');
    trustedRoot = obj(JSON.parse(readFileSync(join(root, 'state', 'trusted_root.json'), 'utf8')));
    // The PIN secret, as docs/deployment.md has the operator copy it.
    mkdirSync(join(root, 'secrets'), { mode: 0o700 });
    copyFileSync(join(root, 'state', 'softhsm', 'user.pin'), join(root, 'secrets', 'hsm_pin'));
    for (const service of ['ctlog', 'tlog', 'tsa', 'tuf', 'ca'] as const) {
      const args = toHost(service, compose.services[service]!.command ?? [], urls.get('ctlog'));
      const started = await start(
        args,
        envOf(service),
        new RegExp(`${service}: listening on (http://\\S+)`),
      );
      urls.set(service, started.url);
    }
  }, 180_000);

  afterAll(async () => {
    for (const child of children.reverse()) await stop(child);
    rmSync(root, { recursive: true, force: true });
  });

  it('every service is ready, its HSM key and storage usable', async () => {
    for (const service of SERVICES) {
      const response = await fetch(`${urls.get(service)}/readyz`);
      expect(response.status, service).toBe(200);
    }
  });

  it('the CA trusts the configured IdP only', async () => {
    const configuration = (await (
      await fetch(`${urls.get('ca')}/api/v2/configuration`)
    ).json()) as {
      issuers: { issuerUrl: string }[];
    };
    expect(configuration.issuers.map((issuer) => issuer.issuerUrl)).toEqual([
      'https://idp.example.internal/realms/engineering',
    ]);
  });

  it('the transparency log accepts an entry, signed by the keys and host the trusted root names', async () => {
    const submission = new HashedRekordFactory().next();
    const response = await fetch(`${urls.get('tlog')}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: submission.json,
    });
    expect(response.status).toBe(201);
    const [entry] = Object.values(obj(await response.json())).map(obj);
    const trustedKeyIds = list(trustedRoot.tlogs).map((log) => obj(obj(log).logId).keyId);
    expect(trustedKeyIds).toContain(Buffer.from(entry!.logID as string, 'hex').toString('base64'));
    const info = obj(await (await fetch(`${urls.get('tlog')}/api/v1/log`)).json());
    expect(info.treeSize).toBe(1);
    expect((info.signedTreeHead as string).startsWith(`${STACK_HOST} - `)).toBe(true);
    // The v2 log is named by its host, the name the ceremony wrote into the trusted root.
    const checkpoint = await (await fetch(`${urls.get('tlog')}/checkpoint`)).text();
    expect(checkpoint.split('\n')[0]).toBe(STACK_HOST);
  });

  it('the TSA grants a timestamp with the key in the token', async () => {
    const request = encodeTimeStampReq(
      timeStampRequest({
        hashAlgorithm: 'sha256',
        hashedMessage: createHash('sha256').update(randomBytes(32)).digest(),
        certReq: true,
      }),
    );
    const response = await fetch(`${urls.get('tsa')}/api/v1/timestamp`, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: request,
    });
    expect(response.status).toBe(200);
    const parsed = parseTimeStampResponse(new Uint8Array(await response.arrayBuffer()));
    expect(parsed.status).toBe('granted');
    expect(parsed.token).toBeDefined();
  });

  it('TUF serves the ceremony root and the trusted root it signed', async () => {
    const served = await (await fetch(`${urls.get('tuf')}/1.root.json`)).text();
    expect(served).toBe(readFileSync(join(root, 'state', 'tuf', '1.root.json'), 'utf8'));
    const timestamp = (await (await fetch(`${urls.get('tuf')}/timestamp.json`)).json()) as {
      signed: { _type: string };
    };
    expect(timestamp.signed._type).toBe('timestamp');
  });

  it('the CT log has the key the trusted root lists for it', async () => {
    const sth = (await (await fetch(`${urls.get('ctlog')}/ct/v1/get-sth`)).json()) as {
      tree_size: number;
    };
    expect(sth.tree_size).toBe(0);
    expect(list(trustedRoot.ctlogs).length).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// docs/operations.md: the check that refuses a restore behind a published checkpoint
// ---------------------------------------------------------------------------------------------

async function airlock(argv: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await runCli(argv, {
    stdout: (text) => (output += text),
    stderr: (text) => (output += text),
  });
  return { code, output };
}

describe('docs/operations.md: a restore must never roll a log back', () => {
  it('the documented check accepts a restore with every published entry and refuses an older one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-restore-'));
    const data = join(dir, 'data');
    const entries = new HashedRekordFactory();
    const submit = async (url: string, count: number) => {
      for (const submission of entries.many(count)) {
        const response = await fetch(`${url}/api/v1/log/entries`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: submission.json,
        });
        expect(response.status).toBe(201);
      }
    };
    /** Puts a backup in place and runs the check against the log started on it. */
    const restoreAndCheck = async (backup: string, checkpointCopy: string) => {
      rmSync(data, { recursive: true });
      cpSync(backup, data, { recursive: true });
      const restored = await startTlogProcess({ dataDir: data });
      try {
        return await airlock([
          'log',
          'consistency',
          '--rekor-url',
          restored.url,
          '--public-key',
          join(dir, 'rekor-v1.pem'),
          '--checkpoint-file',
          checkpointCopy,
        ]);
      } finally {
        await restored.stop();
      }
    };
    try {
      // A backup taken after one entry; then the log grows and publishes a checkpoint of size 3.
      let tlog = await startTlogProcess({ dataDir: data });
      await submit(tlog.url, 1);
      await tlog.stop();
      cpSync(data, join(dir, 'backup-old'), { recursive: true });
      tlog = await startTlogProcess({ dataDir: data });
      await submit(tlog.url, 2);
      const publicKey = join(dir, 'rekor-v1.pem');
      const exported = await airlock([
        'keys',
        'export-public',
        '--key',
        `file:${join(data, 'keys', 'rekor-v1.pem')}`,
        '--output',
        publicKey,
      ]);
      expect(exported.code, exported.output).toBe(EXIT.ok);
      // An auditor verifies and remembers the published checkpoint.
      const auditor = join(dir, 'auditor.json');
      const seen = await airlock([
        'log',
        'consistency',
        '--rekor-url',
        tlog.url,
        '--public-key',
        publicKey,
        '--checkpoint-file',
        auditor,
      ]);
      expect(seen.code, seen.output).toBe(EXIT.ok);
      await tlog.stop();
      cpSync(data, join(dir, 'backup-new'), { recursive: true });

      copyFileSync(auditor, join(dir, 'copy-1.json'));
      const current = await restoreAndCheck(join(dir, 'backup-new'), join(dir, 'copy-1.json'));
      expect(current.code, current.output).toBe(EXIT.ok);

      copyFileSync(auditor, join(dir, 'copy-2.json'));
      const stale = await restoreAndCheck(join(dir, 'backup-old'), join(dir, 'copy-2.json'));
      expect(stale.code).toBe(EXIT.checkFailed);
      expect(stale.output).toMatch(/rolled back: the log shrank from 3 to 1 entries/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
