// Checkpoint bodies (c2sp.org/tlog-checkpoint), Rekor v1 origins, and signed checkpoints.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SoftwareSigner } from '@airlock/keys';
import {
  formatCheckpoint,
  noteSignerFromSigner,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCheckpoint,
  parseRekorV1Origin,
  signCheckpoint,
  signNote,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { asyncNoteErrorCode, noteErrorCode } from './support.js';

const ROOT = new Uint8Array(32).map((_, i) => i);
const ROOT_B64 = Buffer.from(ROOT).toString('base64');
const MAX_UINT64 = (1n << 64n) - 1n;

describe('formatCheckpoint and parseCheckpoint', () => {
  it('writes origin, size, base64 root and extensions, and reads them back', () => {
    const text = formatCheckpoint({
      origin: 'log.example/a',
      size: 123456789012n,
      rootHash: ROOT,
      extensions: ['Timestamp: 1', 'x y'],
    });
    expect(text).toBe(`log.example/a\n123456789012\n${ROOT_B64}\nTimestamp: 1\nx y\n`);
    expect(parseCheckpoint(text)).toEqual({
      origin: 'log.example/a',
      size: 123456789012n,
      rootHash: ROOT,
      extensions: ['Timestamp: 1', 'x y'],
    });
  });

  it('accepts the empty tree and the largest uint64 size', () => {
    for (const size of [0n, 1n, MAX_UINT64]) {
      const text = formatCheckpoint({ origin: 'o', size, rootHash: ROOT });
      expect(parseCheckpoint(text).size).toBe(size);
      expect(parseCheckpoint(text).extensions).toEqual([]);
    }
  });

  const malformedTexts: Record<string, string> = {
    'leading zero': `o\n042\n${ROOT_B64}\n`,
    'zero written twice': `o\n00\n${ROOT_B64}\n`,
    'negative size': `o\n-1\n${ROOT_B64}\n`,
    'plus sign': `o\n+1\n${ROOT_B64}\n`,
    'space before the size': `o\n 1\n${ROOT_B64}\n`,
    'hex size': `o\n0x10\n${ROOT_B64}\n`,
    'size above uint64': `o\n${MAX_UINT64 + 1n}\n${ROOT_B64}\n`,
    'empty size': `o\n\n${ROOT_B64}\n`,
    '31-byte root': `o\n1\n${Buffer.from(ROOT.slice(1)).toString('base64')}\n`,
    '33-byte root': `o\n1\n${Buffer.from([...ROOT, 0]).toString('base64')}\n`,
    'root without padding': `o\n1\n${ROOT_B64.replace(/=$/, '')}\n`,
    'base64url root': `o\n1\n${Buffer.from(new Uint8Array(32).fill(0xff)).toString('base64url')}=\n`,
    'two lines': `o\n1\n`,
    'empty origin': `\n1\n${ROOT_B64}\n`,
    'empty extension line': `o\n1\n${ROOT_B64}\n\nx\n`,
    'trailing empty line': `o\n1\n${ROOT_B64}\n\n`,
    'no final newline': `o\n1\n${ROOT_B64}`,
    'CR line ends': `o\r\n1\r\n${ROOT_B64}\r\n`,
    empty: '',
  };

  it.each(Object.entries(malformedTexts))('refuses %s', (_name, text) => {
    expect(noteErrorCode(() => parseCheckpoint(text))).toBe('MALFORMED_CHECKPOINT');
  });

  it('refuses to write a checkpoint it could not read back', () => {
    const good = { origin: 'o', size: 1n, rootHash: ROOT };
    for (const bad of [
      { ...good, origin: '' },
      { ...good, origin: 'a\nb' },
      { ...good, origin: 'a\rb' },
      { ...good, size: -1n },
      { ...good, size: MAX_UINT64 + 1n },
      { ...good, rootHash: ROOT.slice(1) },
      { ...good, rootHash: new Uint8Array(33) },
      { ...good, extensions: [''] },
      { ...good, extensions: ['a\nb'] },
    ])
      expect(noteErrorCode(() => formatCheckpoint(bad))).toBe('MALFORMED_CHECKPOINT');
  });
});

describe('sumdb tree note vectors (golang/mod tlog)', () => {
  const vectors = JSON.parse(
    readFileSync(sharedVectorsPath('merkle', 'signed-note-vectors.shared.json'), 'utf8'),
  ) as {
    checkpointBody: {
      golden: string;
      size: string;
      rootHashHex: string;
      rootHashIsLeafHashOf: string;
      bad: string[];
      goodWithTrailingJunk: string[];
    };
  };
  const body = vectors.checkpointBody;

  it('parses the golden tree note', () => {
    const checkpoint = parseCheckpoint(body.golden);
    expect(checkpoint.origin).toBe('go.sum database tree');
    expect(checkpoint.size).toBe(BigInt(body.size));
    expect(Buffer.from(checkpoint.rootHash).toString('hex')).toBe(body.rootHashHex);
    const leafHash = createHash('sha256')
      .update(Buffer.concat([Buffer.of(0), Buffer.from(body.rootHashIsLeafHashOf)]))
      .digest('hex');
    expect(leafHash).toBe(body.rootHashHex);
    expect(formatCheckpoint(checkpoint)).toBe(body.golden);
  });

  it('refuses the bad size and bad root; a foreign origin is only bad for sumdb', () => {
    expect(body.bad).toHaveLength(3);
    const [otherOrigin, badSize, badRoot] = body.bad;
    expect(parseCheckpoint(otherOrigin ?? '').origin).toBe('not-go.sum database tree');
    expect(noteErrorCode(() => parseCheckpoint(badSize ?? ''))).toBe('MALFORMED_CHECKPOINT');
    expect(noteErrorCode(() => parseCheckpoint(badRoot ?? ''))).toBe('MALFORMED_CHECKPOINT');
  });

  it('reads a trailing line as an extension, but only when newline-terminated', () => {
    const [unterminated, terminated] = body.goodWithTrailingJunk;
    // sumdb's ParseTree ignores trailing junk; a checkpoint note text must end with "\n".
    expect(noteErrorCode(() => parseCheckpoint(unterminated ?? ''))).toBe('MALFORMED_CHECKPOINT');
    expect(parseCheckpoint(terminated ?? '').extensions).toEqual(['JOE']);
  });
});

describe('parseRekorV1Origin', () => {
  it('splits "<host> - <treeID>"', () => {
    expect(parseRekorV1Origin('rekor.sigstore.dev - 2605736670972794746')).toEqual({
      hostname: 'rekor.sigstore.dev',
      treeId: 2605736670972794746n,
    });
    expect(parseRekorV1Origin('localhost:8000 - 124190645164477')).toEqual({
      hostname: 'localhost:8000',
      treeId: 124190645164477n,
    });
  });

  it('returns null for Rekor v2 and other origins', () => {
    for (const origin of [
      'log2025-1.rekor.sigstore.dev',
      'rekor.sigstore.dev - ',
      'rekor.sigstore.dev -1',
      ' - 12',
      'a b - 12',
      'host - 012',
      'host - 0',
      'host - 9223372036854775808',
      'host - 12 ',
      'host-12',
    ])
      expect(parseRekorV1Origin(origin), origin).toBeNull();
    expect(parseRekorV1Origin('host - 9223372036854775807')?.treeId).toBe(9223372036854775807n);
  });
});

describe('signCheckpoint and openCheckpoint', () => {
  const checkpoint = { origin: 'log.airlock.test', size: 7n, rootHash: ROOT };

  it.each(['ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519'] as const)(
    'round-trips a Rekor v2-style checkpoint signed with %s',
    async (algorithm) => {
      const signer = SoftwareSigner.generate(algorithm);
      const note = await signCheckpoint(checkpoint, [
        noteSignerFromSigner(checkpoint.origin, signer),
      ]);
      const verifier = noteVerifierFromPublicKey(checkpoint.origin, signer.publicKey);
      const opened = openCheckpoint(note, [verifier], { origin: checkpoint.origin });
      expect(opened.checkpoint).toEqual({ ...checkpoint, extensions: [] });
      expect(opened.verified.map((s) => s.name)).toEqual([checkpoint.origin]);
      expect(noteErrorCode(() => openCheckpoint(note, [verifier], { origin: 'other.test' }))).toBe(
        'ORIGIN_MISMATCH',
      );
    },
  );

  it('round-trips a Rekor v1-style checkpoint (host key name, SPKI key hint)', async () => {
    const signer = SoftwareSigner.generate('ed25519');
    const v1 = { origin: 'rekor.airlock.test - 1193050959916656506', size: 3n, rootHash: ROOT };
    const options = { keyIdRule: 'rekor-v1' } as const;
    const note = await signCheckpoint(v1, [
      noteSignerFromSigner('rekor.airlock.test', signer, options),
    ]);
    const origin = parseRekorV1Origin(
      openCheckpoint(note, [
        noteVerifierFromPublicKey('rekor.airlock.test', signer.publicKey, options),
      ]).checkpoint.origin,
    );
    expect(origin).toEqual({ hostname: 'rekor.airlock.test', treeId: 1193050959916656506n });
    // With Ed25519 the v1 hint is not the C2SP one, so a C2SP verifier does not know the line.
    expect(
      noteErrorCode(() =>
        openCheckpoint(note, [noteVerifierFromPublicKey('rekor.airlock.test', signer.publicKey)]),
      ),
    ).toBe('UNVERIFIED');
  });

  it('refuses a signed note whose text is not a checkpoint', async () => {
    const signer = SoftwareSigner.generate('ed25519');
    const note = await signNote('log.airlock.test\n07\nAAAA\n', [
      noteSignerFromSigner('log.airlock.test', signer),
    ]);
    expect(
      noteErrorCode(() =>
        openCheckpoint(note, [noteVerifierFromPublicKey('log.airlock.test', signer.publicKey)]),
      ),
    ).toBe('MALFORMED_CHECKPOINT');
    expect(
      await asyncNoteErrorCode(() =>
        signCheckpoint({ ...checkpoint, size: -1n }, [
          noteSignerFromSigner('log.airlock.test', signer),
        ]),
      ),
    ).toBe('MALFORMED_CHECKPOINT');
  });
});
