// Issues RFC 3161 timestamp tokens: a TSTInfo inside a CMS SignedData whose one SignerInfo is shaped
// as sigstore clients read it (wire-formats §7.3), signed through a Signer so the key may be in an HSM.
import { createHash, randomBytes } from 'node:crypto';
import { type Signer, verifySignature } from '@airlock/keys';
import {
  checkTimestampingLeaf,
  type ParsedCertificate,
  parseCertificate,
  validAt,
} from './certificate.js';
import {
  bytesEqual,
  checkIntegerContent,
  contextPrimitiveTag,
  contextTag,
  encodeCmsTime,
  encodeElement,
  encodeGeneralizedTime,
  encodeInteger,
  encodeIntegerContent,
  encodeOctetString,
  encodeOid,
  sequence,
  setOf,
  TAG,
} from './der.js';
import { TimestampError } from './errors.js';
import { HASH_ALGORITHMS, type HashAlgorithm, OID, SIGSTORE_TSA_POLICY } from './oids.js';
import { readMessageImprintDer, type TimeStampRequest } from './request.js';
import { grantedResponse } from './response.js';

/** RFC 3161 Accuracy; at least one field. millis and micros are 1 to 999. */
export interface Accuracy {
  readonly seconds?: number;
  readonly millis?: number;
  readonly micros?: number;
}

/** sigstore/timestamp-authority's default accuracy. */
export const DEFAULT_ACCURACY: Accuracy = { seconds: 1 };

/** Token serial numbers are 20 random bytes: unique without any state, and the most RFC 3161 asks clients to take. */
export const TOKEN_SERIAL_BYTES = 20;

export interface TimeStampTokenOptions {
  readonly request: TimeStampRequest;
  /** The TSA key: ECDSA P-256 or P-384 (sigstore-js verifies only ecdsa-with-SHA* tokens). */
  readonly signer: Signer;
  /** DER certificate of the signer: an end entity whose only, critical, EKU is timeStamping. */
  readonly signerCert: Uint8Array;
  /** Certificates above the signer's (intermediates, root), embedded after it when certificates are included. */
  readonly chain?: readonly Uint8Array[];
  /** The policy tokens are issued under when the request names none. Default: Sigstore's. */
  readonly policy?: string;
  /** Policies a request may ask for. Default: just `policy`. */
  readonly acceptedPolicies?: readonly string[];
  /** Positive, minimal DER INTEGER contents, at most 20 bytes. Default: 20 random bytes. */
  readonly serialNumber?: Uint8Array;
  /** Default: now. Tokens carry whole seconds (the only form every client parses). */
  readonly genTime?: Date;
  /** Default: 1 second; null for none. */
  readonly accuracy?: Accuracy | null;
  /** Embed the signer certificate (and `chain`). Default: what the request's certReq asks. */
  readonly includeCerts?: boolean;
  /** Add a signingTime signed attribute (equal to genTime). Default: true. */
  readonly signingTime?: boolean;
}

export interface IssuedTimeStamp {
  /** DER TimeStampResp, status granted: what a TSA answers and a sigstore bundle stores. */
  readonly response: Uint8Array;
  /** DER ContentInfo (the TimeStampToken). */
  readonly token: Uint8Array;
  /** DER TSTInfo, the signed content. */
  readonly tstInfo: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly genTime: Date;
  readonly policy: string;
}

/** A fresh serial: 20 random bytes, positive and minimally encoded (first byte 0x01–0x7f). */
export function randomTokenSerial(): Uint8Array {
  const serial = new Uint8Array(randomBytes(TOKEN_SERIAL_BYTES));
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}

function checkSerial(serial: Uint8Array): void {
  try {
    checkIntegerContent(serial);
  } catch (error) {
    throw new TimestampError('INVALID_INPUT', 'a serial number must be a minimal DER INTEGER', {
      cause: error,
    });
  }
  if (
    serial.length > TOKEN_SERIAL_BYTES ||
    serial[0]! >= 0x80 ||
    (serial[0] === 0 && serial.length === 1)
  ) {
    throw new TimestampError('INVALID_INPUT', 'a serial number is positive and at most 20 bytes');
  }
}

