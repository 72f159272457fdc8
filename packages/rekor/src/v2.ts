// Rekor v2 (rekor-tiles) CreateEntryRequest: both request types become a hashedrekord 0.0.2 entry,
// serialized as protojson writes it and then JCS, byte for byte what sigstore-go rebuilds from a
// bundle to check the inclusion proof.
import { createHash } from 'node:crypto';
import { preAuthEncoding } from './dsse.js';
import { canonicalJson, decodeProtoBytes, encodeBase64 } from './encoding.js';
import { RekorError } from './errors.js';
import {
  expectObject,
  type JsonObject,
  optionalObject,
  optionalString,
  quoteForError,
  requiredArray,
  requiredObject,
  requiredString,
} from './json-shape.js';
import { SearchKeys } from './search-keys.js';
import { DIGEST_LENGTH, type DigestAlgorithm, verifyDigestSignature } from './signatures.js';
import type {
  CanonicalEntry,
  CreateEntryRequestV2,
  HashedRekordV002,
  KeyDetails,
} from './types.js';
import {
  type KeyAlgorithm,
  materialFromCertificateDer,
  materialFromPublicKeyDer,
  type VerificationMaterial,
} from './verification-material.js';

interface KeyDetailsRule {
  readonly digestAlgorithm: DigestAlgorithm;
  readonly fits: (key: KeyAlgorithm) => boolean;
}

/** PublicKeyDetails this log accepts: rekor-tiles' default list minus the Ed25519 ones. */
export const KEY_DETAILS: Readonly<Record<KeyDetails, KeyDetailsRule>> = {
  PKIX_ECDSA_P256_SHA_256: {
    digestAlgorithm: 'sha256',
    fits: (key) => key.type === 'ecdsa' && key.curve === 'P-256',
  },
  PKIX_ECDSA_P384_SHA_384: {
    digestAlgorithm: 'sha384',
    fits: (key) => key.type === 'ecdsa' && key.curve === 'P-384',
  },
  PKIX_ECDSA_P521_SHA_512: {
    digestAlgorithm: 'sha512',
    fits: (key) => key.type === 'ecdsa' && key.curve === 'P-521',
  },
  PKIX_RSA_PKCS1V15_2048_SHA256: {
    digestAlgorithm: 'sha256',
    fits: (key) => key.type === 'rsa' && key.bits === 2048,
  },
  PKIX_RSA_PKCS1V15_3072_SHA256: {
    digestAlgorithm: 'sha256',
    fits: (key) => key.type === 'rsa' && key.bits === 3072,
  },
  PKIX_RSA_PKCS1V15_4096_SHA256: {
    digestAlgorithm: 'sha256',
    fits: (key) => key.type === 'rsa' && key.bits === 4096,
  },
};

/** protojson names of HashAlgorithm values. */
const HASH_ALGORITHM_NAME: Readonly<Record<DigestAlgorithm, string>> = {
  sha256: 'SHA2_256',
  sha384: 'SHA2_384',
  sha512: 'SHA2_512',
};

function isAcceptedKeyDetails(name: string): name is KeyDetails {
  return Object.hasOwn(KEY_DETAILS, name);
}

function keyDetailsOf(name: string, material: VerificationMaterial, path: string): KeyDetails {
  if (name === 'PKIX_ED25519') {
    // rekor-tiles refuses it too: pure Ed25519 cannot sign a digest, only a whole message.
    throw new RekorError(
      'UNSUPPORTED_ALGORITHM',
      `${path} PKIX_ED25519 cannot sign a digest; Rekor v2 needs PKIX_ED25519_PH`,
    );
  }
  if (name === 'PKIX_ED25519_PH') {
    throw new RekorError(
      'UNSUPPORTED_KEY',
      `${path} PKIX_ED25519_PH is not accepted: this log cannot verify Ed25519ph; sign with ECDSA or RSA`,
    );
  }
  if (!isAcceptedKeyDetails(name)) {
    throw new RekorError(
      'UNSUPPORTED_ALGORITHM',
      `${path} ${quoteForError(name)} is not accepted; use one of ${Object.keys(KEY_DETAILS).join(', ')}`,
    );
  }
  if (!KEY_DETAILS[name].fits(material.algorithm)) {
    throw new RekorError(
      'KEY_DETAILS_MISMATCH',
      `${path} ${name} does not describe the verifier's key`,
    );
  }
  return name;
}

