// Verifies an RFC 3161 timestamp token against a trusted TSA chain, as sigstore verifiers do and
// stricter: every structure is strict DER, and any check that cannot be made fails.
import { createHash, verify, X509Certificate } from 'node:crypto';
import {
  checkTimestampingLeaf,
  extendedKeyUsages,
  isCa,
  keyUsageAllows,
  type ParsedCertificate,
  parseCertificate,
  validAt,
} from './certificate.js';
import {
  bytesEqual,
  contextPrimitiveTag,
  contextTag,
  type DerElement,
  decodeInteger,
  decodeOid,
  decodeSmallInteger,
  decodeTime,
  expectTag,
  Fields,
  readChildren,
  readSingle,
  setOf,
  TAG,
} from './der.js';
import { parsingAs, TimestampError } from './errors.js';
import {
  ECDSA_SIGNATURE_HASHES,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  hashAlgorithmOfOid,
  OID,
} from './oids.js';
import { PKI_STATUS } from './response.js';
import type { Accuracy } from './token.js';

export interface VerifyTimeStampOptions {
  /** The timestamped bytes (for sigstore: the signature); or give `digest`. */
  readonly data?: Uint8Array;
  /** The digest of the timestamped bytes, with the algorithm the token must use. */
  readonly digest?: { readonly algorithm: HashAlgorithm; readonly value: Uint8Array };
  /** DER certificates [TSA leaf, intermediates…, self-signed root], as a trusted root lists them. */
  readonly trustedChain: readonly Uint8Array[];
  /** The nonce the request carried; the token must echo it. */
  readonly nonce?: bigint;
  /** The policy the token must have been issued under. */
  readonly policy?: string;
  /** When the trusted root trusts this TSA (its `validFor`); genTime must lie inside, ends inclusive. */
  readonly validFor?: { readonly start: Date; readonly end?: Date };
}

export interface VerifiedTimeStamp {
  readonly genTime: Date;
  /** The token's serial number (INTEGER contents). */
  readonly serialNumber: Uint8Array;
  readonly policy: string;
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  readonly nonce?: bigint;
  readonly accuracy?: Accuracy;
  /** The trusted leaf that signed it. */
  readonly signerCert: Uint8Array;
}

const hash = (algorithm: HashAlgorithm, data: Uint8Array) =>
  new Uint8Array(createHash(algorithm).update(data).digest());

function malformed(message: string): TimestampError {
  return new TimestampError('MALFORMED_RESPONSE', message);
}

/** A SHA-2 AlgorithmIdentifier (parameters absent or NULL); anything else is UNSUPPORTED_ALGORITHM. */
function readDigestAlgorithm(element: DerElement): HashAlgorithm {
  const fields = Fields.of(element, TAG.SEQUENCE, 'AlgorithmIdentifier');
  const oid = decodeOid(fields.required(TAG.OID, 'an OID'));
  const parameters = fields.optional(TAG.NULL);
  if (parameters !== undefined && parameters.content.length !== 0) throw malformed('bad NULL');
  fields.end();
  const algorithm = hashAlgorithmOfOid(oid);
  if (algorithm === undefined) {
    throw new TimestampError('UNSUPPORTED_ALGORITHM', `digest algorithm ${oid} is not accepted`);
  }
  return algorithm;
}

/** The ContentInfo of a TimeStampResp (which must be granted), or the bytes themselves if they are one. */
function tokenOf(der: Uint8Array): DerElement {
  const outer = readSingle(der, TAG.SEQUENCE);
  const children = readChildren(outer.content);
  if (children[0]?.tag === TAG.OID) return outer;
  const response = new Fields(children, 'TimeStampResp');
  const info = Fields.of(
    response.required(TAG.SEQUENCE, 'a status'),
    TAG.SEQUENCE,
    'PKIStatusInfo',
  );
  const status = decodeSmallInteger(info.required(TAG.INTEGER, 'a status'));
  if (status !== PKI_STATUS.granted && status !== PKI_STATUS.grantedWithMods) {
    throw new TimestampError('NOT_GRANTED', `the TSA refused the request (status ${status})`);
  }
  const token = response.optional(TAG.SEQUENCE);
  response.end();
  if (token === undefined) throw new TimestampError('NOT_GRANTED', 'the response carries no token');
  return token;
}

