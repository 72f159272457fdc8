// A client for the OCI Distribution API v2: manifests, blobs, uploads, tags and referrers, with auth,
// retries and a digest check on every byte it returns. Registries are untrusted storage: what a
// digest names is verified here; what a tag names is whatever the registry says.
import {
  type AuthChallenge,
  anonymous,
  basicAuthorization,
  type CredentialLookup,
  parseChallenge,
} from './auth.js';
import { digestAlgorithm, digestOf, isDigest, verifyDigest } from './digest.js';
import { OciError } from './errors.js';
import { isRecord, parseJson } from './json.js';
import {
  type Descriptor,
  encodeImageIndex,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  type PlatformSelector,
  parseManifest,
  platformMatches,
} from './manifest.js';
import { MANIFEST_ACCEPT, OCI_INDEX } from './media-types.js';
import {
  apiHost,
  DEFAULT_TAG,
  formatReference,
  type ImageReference,
  isValidTag,
  referenceWithDigest,
  referenceWithTag,
  toReference,
} from './reference.js';
import { referrersTag } from './tags.js';
import {
  fetchSender,
  type HttpMethod,
  type HttpResponse,
  type HttpSender,
  type TlsOptions,
  tlsSender,
} from './transport.js';

/** Retries after the first attempt, for 429, 5xx and network failures of idempotent requests. */
export const DEFAULT_RETRIES = 3;
/** Back-off before retry n is this times 2^n, capped at DEFAULT_MAX_RETRY_DELAY_MS (or Retry-After). */
export const DEFAULT_RETRY_DELAY_MS = 250;
export const DEFAULT_MAX_RETRY_DELAY_MS = 5_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Signature, attestation and bundle blobs are KiBs; image layers are not what this client reads. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TAG_PAGE_SIZE = 1000;
const MAX_REDIRECTS = 5;
const MAX_TAG_PAGES = 10_000;
/** Token server answers and registry error bodies are small JSON. */
const MAX_SMALL_RESPONSE_BYTES = 1024 * 1024;
/** Tokens are renewed this long (at most half their lifetime) before the announced expiry. */
const TOKEN_EXPIRY_MARGIN_MS = 5_000;
const DEFAULT_TOKEN_LIFETIME_S = 60;

export interface RegistryClientOptions {
  /** Credentials per registry, e.g. from `loadDockerConfig()`; anonymous by default. */
  readonly credentials?: CredentialLookup;
  /** Custom CA bundle and client certificate for https registries. */
  readonly tls?: TlsOptions;
  /**
   * Plain HTTP: `true` for loopback registries only (localhost, 127.0.0.0/8, [::1]); a list of
   * `host[:port]` names for exactly those hosts. Everything else is https, and a redirect or token
   * realm over plain HTTP to another host is INSECURE_TRANSPORT.
   */
  readonly allowHttp?: boolean | readonly string[];
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  readonly timeoutMs?: number;
  readonly maxManifestBytes?: number;
  readonly maxBlobBytes?: number;
  readonly userAgent?: string;
}

/** A manifest whose digest this client has checked against its bytes. */
export interface FetchedManifest {
  /** The repository pinned to `digest`. */
  readonly reference: ImageReference;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly manifest: ParsedManifest;
}

export interface ManifestHead {
  /** What the registry says the digest is: unverified, since HEAD returns no content. */
  readonly claimedDigest: string | undefined;
  readonly mediaType: string | undefined;
  readonly size: number | undefined;
}

export interface PushedManifest {
  readonly reference: ImageReference;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** True when the registry did not take the subject, so this client updated the `sha256-<hex>` index. */
  readonly referrersTagUpdated: boolean;
}

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

export interface ReferrerList {
  /** `api`: GET /v2/<name>/referrers/<digest>; `tag-schema`: the `sha256-<hex>` index (no referrers API). */
  readonly source: 'api' | 'tag-schema';
  readonly descriptors: readonly Descriptor[];
}

export interface ResolveOptions {
  /** For an index: the manifest for this platform. Without it an index resolves to its own digest. */
  readonly platform?: PlatformSelector;
}

type Action = 'pull' | 'pull,push';

