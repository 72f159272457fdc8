// Rekor v1 kind dsse 0.0.1: a DSSE envelope, verified and then reduced to hashes and signatures
// (the envelope itself is not stored).
import { createHash } from 'node:crypto';
import { verifyDsseSignatures } from './dsse.js';
import { canonicalJson, decodeBase64, decodeDsseBase64, encodeBase64, toHex } from './encoding.js';
import { RekorError } from './errors.js';
import {
  expectObject,
  type JsonObject,
  optionalString,
  requiredArray,
  requiredObject,
  requiredString,
} from './json-shape.js';
import { MAX_DSSE_SIGNATURES, MAX_DSSE_VERIFIERS, MAX_REQUEST_BODY_BYTES } from './limits.js';
import { SearchKeys } from './search-keys.js';
import type { CanonicalEntry, Checked, DsseV001, VerifiedDsseSignature } from './types.js';
import { canonicalPem, materialFromPem } from './verification-material.js';

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/** Checks a dsse 0.0.1 `spec` (`proposedContent` only) and verifies every envelope signature. */
export function parseDsseV001(spec: JsonObject): Checked<DsseV001> {
  for (const computed of ['envelopeHash', 'payloadHash', 'signatures']) {
    if (Object.hasOwn(spec, computed)) {
      throw new RekorError(
        'MALFORMED',
        `spec.${computed} is computed by the log; send spec.proposedContent only`,
      );
    }
  }
  const proposed = requiredObject(spec, 'proposedContent', 'spec');
  const envelopeText = requiredString(proposed, 'envelope', 'spec.proposedContent');
  if (envelopeText.length > MAX_REQUEST_BODY_BYTES) {
    throw new RekorError('TOO_LARGE', 'spec.proposedContent.envelope is too large');
  }
  const verifierTexts = requiredArray(proposed, 'verifiers', 'spec.proposedContent');
  if (verifierTexts.length > MAX_DSSE_VERIFIERS) {
    throw new RekorError('TOO_LARGE', `at most ${MAX_DSSE_VERIFIERS} verifiers are accepted`);
  }
  const verifiers = verifierTexts.map((text, index) => {
    const what = `spec.proposedContent.verifiers[${index}]`;
    if (typeof text !== 'string') throw new RekorError('MALFORMED', `${what} must be a string`);
    return materialFromPem(decodeBase64(text, what), what);
  });

  let parsedEnvelope: unknown;
  try {
    parsedEnvelope = JSON.parse(envelopeText);
  } catch (cause) {
    throw new RekorError('MALFORMED', 'spec.proposedContent.envelope is not JSON', { cause });
  }
  const path = 'envelope';
  const envelope = expectObject(parsedEnvelope, path);
  const payloadType = requiredString(envelope, 'payloadType', path);
  const payload = decodeDsseBase64(requiredString(envelope, 'payload', path), 'envelope.payload');
  const signatureObjects = requiredArray(envelope, 'signatures', path);
  if (signatureObjects.length > MAX_DSSE_SIGNATURES) {
    throw new RekorError(
      'TOO_LARGE',
      `at most ${MAX_DSSE_SIGNATURES} envelope signatures are accepted`,
    );
  }
  const signatures = signatureObjects.map((value, index) => {
    const where = `envelope.signatures[${index}]`;
    const object = expectObject(value, where);
    const sig = requiredString(object, 'sig', where);
    return {
      sig,
      keyid: optionalString(object, 'keyid', where),
      bytes: decodeDsseBase64(sig, `${where}.sig`),
    };
  });

  const verifierOf = verifyDsseSignatures(
    payloadType,
    payload,
    signatures.map((signature) => signature.bytes),
    verifiers,
  );
  // Rekor keys signatures by their `sig` string, so a repeated signature is stored once.
  const bySig = new Map<string, VerifiedDsseSignature>();
  signatures.forEach(({ sig, keyid }, index) => {
    bySig.set(sig, { sig, keyid, verifier: verifiers[verifierOf[index] as number]! });
  });
  const entry: DsseV001 = {
    kind: 'dsse',
    apiVersion: '0.0.1',
    envelopeHash: sha256(Buffer.from(envelopeText, 'utf8')),
    payloadType,
    payload,
    payloadHash: sha256(payload),
    signatures: [...bySig.values()].sort((a, b) => (a.sig < b.sig ? -1 : a.sig > b.sig ? 1 : 0)),
  };
  return entry as Checked<DsseV001>;
}

/** The stored form: envelope and payload hashes, and each signature with its verifier's PEM. */
export function canonicalizeDsseV001(entry: Checked<DsseV001>): CanonicalEntry {
  const body = {
    apiVersion: entry.apiVersion,
    kind: entry.kind,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: toHex(entry.envelopeHash) },
      payloadHash: { algorithm: 'sha256', value: toHex(entry.payloadHash) },
      signatures: entry.signatures.map(({ sig, verifier }) => ({
        signature: sig,
        verifier: encodeBase64(canonicalPem(verifier)),
      })),
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