function encodeAccuracy(accuracy: Accuracy): Uint8Array {
  const { seconds, millis, micros } = accuracy;
  const fine = (value: number | undefined) =>
    value === undefined || (Number.isInteger(value) && value >= 1 && value <= 999);
  if (
    (seconds === undefined && millis === undefined && micros === undefined) ||
    (seconds !== undefined && !(Number.isSafeInteger(seconds) && seconds >= 0)) ||
    !fine(millis) ||
    !fine(micros)
  ) {
    throw new TimestampError(
      'INVALID_INPUT',
      'accuracy is seconds ≥ 0 and/or millis, micros in 1..999',
    );
  }
  // [0] and [1] are IMPLICIT INTEGERs: the INTEGER encoding with its tag replaced.
  const retag = (tag: number, value: number) => {
    const integer = encodeInteger(BigInt(value));
    integer[0] = tag;
    return integer;
  };
  return sequence(
    ...(seconds !== undefined ? [encodeInteger(BigInt(seconds))] : []),
    ...(millis !== undefined ? [retag(contextPrimitiveTag(0), millis)] : []),
    ...(micros !== undefined ? [retag(contextPrimitiveTag(1), micros)] : []),
  );
}

const algorithmIdentifier = (oid: string) => sequence(encodeOid(oid));
const attribute = (oid: string, value: Uint8Array) =>
  sequence(encodeOid(oid), setOf(TAG.SET, [value]));

/** The digest and signature algorithm a signer's key dictates: sigstore-js accepts only ecdsa-with-SHA*. */
function signatureProfile(signer: Signer): { digest: HashAlgorithm; signatureOid: string } {
  switch (signer.algorithm) {
    case 'ecdsa-p256-sha256':
      return { digest: 'sha256', signatureOid: OID.ecdsaWithSha256 };
    case 'ecdsa-p384-sha384':
      return { digest: 'sha384', signatureOid: OID.ecdsaWithSha384 };
    default:
      throw new TimestampError(
        'UNSUPPORTED_KEY',
        `a TSA signs with ECDSA P-256 or P-384; sigstore clients cannot verify ${signer.algorithm} tokens`,
      );
  }
}

const checkedSignerCerts = new WeakMap<Uint8Array, ParsedCertificate>();

/** The signer certificate, parsed and checked once per byte array (a TSA passes the same one each time). */
function signerCertificate(signerCert: Uint8Array, signer: Signer): ParsedCertificate {
  let certificate = checkedSignerCerts.get(signerCert);
  if (certificate === undefined) {
    certificate = parseCertificate(Uint8Array.from(signerCert), 'INVALID_SIGNER_CERTIFICATE');
    checkTimestampingLeaf(certificate, 'INVALID_SIGNER_CERTIFICATE');
    checkedSignerCerts.set(signerCert, certificate);
  }
  if (!certificate.publicKey.equals(signer.publicKey)) {
    throw new TimestampError(
      'KEY_MISMATCH',
      'the signer does not hold the key its certificate certifies',
    );
  }
  return certificate;
}

const checkedChainCerts = new WeakSet<Uint8Array>();

/** Certificates to embed must at least be certificates; each byte array is checked once. */
function checkChain(chain: readonly Uint8Array[]): void {
  for (const certificate of chain) {
    if (checkedChainCerts.has(certificate)) continue;
    parseCertificate(certificate, 'INVALID_INPUT');
    checkedChainCerts.add(certificate);
  }
}

function issuedPolicy(options: TimeStampTokenOptions): string {
  const policy = options.policy ?? SIGSTORE_TSA_POLICY;
  const requested = options.request.reqPolicy;
  if (requested === undefined) return policy;
  const accepted = options.acceptedPolicies ?? [policy];
  if (!accepted.includes(requested)) {
    throw new TimestampError(
      'UNACCEPTED_POLICY',
      `policy ${requested} is not accepted by this TSA`,
    );
  }
  return requested;
}

/**
 * Issues a token for a request: TSTInfo (version 1, policy, the request's messageImprint, serial,
 * genTime in whole seconds, accuracy, the nonce echoed) in a SignedData v3 with one SignerInfo
 * (IssuerAndSerialNumber; signed attributes contentType, signingTime, messageDigest and
 * signingCertificateV2 with the SHA-256 of the signer certificate; ecdsa-with-SHA256/384). The
 * signature is checked before anything is returned, so a failing HSM cannot emit a bad token.
 */
