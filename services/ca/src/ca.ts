// The issuing logic of the Fulcio-compatible CA, independent of HTTP: verify the token, check the key
// and its proof, sign a precertificate, get an SCT for it, embed the SCT in the final certificate.
// Nothing is issued unless every step succeeds.
import { type KeyObject, X509Certificate as NodeX509Certificate } from 'node:crypto';
import type { Signer } from '@airlock/keys';
import type { SubjectAlternativeName as IdentitySan, VerifiedIdentity } from '@airlock/oidc';
import {
  assertSignerMatches,
  buildLeafTbs,
  FULCIO_EXTENSIONS,
  type FulcioExtensionName,
  type FulcioExtensions,
  finalCertificateTbs,
  issuerKeyHash,
  LEAF_VALIDITY_MS,
  type SubjectAlternativeName as LeafSan,
  parseCsr,
  parsePublicKeyContent,
  pemEncode,
  precertificateTbs,
  precertTbsFromPrecert,
  randomSerialNumber,
  type SignedCertificateTimestamp,
  signTbs,
  tbsForSct,
  validatePublicKey,
  verifyProofOfPossession,
  verifySct,
  X509Error,
} from '@airlock/x509';
import { CaError, type CaErrorCode } from './ca-error.js';
import type { PrecertificateLog } from './ct-client.js';

/** RSA sizes Fulcio's default algorithm registry allows (goodkey alone would take any 2048–4096). */
export const ALLOWED_RSA_BITS: readonly number[] = [2048, 3072, 4096];

/** What the CA needs from token verification: @airlock/oidc's IdentityVerifier provides it. */
export interface IdentityVerification {
  /** Throws OidcError for every token it does not accept. */
  verify(token: string): Promise<VerifiedIdentity>;
}

/** A request for a certificate: the key with a proof of possession, or a CSR. */
export type CertificateRequest =
  | {
      readonly token: string;
      /** PEM `PUBLIC KEY` / `RSA PUBLIC KEY` text, or DER SubjectPublicKeyInfo. */
      readonly publicKey: string | Uint8Array;
      /** The key's signature of the identity's challenge (the email or `sub`). */
      readonly proofOfPossession: Uint8Array;
    }
  | {
      readonly token: string;
      /** PEM or DER PKCS#10; only its key and signature matter. */
      readonly csr: string | Uint8Array;
    };

/** What the audit hook hears about each certificate issued. Never the token. */
export interface IssuanceRecord {
  /** Lower-case hex of the serial number. */
  readonly serialNumber: string;
  readonly san: IdentitySan;
  /** The certificate's issuer extension (.1.8): the token's `iss` or the federated issuer. */
  readonly issuer: string;
  /** The token's `sub`. */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The precertificate's index in the CT log, when the log says (static-ct-api leaf_index). */
  readonly ctIndex?: number;
}

export interface IssuedCertificate {
  /** DER certificates: the leaf, the intermediates, the root. */
  readonly chain: readonly Uint8Array[];
  /** The same chain as PEM texts. */
  readonly chainPem: readonly string[];
  /** The SCT embedded in the leaf; absent only for a CA run without a CT log. */
  readonly sct?: SignedCertificateTimestamp;
  readonly record: IssuanceRecord;
}

export interface CertificateAuthorityOptions {
  /** The issuing key: the key of `chain[0]`. It signs precertificates and certificates. */
  readonly signer: Signer;
  /** DER CA certificates: the issuing certificate first, then its issuers, the root last. */
  readonly chain: readonly Uint8Array[];
  readonly identityVerifier: IdentityVerification;
  /**
   * The CT log every certificate is logged to before it is issued. Without one, leaves carry no SCT,
   * which sigstore-js, cosign and sigstore-python reject by default: `airlock up` always sets one.
   */
  readonly ctLog?: PrecertificateLog;
  /**
   * Called once per certificate, after it is built and before it is returned. If it throws, the
   * certificate is withheld (AUDIT_FAILED): an issuance the audit trail missed must not be used.
   */
  readonly onIssued?: (record: IssuanceRecord) => void | Promise<void>;
}

const FULCIO_NAME_BY_OID: ReadonlyMap<string, FulcioExtensionName> = new Map(
  FULCIO_EXTENSIONS.filter((spec) => spec.encoding === 'utf8String').map((spec) => [
    spec.oid,
    spec.name,
  ]),
);

function leafSan(san: IdentitySan): LeafSan {
  switch (san.type) {
    case 'email':
    case 'uri':
      return san;
    case 'otherName':
      return { type: 'otherName-username', value: san.value };
  }
}

/** The identity's extension values by OID, renamed as @airlock/x509 renders them. */
function fulcioExtensionsOf(identity: VerifiedIdentity): FulcioExtensions {
  const values: Partial<Record<FulcioExtensionName, string>> = {};
  for (const [oid, value] of Object.entries(identity.extensions)) {
    const name = FULCIO_NAME_BY_OID.get(oid);
    if (name === undefined) {
      throw new CaError(
        'ISSUANCE_FAILED',
        `the identity carries extension ${oid}, unknown to the CA`,
      );
    }
    values[name] = value;
  }
  return { ...values, issuer: identity.issuer };
}

