// Builds and checks `signing_config.v0.2.json` (dev.sigstore.trustroot.v1.SigningConfig v0.2): which
// CA, identity provider, logs and TSAs a signing client uses, with the API versions clients select by.
import { type TimeInput, toDate } from './encoding.js';
import { TrustError } from './errors.js';
import {
  type ValidityInput,
  type ValidityJson,
  validityFromInput,
  validityFromJson,
} from './validity.js';

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/**
 * The major API versions clients select each service by. Fulcio is 1 although its path is
 * /api/v2; Rekor v1 is 1 and Rekor v2 (tiles) is 2; TSA and OIDC are 1.
 */
export const SERVICE_API_VERSIONS = {
  caUrls: [1],
  oidcUrls: [1],
  rekorTlogUrls: [1, 2],
  tsaUrls: [1],
} as const satisfies Record<ServiceList, readonly number[]>;

type ServiceList = 'caUrls' | 'oidcUrls' | 'rekorTlogUrls' | 'tsaUrls';

export type ServiceSelector = 'ALL' | 'ANY' | 'EXACT';

export interface ServiceJson {
  readonly url: string;
  readonly majorApiVersion: number;
  readonly validFor: ValidityJson;
  readonly operator: string;
}

export interface ServiceConfigurationJson {
  readonly selector: ServiceSelector;
  /** Only with EXACT: how many services to use. */
  readonly count?: number;
}

export interface SigningConfigJson {
  readonly mediaType: typeof SIGNING_CONFIG_MEDIA_TYPE;
  readonly caUrls: readonly ServiceJson[];
  readonly oidcUrls: readonly ServiceJson[];
  readonly rekorTlogUrls: readonly ServiceJson[];
  readonly rekorTlogConfig: ServiceConfigurationJson;
  readonly tsaUrls: readonly ServiceJson[];
  readonly tsaConfig: ServiceConfigurationJson;
}

export interface ServiceInput {
  /**
   * CA, OIDC and Rekor: the base URL (clients append the API path). TSA: the full URL time-stamp
   * requests are posted to, e.g. https://tsa.example/api/v1/timestamp.
   */
  readonly url: string;
  /** Default: the only version clients know for the service (1); required for Rekor. */
  readonly majorApiVersion?: number;
  readonly validFor: ValidityInput;
  /** Scheme-less URI of who runs the service; clients pick at most one service per operator. */
  readonly operator: string;
}

export interface SigningConfigInput {
  readonly caUrls?: readonly ServiceInput[];
  readonly oidcUrls?: readonly ServiceInput[];
  readonly rekorTlogUrls?: readonly (ServiceInput & { readonly majorApiVersion: 1 | 2 })[];
  readonly tsaUrls?: readonly ServiceInput[];
  /** Default: ANY. */
  readonly rekorTlogConfig?: ServiceConfigurationJson;
  /** Default: ANY. */
  readonly tsaConfig?: ServiceConfigurationJson;
}

const ANY: ServiceConfigurationJson = { selector: 'ANY' };

export function buildSigningConfig(input: SigningConfigInput): SigningConfigJson {
  const services = (list: ServiceList) =>
    (input[list] ?? []).map((service, i) => serviceFromInput(service, list, `${list}[${i}]`));
  return parseSigningConfig({
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: services('caUrls'),
    oidcUrls: services('oidcUrls'),
    rekorTlogUrls: services('rekorTlogUrls'),
    rekorTlogConfig: input.rekorTlogConfig ?? ANY,
    tsaUrls: services('tsaUrls'),
    tsaConfig: input.tsaConfig ?? ANY,
  });
}

function serviceFromInput(input: ServiceInput, list: ServiceList, field: string): ServiceJson {
  const majorApiVersion = input.majorApiVersion ?? SERVICE_API_VERSIONS[list][0];
  if (list === 'rekorTlogUrls' && input.majorApiVersion === undefined) {
    throw new TrustError(
      'INVALID_INPUT',
      `${field}.majorApiVersion is required: 1 for a Rekor v1 log, 2 for a tiles log`,
    );
  }
  return {
    url: input.url,
    majorApiVersion,
    validFor: validityFromInput(input.validFor, `${field}.validFor`, 'INVALID_INPUT'),
    operator: input.operator,
  };
}

