// A tiny DER writer for self-signed X.509 certificates with the SANs Fulcio puts in its leaves,
// so round trips can use fresh keys (no certificate library is installed, on purpose).
import { type KeyObject, sign } from 'node:crypto';

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.of(size);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const content = Buffer.concat(contents);
  return Buffer.concat([Buffer.of(tag), length(content.length), content]);
}

export const sequence = (...contents: Uint8Array[]): Buffer => tlv(0x30, ...contents);

function integer(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * (first as number) + (second as number)];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) groups.unshift(0x80 | (value & 0x7f));
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

const name = (commonName: string): Buffer =>
  sequence(tlv(0x31, sequence(oid('2.5.4.3'), utf8String(commonName))));

export interface SubjectAltNames {
  readonly emails?: readonly string[];
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** Fulcio's username otherName (1.3.6.1.4.1.57264.1.7). */
  readonly username?: string;
}

function subjectAltNameExtension(names: SubjectAltNames): Buffer {
  const general = [
    ...(names.emails ?? []).map((email) => tlv(0x81, Buffer.from(email, 'ascii'))),
    ...(names.dnsNames ?? []).map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))),
    ...(names.uris ?? []).map((uri) => tlv(0x86, Buffer.from(uri, 'ascii'))),
    ...(names.username === undefined
      ? []
      : [tlv(0xa0, oid('1.3.6.1.4.1.57264.1.7'), tlv(0xa0, utf8String(names.username)))]),
  ];
  return sequence(oid('2.5.29.17'), tlv(0x01, Buffer.of(0xff)), tlv(0x04, sequence(...general)));
}

function signatureAlgorithm(key: KeyObject): { identifier: Buffer; digest: string | null } {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return { identifier: sequence(oid('1.2.840.10045.4.3.2')), digest: 'sha256' };
    case 'rsa':
      return { identifier: sequence(oid('1.2.840.113549.1.1.11'), tlv(0x05)), digest: 'sha256' };
    case 'ed25519':
      return { identifier: sequence(oid('1.3.101.112')), digest: null };
    default:
      throw new Error(`no signature algorithm for ${key.asymmetricKeyType}`);
  }
}

/** A self-signed v3 certificate for `publicKey`, signed by `privateKey`, with the given SANs. */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  names: SubjectAltNames = {},
): Buffer {
  const algorithm = signatureAlgorithm(privateKey);
  const now = Date.now();
  const tbs = sequence(
    tlv(0xa0, integer(2n)),
    integer(BigInt(now)),
    algorithm.identifier,
    name('airlock test'),
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 600_000))),
    name('airlock test'),
    publicKey.export({ format: 'der', type: 'spki' }),
    tlv(0xa3, sequence(subjectAltNameExtension(names))),
  );
  const signature = sign(algorithm.digest, tbs, privateKey);
  return sequence(tbs, algorithm.identifier, tlv(0x03, Buffer.of(0), signature));
}