/** static-ct-api's leaf_index CtExtension (type 0, 5-byte big-endian index), if the SCT has one. */
function leafIndexOf(extensions: Uint8Array): number | undefined {
  let offset = 0;
  while (offset + 3 <= extensions.length) {
    const type = extensions[offset]!;
    const length = (extensions[offset + 1]! << 8) | extensions[offset + 2]!;
    const data = extensions.subarray(offset + 3, offset + 3 + length);
    if (data.length !== length) return undefined;
    if (type === 0 && length === 5) {
      return data.reduce((index, byte) => index * 256 + byte, 0);
    }
    offset += 3 + length;
  }
  return undefined;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function clientKeyError(code: CaErrorCode, prefix: string, error: unknown): never {
  if (error instanceof X509Error) {
    throw new CaError(code, `${prefix}: ${error.message}`, { cause: error });
  }
  throw error;
}

/** The issuing CA: one instance serves every request; `issue` is safe to call concurrently. */
export class CertificateAuthority {
  /** The CA certificates, issuing certificate first, root last (DER). */
  readonly caChain: readonly Uint8Array[];
  readonly caChainPem: readonly string[];
  readonly ctLog: PrecertificateLog | undefined;
  private readonly signer: Signer;
  private readonly verifier: IdentityVerification;
  private readonly issuerKeyHash: Uint8Array;
  private readonly onIssued: CertificateAuthorityOptions['onIssued'];

  constructor(options: CertificateAuthorityOptions) {
    checkChain(options.chain);
    try {
      assertSignerMatches(options.chain[0]!, options.signer);
    } catch (error) {
      throw new CaError(
        'INVALID_CONFIG',
        'the CA signing key is not the key of the issuing certificate (the first of the chain)',
        { cause: error },
      );
    }
    this.caChain = options.chain.map((der) => new Uint8Array(der));
    this.caChainPem = this.caChain.map((der) => pemEncode(der));
    this.signer = options.signer;
    this.verifier = options.identityVerifier;
    this.ctLog = options.ctLog;
    this.onIssued = options.onIssued;
    this.issuerKeyHash = issuerKeyHash(this.caChain[0]!);
  }

  /**
   * Issues a certificate for the identity in `request.token` and the key in the request. Throws
   * OidcError for a token it does not accept, CaError for everything else; in either case no
   * certificate was issued, and a request refused before the CT step never reached the CT log.
   */
  async issue(request: CertificateRequest): Promise<IssuedCertificate> {
    if (typeof request.token !== 'string' || request.token === '') {
      throw new CaError(
        'MISSING_TOKEN',
        'no OIDC identity token: send it in credentials.oidcIdentityToken or an Authorization: Bearer header',
      );
    }
    const identity = await this.verifier.verify(request.token);
    const publicKey = 'csr' in request ? keyOfCsr(request.csr) : provenKey(request, identity);

    const serialNumber = randomSerialNumber();
    // Whole seconds, as the certificate stores them, so the audit record matches the certificate.
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + LEAF_VALIDITY_MS);
    let leafTbs: Uint8Array;
    try {
      leafTbs = buildLeafTbs({
        issuerCert: this.caChain[0]!,
        publicKey,
        serialNumber,
        notBefore,
        notAfter,
        subjectAlternativeName: leafSan(identity.san),
        extensions: fulcioExtensionsOf(identity),
      });
    } catch (error) {
      if (error instanceof X509Error && error.code === 'INVALID_INPUT') {
        throw new CaError(
          'UNCERTIFIABLE_IDENTITY',
          `the identity cannot be put in a certificate: ${error.message}`,
          { cause: error },
        );
      }
      throw issuanceFailed('could not build the certificate', error);
    }

    let certificate: Uint8Array;
    let sct: SignedCertificateTimestamp | undefined;
    if (this.ctLog === undefined) {
      certificate = await this.sign(leafTbs);
    } else {
      ({ certificate, sct } = await this.logAndSign(leafTbs, this.ctLog));
    }

    const ctIndex = sct === undefined ? undefined : leafIndexOf(sct.extensions);
    const record: IssuanceRecord = {
      serialNumber: hex(serialNumber),
      san: identity.san,
      issuer: identity.issuer,
      subject: identity.subject,
      notBefore,
      notAfter,
      ...(ctIndex === undefined ? {} : { ctIndex }),
    };
    if (this.onIssued !== undefined) {
      try {
        await this.onIssued(record);
      } catch (error) {
        throw new CaError('AUDIT_FAILED', 'the issuance could not be recorded', { cause: error });
      }
    }
    return {
      chain: [certificate, ...this.caChain],
      chainPem: [pemEncode(certificate), ...this.caChainPem],
      ...(sct === undefined ? {} : { sct }),
      record,
    };
  }

  /** Precertificate → CT log → verified SCT → final certificate with the SCT embedded. */
  private async logAndSign(
    leafTbs: Uint8Array,
    ctLog: PrecertificateLog,
  ): Promise<{ certificate: Uint8Array; sct: SignedCertificateTimestamp }> {
    try {
      const precertificate = await this.sign(precertificateTbs(leafTbs));
      const sct = await ctLog.addPreChain([precertificate, ...this.caChain]);
      const loggedTbs = precertTbsFromPrecert(precertificate);
      const entry = {
        type: 'precert' as const,
        issuerKeyHash: this.issuerKeyHash,
        tbsCertificate: loggedTbs,
      };
      // Fail closed: an SCT clients cannot verify would make every signature with this certificate
      // fail verification, and an SCT from another log proves nothing was logged where we think.
      if (!verifySct(sct, entry, ctLog.publicKey)) {
        throw new CaError(
          'INVALID_SCT',
          'the CT log returned an SCT that does not verify with its configured key over this precertificate',
        );
      }
      const certificate = await this.sign(finalCertificateTbs(leafTbs, [sct]));
      // What verifiers rebuild from the final certificate must be exactly what the log signed.
      if (!Buffer.from(tbsForSct(certificate)).equals(loggedTbs)) {
        throw new CaError(
          'ISSUANCE_FAILED',
          'the final certificate differs from the precertificate',
        );
      }
      return { certificate, sct };
    } catch (error) {
      throw issuanceFailed('could not log and issue the certificate', error);
    }
  }

  private async sign(tbs: Uint8Array): Promise<Uint8Array> {
    try {
      return await signTbs(tbs, this.signer);
    } catch (error) {
      throw issuanceFailed('the CA key could not sign', error);
    }
  }
}

