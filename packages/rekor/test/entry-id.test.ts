// Entry UUIDs are RFC 6962 leaf hashes of the canonical body; EntryIDs prefix the tree ID.
import { createHash } from 'node:crypto';
import { entryId, entryUuid, parseEntryId, RekorError } from '@airlock/rekor';
import { describe, expect, it } from 'vitest';

describe('entry identifiers', () => {
  const body = Buffer.from('{"apiVersion":"0.0.1","kind":"hashedrekord"}');
  const uuid = createHash('sha256')
    .update(Buffer.concat([Buffer.of(0), body]))
    .digest('hex');

  it('hashes the body as an RFC 6962 leaf', () => {
    expect(entryUuid(body)).toBe(uuid);
    expect(entryUuid(body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prefixes the tree ID as 16 hex digits (Rekor public-good tree 2605736670972794746)', () => {
    expect(entryId(2605736670972794746n, uuid)).toBe(`24296fb24b8ad77a${uuid}`);
    expect(entryId(1n, uuid)).toBe(`0000000000000001${uuid}`);
    expect(entryId((1n << 63n) - 1n, uuid).slice(0, 16)).toBe('7fffffffffffffff');
  });

  it('refuses tree IDs outside a positive int64 and malformed UUIDs', () => {
    for (const treeId of [0n, -1n, 1n << 63n])
      expect(() => entryId(treeId, uuid)).toThrow(RekorError);
    for (const bad of [uuid.toUpperCase(), uuid.slice(1), `${uuid}0`, 'x'.repeat(64)]) {
      expect(() => entryId(1n, bad)).toThrow(RekorError);
    }
  });

  it('reads back UUIDs and EntryIDs in either case', () => {
    expect(parseEntryId(uuid)).toEqual({ uuid });
    expect(parseEntryId(uuid.toUpperCase())).toEqual({ uuid });
    expect(parseEntryId(entryId(2605736670972794746n, uuid))).toEqual({
      treeId: 2605736670972794746n,
      uuid,
    });
    for (const bad of [
      '',
      uuid.slice(2),
      `${'0'.repeat(16)}${uuid}`,
      `ffffffffffffffff${uuid}`,
      `${uuid}zz`,
    ]) {
      expect(() => parseEntryId(bad)).toThrow(RekorError);
    }
  });
});