interface SignedAttributes {
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  /** The first ESSCertIDv2 of signingCertificateV2. */
  readonly essCertHash: { algorithm: HashAlgorithm; value: Uint8Array };
  readonly essIssuerSerial?: { issuer: Uint8Array; serial: Uint8Array };
}

/** The value of a single-valued attribute. */
function singleValue(element: DerElement, oid: string): DerElement {
  const values = readChildren(expectTag(element, TAG.SET).content);
  if (values.length !== 1) throw malformed(`attribute ${oid} must have exactly one value`);
  return values[0]!;
}

function readSignedAttributes(setBytes: Uint8Array): SignedAttributes {
  const attributes = new Map<string, DerElement>();
  for (const attribute of readChildren(readSingle(setBytes, TAG.SET).content)) {
    const fields = Fields.of(attribute, TAG.SEQUENCE, 'Attribute');
    const oid = decodeOid(fields.required(TAG.OID, 'a type'));
    const values = fields.required(TAG.SET, 'values');
    fields.end();
    if (attributes.has(oid)) throw malformed(`signed attribute ${oid} appears twice`);
    attributes.set(oid, values);
  }
  const need = (oid: string, name: string) => {
    const values = attributes.get(oid);
    if (values === undefined) throw malformed(`the token has no ${name} signed attribute`);
    return singleValue(values, oid);
  };
  const contentType = decodeOid(need(OID.contentType, 'contentType'));
  const messageDigest = expectTag(
    need(OID.messageDigest, 'messageDigest'),
    TAG.OCTET_STRING,
  ).content;
  const signingTime = attributes.get(OID.signingTime);
  if (signingTime !== undefined) decodeTime(singleValue(signingTime, OID.signingTime));
  // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }
  const signingCertificate = Fields.of(
    need(OID.signingCertificateV2, 'signingCertificateV2'),
    TAG.SEQUENCE,
    'SigningCertificateV2',
  );
  const certs = readChildren(signingCertificate.required(TAG.SEQUENCE, 'certs').content);
  const first = certs[0];
  if (first === undefined) throw malformed('signingCertificateV2 names no certificate');
  const essCertId = Fields.of(first, TAG.SEQUENCE, 'ESSCertIDv2');
  const hashAlgorithmElement = essCertId.optional(TAG.SEQUENCE);
  const algorithm =
    hashAlgorithmElement === undefined ? 'sha256' : readDigestAlgorithm(hashAlgorithmElement);
  const value = essCertId.required(TAG.OCTET_STRING, 'a certHash').content;
  const issuerSerial = essCertId.optional(TAG.SEQUENCE);
  essCertId.end();
  let essIssuerSerial: SignedAttributes['essIssuerSerial'];
  if (issuerSerial !== undefined) {
    const fields = Fields.of(issuerSerial, TAG.SEQUENCE, 'IssuerSerial');
    const names = readChildren(fields.required(TAG.SEQUENCE, 'GeneralNames').content);
    const serial = fields.required(TAG.INTEGER, 'a serial').content;
    fields.end();
    const [name, ...others] = names;
    if (name === undefined || others.length > 0 || name.tag !== contextTag(4)) {
      throw malformed('IssuerSerial must name the issuer by one directoryName');
    }
    essIssuerSerial = { issuer: readSingle(name.content, TAG.SEQUENCE).bytes, serial };
  }
  return {
    contentType,
    messageDigest,
    essCertHash: { algorithm, value },
    ...(essIssuerSerial !== undefined ? { essIssuerSerial } : {}),
  };
}

