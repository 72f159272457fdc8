// Rekor's SearchIndex query ({email, subject, hash, publicKey, operator}) as the search keys the log
// stores for each entry (see @airlock/rekor's searchKeys).
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { ApiError } from '@airlock/http';

const DIGEST = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function spkiOf(content: Buffer): Buffer {
  const text = content.toString('utf8');
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----'))
      return spkiOfKey(new X509Certificate(text).publicKey);
    if (text.includes('-----BEGIN')) return spkiOfKey(createPublicKey(text));
    try {
      return spkiOfKey(new X509Certificate(content).publicKey);
    } catch {
      return spkiOfKey(createPublicKey({ key: content, format: 'der', type: 'spki' }));
    }
  } catch {
    throw new ApiError(400, 'publicKey.content is not a PEM or DER public key or certificate');
  }
}

function spkiOfKey(key: ReturnType<typeof createPublicKey>): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export function searchKeysForQuery(body: unknown): { keys: string[]; operator: 'and' | 'or' } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'expected a SearchIndex object');
  }
  const query = body as Record<string, unknown>;
  const keys: string[] = [];
  if (query.email !== undefined) {
    if (typeof query.email !== 'string' || !query.email.includes('@'))
      throw new ApiError(400, 'email must be an email address');
    keys.push(`email:${query.email.toLowerCase()}`);
  }
  if (query.subject !== undefined) {
    if (typeof query.subject !== 'string' || query.subject.length === 0)
      throw new ApiError(400, 'subject must be a string');
    keys.push(`subject:${query.subject}`);
  }
  if (query.hash !== undefined) {
    const match = typeof query.hash === 'string' ? DIGEST.exec(query.hash) : null;
    const algorithm = match?.[1]?.toLowerCase() ?? 'sha256';
    if (!match || match[2]!.length !== DIGEST_HEX_LENGTH[algorithm]) {
      throw new ApiError(
        400,
        'hash must be <hex> or sha256:|sha384:|sha512:<hex> of the right length',
      );
    }
    keys.push(`${algorithm}:${match[2]!.toLowerCase()}`);
  }
  if (query.publicKey !== undefined) {
    const key = query.publicKey as { format?: unknown; content?: unknown };
    if (
      typeof key !== 'object' ||
      key === null ||
      key.format !== 'x509' ||
      typeof key.content !== 'string'
    ) {
      throw new ApiError(400, 'publicKey must be {format: "x509", content: <base64 PEM or DER>}');
    }
    const spki = spkiOf(Buffer.from(key.content, 'base64'));
    keys.push(`key:sha256:${createHash('sha256').update(spki).digest('hex')}`);
  }
  if (keys.length === 0)
    throw new ApiError(400, 'give at least one of email, subject, hash or publicKey');
  const operator = query.operator ?? 'or';
  if (operator !== 'and' && operator !== 'or')
    throw new ApiError(400, 'operator must be "and" or "or"');
  return { keys, operator };
}
