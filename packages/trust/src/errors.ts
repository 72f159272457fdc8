// The one error type of @airlock/trust: every refusal to build, parse, sign or verify trust
// configuration carries one of these codes, and a message naming the field or file at fault.

export type TrustErrorCode =
  | 'INVALID_INPUT' // builder input that would produce configuration clients reject (bad URL, chain, time)
  | 'INVALID_TRUSTED_ROOT' // a trusted_root.json that does not parse or breaks a client's rule
  | 'INVALID_SIGNING_CONFIG' // a signing_config.json that does not parse or breaks a client's rule
  | 'UNSUPPORTED_KEY' // a key no Sigstore or TUF client accepts for the role it is given
  | 'NOTHING_TO_ROTATE' // a rotation that names no current entry to retire
  | 'REPOSITORY_EXISTS' // initializing a TUF repository where one already is
  | 'INVALID_REPOSITORY' // a TUF repository directory that is missing files, or whose metadata does not verify
  | 'INVALID_TARGET_NAME' // a target name clients could not download, or that escapes the targets folder
  | 'WRONG_SIGNER' // a signer whose key the role does not list, or too few signers for a threshold
  | 'INVALID_METADATA' // TUF metadata that does not parse as the role it should be
  | 'ROOT_CHAIN_BROKEN'; // a root.json sequence in which some version does not follow from the one before

export class TrustError extends Error {
  override readonly name = 'TrustError';
  constructor(
    readonly code: TrustErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