export async function createTimeStampToken(
  options: TimeStampTokenOptions,
): Promise<IssuedTimeStamp> {
  const { request, signer } = options;
  const { digest, signatureOid } = signatureProfile(signer);
  const certificate = signerCertificate(options.signerCert, signer);
  const imprint = readMessageImprintDer(request.messageImprint);
  if (
    imprint.hashAlgorithm !== request.hashAlgorithm ||
    !bytesEqual(imprint.hashedMessage, request.hashedMessage)
  ) {
    throw new TimestampError(
      'INVALID_INPUT',
      'the request messageImprint disagrees with its fields',
    );
  }
  const policy = issuedPolicy(options);
  const serialNumber = options.serialNumber ?? randomTokenSerial();
  checkSerial(serialNumber);
  const at = options.genTime ?? new Date();
  if (Number.isNaN(at.getTime()))
    throw new TimestampError('INVALID_INPUT', 'genTime is not a date');
  const genTime = new Date(Math.floor(at.getTime() / 1000) * 1000);
  if (genTime.getUTCFullYear() < 1950 || genTime.getUTCFullYear() > 9999) {
    throw new TimestampError('INVALID_INPUT', 'genTime must be between 1950 and 9999');
  }
  if (!validAt(certificate, genTime)) {
    throw new TimestampError(
      'INVALID_SIGNER_CERTIFICATE',
      `the TSA certificate is not valid at ${genTime.toISOString()} (${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()})`,
    );
  }
  const accuracy = options.accuracy === undefined ? DEFAULT_ACCURACY : options.accuracy;

  const tstInfo = sequence(
    encodeInteger(1n),
    encodeOid(policy),
    request.messageImprint,
    encodeIntegerContent(serialNumber),
    encodeGeneralizedTime(genTime),
    ...(accuracy !== null ? [encodeAccuracy(accuracy)] : []),
    ...(request.nonce !== undefined ? [encodeInteger(request.nonce)] : []),
  );

  const hash = (algorithm: HashAlgorithm, data: Uint8Array) =>
    new Uint8Array(createHash(algorithm).update(data).digest());
  const issuerAndSerial = sequence(
    certificate.issuer,
    encodeIntegerContent(certificate.serialNumber),
  );
  // ESSCertIDv2 with the default hash (SHA-256, so its AlgorithmIdentifier is omitted) and the
  // IssuerSerial (GeneralNames with one directoryName [4]) binding the hash to one certificate.
  const essCertId = sequence(
    encodeOctetString(hash('sha256', certificate.der)),
    sequence(
      sequence(encodeElement(contextTag(4), certificate.issuer)),
      encodeIntegerContent(certificate.serialNumber),
    ),
  );
  const signedAttributes = setOf(TAG.SET, [
    attribute(OID.contentType, encodeOid(OID.tstInfo)),
    ...(options.signingTime !== false ? [attribute(OID.signingTime, encodeCmsTime(genTime))] : []),
    attribute(OID.messageDigest, encodeOctetString(hash(digest, tstInfo))),
    attribute(OID.signingCertificateV2, sequence(sequence(essCertId))),
  ]);

  let signature: Uint8Array;
  try {
    signature = await signer.sign(signedAttributes);
  } catch (error) {
    throw new TimestampError('SIGNING_FAILED', 'the TSA key failed to sign', { cause: error });
  }
  if (!verifySignature(signer.publicKey, signer.algorithm, signedAttributes, signature)) {
    throw new TimestampError(
      'SIGNING_FAILED',
      'the TSA key returned a signature that does not verify',
    );
  }

  // In the SignerInfo the SET is IMPLICIT [0]: the same bytes with the tag replaced.
  const signedAttrsField = Uint8Array.from(signedAttributes);
  signedAttrsField[0] = contextTag(0);
  const signerInfo = sequence(
    encodeInteger(1n),
    issuerAndSerial,
    algorithmIdentifier(HASH_ALGORITHMS[digest].oid),
    signedAttrsField,
    algorithmIdentifier(signatureOid),
    encodeOctetString(signature),
  );
  const includeCerts = options.includeCerts ?? request.certReq;
  if (includeCerts) checkChain(options.chain ?? []);
  const signedData = sequence(
    encodeInteger(3n),
    setOf(TAG.SET, [algorithmIdentifier(HASH_ALGORITHMS[digest].oid)]),
    sequence(encodeOid(OID.tstInfo), encodeElement(contextTag(0), encodeOctetString(tstInfo))),
    // Leaf first, then the chain in order: how TSAs conventionally list them; verifiers search by sid.
    ...(includeCerts
      ? [encodeElement(contextTag(0), certificate.der, ...(options.chain ?? []))]
      : []),
    setOf(TAG.SET, [signerInfo]),
  );
  const token = sequence(encodeOid(OID.signedData), encodeElement(contextTag(0), signedData));
  return {
    response: grantedResponse(token),
    token,
    tstInfo,
    serialNumber: Uint8Array.from(serialNumber),
    genTime,
    policy,
  };
}
