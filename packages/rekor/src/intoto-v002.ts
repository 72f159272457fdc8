// Rekor v1 kind intoto 0.0.2 (sigstore-js `legacyCompatibility`): a DSSE envelope whose payload
// and signatures are base64 of the envelope's own base64 strings, because Rekor declares those
// fields `format: byte`.
import { createHash } from 'node:crypto';
import { verifyDsseSignatures } from './dsse.js';
import {
  canonicalJson,
  decodeBase64,
  decodeDsseBase64,
  decodeHex,
  encodeBase64,
  isWellFormedText,
  toHex,
} from './encoding.js';
import { RekorError } from './errors.js';
import {
  expectObject,
  type JsonObject,
  optionalString,
  quoteForError,
  requiredArray,
  requiredObject,
  requiredString,
} from './json-shape.js';
import { MAX_DSSE_SIGNATURES, MAX_PEM_BYTES } from './limits.js';
import { SearchKeys } from './search-keys.js';
import type { CanonicalEntry, Checked, IntotoSignature, IntotoV002 } from './types.js';
import { materialFromPem } from './verification-material.js';

/** The text inside a `format: byte` field that holds a base64 string of its own. */
function innerText(outer: string, what: string): string {
  const bytes = decodeBase64(outer, what);
  for (const byte of bytes) {
    if (byte >= 0x80) throw new RekorError('MALFORMED', `${what} does not hold base64 text`);
  }
  return Buffer.from(bytes).toString('latin1');
}

function wellFormed(text: string, what: string): string {
  if (!isWellFormedText(text))
    throw new RekorError('MALFORMED', `${what} is not valid Unicode text`);
  return text;
}

/** Checks an intoto 0.0.2 `spec` and verifies every signature over PAE with the keys it carries. */
export function parseIntotoV002(spec: JsonObject): Checked<IntotoV002> {
  const content = requiredObject(spec, 'content', 'spec');
  const path = 'spec.content.envelope';
  const envelope = requiredObject(content, 'envelope', 'spec.content');
  const payloadType = wellFormed(
    requiredString(envelope, 'payloadType', path),
    `${path}.payloadType`,
  );
  // Rekor hashes the payload after decoding it with the standard alphabet only.
  const payload = decodeBase64(
    innerText(requiredString(envelope, 'payload', path), `${path}.payload`),
    `${path}.payload`,
  );
  const signatureObjects = requiredArray(envelope, 'signatures', path);
  if (signatureObjects.length > MAX_DSSE_SIGNATURES) {
    throw new RekorError(
      'TOO_LARGE',
      `at most ${MAX_DSSE_SIGNATURES} envelope signatures are accepted`,
    );
  }
  const parsed = signatureObjects.map((value, index) => {
    const where = `${path}.signatures[${index}]`;
    const object = expectObject(value, where);
    const sig = innerText(requiredString(object, 'sig', where), `${where}.sig`);
    const keyText = requiredString(object, 'publicKey', where);
    if (keyText.length > Math.ceil(MAX_PEM_BYTES / 3) * 4) {
      throw new RekorError('TOO_LARGE', `${where}.publicKey is too large`);
    }
    const publicKeyPem = decodeBase64(keyText, `${where}.publicKey`);
    return {
      sig,
      bytes: decodeDsseBase64(sig, `${where}.sig`),
      keyid: wellFormed(optionalString(object, 'keyid', where), `${where}.keyid`),
      publicKeyPem,
      verifier: materialFromPem(publicKeyPem, `${where}.publicKey`),
    };
  });

  const hash = requiredObject(content, 'hash', 'spec.content');
  const hashAlgorithm = requiredString(hash, 'algorithm', 'spec.content.hash');
  if (hashAlgorithm !== 'sha256') {
    throw new RekorError(
      'UNSUPPORTED_ALGORITHM',
      `spec.content.hash.algorithm ${quoteForError(hashAlgorithm)} is not sha256`,
    );
  }
  const envelopeHash = decodeHex(
    requiredString(hash, 'value', 'spec.content.hash'),
    32,
    'spec.content.hash.value',
  );

  // Rekor offers every signature's key for every signature.
  verifyDsseSignatures(
    payloadType,
    payload,
    parsed.map((signature) => signature.bytes),
    parsed.map((signature) => signature.verifier),
  );
  const signatures: IntotoSignature[] = parsed.map(({ sig, keyid, publicKeyPem, verifier }) => ({
    sig,
    keyid,
    publicKeyPem,
    verifier,
  }));
  const entry: IntotoV002 = {
    kind: 'intoto',
    apiVersion: '0.0.2',
    payloadType,
    payload,
    payloadHash: createHash('sha256').update(payload).digest(),
    envelopeHashHex: toHex(envelopeHash),
    signatures,
  };
  return entry as Checked<IntotoV002>;
}

/**
 * The stored form: the envelope without its payload, the client's envelope hash and our payload
 * hash. Each signature keeps the PEM exactly as the client sent it: every intoto entry in the
 * public-good log was stored that way (sigstore-js sends PEM without a final newline), and
 * rekor#1170 (normalizing it as hashedrekord does) would change the leaf of a resubmission.
 * parsePem has already refused anything but one bare PEM block, so nothing else can ride along.
 */
export function canonicalizeIntotoV002(entry: Checked<IntotoV002>): CanonicalEntry {
  const body = {
    apiVersion: entry.apiVersion,
    kind: entry.kind,
    spec: {
      content: {
        envelope: {
          payloadType: entry.payloadType,
          signatures: entry.signatures.map(({ keyid, sig, publicKeyPem }) => ({
            // Go's `omitempty`: an empty key ID is left out.
            ...(keyid === '' ? {} : { keyid }),
            publicKey: encodeBase64(publicKeyPem),
            sig: encodeBase64(Buffer.from(sig, 'latin1')),
          })),
        },
        hash: { algorithm: 'sha256', value: entry.envelopeHashHex },
        payloadHash: { algorithm: 'sha256', value: toHex(entry.payloadHash) },
      },
    },
  };
  const searchKeys = new SearchKeys().digest('sha256', entry.payloadHash);
  for (const { verifier } of entry.signatures) searchKeys.verifier(verifier);
  searchKeys.inTotoSubjects(entry.payloadType, entry.payload);
  return {
    kind: entry.kind,
    apiVersion: entry.apiVersion,
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    body: canonicalJson(body),
    searchKeys: searchKeys.toArray(),
  };
}
