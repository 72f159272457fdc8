// Which CA, transparency logs and timestamp authorities to sign with: explicit URLs, else a signing
// config file, else the signing config of the development stack (.airlock/stack.json). There is no
// public-good default: a client on a disconnected network must never reach for the internet.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  parseSigningConfig,
  parseTrustedRoot,
  type ServiceConfigurationJson,
  type ServiceJson,
  type SigningConfigJson,
  servicesValidAt,
  type TrustedRootJson,
} from '@airlock/trust';
import { ClientError, describeCause } from './errors.js';

/** A transparency log and the Rekor API it speaks (1: Rekor v1; 2: Rekor v2, tiles). */
export interface TlogService {
  readonly url: string;
  readonly majorApiVersion: 1 | 2;
}

/** The services a signature is made with. */
export interface SigningServices {
  /** Base URL of the CA (Fulcio API); needed for keyless signing only. */
  readonly caUrl?: string;
  /** Every log the signature is entered in; one entry per log in the bundle. */
  readonly tlogs: readonly TlogService[];
  /** Time-stamping URLs (full URL, or a base URL to which /api/v1/timestamp is appended). */
  readonly tsaUrls: readonly string[];
}

/** The API versions this client speaks, newest first, as clients select them. */
const SUPPORTED_VERSIONS = {
  caUrls: [1],
  oidcUrls: [1],
  rekorTlogUrls: [2, 1],
  tsaUrls: [1],
} as const;

/** Where the development stack's description lives, relative to the working directory. */
export const DEFAULT_STACK_DIR = '.airlock';

