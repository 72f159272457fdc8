// Size limits on what a client may submit. Every limit fails closed with TOO_LARGE; the HTTP edge
// should enforce MAX_REQUEST_BODY_BYTES itself before parsing JSON.

/** Largest request body accepted (rekor-tiles' default --max-request-body-size is 4 MiB). */
export const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Most signatures in one DSSE envelope. Every signature costs one verification per verifier, so
 * this bounds the work a single request can cause; real envelopes carry one.
 */
export const MAX_DSSE_SIGNATURES = 16;

/** Most verifiers (keys or certificates) offered for one DSSE envelope. */
export const MAX_DSSE_VERIFIERS = 16;

/**
 * Longest PEM text for one public key or certificate. Fulcio leaf certificates are 3 to 4 KiB of
 * PEM; 32 KiB leaves room for long SAN lists without letting a key field carry a payload.
 */
export const MAX_PEM_BYTES = 32 * 1024;

/** Longest DER public key or certificate (Rekor v2 `rawBytes`); the DER inside MAX_PEM_BYTES. */
export const MAX_DER_BYTES = 24 * 1024;

/**
 * Most in-toto subject digests turned into search keys for one entry, so one statement cannot
 * flood the search index.
 */
export const MAX_SUBJECT_SEARCH_KEYS = 64;
