// Checks that each transparency-log entry records this bundle: the key or certificate the log saw
// is the bundle's, and the digest is the one its kind must carry. sigstore-js compares only the
// signature and a digest, so a body with another key (or the wrong digest form) would slip through.
import { createHash, createPublicKey } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { dsse, type X509Certificate } from '@sigstore/core';
import type { TransparencyLogEntry } from '@sigstore/protobuf-specs';
import { type DigestAlgorithm, digestAlgorithmOf } from './artifact.js';
import { isStrictBase64 } from './bundle-input.js';
import { VerifyError } from './errors.js';

/** Who signed, as the log entry must record it. */
export interface SignerMaterial {
  /** DER of the bundle's leaf certificate, for certificate bundles. */
  certificate?: Buffer;
  /** DER SubjectPublicKeyInfo of the signing key (the leaf's key, or the policy key). */
  spki: Buffer;
  /** Where the key came from: a mismatch with a policy key means "not signed by your key". */
  source: 'certificate' | 'policy';
}

/** What a log entry's body says about the signing key and the signed digest. */
interface BodyClaims {
  verifier: { certificate: Buffer } | { spki: Buffer };
  /**
   * Digest the log recorded and under which algorithm, and what it is a digest of: `signed` (the
   * bytes the signature covers: the artifact, or a DSSE envelope's PAE) or a DSSE `payload`.
   */
  digest: { of: 'signed' | 'payload'; algorithm: DigestAlgorithm; value: Buffer };
}

export function checkTlogBodies(bundle: Bundle, signer: SignerMaterial): void {
  bundle.verificationMaterial.tlogEntries.forEach((entry, i) => {
    const claims = readBody(entry, i);
    checkVerifier(claims.verifier, signer, i);
    checkDigest(claims.digest, bundle, i);
  });
}

function readBody(entry: TransparencyLogEntry, index: number): BodyClaims {
  const fail = (why: string): never => {
    throw new VerifyError('TLOG', `log entry ${index}: ${why}`);
  };
  let body: unknown;
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8'));
  } catch {
    return fail('canonicalized body is not JSON');
  }
  const kind = `${entry.kindVersion?.kind}/${entry.kindVersion?.version}`;
  const bodyKind = `${field(body, 'kind')}/${field(body, 'apiVersion')}`;
  if (kind !== bodyKind) return fail(`body is ${bodyKind}, entry says ${kind}`);
  const spec = field(body, 'spec');
  try {
    switch (kind) {
      case 'hashedrekord/0.0.1': {
        const algorithm = hashedRekordAlgorithm(text(spec, 'data', 'hash', 'algorithm'));
        return {
          verifier: pemVerifier(b64(spec, 'signature', 'publicKey', 'content')),
          digest: { of: 'signed', algorithm, value: hex(spec, 'data', 'hash', 'value') },
        };
      }
      case 'hashedrekord/0.0.2': {
        const v2 = field(spec, 'hashedRekordV002');
        const algorithm = protoAlgorithm(text(v2, 'data', 'algorithm'));
        return {
          verifier: v2Verifier(field(v2, 'signature', 'verifier')),
          digest: { of: 'signed', algorithm, value: b64(v2, 'data', 'digest') },
        };
      }
      case 'dsse/0.0.1': {
        const signatures = field(spec, 'signatures');
        if (!Array.isArray(signatures) || signatures.length !== 1) fail('not one DSSE signature');
        const algorithm = hashedRekordAlgorithm(text(spec, 'payloadHash', 'algorithm'));
        return {
          verifier: pemVerifier(b64(signatures, 0, 'verifier')),
          digest: { of: 'payload', algorithm, value: hex(spec, 'payloadHash', 'value') },
        };
      }
      case 'dsse/0.0.2': {
        const v2 = field(spec, 'dsseV002');
        const signatures = field(v2, 'signatures');
        if (!Array.isArray(signatures) || signatures.length !== 1) fail('not one DSSE signature');
        const algorithm = protoAlgorithm(text(v2, 'payloadHash', 'algorithm'));
        return {
          verifier: v2Verifier(field(signatures, 0, 'verifier')),
          digest: { of: 'payload', algorithm, value: b64(v2, 'payloadHash', 'digest') },
        };
      }
      case 'intoto/0.0.2': {
        const content = field(spec, 'content');
        const signatures = field(content, 'envelope', 'signatures');
        if (!Array.isArray(signatures) || signatures.length !== 1) fail('not one DSSE signature');
        const algorithm = hashedRekordAlgorithm(text(content, 'payloadHash', 'algorithm'));
        return {
          verifier: pemVerifier(b64(signatures, 0, 'publicKey')),
          digest: { of: 'payload', algorithm, value: hex(content, 'payloadHash', 'value') },
        };
      }
      default:
        return fail(`unsupported entry kind ${kind}`);
    }
  } catch (err) {
    if (err instanceof VerifyError) throw err;
    return fail((err as Error).message);
  }
}