/** The parts of stack.json (written by `airlock up`) a client reads. */
export interface StackFile {
  /** The development OIDC provider's issuer URL. */
  readonly oidc: string;
  readonly signingConfig: string;
  readonly trustedRoot: string;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClientError(
      'INVALID_CONFIG',
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Reads and checks a signing config file. */
export function readSigningConfig(path: string): SigningConfigJson {
  const text = readText(path, 'signing config');
  try {
    return parseSigningConfig(text);
  } catch (error) {
    throw new ClientError('INVALID_CONFIG', `${path}: ${describeCause(error)}`, { cause: error });
  }
}

/** Reads and checks a trusted root file. */
export function readTrustedRoot(path: string): TrustedRootJson {
  const text = readText(path, 'trusted root');
  try {
    return parseTrustedRoot(text);
  } catch (error) {
    throw new ClientError('INVALID_CONFIG', `${path}: ${describeCause(error)}`, { cause: error });
  }
}

/** Reads `<dir>/stack.json`; undefined when there is none (no development stack was started here). */
export function readStackFile(dir: string): StackFile | undefined {
  const path = resolve(dir, 'stack.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClientError(
      'INVALID_CONFIG',
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ClientError('INVALID_CONFIG', `${path} is not valid JSON`);
  }
  const stack = json as Partial<Record<keyof StackFile, unknown>> | null;
  for (const field of ['oidc', 'signingConfig', 'trustedRoot'] as const) {
    if (typeof stack?.[field] !== 'string' || stack[field] === '') {
      throw new ClientError('INVALID_CONFIG', `${path} has no ${field}`);
    }
  }
  const { oidc, signingConfig, trustedRoot } = stack as Record<keyof StackFile, string>;
  // `airlock up` writes absolute paths; a relative one is read against the stack folder's parent.
  const base = resolve(dir, '..');
  return {
    oidc,
    signingConfig: resolve(base, signingConfig),
    trustedRoot: resolve(base, trustedRoot),
  };
}

/**
 * Picks services from a list as sigstore-go does: the newest API version this client speaks that has
 * any service valid at `at`; among those, newest validity start first, at most one per operator; then
 * one (ANY), all (ALL) or `count` (EXACT) of them.
 */
function selectServices(
  services: readonly ServiceJson[],
  versions: readonly number[],
  config: ServiceConfigurationJson | undefined,
  at: Date,
  what: string,
): ServiceJson[] {
  const valid = servicesValidAt(services, at);
  for (const version of versions) {
    const operators = new Set<string>();
    const candidates = valid.filter((service) => {
      if (service.majorApiVersion !== version || operators.has(service.operator)) return false;
      operators.add(service.operator);
      return true;
    });
    if (candidates.length === 0) continue;
    if (config === undefined || config.selector === 'ANY') return candidates.slice(0, 1);
    if (config.selector === 'ALL') return candidates;
    const count = config.count ?? 1;
    if (candidates.length < count) {
      throw new ClientError(
        'NO_SERVICE',
        `the signing config asks for ${count} ${what}s (EXACT) but only ${candidates.length} are valid now`,
      );
    }
    return candidates.slice(0, count);
  }
  return [];
}

/** The services a signing config selects at `at` (default: now). */
export function servicesFromSigningConfig(
  config: SigningConfigJson,
  at: Date = new Date(),
): SigningServices {
  const ca = selectServices(config.caUrls, SUPPORTED_VERSIONS.caUrls, undefined, at, 'CA')[0];
  const tlogs = selectServices(
    config.rekorTlogUrls,
    SUPPORTED_VERSIONS.rekorTlogUrls,
    config.rekorTlogConfig,
    at,
    'transparency log',
  ).map((service) => ({ url: service.url, majorApiVersion: service.majorApiVersion as 1 | 2 }));
  const tsaUrls = selectServices(
    config.tsaUrls,
    SUPPORTED_VERSIONS.tsaUrls,
    config.tsaConfig,
    at,
    'timestamp authority',
  ).map((service) => service.url);
  return { ...(ca !== undefined ? { caUrl: ca.url } : {}), tlogs, tsaUrls };
}

/**
 * The OpenID provider a signing config names for logging in at `at` (default: now), selected as the
 * CA is: one, of an API version this client speaks, valid then. Undefined when it names none.
 */
export function oidcUrlFromSigningConfig(
  config: SigningConfigJson,
  at: Date = new Date(),
): string | undefined {
  return selectServices(
    config.oidcUrls,
    SUPPORTED_VERSIONS.oidcUrls,
    undefined,
    at,
    'OpenID provider',
  )[0]?.url;
}

export interface DiscoverServicesOptions {
  /** `--fulcio-url`. */
  readonly caUrl?: string;
  /** `--rekor-url`, a Rekor v1 log unless rekorMajorApiVersion says otherwise. */
  readonly rekorUrl?: string;
  readonly rekorMajorApiVersion?: 1 | 2;
  /** `--timestamp-server-url`. */
  readonly tsaUrl?: string;
  /** `--signing-config`: a signing_config.json file. */
  readonly signingConfigPath?: string;
  /** `--trusted-root`: checked against after signing. */
  readonly trustedRootPath?: string;
  /** Folder holding stack.json (default `.airlock`). */
  readonly stackDir?: string;
  /** Base for relative paths (default process.cwd()). */
  readonly baseDir?: string;
  /** When a signing config's services must be valid (default now). */
  readonly at?: Date;
}

export interface DiscoveredServices {
  readonly services: SigningServices;
  /** Where the services came from. */
  readonly source: 'flags' | 'signing-config' | 'stack';
  /** The trusted root to check new bundles against: the one given, else the stack's when used. */
  readonly trustedRoot?: TrustedRootJson;
  /** The development stack's description, when its services are the ones used. */
  readonly stack?: StackFile;
  /** The OpenID provider the signing config names (never set from service URL flags). */
  readonly oidcUrl?: string;
}

/** A service URL flag's value, checked to be http(s), without trailing slashes. */
export function checkUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClientError('INVALID_CONFIG', `${flag} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClientError('INVALID_CONFIG', `${flag} is not an http(s) URL`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Finds the services to sign with. Explicit URLs and a signing config cannot be mixed (cosign refuses
 * that too); with neither, the development stack's signing config is used. Throws NO_SERVICE when
 * nothing names a transparency log.
 */
export function discoverServices(options: DiscoverServicesOptions = {}): DiscoveredServices {
  const baseDir = options.baseDir ?? process.cwd();
  const explicit = [options.caUrl, options.rekorUrl, options.tsaUrl].some(
    (url) => url !== undefined,
  );
  const givenRoot =
    options.trustedRootPath !== undefined
      ? readTrustedRoot(resolve(baseDir, options.trustedRootPath))
      : undefined;

  let services: SigningServices;
  let source: DiscoveredServices['source'];
  let trustedRoot = givenRoot;
  let stack: StackFile | undefined;
  let oidcUrl: string | undefined;
  if (explicit) {
    if (options.signingConfigPath !== undefined) {
      throw new ClientError(
        'CONFLICTING_OPTIONS',
        'cannot give service URLs and a signing config together: use one or the other',
      );
    }
    services = {
      ...(options.caUrl !== undefined ? { caUrl: checkUrl(options.caUrl, '--fulcio-url') } : {}),
      tlogs:
        options.rekorUrl !== undefined
          ? [
              {
                url: checkUrl(options.rekorUrl, '--rekor-url'),
                majorApiVersion: options.rekorMajorApiVersion ?? 1,
              },
            ]
          : [],
      tsaUrls:
        options.tsaUrl !== undefined ? [checkUrl(options.tsaUrl, '--timestamp-server-url')] : [],
    };
    source = 'flags';
  } else if (options.signingConfigPath !== undefined) {
    const config = readSigningConfig(resolve(baseDir, options.signingConfigPath));
    services = servicesFromSigningConfig(config, options.at);
    oidcUrl = oidcUrlFromSigningConfig(config, options.at);
    source = 'signing-config';
  } else {
    stack = readStackFile(stackDirOf(options));
    if (stack === undefined) {
      throw new ClientError(
        'NO_SERVICE',
        'no signing services: give --signing-config (or --fulcio-url and --rekor-url), or start the development stack (npm start)',
      );
    }
    const config = readSigningConfig(stack.signingConfig);
    services = servicesFromSigningConfig(config, options.at);
    oidcUrl = oidcUrlFromSigningConfig(config, options.at);
    source = 'stack';
    trustedRoot ??= readTrustedRoot(stack.trustedRoot);
  }
  if (services.tlogs.length === 0) {
    throw new ClientError(
      'NO_SERVICE',
      source === 'flags'
        ? 'no transparency log: give --rekor-url'
        : 'the signing config names no transparency log valid now',
    );
  }
  return {
    services,
    source,
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    ...(stack !== undefined ? { stack } : {}),
    ...(oidcUrl !== undefined ? { oidcUrl } : {}),
  };
}

/** The stack folder the options name, resolved. */
export function stackDirOf(options: Pick<DiscoverServicesOptions, 'stackDir' | 'baseDir'>): string {
  return resolve(options.baseDir ?? process.cwd(), options.stackDir ?? DEFAULT_STACK_DIR);
}
