// The one error type of @airlock/ca. Token problems stay OidcErrors; everything else the CA refuses or
// fails at is a CaError with one of these codes. Messages never contain the token or key material.

export type CaErrorCode =
  | 'MISSING_TOKEN' // the request carries no OIDC identity token (body field or Bearer header)
  | 'INVALID_REQUEST' // the request is not a signing-certificate request we can read (shape, base64)
  | 'INVALID_PUBLIC_KEY' // the public key does not parse, or goodkey / the algorithm registry refuses it
  | 'INVALID_PROOF_OF_POSSESSION' // the proof of possession is not the key's signature of the challenge
  | 'INVALID_CSR' // the CSR does not parse or is not signed by the key it carries
  | 'UNCERTIFIABLE_IDENTITY' // the verified identity cannot be written into a certificate (non-ASCII email…)
  | 'CT_LOG_UNAVAILABLE' // the CT log could not be reached, timed out or answered 5xx
  | 'CT_LOG_REJECTED' // the CT log refused the precertificate chain (4xx)
  | 'CT_LOG_BAD_RESPONSE' // the CT log answered 2xx with something that is not an RFC 6962 SCT
  | 'INVALID_SCT' // the SCT does not verify with the configured CT log key: no certificate is issued
  | 'AUDIT_FAILED' // the audit hook failed, so the certificate is withheld
  | 'ISSUANCE_FAILED' // building or signing a certificate failed on the CA's side (HSM, chain validity)
  | 'INVALID_CONFIG'; // the CA's configuration (chain, key, issuers, CT log) is unusable: startup only

export class CaError extends Error {
  override readonly name = 'CaError';
  constructor(
    readonly code: CaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