function readAccuracy(element: DerElement): Accuracy {
  const fields = Fields.of(element, TAG.SEQUENCE, 'Accuracy');
  const seconds = fields.optional(TAG.INTEGER);
  const retagged = (tag: number) => {
    const found = fields.optional(tag);
    if (found === undefined) return undefined;
    return decodeSmallInteger({ ...found, tag: TAG.INTEGER });
  };
  const millis = retagged(contextPrimitiveTag(0));
  const micros = retagged(contextPrimitiveTag(1));
  fields.end();
  return {
    ...(seconds !== undefined ? { seconds: decodeSmallInteger(seconds) } : {}),
    ...(millis !== undefined ? { millis } : {}),
    ...(micros !== undefined ? { micros } : {}),
  };
}

interface TstInfo {
  readonly policy: string;
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly genTime: Date;
  readonly accuracy?: Accuracy;
  readonly nonce?: bigint;
}

function readTstInfo(der: Uint8Array): TstInfo {
  const fields = Fields.of(readSingle(der), TAG.SEQUENCE, 'TSTInfo');
  if (decodeInteger(fields.required(TAG.INTEGER, 'a version')) !== 1n) {
    throw malformed('TSTInfo version must be 1');
  }
  const policy = decodeOid(fields.required(TAG.OID, 'a policy'));
  const imprint = Fields.of(
    fields.required(TAG.SEQUENCE, 'a messageImprint'),
    TAG.SEQUENCE,
    'MessageImprint',
  );
  const hashAlgorithm = readDigestAlgorithm(imprint.required(TAG.SEQUENCE, 'a hash algorithm'));
  const hashedMessage = imprint.required(TAG.OCTET_STRING, 'a hashed message').content;
  imprint.end();
  if (hashedMessage.length !== HASH_ALGORITHMS[hashAlgorithm].bytes) {
    throw malformed('the messageImprint digest has the wrong length');
  }
  const serial = fields.required(TAG.INTEGER, 'a serial number');
  decodeInteger(serial);
  const genTime = decodeTime(fields.required(TAG.GENERALIZED_TIME, 'a genTime'));
  const accuracy = fields.optional(TAG.SEQUENCE);
  const ordering = fields.optional(TAG.BOOLEAN);
  if (ordering !== undefined) {
    // DER omits ordering's DEFAULT FALSE; TRUE is a promise this verifier does not rely on.
    if (ordering.content.length !== 1 || ordering.content[0] !== 0xff) {
      throw malformed('ordering FALSE must be omitted in DER');
    }
  }
  const nonce = fields.optional(TAG.INTEGER);
  fields.optional(contextTag(0)); // tsa: a name hint, not trusted for anything
  const extensions = fields.optional(contextTag(1));
  fields.end();
  if (extensions !== undefined) {
    for (const extension of readChildren(extensions.content)) {
      const parts = Fields.of(extension, TAG.SEQUENCE, 'Extension');
      const oid = decodeOid(parts.required(TAG.OID, 'an OID'));
      const critical = parts.optional(TAG.BOOLEAN);
      if (critical !== undefined && critical.content[0] === 0xff) {
        throw malformed(`the token has an unknown critical extension ${oid}`);
      }
    }
  }
  return {
    policy,
    hashAlgorithm,
    hashedMessage,
    serialNumber: serial.content,
    genTime,
    ...(accuracy !== undefined ? { accuracy: readAccuracy(accuracy) } : {}),
    ...(nonce !== undefined ? { nonce: decodeInteger(nonce) } : {}),
  };
}

/**
 * Checks the trusted chain [leaf, intermediates…, root] at `at`: each certificate issued (name and
 * signature) by the next, the last self-signed, every one valid at `at`, the others CAs allowed to sign
 * certificates and not restricted away from timestamping, the leaf a timestamping-only end entity.
 */