interface Call {
  readonly reference: ImageReference;
  readonly action: Action;
  readonly method: HttpMethod;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly maxResponseBytes?: number;
  /** Idempotent: may be re-sent after 429, 5xx or a network failure. */
  readonly retry: boolean;
  readonly followRedirects?: boolean;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isLoopbackHostname(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

function isRetryableError(error: unknown): boolean {
  return (
    error instanceof OciError &&
    (error.code === 'NETWORK' ||
      (error.code === 'REGISTRY_ERROR' &&
        error.status !== undefined &&
        isRetryableStatus(error.status)))
  );
}

/** The first Distribution error code in a response body, for messages (never the free-text message). */
function registryErrorCode(body: Uint8Array): string | undefined {
  try {
    const json = parseJson(body, 'error body');
    if (isRecord(json) && Array.isArray(json.errors) && isRecord(json.errors[0])) {
      const code = json.errors[0].code;
      if (typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code)) return code;
    }
  } catch {
    // Not a Distribution error body; the status says enough.
  }
  return undefined;
}

/**
 * Checks a Docker-Content-Digest header against content whose digest is known. With the content at
 * hand the header is checked in its own algorithm; without (HEAD), only a same-algorithm header can be.
 */
function checkDigestHeader(
  response: HttpResponse,
  digest: string,
  what: string,
  content?: Uint8Array,
): void {
  const claimed = response.headers.get('docker-content-digest');
  if (claimed === null) return;
  if (!isDigest(claimed)) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${what}: the registry sent a malformed Docker-Content-Digest`,
    );
  }
  const algorithm = digestAlgorithm(claimed);
  const actual =
    algorithm === digestAlgorithm(digest)
      ? digest
      : content === undefined
        ? undefined
        : digestOf(content, algorithm);
  if (actual !== undefined && claimed !== actual) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${what}: the registry says ${claimed}, the content is ${actual}`,
    );
  }
}

