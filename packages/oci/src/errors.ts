// The one error type of @airlock/oci. Codes are stable so callers can switch on them; messages name
// the registry, repository or digest concerned but never credentials or tokens.

export type OciErrorCode =
  | 'INVALID_REFERENCE' // an image reference, repository name or tag that does not parse
  | 'INVALID_DIGEST' // a digest string that is not `sha256:<64 hex>` or `sha512:<128 hex>`
  | 'DIGEST_MISMATCH' // content whose digest or size is not the one asked for or announced
  | 'TOO_LARGE' // a response or blob over the client's size limit
  | 'NOT_FOUND' // the registry answered 404 for a manifest, blob or tag
  | 'UNAUTHORIZED' // 401/403 after every authentication the client could offer
  | 'MALFORMED' // a manifest, index, payload, envelope, bundle, docker config or token answer of the wrong shape
  | 'UNSUPPORTED_MEDIA_TYPE' // a manifest type this client does not read (e.g. Docker schema 1)
  | 'PLATFORM_NOT_FOUND' // an index with no manifest for the requested platform
  | 'SUBJECT_MISMATCH' // a payload, attestation or bundle naming another image than its subject
  | 'INSECURE_TRANSPORT' // plain HTTP (direct, redirect, upload Location, token realm) to a host not allowed it
  | 'REGISTRY_ERROR' // any other unexpected HTTP status
  | 'NETWORK'; // a connection, TLS or timeout failure that outlasted the retries

export class OciError extends Error {
  override readonly name = 'OciError';
  /** The HTTP status behind the error, when a registry or token server answered one. */
  readonly status: number | undefined;
  constructor(
    readonly code: OciErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}
