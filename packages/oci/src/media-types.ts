// Media types and annotation keys of OCI, Docker and cosign, as the registries and cosign spell them.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** The manifest types this client reads; sent as `Accept` on every manifest request. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
export const MANIFEST_ACCEPT = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

/** The 2-byte `{}` blob of OCI 1.1 artifacts, and its digest. */
export const EMPTY_JSON = new Uint8Array([0x7b, 0x7d]);
export const EMPTY_JSON_DIGEST =
  'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

// cosign's legacy tag scheme (sha256-<hex>.sig/.att/.sbom).
export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_REKOR_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANNOTATION_RFC3161_TIMESTAMP = 'dev.sigstore.cosign/rfc3161timestamp';
export const ANNOTATION_PREDICATE_TYPE = 'predicateType';

// cosign v3: a Sigstore bundle as an OCI 1.1 referrer.
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SIGSTORE_BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const ANNOTATION_BUNDLE_CONTENT = 'dev.sigstore.bundle.content';
export const ANNOTATION_BUNDLE_PREDICATE_TYPE = 'dev.sigstore.bundle.predicateType';
/** The predicate type of `cosign sign` statements: what marks a bundle as a signature, not an attestation. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