/** A Verifier message: exactly one of publicKey / x509Certificate, and keyDetails. */
function parseVerifier(
  verifier: JsonObject,
  path: string,
): { material: VerificationMaterial; keyDetails: KeyDetails } {
  const publicKey = optionalObject(verifier, 'publicKey', path);
  const certificate = optionalObject(verifier, 'x509Certificate', path);
  if (publicKey !== undefined && certificate !== undefined) {
    throw new RekorError('MALFORMED', `${path} must hold publicKey or x509Certificate, not both`);
  }
  let material: VerificationMaterial;
  if (publicKey !== undefined) {
    const where = `${path}.publicKey.rawBytes`;
    material = materialFromPublicKeyDer(
      decodeProtoBytes(requiredString(publicKey, 'rawBytes', `${path}.publicKey`), where),
      where,
    );
  } else if (certificate !== undefined) {
    const where = `${path}.x509Certificate.rawBytes`;
    material = materialFromCertificateDer(
      decodeProtoBytes(requiredString(certificate, 'rawBytes', `${path}.x509Certificate`), where),
      where,
    );
  } else {
    throw new RekorError('MALFORMED', `${path} must hold publicKey or x509Certificate`);
  }
  const keyDetails = keyDetailsOf(
    requiredString(verifier, 'keyDetails', path),
    material,
    `${path}.keyDetails`,
  );
  return { material, keyDetails };
}

function parseHashedRekordRequest(request: JsonObject): CreateEntryRequestV2 {
  const path = 'hashedRekordRequestV002';
  const digest = decodeProtoBytes(requiredString(request, 'digest', path), `${path}.digest`);
  const signatureObject = requiredObject(request, 'signature', path);
  const signature = decodeProtoBytes(
    requiredString(signatureObject, 'content', `${path}.signature`),
    `${path}.signature.content`,
  );
  const { material, keyDetails } = parseVerifier(
    requiredObject(signatureObject, 'verifier', `${path}.signature`),
    `${path}.signature.verifier`,
  );
  const { digestAlgorithm } = KEY_DETAILS[keyDetails];
  if (digest.length !== DIGEST_LENGTH[digestAlgorithm]) {
    throw new RekorError(
      'MALFORMED',
      `${path}.digest must be ${DIGEST_LENGTH[digestAlgorithm]} bytes for ${keyDetails}`,
    );
  }
  if (!verifyDigestSignature(material, digestAlgorithm, digest, signature)) {
    throw new RekorError(
      'INVALID_SIGNATURE',
      'the signature does not verify over the digest with the given key',
    );
  }
  const entry: HashedRekordV002 = {
    requestType: path,
    digestAlgorithm,
    digest,
    signature,
    verifier: material,
    keyDetails,
  };
  return entry as CreateEntryRequestV2;
}

/**
 * A DSSE request, logged as hashedrekord 0.0.2 over H(PAE) with H the keyDetails' hash: the form
 * sigstore-go, sigstore-python and rekor-tiles (since it dropped the dsse kind) use. That form has
 * room for one signature and one verifier, so the envelope must have exactly those.
 */
