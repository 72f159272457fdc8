// The one error type of @airlock/verify: every refusal carries one code from a closed set and a
// one-line message, so the CLI can print it and exit non-zero without a stack trace.

export type VerifyErrorCode =
  | 'SIGNATURE' // the signature does not verify over the artifact (or the DSSE envelope)
  | 'IDENTITY' // the certificate's SAN is not the one the policy names (or the policy names none)
  | 'ISSUER' // the certificate's OIDC issuer extension is not the one the policy names
  | 'CERTIFICATE' // the signing certificate does not chain to a trusted CA at a verified time
  | 'TLOG' // a transparency-log entry, its inclusion proof/promise or checkpoint does not hold
  | 'TIMESTAMP' // an RFC 3161 timestamp does not verify, or too few verified times exist
  | 'SCT' // the certificate's embedded SCTs do not verify against a trusted CT log
  | 'ARTIFACT' // the bundle is not about this artifact (digest, in-toto subject, statement)
  | 'BUNDLE' // the bundle does not parse or breaks the bundle format's rules
  | 'TRUST_ROOT' // the trusted root does not parse or breaks its format's rules
  | 'KEY'; // the key policy does not fit the bundle (no key, wrong key, key not valid then)

export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  constructor(
    readonly code: VerifyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(oneLine(message), options);
  }
}

/** Messages end up on one terminal line: collapse whatever line breaks a cause carried. */
function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}
