// Turns what a client offers as a verifier (a PEM public key or certificate in Rekor v1, DER in
// Rekor v2) into a checked public key, and decides which keys this log accepts at all.
import {
  createPublicKey,
  type KeyObject,
  X509Certificate as NodeX509Certificate,
} from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { formatPem, type PemType, parsePem } from './encoding.js';
import { RekorError } from './errors.js';
import { MAX_DER_BYTES, MAX_PEM_BYTES } from './limits.js';

/** The kinds of key this log verifies with, and their parameters. */
export type KeyAlgorithm =
  | { readonly type: 'ecdsa'; readonly curve: EcCurveName }
  | { readonly type: 'rsa'; readonly bits: number }
  | { readonly type: 'ed25519' };

/** A public key or certificate a client offered to verify its signature, after every check. */
export interface VerificationMaterial {
  /** How the client gave the key: bare, or inside a certificate. */
  readonly form: 'publicKey' | 'certificate';
  /**
   * DER of what the client gave: the certificate exactly as sent, or the SubjectPublicKeyInfo
   * (which must already be in the one canonical form Go's x509 package writes).
   */
  readonly der: Uint8Array;
  readonly publicKey: KeyObject;
  /** Canonical DER SubjectPublicKeyInfo of the key (the certificate's key for a certificate). */
  readonly spki: Uint8Array;
  readonly algorithm: KeyAlgorithm;
  /** rfc822Name SANs of a certificate, lowercased; empty for a bare key. */
  readonly emails: readonly string[];
  /** URI and DNS SANs and Fulcio's username otherName of a certificate; empty for a bare key. */
  readonly subjects: readonly string[];
}

/** The NIST curves Rekor accepts ECDSA keys on. */
export type EcCurveName = 'P-256' | 'P-384' | 'P-521';

const CURVES_BY_OPENSSL_NAME: Readonly<Record<string, EcCurveName>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

// DER SubjectPublicKeyInfo up to the key bytes, for keys Go writes with a named curve (EC:
// followed by the uncompressed point 04‖x‖y) or as raw bytes (Ed25519).
const SPKI_PREFIX: Readonly<Record<EcCurveName | 'Ed25519', string>> = {
  'P-256': '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  'P-384': '3076301006072a8648ce3d020106052b81040022036200',
  'P-521': '30819b301006072a8648ce3d020106052b8104002303818600',
  Ed25519: '302a300506032b6570032100',
};

const MIN_RSA_BITS = 2048;
// Above 4096 bits a verification costs enough to be a denial-of-service lever, and no Sigstore
// client signs with such keys (rekor-tiles allows 2048, 3072 and 4096).
const MAX_RSA_BITS = 4096;

/** Fulcio's "username" otherName SAN (OID 1.3.6.1.4.1.57264.1.7), an identity like a URI SAN. */
const FULCIO_USERNAME_OID = '1.3.6.1.4.1.57264.1.7';

function unsupported(message: string): RekorError {
  return new RekorError('UNSUPPORTED_KEY', message);
}

/** What kind of key this is, or UNSUPPORTED_KEY for anything the log does not verify with. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve =
        details.namedCurve === undefined ? undefined : CURVES_BY_OPENSSL_NAME[details.namedCurve];
      if (curve === undefined) {
        throw unsupported('elliptic curve keys must be on P-256, P-384 or P-521');
      }
      return { type: 'ecdsa', curve };
    }
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
        throw unsupported(`RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`);
      }
      const exponent = details.publicExponent ?? 0n;
      // Go's crypto/rsa refuses exponents below 2 or above 2^31 - 1; an even one is never valid.
      if (exponent < 3n || exponent > 0x7fffffffn || exponent % 2n === 0n) {
        throw unsupported('the RSA public exponent is not acceptable');
      }
      return { type: 'rsa', bits };
    }
    case 'ed25519':
      return { type: 'ed25519' };
    default:
      throw unsupported('keys must be ECDSA (P-256, P-384, P-521), RSA or Ed25519');
  }
}

/** The SubjectPublicKeyInfo Go's x509.MarshalPKIXPublicKey writes for this key. */
function canonicalSpki(key: KeyObject, algorithm: KeyAlgorithm): Uint8Array {
  if (algorithm.type === 'rsa') return key.export({ format: 'der', type: 'spki' });
  const jwk = key.export({ format: 'jwk' });
  const prefix = Buffer.from(
    SPKI_PREFIX[algorithm.type === 'ecdsa' ? algorithm.curve : 'Ed25519'],
    'hex',
  );
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = algorithm.type === 'ecdsa' ? Buffer.from(jwk.y ?? '', 'base64url') : Buffer.alloc(0);
  return Buffer.concat(algorithm.type === 'ecdsa' ? [prefix, Buffer.of(4), x, y] : [prefix, x]);
}

