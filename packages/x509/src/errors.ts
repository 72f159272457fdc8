// The one error type of @airlock/x509; callers switch on `code`, never on the message.

export type X509ErrorCode =
  | 'MALFORMED_PEM' // text that is not exactly the PEM block(s) expected, or carries another label
  | 'MALFORMED_DER' // bytes that break DER: bad tag or length, truncation, trailing data
  | 'MALFORMED_CERTIFICATE' // DER that is not an X.509 certificate or TBSCertificate we can read
  | 'MALFORMED_CSR' // DER that is not a PKCS#10 certification request
  | 'MALFORMED_KEY' // public key content that is not a PEM or DER public key
  | 'MALFORMED_SCT' // TLS bytes that are not an SCT, SCT list or DigitallySigned struct
  | 'UNSUPPORTED_KEY' // a key type or curve Fulcio refuses (P-224, DSA, X25519, RSA-PSS, …)
  | 'WEAK_KEY' // an RSA key of an allowed type but a refused size, exponent or modulus
  | 'UNSUPPORTED_ALGORITHM' // a signature algorithm we do not accept (SHA-1, RSA-PSS, unknown OIDs)
  | 'INVALID_PROOF_OF_POSSESSION' // the proof-of-possession signature does not verify
  | 'INVALID_CSR_SIGNATURE' // the CSR is not signed by the key it carries
  | 'INVALID_INPUT' // options a certificate cannot be built from (times, serial, names, values)
  | 'INVALID_ISSUER' // an issuing certificate that cannot issue this certificate (not a CA, no SKI, expired)
  | 'KEY_MISMATCH' // a signer whose key or algorithm is not the one the certificate names
  | 'MISSING_EXTENSION' // a certificate without the extension an operation needs (poison, SCT list)
  | 'SIGNING_FAILED'; // a signer failed or returned a signature that does not verify

export class X509Error extends Error {
  override readonly name = 'X509Error';
  constructor(
    readonly code: X509ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Low-level codes that a parser of a whole structure reports as its own code, with the cause kept. */
const GENERIC_CODES: ReadonlySet<X509ErrorCode> = new Set(['MALFORMED_DER', 'MALFORMED_PEM']);

/**
 * Runs `parse`; a foreign exception or a generic DER/PEM error becomes an X509Error with `code`
 * (so callers learn *what* was malformed), while specific X509Errors pass through unchanged.
 */
export function parsingAs<T>(code: X509ErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof X509Error && !GENERIC_CODES.has(error.code)) throw error;
    const detail = error instanceof Error ? `: ${error.message}` : '';
    throw new X509Error(code, `${what}${detail}`, { cause: error });
  }
}
