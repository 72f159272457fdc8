// RFC 6962 §3.2–3.3 wire structures: the SignedCertificateTimestamp, the list of them a certificate
// embeds, and the TLS DigitallySigned struct that carries every CT signature.
import { X509Error } from './errors.js';
import { TlsReader, TlsWriter } from './tls.js';

export const SCT_VERSION_V1 = 0;
/** TLS HashAlgorithm sha256 (RFC 5246 §7.4.1.4.1). */
export const TLS_HASH_SHA256 = 4;
/** TLS SignatureAlgorithm rsa. */
export const TLS_SIGNATURE_RSA = 1;
/** TLS SignatureAlgorithm ecdsa. */
export const TLS_SIGNATURE_ECDSA = 3;
/** A log ID is SHA-256 of the log's DER SubjectPublicKeyInfo. */
export const LOG_ID_BYTES = 32;

/** TLS `DigitallySigned`: hash and signature algorithm codes, then the signature (DER for ECDSA). */
export interface DigitallySigned {
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Uint8Array;
}

export interface SignedCertificateTimestamp {
  /** Always SCT_VERSION_V1; decoding refuses other versions, whose layout is unknown. */
  readonly version: number;
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** CtExtensions, opaque (static-ct-api logs put a leaf_index here). */
  readonly extensions: Uint8Array;
  readonly signature: DigitallySigned;
}

function writeDigitallySigned(writer: TlsWriter, signed: DigitallySigned): TlsWriter {
  return writer
    .uint(signed.hashAlgorithm, 1)
    .uint(signed.signatureAlgorithm, 1)
    .vector(signed.signature, 2);
}

function readDigitallySigned(reader: TlsReader): DigitallySigned {
  return {
    hashAlgorithm: reader.uint(1),
    signatureAlgorithm: reader.uint(1),
    signature: reader.vector(2),
  };
}

export function encodeDigitallySigned(signed: DigitallySigned): Uint8Array {
  return writeDigitallySigned(new TlsWriter(), signed).finish();
}

export function decodeDigitallySigned(bytes: Uint8Array): DigitallySigned {
  const reader = new TlsReader(bytes, 'DigitallySigned');
  const signed = readDigitallySigned(reader);
  reader.end();
  return signed;
}

export function encodeSct(sct: SignedCertificateTimestamp): Uint8Array {
  if (sct.version !== SCT_VERSION_V1) {
    throw new X509Error('INVALID_INPUT', `SCT version ${sct.version} is not v1 (0)`);
  }
  if (sct.logId.length !== LOG_ID_BYTES) {
    throw new X509Error('INVALID_INPUT', `an SCT log ID has ${LOG_ID_BYTES} bytes`);
  }
  if (!Number.isSafeInteger(sct.timestamp) || sct.timestamp < 0) {
    throw new X509Error(
      'INVALID_INPUT',
      'an SCT timestamp is a non-negative integer of milliseconds',
    );
  }
  const writer = new TlsWriter()
    .uint(sct.version, 1)
    .bytes(sct.logId)
    .uint(sct.timestamp, 8)
    .vector(sct.extensions, 2);
  return writeDigitallySigned(writer, sct.signature).finish();
}

export function decodeSct(bytes: Uint8Array): SignedCertificateTimestamp {
  const reader = new TlsReader(bytes, 'SCT');
  const version = reader.uint(1);
  if (version !== SCT_VERSION_V1) {
    throw new X509Error('MALFORMED_SCT', `SCT version ${version} is not v1 (0)`);
  }
  const sct: SignedCertificateTimestamp = {
    version,
    logId: reader.bytes(LOG_ID_BYTES),
    timestamp: reader.uint64(),
    extensions: reader.vector(2),
    signature: readDigitallySigned(reader),
  };
  reader.end();
  return sct;
}

/** TLS `SignedCertificateTimestampList`: uint16 total, then uint16-prefixed serialized SCTs (one or more). */
export function encodeSctList(scts: readonly SignedCertificateTimestamp[]): Uint8Array {
  if (scts.length === 0) throw new X509Error('INVALID_INPUT', 'an SCT list holds at least one SCT');
  const inner = new TlsWriter();
  for (const sct of scts) inner.vector(encodeSct(sct), 2);
  const list = inner.finish();
  if (list.length > 0xffff)
    throw new X509Error('INVALID_INPUT', 'the SCT list exceeds 65535 bytes');
  return new TlsWriter().vector(list, 2).finish();
}

export function decodeSctList(bytes: Uint8Array): SignedCertificateTimestamp[] {
  const outer = new TlsReader(bytes, 'SCT list');
  const list = outer.vector(2);
  outer.end();
  if (list.length === 0) throw new X509Error('MALFORMED_SCT', 'an SCT list holds at least one SCT');
  const reader = new TlsReader(list, 'SCT list');
  const scts: SignedCertificateTimestamp[] = [];
  while (!reader.done) {
    const serialized = reader.vector(2);
    if (serialized.length === 0) throw new X509Error('MALFORMED_SCT', 'an SCT list entry is empty');
    scts.push(decodeSct(serialized));
  }
  reader.end();
  return scts;
}
