// Image references (`host[:port]/repo[:tag][@sha256:…]`), parsed by Docker's grammar and normalisation.
import { isDigest } from './digest.js';
import { OciError } from './errors.js';

export interface ImageReference {
  /** `host[:port]`; Docker Hub is `docker.io`. */
  readonly registry: string;
  /** Slash-separated lowercase path, e.g. `team/app` (`library/alpine` on Docker Hub). */
  readonly repository: string;
  /** The tag, when the reference names one; `latest` when it names neither a tag nor a digest. */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** The name Docker gives Docker Hub in references, and the host its API actually answers on. */
export const DOCKER_HUB_REGISTRY = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';

const MAX_NAME_LENGTH = 255;
const HOST_PATTERN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:.]+\])(?::[0-9]{1,5})?$/;
const PATH_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

function invalid(text: string, why: string): OciError {
  return new OciError(
    'INVALID_REFERENCE',
    `invalid image reference ${JSON.stringify(text.slice(0, 300))}: ${why}`,
  );
}

/** Docker's rule: the first component is a registry if it has a dot, a colon, capitals or is localhost. */
function looksLikeRegistry(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component.toLowerCase() !== component
  );
}

export function isValidRepository(repository: string): boolean {
  return (
    repository.length > 0 &&
    repository.length <= MAX_NAME_LENGTH &&
    repository.split('/').every((component) => PATH_COMPONENT_PATTERN.test(component))
  );
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function parseReference(text: string): ImageReference {
  const at = text.indexOf('@');
  const namePart = at === -1 ? text : text.slice(0, at);
  let digest: string | undefined;
  if (at !== -1) {
    digest = text.slice(at + 1);
    if (!isDigest(digest))
      throw invalid(text, 'the digest is not sha256:<64 hex> or sha512:<128 hex>');
  }

  const slash = namePart.indexOf('/');
  let registry = DOCKER_HUB_REGISTRY;
  let remainder = namePart;
  if (slash !== -1 && looksLikeRegistry(namePart.slice(0, slash))) {
    registry = namePart.slice(0, slash);
    remainder = namePart.slice(slash + 1);
    if (!HOST_PATTERN.test(registry)) throw invalid(text, 'the registry is not host[:port]');
    if (registry === 'index.docker.io') registry = DOCKER_HUB_REGISTRY;
  }

  // A colon left in the remainder can only introduce the tag: ports belong to the registry part.
  const colon = remainder.lastIndexOf(':');
  let repository = colon === -1 ? remainder : remainder.slice(0, colon);
  let tag = colon === -1 ? undefined : remainder.slice(colon + 1);
  if (tag !== undefined && !isValidTag(tag))
    throw invalid(text, 'the tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
  if (registry === DOCKER_HUB_REGISTRY && repository !== '' && !repository.includes('/')) {
    repository = `library/${repository}`;
  }
  if (!isValidRepository(repository)) {
    throw invalid(text, 'the repository must be lowercase path components of [a-z0-9._-]');
  }
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw invalid(text, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, tag, digest };
}

/** `registry/repository[:tag][@digest]`; parseReference(formatReference(r)) gives r back. */
export function formatReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** The same repository pinned to `digest` (the tag dropped: a digest reference names one thing). */
export function referenceWithDigest(reference: ImageReference, digest: string): ImageReference {
  if (!isDigest(digest))
    throw new OciError('INVALID_DIGEST', `not a digest: ${String(digest).slice(0, 80)}`);
  return { registry: reference.registry, repository: reference.repository, tag: undefined, digest };
}

export function referenceWithTag(reference: ImageReference, tag: string): ImageReference {
  if (!isValidTag(tag)) throw invalid(tag, 'the tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
  return { registry: reference.registry, repository: reference.repository, tag, digest: undefined };
}

/** Accepts a parsed reference or its text. */
export function toReference(reference: ImageReference | string): ImageReference {
  return typeof reference === 'string' ? parseReference(reference) : reference;
}

/** The host the Distribution API answers on for this registry name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}