function issuanceFailed(what: string, error: unknown): CaError {
  if (error instanceof CaError) return error;
  const detail = error instanceof Error ? `: ${error.message}` : '';
  return new CaError('ISSUANCE_FAILED', `${what}${detail}`, { cause: error });
}

/** Fulcio's default algorithm registry on top of goodkey: RSA only in the three usual sizes. */
function checkRegistry(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'rsa') return;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!ALLOWED_RSA_BITS.includes(bits)) {
    throw new CaError(
      'INVALID_PUBLIC_KEY',
      `RSA keys must have ${ALLOWED_RSA_BITS.join(', ')} bits, not ${bits}`,
    );
  }
}

/** The submitted key, after goodkey, the registry and the proof of possession of the challenge. */
function provenKey(
  request: { readonly publicKey: string | Uint8Array; readonly proofOfPossession: Uint8Array },
  identity: VerifiedIdentity,
): KeyObject {
  let key: KeyObject;
  try {
    key = parsePublicKeyContent(request.publicKey);
    validatePublicKey(key);
  } catch (error) {
    clientKeyError('INVALID_PUBLIC_KEY', 'the public key is refused', error);
  }
  checkRegistry(key);
  try {
    verifyProofOfPossession(key, request.proofOfPossession, identity.challenge);
  } catch (error) {
    clientKeyError(
      'INVALID_PROOF_OF_POSSESSION',
      `the proof of possession must sign ${JSON.stringify(identity.challenge)} with the submitted key`,
      error,
    );
  }
  return key;
}

function keyOfCsr(csr: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = parseCsr(csr).publicKey;
  } catch (error) {
    const keyRefused =
      error instanceof X509Error && (error.code === 'UNSUPPORTED_KEY' || error.code === 'WEAK_KEY');
    clientKeyError(
      keyRefused ? 'INVALID_PUBLIC_KEY' : 'INVALID_CSR',
      keyRefused ? 'the CSR key is refused' : 'the CSR is refused',
      error,
    );
  }
  checkRegistry(key);
  return key;
}

/** Refuses a CA chain that is not CA certificates each issued by the next, ending in a self-signed root. */
function checkChain(chain: readonly Uint8Array[]): void {
  if (chain.length === 0) throw new CaError('INVALID_CONFIG', 'the CA chain is empty');
  const parsed = chain.map((der, index) => {
    try {
      return new NodeX509Certificate(Buffer.from(der));
    } catch (error) {
      throw new CaError('INVALID_CONFIG', `CA chain certificate ${index} is not a certificate`, {
        cause: error,
      });
    }
  });
  parsed.forEach((certificate, index) => {
    if (!certificate.ca) {
      throw new CaError('INVALID_CONFIG', `CA chain certificate ${index} is not a CA certificate`);
    }
    const issuer = parsed[index + 1] ?? certificate;
    if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) {
      throw new CaError(
        'INVALID_CONFIG',
        index === parsed.length - 1
          ? 'the last certificate of the CA chain must be a self-signed root'
          : `CA chain certificate ${index} is not issued by certificate ${index + 1}`,
      );
    }
  });
}
