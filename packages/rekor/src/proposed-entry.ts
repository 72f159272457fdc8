// Rekor v1's ProposedEntry ({kind, apiVersion, spec}): dispatch to the three kinds Sigstore clients
// send, and build the canonical entry the log stores.
import { canonicalizeDsseV001, parseDsseV001 } from './dsse-v001.js';
import { RekorError } from './errors.js';
import { canonicalizeHashedRekordV001, parseHashedRekordV001 } from './hashedrekord-v001.js';
import { canonicalizeIntotoV002, parseIntotoV002 } from './intoto-v002.js';
import { expectObject, quoteForError, requiredObject, requiredString } from './json-shape.js';
import type { CanonicalEntry, ProposedEntry } from './types.js';

/** Kinds and versions this log accepts (the others Rekor has are not used by Sigstore clients). */
export const SUPPORTED_KINDS_V1: Readonly<Record<string, readonly string[]>> = {
  hashedrekord: ['0.0.1'],
  dsse: ['0.0.1'],
  intoto: ['0.0.2'],
};

/**
 * Checks a proposed entry (the parsed JSON body of POST /api/v1/log/entries, or one element of
 * `entries` in a search) and verifies its signatures. Throws RekorError for anything Rekor
 * would refuse, and for the few things this log cannot verify (see verifyDigestSignature).
 */
export function parseProposedEntryV1(json: unknown): ProposedEntry {
  const proposed = expectObject(json, 'the proposed entry');
  const kind = requiredString(proposed, 'kind', '');
  const apiVersion = requiredString(proposed, 'apiVersion', '');
  const versions = Object.hasOwn(SUPPORTED_KINDS_V1, kind) ? SUPPORTED_KINDS_V1[kind] : undefined;
  if (versions === undefined) {
    throw new RekorError(
      'UNSUPPORTED_KIND',
      `kind ${quoteForError(kind)} is not accepted; use one of ${Object.keys(SUPPORTED_KINDS_V1).join(', ')}`,
    );
  }
  if (!versions.includes(apiVersion)) {
    throw new RekorError(
      'UNSUPPORTED_KIND',
      `apiVersion ${quoteForError(apiVersion)} of kind ${kind} is not accepted; use ${versions.join(', ')}`,
    );
  }
  const spec = requiredObject(proposed, 'spec', '');
  switch (kind) {
    case 'hashedrekord':
      return parseHashedRekordV001(spec);
    case 'dsse':
      return parseDsseV001(spec);
    default:
      return parseIntotoV002(spec);
  }
}

/** The canonical body (the log leaf, JCS) and the search keys of a checked proposed entry. */
export function canonicalizeV1(entry: ProposedEntry): CanonicalEntry {
  switch (entry.kind) {
    case 'hashedrekord':
      return canonicalizeHashedRekordV001(entry);
    case 'dsse':
      return canonicalizeDsseV001(entry);
    case 'intoto':
      return canonicalizeIntotoV002(entry);
  }
}