function parseDsseRequest(request: JsonObject): CreateEntryRequestV2 {
  const path = 'dsseRequestV002';
  const envelope = requiredObject(request, 'envelope', path);
  const payload = decodeProtoBytes(
    requiredString(envelope, 'payload', `${path}.envelope`),
    `${path}.envelope.payload`,
  );
  const payloadType = requiredString(envelope, 'payloadType', `${path}.envelope`);
  const signatures = requiredArray(envelope, 'signatures', `${path}.envelope`);
  const verifiers = requiredArray(request, 'verifiers', path);
  if (signatures.length !== 1 || verifiers.length !== 1) {
    throw new RekorError(
      'MALFORMED',
      'a DSSE envelope is logged as one hashedrekord 0.0.2 entry, so it needs exactly one signature and one verifier',
    );
  }
  const signatureObject = expectObject(signatures[0], `${path}.envelope.signatures[0]`);
  const signature = decodeProtoBytes(
    requiredString(signatureObject, 'sig', `${path}.envelope.signatures[0]`),
    `${path}.envelope.signatures[0].sig`,
  );
  optionalString(signatureObject, 'keyid', `${path}.envelope.signatures[0]`);
  const { material, keyDetails } = parseVerifier(
    expectObject(verifiers[0], `${path}.verifiers[0]`),
    `${path}.verifiers[0]`,
  );
  const { digestAlgorithm } = KEY_DETAILS[keyDetails];
  const digest = createHash(digestAlgorithm).update(preAuthEncoding(payloadType, payload)).digest();
  if (!verifyDigestSignature(material, digestAlgorithm, digest, signature)) {
    throw new RekorError(
      'INVALID_SIGNATURE',
      'the envelope signature does not verify over its PAE with the given key',
    );
  }
  const entry: HashedRekordV002 = {
    requestType: path,
    digestAlgorithm,
    digest,
    signature,
    verifier: material,
    keyDetails,
    dsse: { payloadType, payload },
  };
  return entry as CreateEntryRequestV2;
}

/**
 * Checks a Rekor v2 CreateEntryRequest (proto3 JSON body of POST /api/v2/log/entries), checks that
 * keyDetails describes the key, and verifies the signature.
 */
export function parseCreateEntryRequestV2(json: unknown): CreateEntryRequestV2 {
  const request = expectObject(json, 'the request');
  const hashedRekord = optionalObject(request, 'hashedRekordRequestV002', '');
  const dsseRequest = optionalObject(request, 'dsseRequestV002', '');
  if (hashedRekord !== undefined && dsseRequest !== undefined) {
    throw new RekorError(
      'MALFORMED',
      'the request must hold hashedRekordRequestV002 or dsseRequestV002, not both',
    );
  }
  if (hashedRekord !== undefined) return parseHashedRekordRequest(hashedRekord);
  if (dsseRequest !== undefined) return parseDsseRequest(dsseRequest);
  throw new RekorError(
    'UNSUPPORTED_KIND',
    'the request must hold hashedRekordRequestV002 or dsseRequestV002',
  );
}

/**
 * The HashedRekordLogEntryV002 entry as rekor-tiles stores it: protojson field names, enum names,
 * bytes as padded standard base64, then JCS.
 */
export function canonicalizeV2(request: CreateEntryRequestV2): CanonicalEntry {
  const { verifier } = request;
  const verifierKey = verifier.form === 'certificate' ? 'x509Certificate' : 'publicKey';
  const body = {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: {
          algorithm: HASH_ALGORITHM_NAME[request.digestAlgorithm],
          digest: encodeBase64(request.digest),
        },
        signature: {
          content: encodeBase64(request.signature),
          verifier: {
            [verifierKey]: { rawBytes: encodeBase64(verifier.der) },
            keyDetails: request.keyDetails,
          },
        },
      },
    },
  };
  const searchKeys = new SearchKeys().digest(request.digestAlgorithm, request.digest);
  if (request.dsse !== undefined) {
    searchKeys.digest('sha256', createHash('sha256').update(request.dsse.payload).digest());
  }
  searchKeys.verifier(verifier);
  if (request.dsse !== undefined)
    searchKeys.inTotoSubjects(request.dsse.payloadType, request.dsse.payload);
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.2',
    kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
    body: canonicalJson(body),
    searchKeys: searchKeys.toArray(),
  };
}
