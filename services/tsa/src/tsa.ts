// The timestamp authority: one TSA key and its certificate chain, issuing RFC 3161 tokens for
// requests at the time its clock says. It checks at creation that the key, chain and profile agree.
import type { Signer } from '@airlock/keys';
import {
  type Accuracy,
  createTimeStampToken,
  DEFAULT_ACCURACY,
  type IssuedTimeStamp,
  SIGSTORE_TSA_POLICY,
  type TimeStampRequest,
  TimestampError,
  timeStampRequest,
  verifyTimeStampToken,
} from '@airlock/timestamp';
import { pemEncode } from '@airlock/x509';

export interface TimestampAuthorityOptions {
  /** The TSA key (ECDSA P-256 or P-384), normally in an HSM. */
  readonly signer: Signer;
  /** DER certificates [TSA leaf, intermediates…, root]: what goes into the trusted root. */
  readonly chain: readonly Uint8Array[];
  /** The policy tokens are issued under unless a request asks for another accepted one. */
  readonly policy?: string;
  /** Policies a request may name. Default: just `policy`. */
  readonly acceptedPolicies?: readonly string[];
  /** Default 1 second; null leaves accuracy out. */
  readonly accuracy?: Accuracy | null;
  /**
   * When a request asks for certificates, embed the whole chain rather than only the leaf
   * (timestamp-authority's --include-chain-in-response). Default: false.
   */
  readonly includeChainInResponse?: boolean;
  /** The time source; default the system clock. */
  readonly clock?: () => Date;
}

/** What sigstore/timestamp-authority uses unless configured otherwise. */
export const TSA_DEFAULTS = {
  policy: SIGSTORE_TSA_POLICY,
  accuracy: DEFAULT_ACCURACY,
  includeChainInResponse: false,
} as const;

export class TimestampAuthority {
  readonly signer: Signer;
  readonly chain: readonly Uint8Array[];
  readonly policy: string;
  readonly acceptedPolicies: readonly string[];
  readonly accuracy: Accuracy | null;
  readonly includeChainInResponse: boolean;
  readonly #clock: () => Date;

  private constructor(options: TimestampAuthorityOptions) {
    this.signer = options.signer;
    this.chain = options.chain.map((certificate) => Uint8Array.from(certificate));
    this.policy = options.policy ?? TSA_DEFAULTS.policy;
    this.acceptedPolicies = options.acceptedPolicies ?? [this.policy];
    this.accuracy = options.accuracy === undefined ? TSA_DEFAULTS.accuracy : options.accuracy;
    this.includeChainInResponse =
      options.includeChainInResponse ?? TSA_DEFAULTS.includeChainInResponse;
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * A TSA ready to issue. Before returning it issues one token and verifies it against the chain, so a
   * key that is not the leaf's, a leaf without the timestamping profile, or a chain that does not
   * verify now stops the service at startup instead of producing tokens no client accepts.
   */
  static async create(options: TimestampAuthorityOptions): Promise<TimestampAuthority> {
    const tsa = new TimestampAuthority(options);
    if (!tsa.acceptedPolicies.includes(tsa.policy)) {
      throw new TimestampError('INVALID_INPUT', 'the default policy must be an accepted policy');
    }
    const selfTest = timeStampRequest({
      hashAlgorithm: 'sha256',
      hashedMessage: new Uint8Array(32),
    });
    const issued = await tsa.issue(selfTest);
    verifyTimeStampToken(issued.response, {
      digest: { algorithm: 'sha256', value: selfTest.hashedMessage },
      trustedChain: tsa.chain,
      policy: tsa.policy,
    });
    return tsa;
  }

  /** The leaf certificate (DER). */
  get leaf(): Uint8Array {
    return this.chain[0]!;
  }

  /** The chain as PEM, leaf first: what GET /api/v1/timestamp/certchain serves. */
  get chainPem(): string {
    return this.chain.map((certificate) => pemEncode(certificate)).join('');
  }

  /** Issues a token; throws TimestampError for requests it refuses (policy) or a failing key. */
  issue(request: TimeStampRequest): Promise<IssuedTimeStamp> {
    return createTimeStampToken({
      request,
      signer: this.signer,
      signerCert: this.leaf,
      chain: this.includeChainInResponse ? this.chain.slice(1) : [],
      policy: this.policy,
      acceptedPolicies: this.acceptedPolicies,
      genTime: this.#clock(),
      accuracy: this.accuracy,
    });
  }
}