/** The services of a list that are valid at `at` (inclusive), newest first, as clients pick them. */
export function servicesValidAt(
  services: readonly ServiceJson[],
  at: TimeInput,
): readonly ServiceJson[] {
  const instant = toDate(at, 'time', 'INVALID_INPUT').getTime();
  return services
    .filter((service) => {
      const start = Date.parse(service.validFor.start);
      const end = service.validFor.end === undefined ? Infinity : Date.parse(service.validFor.end);
      return start <= instant && instant <= end;
    })
    .sort((a, b) => Date.parse(b.validFor.start) - Date.parse(a.validFor.start));
}

// ---------------------------------------------------------------------------------------------

/**
 * Parses and checks a signing config (JSON text, bytes or an object): the v0.2 media type, http(s)
 * URLs (a TSA URL with its path), API versions clients know, a validity start and an operator on
 * every service, a defined selector (EXACT with a positive count).
 */
export function parseSigningConfig(input: unknown): SigningConfigJson {
  let json = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'));
    } catch (error) {
      throw new TrustError('INVALID_SIGNING_CONFIG', 'the signing config is not JSON', {
        cause: error,
      });
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('a signing config is a JSON object');
  }
  const config = json as Record<string, unknown>;
  if (config.mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw invalid(
      `mediaType ${JSON.stringify(config.mediaType)} is not '${SIGNING_CONFIG_MEDIA_TYPE}'`,
    );
  }
  const services = (list: ServiceList) => {
    const value = config[list];
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(`${list} is not a list`);
    return value.map((service, i) => parseService(service, list, `${list}[${i}]`));
  };
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: services('caUrls'),
    oidcUrls: services('oidcUrls'),
    rekorTlogUrls: services('rekorTlogUrls'),
    rekorTlogConfig: parseSelector(config.rekorTlogConfig, 'rekorTlogConfig'),
    tsaUrls: services('tsaUrls'),
    tsaConfig: parseSelector(config.tsaConfig, 'tsaConfig'),
  };
}

function invalid(message: string): TrustError {
  return new TrustError('INVALID_SIGNING_CONFIG', message);
}

function parseService(value: unknown, list: ServiceList, field: string): ServiceJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${field} is not an object`);
  }
  const service = value as Record<string, unknown>;
  if (typeof service.url !== 'string') throw invalid(`${field}.url is missing`);
  let url: URL;
  try {
    url = new URL(service.url);
  } catch {
    throw invalid(`${field}.url is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`${field}.url is not an http(s) URL`);
  }
  if (list === 'tsaUrls' && url.pathname === '/') {
    throw invalid(
      `${field}.url must be the full time-stamping URL (e.g. ${url.origin}/api/v1/timestamp)`,
    );
  }
  const versions: readonly number[] = SERVICE_API_VERSIONS[list];
  if (typeof service.majorApiVersion !== 'number' || !versions.includes(service.majorApiVersion)) {
    throw invalid(
      `${field}.majorApiVersion ${JSON.stringify(service.majorApiVersion)} is not one clients use for ${list} (${versions.join(' or ')})`,
    );
  }
  if (typeof service.operator !== 'string' || service.operator === '') {
    throw invalid(`${field}.operator is missing: clients pick at most one service per operator`);
  }
  if (service.operator.includes('://')) {
    throw invalid(`${field}.operator is a scheme-less URI (e.g. sigstore.example)`);
  }
  return {
    url: service.url,
    majorApiVersion: service.majorApiVersion,
    validFor: validityFromJson(service.validFor, `${field}.validFor`, 'INVALID_SIGNING_CONFIG'),
    operator: service.operator,
  };
}

function parseSelector(value: unknown, field: string): ServiceConfigurationJson {
  if (typeof value !== 'object' || value === null) {
    throw invalid(`${field} is missing (an undefined selector is an error for clients)`);
  }
  const { selector, count } = value as Record<string, unknown>;
  if (selector === 'ANY' || selector === 'ALL') {
    if (count !== undefined) throw invalid(`${field}.count is only for the EXACT selector`);
    return { selector };
  }
  if (selector === 'EXACT') {
    if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) {
      throw invalid(`${field}.count must be a positive integer with the EXACT selector`);
    }
    return { selector, count };
  }
  throw invalid(`${field}.selector ${JSON.stringify(selector)} is not ALL, ANY or EXACT`);
}
