// Builds the search-index strings for an entry; the format is documented on CanonicalEntry.
import { createHash } from 'node:crypto';
import { toHex } from './encoding.js';
import { MAX_SUBJECT_SEARCH_KEYS } from './limits.js';
import type { VerificationMaterial } from './verification-material.js';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Collects search keys in insertion order without duplicates. */
export class SearchKeys {
  readonly #keys = new Set<string>();

  digest(algorithm: string, digest: Uint8Array): this {
    this.#keys.add(`${algorithm}:${toHex(digest)}`);
    return this;
  }

  verifier(material: VerificationMaterial): this {
    this.#keys.add(`key:sha256:${createHash('sha256').update(material.spki).digest('hex')}`);
    for (const email of material.emails) this.#keys.add(`email:${email}`);
    for (const subject of material.subjects) this.#keys.add(`subject:${subject}`);
    return this;
  }

  /**
   * Adds the subject digests of an in-toto statement, so an attestation is found by the digest of
   * the artifact it is about (Rekor indexes them too). Payloads that are not a statement add
   * nothing; they were signed, not parsed, so nothing here can reject the entry.
   */
  inTotoSubjects(payloadType: string, payload: Uint8Array): this {
    if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return this;
    let statement: unknown;
    try {
      statement = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return this;
    }
    const subjects = (statement as { subject?: unknown } | null)?.subject;
    if (!Array.isArray(subjects)) return this;
    let added = 0;
    for (const subject of subjects) {
      const digests = (subject as { digest?: unknown } | null)?.digest;
      if (typeof digests !== 'object' || digests === null) continue;
      for (const [algorithm, value] of Object.entries(digests)) {
        if (added >= MAX_SUBJECT_SEARCH_KEYS) return this;
        if (!/^[a-z0-9-]{1,20}$/.test(algorithm)) continue;
        if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2}){1,128}$/.test(value)) continue;
        this.#keys.add(`${algorithm}:${value.toLowerCase()}`);
        added++;
      }
    }
    return this;
  }

  toArray(): string[] {
    return [...this.#keys];
  }
}