function verifyChain(chain: readonly ParsedCertificate[], at: Date): void {
  const fail = (message: string) => new TimestampError('UNTRUSTED_CHAIN', message);
  const leaf = chain[0];
  if (leaf === undefined || chain.length < 2) {
    throw fail('a trusted TSA chain is [leaf, intermediates…, root]: at least two certificates');
  }
  checkTimestampingLeaf(leaf, 'UNTRUSTED_CHAIN');
  chain.forEach((certificate, index) => {
    if (!validAt(certificate, at)) {
      throw fail(`certificate ${index} of the TSA chain is not valid at ${at.toISOString()}`);
    }
    const issuer = chain[index + 1] ?? certificate;
    if (!bytesEqual(certificate.issuer, issuer.subject)) {
      throw fail(`certificate ${index} of the TSA chain is not issued by the next one (names)`);
    }
    if (!new X509Certificate(certificate.der).verify(issuer.publicKey)) {
      throw fail(`certificate ${index} of the TSA chain is not signed by the next one`);
    }
    if (index === 0) return;
    parsingAs('UNTRUSTED_CHAIN', 'a TSA CA certificate has malformed extensions', () => {
      if (!isCa(certificate) || !keyUsageAllows(certificate, 5)) {
        throw fail(`certificate ${index} of the TSA chain is not a CA`);
      }
      const eku = certificate.extensions.get(OID.extendedKeyUsage);
      if (eku !== undefined) {
        const purposes = extendedKeyUsages(eku);
        if (!purposes.includes(OID.timeStamping) && !purposes.includes(OID.anyExtendedKeyUsage)) {
          throw fail(`CA certificate ${index} of the TSA chain may not certify timestamping`);
        }
      }
    });
  });
}

/**
 * Verifies a DER TimeStampResp (status granted) or bare TimeStampToken against `trustedChain`, and
 * that it timestamps `data` (or `digest`). Returns what it attests; throws TimestampError otherwise.
 */
