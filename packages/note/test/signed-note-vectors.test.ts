// Replays golang/mod's sumdb/note vectors (shared/vectors/merkle/signed-note-vectors.shared.json).
import { readFileSync } from 'node:fs';
import {
  formatSignerKey,
  formatVerifierKey,
  type NoteErrorCode,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { noteErrorCode } from './support.js';

interface SignCase {
  id: string;
  op: 'sign';
  signerKey: string;
  text: string;
  want: string;
}

interface OpenCase {
  id: string;
  op: 'open';
  msg: string | null;
  msgHex?: string;
  verifierKeys: string[];
  want:
    | { ok: true; text?: string; verified: string[]; unverified?: string[] }
    | { ok: false; error: string };
}

interface VectorFile {
  keys: Record<string, string>;
  cases: (SignCase | OpenCase)[];
}

const vectors = JSON.parse(
  readFileSync(sharedVectorsPath('merkle', 'signed-note-vectors.shared.json'), 'utf8'),
) as VectorFile;

// Go's error strings, and the code @airlock/note reports for the same refusal.
const GO_ERROR_CODES: Record<string, NoteErrorCode> = {
  'malformed note': 'MALFORMED_NOTE',
  'note has no verifiable signatures': 'UNVERIFIED',
};

function openCaseMessage(c: OpenCase): string | Uint8Array {
  if (c.msgHex !== undefined) return new Uint8Array(Buffer.from(c.msgHex, 'hex'));
  if (c.msg === null) throw new Error(`case ${c.id} has neither msg nor msgHex`);
  return c.msg;
}

describe('golang/mod sumdb/note vectors', () => {
  it('runs every case and each gives its want', async () => {
    let ran = 0;
    for (const c of vectors.cases) {
      if (c.op === 'sign') {
        const signer = parseSignerKey(c.signerKey);
        // Ed25519 is deterministic: the exact bytes Go produced.
        expect(await signNote(c.text, [signer]), c.id).toBe(c.want);
        ran++;
        continue;
      }
      const verifiers = c.verifierKeys.map(parseVerifierKey);
      const message = openCaseMessage(c);
      if (c.want.ok) {
        const opened = openNote(message, verifiers);
        expect(
          opened.verified.map((s) => s.name),
          c.id,
        ).toEqual(c.want.verified);
        if (c.want.text !== undefined) expect(opened.text, c.id).toBe(c.want.text);
        if (c.want.unverified !== undefined)
          expect(
            opened.unverified.map((s) => s.name),
            c.id,
          ).toEqual(c.want.unverified);
      } else {
        const code = GO_ERROR_CODES[c.want.error];
        expect(code, `unmapped Go error in ${c.id}`).toBeDefined();
        expect(
          noteErrorCode(() => openNote(message, verifiers)),
          c.id,
        ).toBe(code);
      }
      ran++;
    }
    expect(ran).toBe(vectors.cases.length);
    expect(ran).toBe(10);
  });

  it('parses and re-formats the Go key strings byte for byte', () => {
    const peterSigner = parseSignerKey(
      vectors.keys['PeterNeumann.signer(test-only private key)'] ?? '',
    );
    const peterVerifier = vectors.keys['PeterNeumann.verifier'] ?? '';
    expect(peterSigner.name).toBe('PeterNeumann');
    expect(peterSigner.keyId).toBe(0xc74f20a3);
    expect(parseVerifierKey(peterVerifier).keyId).toBe(0xc74f20a3);
    expect(formatVerifierKey('PeterNeumann', peterSigner.signer.publicKey)).toBe(peterVerifier);
    expect(formatSignerKey('PeterNeumann', peterSigner.signer.exportPrivateKey())).toBe(
      vectors.keys['PeterNeumann.signer(test-only private key)'],
    );
    const enoch = parseVerifierKey(vectors.keys['EnochRoot.verifier'] ?? '');
    expect(enoch.name).toBe('EnochRoot');
    expect(enoch.keyId).toBe(0xaf0cfe78);
  });

  it('refuses an ambiguous verifier set once a line uses it', () => {
    const open = vectors.cases.find((c): c is OpenCase => c.id === 'open-peter-only-verifier');
    if (open === undefined) throw new Error('vector open-peter-only-verifier is missing');
    const enoch = vectors.keys['EnochRoot.verifier'] ?? '';
    const peter = vectors.keys['PeterNeumann.verifier'] ?? '';
    const message = openCaseMessage(open);
    // Both Peter and Enoch sign this note; Enoch's key is configured twice.
    const verifiers = [peter, enoch, enoch].map(parseVerifierKey);
    expect(noteErrorCode(() => openNote(message, verifiers))).toBe('AMBIGUOUS_KEY');
    expect(
      openNote(message, [peter, enoch].map(parseVerifierKey)).verified.map((s) => s.name),
    ).toEqual(['PeterNeumann', 'EnochRoot']);
  });

  it('refuses a vector note whose signature was altered', () => {
    const sign = vectors.cases.find((c): c is SignCase => c.op === 'sign');
    if (sign === undefined) throw new Error('no sign vector');
    const verifier = parseVerifierKey(vectors.keys['PeterNeumann.verifier'] ?? '');
    const line = sign.want.slice(sign.text.length + 1);
    const payload = Buffer.from(line.slice('— PeterNeumann '.length, -1), 'base64');
    payload[10] = (payload[10] ?? 0) ^ 0x01;
    const tampered = `${sign.text}\n— PeterNeumann ${payload.toString('base64')}\n`;
    expect(noteErrorCode(() => openNote(tampered, [verifier]))).toBe('BAD_SIGNATURE');
    const alteredText = sign.want.replace('cryptography', 'cryptographY');
    expect(noteErrorCode(() => openNote(alteredText, [verifier]))).toBe('BAD_SIGNATURE');
  });
});