/** A bare public key from DER SubjectPublicKeyInfo, which must be in canonical form. */
export function materialFromPublicKeyDer(der: Uint8Array, what: string): VerificationMaterial {
  if (der.length > MAX_DER_BYTES) throw new RekorError('TOO_LARGE', `${what} is too large`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new RekorError('MALFORMED', `${what} is not a DER SubjectPublicKeyInfo`, { cause });
  }
  const algorithm = keyAlgorithmOf(publicKey);
  const spki = canonicalSpki(publicKey, algorithm);
  // Go's parser rejects what is not canonical here (explicit curve parameters, compressed points,
  // RSA without NULL parameters), and storing only canonical keys keeps one key one encoding.
  if (!Buffer.from(der).equals(spki)) {
    throw new RekorError(
      'MALFORMED',
      `${what} must be a DER SubjectPublicKeyInfo with a named curve and an uncompressed point`,
    );
  }
  return { form: 'publicKey', der: spki, publicKey, spki, algorithm, emails: [], subjects: [] };
}

/** A certificate from DER; only its key and identities matter, its validity is not checked. */
export function materialFromCertificateDer(der: Uint8Array, what: string): VerificationMaterial {
  if (der.length > MAX_DER_BYTES) throw new RekorError('TOO_LARGE', `${what} is too large`);
  let certificate: NodeX509Certificate;
  let parsed: X509Certificate;
  try {
    certificate = new NodeX509Certificate(Buffer.from(der));
    parsed = X509Certificate.parse(Buffer.from(der));
  } catch (cause) {
    throw new RekorError('MALFORMED', `${what} is not a DER X.509 certificate`, { cause });
  }
  // OpenSSL ignores bytes after the certificate; a log entry must not carry them unnoticed.
  if (!certificate.raw.equals(Buffer.from(der))) {
    throw new RekorError('MALFORMED', `${what} has bytes after the certificate`);
  }
  const publicKey = certificate.publicKey;
  const algorithm = keyAlgorithmOf(publicKey);
  const { emails, subjects } = subjectAlternativeNames(parsed, what);
  return {
    form: 'certificate',
    der: Uint8Array.from(der),
    publicKey,
    spki: canonicalSpki(publicKey, algorithm),
    algorithm,
    emails,
    subjects,
  };
}

/** A Rekor v1 verifier: PEM text of one public key or one certificate. */
export function materialFromPem(pemText: Uint8Array, what: string): VerificationMaterial {
  if (pemText.length > MAX_PEM_BYTES) throw new RekorError('TOO_LARGE', `${what} is too large`);
  const { type, der } = parsePem(pemText, ['PUBLIC KEY', 'CERTIFICATE'], what);
  return type === 'CERTIFICATE'
    ? materialFromCertificateDer(der, what)
    : materialFromPublicKeyDer(der, what);
}

/** PEM as Rekor v1 stores a verifier (Go's encoding: 64-column lines and a final newline). */
export function canonicalPem(material: VerificationMaterial): Uint8Array {
  const type: PemType = material.form === 'certificate' ? 'CERTIFICATE' : 'PUBLIC KEY';
  return formatPem(type, material.der);
}

/** Printable ASCII only: anything else in a SAN is left out of the search index. */
function printable(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 1024) return undefined;
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return undefined;
  return Buffer.from(bytes).toString('latin1');
}

function subjectAlternativeNames(
  certificate: X509Certificate,
  what: string,
): { emails: string[]; subjects: string[] } {
  const emails: string[] = [];
  const subjects: string[] = [];
  const extension = certificate.extSubjectAltName;
  if (extension === undefined) return { emails, subjects };
  try {
    for (const name of extension.valueObj.subs[0]?.subs ?? []) {
      if (name.tag.isContextSpecific(0x01)) {
        const email = printable(name.value);
        if (email !== undefined) emails.push(email.toLowerCase());
      } else if (name.tag.isContextSpecific(0x02) || name.tag.isContextSpecific(0x06)) {
        const value = printable(name.value);
        if (value !== undefined) subjects.push(value);
      } else if (name.tag.isContextSpecific(0x00)) {
        // otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
        if (name.subs[0]?.toOID() !== FULCIO_USERNAME_OID) continue;
        const value = name.subs[1]?.subs[0]?.value;
        const username = value === undefined ? undefined : printable(value);
        if (username !== undefined) subjects.push(username);
      }
    }
  } catch (cause) {
    throw new RekorError('MALFORMED', `${what} has a malformed subjectAltName extension`, {
      cause,
    });
  }
  return { emails, subjects };
}