export function verifyTimeStampToken(
  der: Uint8Array,
  options: VerifyTimeStampOptions,
): VerifiedTimeStamp {
  if ((options.data === undefined) === (options.digest === undefined)) {
    throw new TimestampError('INVALID_INPUT', 'give either the data or its digest');
  }
  const chain = options.trustedChain.map((certificate) =>
    parseCertificate(certificate, 'UNTRUSTED_CHAIN'),
  );
  const leaf = chain[0];
  if (leaf === undefined) throw new TimestampError('UNTRUSTED_CHAIN', 'the trusted chain is empty');

  const parsed = parsingAs('MALFORMED_RESPONSE', 'not a DER timestamp token', () => {
    const contentInfo = Fields.of(tokenOf(der), TAG.SEQUENCE, 'ContentInfo');
    if (decodeOid(contentInfo.required(TAG.OID, 'a content type')) !== OID.signedData) {
      throw malformed('the token is not a SignedData');
    }
    const explicit = contentInfo.required(contextTag(0), 'content');
    contentInfo.end();
    const signedData = Fields.of(readSingle(explicit.content), TAG.SEQUENCE, 'SignedData');
    if (decodeInteger(signedData.required(TAG.INTEGER, 'a version')) !== 3n) {
      throw malformed('a SignedData of TSTInfo has version 3');
    }
    const digestAlgorithms = readChildren(
      signedData.required(TAG.SET, 'digestAlgorithms').content,
    ).map((element) => expectTag(element, TAG.SEQUENCE).bytes);
    const encap = Fields.of(
      signedData.required(TAG.SEQUENCE, 'encapContentInfo'),
      TAG.SEQUENCE,
      'EncapsulatedContentInfo',
    );
    if (decodeOid(encap.required(TAG.OID, 'a content type')) !== OID.tstInfo) {
      throw malformed('the token does not encapsulate a TSTInfo');
    }
    const eContent = encap.required(contextTag(0), 'eContent');
    encap.end();
    const tstInfoBytes = readSingle(eContent.content, TAG.OCTET_STRING).content;
    const certificates = signedData.optional(contextTag(0));
    signedData.optional(contextTag(1)); // CRLs: revocation is not part of sigstore's model
    const signerInfos = readChildren(signedData.required(TAG.SET, 'signerInfos').content);
    signedData.end();
    if (signerInfos.length !== 1) throw malformed('a timestamp token has exactly one signer');

    const signerInfo = Fields.of(signerInfos[0]!, TAG.SEQUENCE, 'SignerInfo');
    if (decodeInteger(signerInfo.required(TAG.INTEGER, 'a version')) !== 1n) {
      throw malformed('the SignerInfo must identify its signer by issuer and serial (version 1)');
    }
    const sid = Fields.of(
      signerInfo.required(TAG.SEQUENCE, 'a sid'),
      TAG.SEQUENCE,
      'IssuerAndSerialNumber',
    );
    const sidIssuer = sid.required(TAG.SEQUENCE, 'an issuer').bytes;
    const sidSerial = sid.required(TAG.INTEGER, 'a serial').content;
    sid.end();
    const digestElement = signerInfo.required(TAG.SEQUENCE, 'a digest algorithm');
    const digestAlgorithm = readDigestAlgorithm(digestElement);
    if (!digestAlgorithms.some((bytes) => bytesEqual(bytes, digestElement.bytes))) {
      throw malformed('the signer digest algorithm is not among digestAlgorithms');
    }
    const signedAttrs = signerInfo.required(contextTag(0), 'signed attributes');
    const signatureAlgorithm = decodeOid(
      Fields.of(
        signerInfo.required(TAG.SEQUENCE, 'a signature algorithm'),
        TAG.SEQUENCE,
        'AlgorithmIdentifier',
      ).required(TAG.OID, 'an OID'),
    );
    const signature = signerInfo.required(TAG.OCTET_STRING, 'a signature').content;
    signerInfo.optional(contextTag(1)); // unsigned attributes: not covered by the signature, ignored
    signerInfo.end();
    // The signature covers the attributes re-tagged as a SET; DER also fixes their order.
    const signedSet = Uint8Array.from(signedAttrs.bytes);
    signedSet[0] = TAG.SET;
    const attributes = readSignedAttributes(signedSet);
    const sorted = setOf(
      TAG.SET,
      readChildren(signedAttrs.content).map((child) => child.bytes),
    );
    if (!bytesEqual(sorted, signedSet)) throw malformed('signed attributes are not in DER order');
    return {
      tstInfoBytes,
      tstInfo: readTstInfo(tstInfoBytes),
      embedded: certificates === undefined ? [] : readChildren(certificates.content),
      sidIssuer,
      sidSerial,
      digestAlgorithm,
      signedSet,
      attributes,
      signatureAlgorithm,
      signature,
    };
  });

  // Who signed: the SignerInfo, ESSCertIDv2 and any embedded copy must all name the trusted leaf.
  if (
    !bytesEqual(parsed.sidIssuer, leaf.issuer) ||
    !bytesEqual(parsed.sidSerial, leaf.serialNumber)
  ) {
    throw new TimestampError(
      'SIGNER_MISMATCH',
      'the token was not signed by the trusted TSA certificate',
    );
  }
  const ess = parsed.attributes.essCertHash;
  if (!bytesEqual(ess.value, hash(ess.algorithm, leaf.der))) {
    throw new TimestampError('SIGNER_MISMATCH', 'signingCertificateV2 names another certificate');
  }
  const issuerSerial = parsed.attributes.essIssuerSerial;
  if (
    issuerSerial !== undefined &&
    (!bytesEqual(issuerSerial.issuer, leaf.issuer) ||
      !bytesEqual(issuerSerial.serial, leaf.serialNumber))
  ) {
    throw new TimestampError(
      'SIGNER_MISMATCH',
      'signingCertificateV2 names another issuer and serial',
    );
  }
  for (const element of parsed.embedded) {
    const embedded = parsingAs('MALFORMED_RESPONSE', 'an embedded certificate is malformed', () =>
      parseCertificate(expectTag(element, TAG.SEQUENCE).bytes, 'MALFORMED_RESPONSE'),
    );
    const namesSigner =
      bytesEqual(embedded.issuer, leaf.issuer) &&
      bytesEqual(embedded.serialNumber, leaf.serialNumber);
    if (namesSigner && !bytesEqual(embedded.der, leaf.der)) {
      throw new TimestampError(
        'SIGNER_MISMATCH',
        'the embedded signer certificate is not the trusted one',
      );
    }
  }

  const { tstInfo } = parsed;
  verifyChain(chain, tstInfo.genTime);
  const { validFor } = options;
  if (
    validFor !== undefined &&
    (tstInfo.genTime < validFor.start ||
      (validFor.end !== undefined && tstInfo.genTime > validFor.end))
  ) {
    throw new TimestampError(
      'UNTRUSTED_CHAIN',
      `the TSA is not trusted at the token's genTime ${tstInfo.genTime.toISOString()}`,
    );
  }

  if (parsed.attributes.contentType !== OID.tstInfo) {
    throw new TimestampError('MALFORMED_RESPONSE', 'the signed contentType is not id-ct-TSTInfo');
  }
  if (
    !bytesEqual(parsed.attributes.messageDigest, hash(parsed.digestAlgorithm, parsed.tstInfoBytes))
  ) {
    throw new TimestampError(
      'MESSAGE_DIGEST_MISMATCH',
      'the signed messageDigest is not the TSTInfo hash',
    );
  }
  const signatureHash = ECDSA_SIGNATURE_HASHES[parsed.signatureAlgorithm];
  if (signatureHash === undefined) {
    throw new TimestampError(
      'UNSUPPORTED_ALGORITHM',
      `signature algorithm ${parsed.signatureAlgorithm} is not ecdsa-with-SHA256/384/512`,
    );
  }
  if (leaf.publicKey.asymmetricKeyType !== 'ec') {
    throw new TimestampError(
      'UNSUPPORTED_ALGORITHM',
      'the TSA certificate does not hold an ECDSA key',
    );
  }
  let signatureValid: boolean;
  try {
    signatureValid = verify(signatureHash, parsed.signedSet, leaf.publicKey, parsed.signature);
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw new TimestampError('INVALID_SIGNATURE', 'the token signature does not verify');
  }

  const expected =
    options.digest !== undefined
      ? options.digest
      : { algorithm: tstInfo.hashAlgorithm, value: hash(tstInfo.hashAlgorithm, options.data!) };
  if (
    expected.algorithm !== tstInfo.hashAlgorithm ||
    !bytesEqual(expected.value, tstInfo.hashedMessage)
  ) {
    throw new TimestampError('IMPRINT_MISMATCH', 'the token timestamps other data');
  }
  if (options.nonce !== undefined && tstInfo.nonce !== options.nonce) {
    throw new TimestampError('NONCE_MISMATCH', 'the token does not echo the request nonce');
  }
  if (options.policy !== undefined && tstInfo.policy !== options.policy) {
    throw new TimestampError(
      'POLICY_MISMATCH',
      `the token was issued under policy ${tstInfo.policy}`,
    );
  }
  return {
    genTime: tstInfo.genTime,
    serialNumber: Uint8Array.from(tstInfo.serialNumber),
    policy: tstInfo.policy,
    hashAlgorithm: tstInfo.hashAlgorithm,
    hashedMessage: Uint8Array.from(tstInfo.hashedMessage),
    ...(tstInfo.nonce !== undefined ? { nonce: tstInfo.nonce } : {}),
    ...(tstInfo.accuracy !== undefined ? { accuracy: tstInfo.accuracy } : {}),
    signerCert: leaf.der,
  };
}