function checkVerifier(
  verifier: BodyClaims['verifier'],
  signer: SignerMaterial,
  index: number,
): void {
  if ('certificate' in verifier) {
    // A certificate in the log must be the bundle's leaf, byte for byte (as sigstore-go requires).
    if (signer.certificate === undefined || !verifier.certificate.equals(signer.certificate)) {
      throw new VerifyError(
        signer.source === 'policy' ? 'KEY' : 'TLOG',
        `log entry ${index} records a certificate other than the bundle's signing certificate`,
      );
    }
    return;
  }
  if (!verifier.spki.equals(signer.spki)) {
    throw signer.source === 'policy'
      ? new VerifyError('KEY', `log entry ${index} records a signing key other than the policy key`)
      : new VerifyError(
          'TLOG',
          `log entry ${index} records a public key other than the bundle's signing key`,
        );
  }
}

function checkDigest(recorded: BodyClaims['digest'], bundle: Bundle, index: number): void {
  const fail = (why: string): never => {
    throw new VerifyError('TLOG', `log entry ${index}: ${why}`);
  };
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    if (recorded.of !== 'signed') fail('a DSSE entry cannot record a message signature');
    const messageDigest = content.messageSignature.messageDigest;
    const algorithm = messageDigest && digestAlgorithmOf(messageDigest.algorithm);
    if (messageDigest === undefined || algorithm !== recorded.algorithm) {
      fail(`records a ${recorded.algorithm} digest, the bundle another algorithm`);
    }
    if (!recorded.value.equals(messageDigest?.digest ?? Buffer.alloc(0))) {
      fail('records another artifact digest');
    }
    return;
  }
  const { payloadType, payload } = content.dsseEnvelope;
  // hashedrekord over DSSE (Rekor v2, and v1 "dsse as hashedrekord") records H(PAE);
  // dsse and intoto entries record H(payload).
  const covered =
    recorded.of === 'signed' ? dsse.preAuthEncoding(payloadType, payload) : Buffer.from(payload);
  const expected = createHash(recorded.algorithm).update(covered).digest();
  if (!recorded.value.equals(expected)) {
    fail(recorded.of === 'signed' ? 'records another DSSE envelope' : 'records another payload');
  }
}

function field(value: unknown, ...path: (string | number)[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function text(value: unknown, ...path: (string | number)[]): string {
  const found = field(value, ...path);
  if (typeof found !== 'string') throw new Error(`body has no ${path.join('.')}`);
  return found;
}

function b64(value: unknown, ...path: (string | number)[]): Buffer {
  const found = text(value, ...path);
  if (!isStrictBase64(found)) throw new Error(`body ${path.join('.')} is not base64`);
  return Buffer.from(found, 'base64');
}

function hex(value: unknown, ...path: (string | number)[]): Buffer {
  const found = text(value, ...path);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(found)) throw new Error(`body ${path.join('.')} is not hex`);
  return Buffer.from(found, 'hex');
}

function hashedRekordAlgorithm(name: string): DigestAlgorithm {
  if (name === 'sha256' || name === 'sha384' || name === 'sha512') return name;
  throw new Error(`unsupported digest algorithm ${name}`);
}

function protoAlgorithm(name: string): DigestAlgorithm {
  const algorithm = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' }[name];
  if (algorithm === undefined) throw new Error(`unsupported digest algorithm ${name}`);
  return algorithm as DigestAlgorithm;
}

/** v1 bodies carry the verifier as base64 of a PEM certificate or public key. */
function pemVerifier(pem: Buffer): BodyClaims['verifier'] {
  const text = pem.toString('utf8');
  const block = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (block === null) throw new Error('verifier is not PEM');
  const der = Buffer.from((block[2] ?? '').replace(/\s+/g, ''), 'base64');
  if (block[1] === 'CERTIFICATE') return { certificate: der };
  if (block[1] === 'PUBLIC KEY') return { spki: normalizeSpki(der) };
  throw new Error(`verifier is a PEM ${block[1]}`);
}

/** v2 bodies carry `{x509Certificate: {rawBytes}}` or `{publicKey: {rawBytes}}`. */
function v2Verifier(verifier: unknown): BodyClaims['verifier'] {
  if (field(verifier, 'x509Certificate') !== undefined) {
    return { certificate: b64(verifier, 'x509Certificate', 'rawBytes') };
  }
  return { spki: normalizeSpki(b64(verifier, 'publicKey', 'rawBytes')) };
}

/** Re-encodes a SubjectPublicKeyInfo so two encodings of one key compare equal. */
export function normalizeSpki(der: Buffer): Buffer {
  return createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
    type: 'spki',
    format: 'der',
  });
}

/** The DER SubjectPublicKeyInfo of a certificate's key. */
export function certificateSpki(certificate: X509Certificate): Buffer {
  return normalizeSpki(certificate.publicKey);
}