export class RegistryClient {
  readonly #credentials: CredentialLookup;
  readonly #allowHttp: boolean | readonly string[];
  readonly #send: HttpSender;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #timeoutMs: number;
  readonly #maxManifestBytes: number;
  readonly #maxBlobBytes: number;
  readonly #userAgent: string;
  /** Bearer tokens by `registry|repository|action`. */
  readonly #tokens = new Map<string, CachedToken>();
  /** Registries that challenged with Basic: credentials are sent up front from then on. */
  readonly #basicRegistries = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.#credentials = options.credentials ?? anonymous;
    this.#allowHttp = options.allowHttp ?? false;
    this.#send = options.tls === undefined ? fetchSender : tlsSender(options.tls);
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    this.#retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    this.#maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.#userAgent = options.userAgent ?? 'airlock-oci/0.1';
  }

  // --- manifests ---

  /**
   * GET a manifest by tag or digest. By digest, the bytes must hash to it; by tag, they must hash to
   * the Docker-Content-Digest the registry announces (when it announces one). Either way the returned
   * digest is computed from the returned bytes.
   */
  async getManifest(reference: ImageReference | string): Promise<FetchedManifest> {
    const ref = toReference(reference);
    const what = `manifest ${formatReference(ref)}`;
    const response = await this.#call({
      reference: ref,
      action: 'pull',
      method: 'GET',
      url: this.#url(ref, `manifests/${ref.digest ?? ref.tag ?? DEFAULT_TAG}`),
      headers: { accept: MANIFEST_ACCEPT },
      maxResponseBytes: this.#maxManifestBytes,
      retry: true,
      followRedirects: true,
    });
    if (response.status !== 200) throw this.#statusError(response, what);
    const bytes = response.body;
    let digest: string;
    if (ref.digest !== undefined) {
      verifyDigest(bytes, ref.digest, what);
      digest = ref.digest;
    } else {
      digest = digestOf(bytes);
    }
    checkDigestHeader(response, digest, what, bytes);
    const manifest = parseManifest(bytes, response.headers.get('content-type') ?? undefined);
    return {
      reference: referenceWithDigest(ref, digest),
      digest,
      mediaType: manifest.mediaType,
      size: bytes.length,
      bytes,
      manifest,
    };
  }

  /** HEAD a manifest: undefined if the registry has none under this tag or digest. */
  async headManifest(reference: ImageReference | string): Promise<ManifestHead | undefined> {
    const ref = toReference(reference);
    const what = `manifest ${formatReference(ref)}`;
    const response = await this.#call({
      reference: ref,
      action: 'pull',
      method: 'HEAD',
      url: this.#url(ref, `manifests/${ref.digest ?? ref.tag ?? DEFAULT_TAG}`),
      headers: { accept: MANIFEST_ACCEPT },
      retry: true,
      followRedirects: true,
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw this.#statusError(response, what);
    if (ref.digest !== undefined) checkDigestHeader(response, ref.digest, what);
    const claimed = response.headers.get('docker-content-digest');
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    return {
      claimedDigest: claimed !== null && isDigest(claimed) ? claimed : undefined,
      mediaType: response.headers.get('content-type')?.split(';')[0]?.trim() ?? undefined,
      size: Number.isSafeInteger(length) ? length : undefined,
    };
  }

  /**
   * The manifest a reference names, checked by digest; with `platform`, an index resolves to the
   * manifest for that platform (fetched by digest, its size checked against the index too).
   */
  async resolve(
    reference: ImageReference | string,
    options: ResolveOptions = {},
  ): Promise<FetchedManifest> {
    const top = await this.getManifest(reference);
    if (options.platform === undefined || top.manifest.kind !== 'index') return top;
    const { platform } = options;
    const entry = top.manifest.manifests.find((d) => platformMatches(d.platform, platform));
    if (entry === undefined) {
      const wanted = [platform.os, platform.architecture, platform.variant]
        .filter(Boolean)
        .join('/');
      throw new OciError(
        'PLATFORM_NOT_FOUND',
        `${formatReference(top.reference)} has no manifest for ${wanted}`,
      );
    }
    const child = await this.getManifest(referenceWithDigest(top.reference, entry.digest));
    if (child.size !== entry.size) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `manifest ${entry.digest}: ${child.size} bytes where the index says ${entry.size}`,
      );
    }
    return child;
  }

  async resolveDigest(
    reference: ImageReference | string,
    options: ResolveOptions = {},
  ): Promise<string> {
    return (await this.resolve(reference, options)).digest;
  }

  /**
   * PUT a manifest under the reference's tag, or its digest (which must be the digest of `bytes`).
   * A manifest with a `subject` that the registry does not acknowledge (no `OCI-Subject` header) is
   * also added to the subject's referrers tag-schema index, as the OCI 1.1 spec asks of clients.
   * That index update is read-modify-write: concurrent pushers can drop each other's entries.
   */
  async putManifest(
    reference: ImageReference | string,
    bytes: Uint8Array,
    mediaType?: string,
  ): Promise<PushedManifest> {
    const ref = toReference(reference);
    const manifest = parseManifest(bytes, mediaType);
    const digest = digestOf(
      bytes,
      ref.digest === undefined ? 'sha256' : digestAlgorithm(ref.digest),
    );
    const what = `manifest ${formatReference(ref)}`;
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new OciError('DIGEST_MISMATCH', `${what}: the manifest to push hashes to ${digest}`);
    }
    const response = await this.#call({
      reference: ref,
      action: 'pull,push',
      method: 'PUT',
      url: this.#url(ref, `manifests/${ref.digest ?? ref.tag ?? DEFAULT_TAG}`),
      headers: { 'content-type': manifest.mediaType },
      body: bytes,
      maxResponseBytes: MAX_SMALL_RESPONSE_BYTES,
      retry: true,
    });
    if (response.status !== 201) throw this.#statusError(response, `PUT ${what}`);
    checkDigestHeader(response, digest, `PUT ${what}`, bytes);
    let referrersTagUpdated = false;
    if (
      manifest.subject !== undefined &&
      response.headers.get('oci-subject') !== manifest.subject.digest
    ) {
      const artifactType =
        manifest.artifactType ??
        (manifest.kind === 'manifest' ? manifest.config.mediaType : undefined);
      await this.#addToReferrersTag(ref, manifest.subject.digest, {
        mediaType: manifest.mediaType,
        digest,
        size: bytes.length,
        ...(artifactType === undefined ? {} : { artifactType }),
        ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
      });
      referrersTagUpdated = true;
    }
    return {
      reference: referenceWithDigest(ref, digest),
      digest,
      mediaType: manifest.mediaType,
      size: bytes.length,
      referrersTagUpdated,
    };
  }

  async #addToReferrersTag(
    ref: ImageReference,
    subjectDigest: string,
    entry: Descriptor,
  ): Promise<void> {
    const tagRef = referenceWithTag(ref, referrersTag(subjectDigest));
    const existing = await this.#getOptionalManifest(tagRef);
    if (existing !== undefined && existing.manifest.kind !== 'index') {
      throw new OciError(
        'MALFORMED',
        `${formatReference(tagRef)} holds an image manifest, not a referrers index`,
      );
    }
    const manifests = existing?.manifest.kind === 'index' ? existing.manifest.manifests : [];
    if (manifests.some((d) => d.digest === entry.digest)) return;
    await this.putManifest(
      tagRef,
      encodeImageIndex({ manifests: [...manifests, entry] }),
      OCI_INDEX,
    );
  }

  async #getOptionalManifest(ref: ImageReference): Promise<FetchedManifest | undefined> {
    try {
      return await this.getManifest(ref);
    } catch (error) {
      if (error instanceof OciError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  // --- blobs ---

  /** The size of a blob the registry holds, or undefined if it has none with this digest. */
  async headBlob(repository: ImageReference | string, digest: string): Promise<number | undefined> {
    const ref = toReference(repository);
    const response = await this.#call({
      reference: ref,
      action: 'pull',
      method: 'HEAD',
      url: this.#url(ref, `blobs/${digest}`),
      retry: true,
      followRedirects: true,
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw this.#statusError(response, `blob ${digest}`);
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    return Number.isSafeInteger(length) ? length : undefined;
  }

  /** GET a blob; its bytes must hash to `digest` (and have `size`, when the descriptor gives one). */
  async getBlob(
    repository: ImageReference | string,
    blob: string | { readonly digest: string; readonly size?: number },
    options: { readonly maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    const ref = toReference(repository);
    const { digest, size } = typeof blob === 'string' ? { digest: blob, size: undefined } : blob;
    if (!isDigest(digest))
      throw new OciError('INVALID_DIGEST', `not a digest: ${String(digest).slice(0, 80)}`);
    const maxBytes = options.maxBytes ?? this.#maxBlobBytes;
    const what = `blob ${digest} in ${ref.registry}/${ref.repository}`;
    if (size !== undefined && size > maxBytes) {
      throw new OciError('TOO_LARGE', `${what}: ${size} bytes is over the limit of ${maxBytes}`);
    }
    const response = await this.#call({
      reference: ref,
      action: 'pull',
      method: 'GET',
      url: this.#url(ref, `blobs/${digest}`),
      maxResponseBytes: maxBytes,
      retry: true,
      followRedirects: true,
    });
    if (response.status !== 200) throw this.#statusError(response, what);
    verifyDigest(response.body, digest, what, size);
    return response.body;
  }

  /**
   * Uploads a blob unless the registry already has it: monolithic (POST then PUT), or in PATCH chunks
   * of `chunkSize` bytes when the blob is larger. A failed upload is restarted from scratch.
   */
  async pushBlob(
    repository: ImageReference | string,
    bytes: Uint8Array,
    options: { readonly chunkSize?: number } = {},
  ): Promise<BlobInfo> {
    const ref = toReference(repository);
    const digest = digestOf(bytes);
    if ((await this.headBlob(ref, digest)) === bytes.length) return { digest, size: bytes.length };
    const { chunkSize } = options;
    if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 1)) {
      throw new OciError('MALFORMED', `chunk size ${chunkSize} is not a positive integer`);
    }
    await this.#withRetries(() =>
      chunkSize !== undefined && bytes.length > chunkSize
        ? this.#uploadChunked(ref, bytes, digest, chunkSize)
        : this.#uploadMonolithic(ref, bytes, digest),
    );
    return { digest, size: bytes.length };
  }

  async #startUpload(ref: ImageReference): Promise<URL> {
    const url = this.#url(ref, 'blobs/uploads/');
    const response = await this.#call({
      reference: ref,
      action: 'pull,push',
      method: 'POST',
      url,
      body: new Uint8Array(0),
      maxResponseBytes: MAX_SMALL_RESPONSE_BYTES,
      retry: false,
    });
    if (response.status !== 202)
      throw this.#statusError(response, `upload to ${ref.registry}/${ref.repository}`);
    return this.#location(response, url);
  }

  #location(response: HttpResponse, base: URL): URL {
    const location = response.headers.get('location');
    if (location === null)
      throw new OciError('REGISTRY_ERROR', `${base.host}: upload answer without a Location`);
    const url = new URL(location, base);
    this.#checkScheme(url);
    return url;
  }

  async #finishUpload(
    ref: ImageReference,
    location: URL,
    digest: string,
    body: Uint8Array,
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const response = await this.#call({
      reference: ref,
      action: 'pull,push',
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/octet-stream' },
      body,
      maxResponseBytes: MAX_SMALL_RESPONSE_BYTES,
      retry: false,
    });
    if (response.status !== 201) throw this.#statusError(response, `upload of ${digest}`);
    checkDigestHeader(response, digest, `upload of ${digest}`);
  }

  async #uploadMonolithic(ref: ImageReference, bytes: Uint8Array, digest: string): Promise<void> {
    await this.#finishUpload(ref, await this.#startUpload(ref), digest, bytes);
  }

  async #uploadChunked(
    ref: ImageReference,
    bytes: Uint8Array,
    digest: string,
    chunkSize: number,
  ): Promise<void> {
    let location = await this.#startUpload(ref);
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const end = Math.min(offset + chunkSize, bytes.length);
      const response = await this.#call({
        reference: ref,
        action: 'pull,push',
        method: 'PATCH',
        url: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${end - 1}`,
        },
        body: bytes.subarray(offset, end),
        maxResponseBytes: MAX_SMALL_RESPONSE_BYTES,
        retry: false,
      });
      if (response.status !== 202)
        throw this.#statusError(response, `chunk ${offset}-${end - 1} of ${digest}`);
      const range = response.headers.get('range');
      if (range !== null && range !== `0-${end - 1}`) {
        throw new OciError(
          'REGISTRY_ERROR',
          `chunk upload of ${digest}: the registry holds ${range}, not 0-${end - 1}`,
        );
      }
      location = this.#location(response, location);
    }
    await this.#finishUpload(ref, location, digest, new Uint8Array(0));
  }

  // --- tags and referrers ---

  /** Every tag of a repository, following `Link: <…>; rel="next"` pages. */
  async listTags(
    repository: ImageReference | string,
    options: { readonly pageSize?: number } = {},
  ): Promise<string[]> {
    const ref = toReference(repository);
    const tags: string[] = [];
    let url: URL | undefined = this.#url(ref, 'tags/list');
    url.searchParams.set('n', String(options.pageSize ?? DEFAULT_TAG_PAGE_SIZE));
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_TAG_PAGES)
        throw new OciError(
          'TOO_LARGE',
          `${ref.registry}/${ref.repository}: more than ${MAX_TAG_PAGES} tag pages`,
        );
      const response: HttpResponse = await this.#call({
        reference: ref,
        action: 'pull',
        method: 'GET',
        url,
        maxResponseBytes: this.#maxManifestBytes,
        retry: true,
      });
      if (response.status !== 200)
        throw this.#statusError(response, `tags of ${ref.registry}/${ref.repository}`);
      const json = parseJson(response.body, 'tag list');
      const pageTags = isRecord(json) ? json.tags : undefined;
      if (pageTags !== null && pageTags !== undefined) {
        if (
          !Array.isArray(pageTags) ||
          !pageTags.every((t) => typeof t === 'string' && isValidTag(t))
        ) {
          throw new OciError(
            'MALFORMED',
            `tags of ${ref.registry}/${ref.repository}: not a list of tags`,
          );
        }
        tags.push(...(pageTags as string[]));
      }
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
      if (next === undefined) {
        url = undefined;
      } else {
        url = new URL(next, url);
        if (url.origin !== this.#baseUrl(ref.registry).origin) {
          throw new OciError(
            'REGISTRY_ERROR',
            `tags of ${ref.registry}/${ref.repository}: next page on another host`,
          );
        }
      }
    }
    return tags;
  }

  /**
   * The manifests that name `subject` (a digest reference) as their subject: from the referrers API,
   * or, when the registry answers 404 there, from the `sha256-<hex>` tag-schema index. Filtering by
   * `artifactType` is always applied here too. The list is the registry's word: callers fetch each
   * referrer by digest and check its `subject` before believing it.
   */
  async referrers(
    subject: ImageReference | string,
    options: { readonly artifactType?: string } = {},
  ): Promise<ReferrerList> {
    const ref = toReference(subject);
    if (ref.digest === undefined) {
      throw new OciError(
        'INVALID_REFERENCE',
        `referrers need a digest reference, not ${formatReference(ref)}`,
      );
    }
    const url = this.#url(ref, `referrers/${ref.digest}`);
    if (options.artifactType !== undefined)
      url.searchParams.set('artifactType', options.artifactType);
    const response = await this.#call({
      reference: ref,
      action: 'pull',
      method: 'GET',
      url,
      headers: { accept: OCI_INDEX },
      maxResponseBytes: this.#maxManifestBytes,
      retry: true,
      followRedirects: true,
    });
    let source: ReferrerList['source'];
    let descriptors: readonly Descriptor[];
    if (response.status === 200) {
      const index = parseManifest(response.body, response.headers.get('content-type') ?? undefined);
      if (index.kind !== 'index')
        throw new OciError('MALFORMED', `referrers of ${ref.digest}: not an image index`);
      source = 'api';
      descriptors = index.manifests;
    } else if (response.status === 404) {
      source = 'tag-schema';
      const fallback = await this.#getOptionalManifest(
        referenceWithTag(ref, referrersTag(ref.digest)),
      );
      if (fallback !== undefined && fallback.manifest.kind !== 'index') {
        throw new OciError('MALFORMED', `referrers tag of ${ref.digest}: not an image index`);
      }
      descriptors = fallback?.manifest.kind === 'index' ? fallback.manifest.manifests : [];
    } else {
      throw this.#statusError(response, `referrers of ${ref.digest}`);
    }
    const { artifactType } = options;
    return {
      source,
      descriptors:
        artifactType === undefined
          ? descriptors
          : descriptors.filter((d) => d.artifactType === artifactType),
    };
  }

  // --- HTTP plumbing ---

  #baseUrl(registry: string): URL {
    const host = apiHost(registry);
    return new URL(`${this.#httpAllowed(new URL(`http://${host}`)) ? 'http' : 'https'}://${host}`);
  }

  #url(ref: ImageReference, path: string): URL {
    return new URL(`/v2/${ref.repository}/${path}`, this.#baseUrl(ref.registry));
  }

  #httpAllowed(url: URL): boolean {
    if (this.#allowHttp === true) return isLoopbackHostname(url.hostname);
    if (this.#allowHttp === false) return false;
    return this.#allowHttp.includes(url.host);
  }

  #checkScheme(url: URL): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && this.#httpAllowed(url)) return;
    throw new OciError(
      'INSECURE_TRANSPORT',
      `refusing ${url.protocol}//${url.host}: plain HTTP is not allowed for it`,
    );
  }

  #statusError(response: HttpResponse, what: string): OciError {
    const { status } = response;
    const detail = registryErrorCode(response.body);
    const suffix = `HTTP ${status}${detail === undefined ? '' : ` ${detail}`}`;
    if (status === 404) return new OciError('NOT_FOUND', `${what}: ${suffix}`, { status });
    if (status === 401 || status === 403)
      return new OciError('UNAUTHORIZED', `${what}: ${suffix}`, { status });
    return new OciError('REGISTRY_ERROR', `${what}: ${suffix}`, { status });
  }

  #retryDelay(attempt: number, retryAfter?: string | null): number {
    const seconds =
      retryAfter === null || retryAfter === undefined ? Number.NaN : Number(retryAfter);
    const base =
      Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : this.#retryDelayMs * 2 ** attempt;
    return Math.min(base, this.#maxRetryDelayMs);
  }

  async #withRetries<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= this.#retries || !isRetryableError(error)) throw error;
        await sleep(this.#retryDelay(attempt));
      }
    }
  }

  #tokenKey(ref: ImageReference, action: Action): string {
    return `${ref.registry}|${ref.repository}|${action}`;
  }

  #authorization(ref: ImageReference, action: Action): string | undefined {
    const now = Date.now();
    const keys = action === 'pull' ? [action, 'pull,push' as const] : [action];
    for (const key of keys) {
      const cached = this.#tokens.get(this.#tokenKey(ref, key));
      if (cached !== undefined && cached.expiresAt > now) return `Bearer ${cached.token}`;
    }
    const credential = this.#credentials(ref.registry);
    if (credential !== undefined && this.#basicRegistries.has(ref.registry))
      return basicAuthorization(credential);
    return undefined;
  }

  /** Answers a 401 challenge; false when there is nothing more this client can offer. */
  async #authenticate(call: Call, challenge: AuthChallenge | undefined): Promise<boolean> {
    if (challenge === undefined) return false;
    const { registry } = call.reference;
    const credential = this.#credentials(registry);
    if (challenge.scheme === 'basic') {
      if (credential === undefined || this.#basicRegistries.has(registry)) return false;
      this.#basicRegistries.add(registry);
      return true;
    }
    if (challenge.scheme !== 'bearer') return false;
    const { realm, service, scope } = challenge.params;
    if (realm === undefined || realm === '')
      throw new OciError('MALFORMED', `${registry}: Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch (cause) {
      throw new OciError('MALFORMED', `${registry}: Bearer realm is not a URL`, { cause });
    }
    this.#checkScheme(realmUrl);
    if (service !== undefined) realmUrl.searchParams.set('service', service);
    const ownScope = `repository:${call.reference.repository}:${call.action}`;
    realmUrl.searchParams.append('scope', ownScope);
    if (scope !== undefined && scope !== '' && scope !== ownScope)
      realmUrl.searchParams.append('scope', scope);
    const response = await this.#call({
      reference: call.reference,
      action: call.action,
      method: 'GET',
      url: realmUrl,
      headers: credential === undefined ? {} : { authorization: basicAuthorization(credential) },
      maxResponseBytes: MAX_SMALL_RESPONSE_BYTES,
      retry: true,
      authenticate: false,
    });
    if (response.status !== 200) throw this.#statusError(response, `token from ${realmUrl.origin}`);
    const json = parseJson(response.body, 'token answer');
    const token = isRecord(json) ? (json.token ?? json.access_token) : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new OciError('MALFORMED', `token answer from ${realmUrl.origin} has no token`);
    }
    const lifetime =
      isRecord(json) && typeof json.expires_in === 'number' && json.expires_in > 0
        ? json.expires_in
        : DEFAULT_TOKEN_LIFETIME_S;
    this.#tokens.set(this.#tokenKey(call.reference, call.action), {
      token,
      expiresAt: Date.now() + lifetime * 1000 - Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetime * 500),
    });
    return true;
  }

  /**
   * Sends a call: registry auth on the registry's origin only, one re-send after answering a 401
   * challenge, retries with back-off for idempotent calls, and GET/HEAD redirects (never to plain
   * HTTP unless allowed, and without credentials to other origins).
   */
  async #call(call: Call & { readonly authenticate?: boolean }): Promise<HttpResponse> {
    const registryOrigin = this.#baseUrl(call.reference.registry).origin;
    const useRegistryAuth = call.authenticate !== false;
    let url = call.url;
    let attempt = 0;
    let redirects = 0;
    let challenged = false;
    for (;;) {
      this.#checkScheme(url);
      const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...call.headers };
      if (useRegistryAuth && url.origin === registryOrigin) {
        const authorization = this.#authorization(call.reference, call.action);
        if (authorization !== undefined) headers.authorization = authorization;
      }
      let response: HttpResponse;
      try {
        response = await this.#send({
          method: call.method,
          url,
          headers,
          ...(call.body === undefined ? {} : { body: call.body }),
          maxResponseBytes: call.maxResponseBytes ?? MAX_SMALL_RESPONSE_BYTES,
          timeoutMs: this.#timeoutMs,
        });
      } catch (error) {
        if (call.retry && attempt < this.#retries && isRetryableError(error)) {
          await sleep(this.#retryDelay(attempt++));
          continue;
        }
        throw error;
      }
      if (
        response.status === 401 &&
        useRegistryAuth &&
        url.origin === registryOrigin &&
        !challenged
      ) {
        challenged = true;
        const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
        if (await this.#authenticate(call, challenge)) continue;
        return response;
      }
      if (call.retry && attempt < this.#retries && isRetryableStatus(response.status)) {
        await sleep(this.#retryDelay(attempt++, response.headers.get('retry-after')));
        continue;
      }
      if (call.followRedirects && [301, 302, 303, 307, 308].includes(response.status)) {
        const location = response.headers.get('location');
        if (location === null || ++redirects > MAX_REDIRECTS) return response;
        url = new URL(location, url);
        continue;
      }
      return response;
    }
  }
}
