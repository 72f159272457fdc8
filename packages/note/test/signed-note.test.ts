// Signed note syntax, opening rules and round trips through @airlock/keys signers.
import { SoftwareSigner } from '@airlock/keys';
import {
  formatSignedNote,
  MAX_SIGNATURES,
  type NoteSigner,
  noteSignerFromSigner,
  noteVerifierFromPublicKey,
  openNote,
  parseSignedNote,
  rekorV1KeyId,
  signNote,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { asyncNoteErrorCode, noteErrorCode } from './support.js';

const TEXT = 'example.com/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
// Key ID 0x01020304 and the signature bytes 05 06 07.
const LINE_PAYLOAD = Buffer.from([1, 2, 3, 4, 5, 6, 7]).toString('base64');

function b64(bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

describe('parseSignedNote', () => {
  it('splits at the last blank line and decodes each signature line', () => {
    const note = parseSignedNote(
      `first\n\nsecond\n\n— a.example ${LINE_PAYLOAD}\n— b ${LINE_PAYLOAD}\n`,
    );
    expect(note.text).toBe('first\n\nsecond\n');
    expect(note.signatures).toEqual([
      { name: 'a.example', keyId: 0x01020304, signature: Uint8Array.of(5, 6, 7) },
      { name: 'b', keyId: 0x01020304, signature: Uint8Array.of(5, 6, 7) },
    ]);
  });

  it('reads bytes as UTF-8 and keeps non-ASCII text and names', () => {
    const message = `héllo ✓\n\n— wïtness ${LINE_PAYLOAD}\n`;
    const note = parseSignedNote(new TextEncoder().encode(message));
    expect(note.text).toBe('héllo ✓\n');
    expect(note.signatures[0]?.name).toBe('wïtness');
    expect(formatSignedNote(note)).toBe(message);
  });

  it('accepts a text that is a single newline', () => {
    expect(parseSignedNote(`\n\n— n ${LINE_PAYLOAD}\n`).text).toBe('\n');
  });

  it(`accepts ${MAX_SIGNATURES} signature lines and refuses one more`, () => {
    const lines = (n: number) => `— n ${LINE_PAYLOAD}\n`.repeat(n);
    expect(parseSignedNote(`${TEXT}\n${lines(MAX_SIGNATURES)}`).signatures).toHaveLength(100);
    expect(noteErrorCode(() => parseSignedNote(`${TEXT}\n${lines(MAX_SIGNATURES + 1)}`))).toBe(
      'MALFORMED_NOTE',
    );
  });

  const malformed: Record<string, string | Uint8Array> = {
    'no blank line': `${TEXT}— n ${LINE_PAYLOAD}\n`,
    'no signature lines': `${TEXT}\n`,
    'no final newline': `${TEXT}\n— n ${LINE_PAYLOAD}`,
    'CR at the end of the text': `${TEXT.slice(0, -1)}\r\n\n— n ${LINE_PAYLOAD}\n`,
    'CR at the end of a signature line': `${TEXT}\n— n ${LINE_PAYLOAD}\r\n`,
    'tab in the text': `a\tb\n\n— n ${LINE_PAYLOAD}\n`,
    'DEL in the text': `a\u007fb\n\n— n ${LINE_PAYLOAD}\n`,
    'NUL in the text': `a\u0000b\n\n— n ${LINE_PAYLOAD}\n`,
    'invalid UTF-8': Uint8Array.of(0x61, 0xff, 0x0a, 0x0a, ...Buffer.from(`— n ${LINE_PAYLOAD}\n`)),
    'lone surrogate': `a\uD800b\n\n— n ${LINE_PAYLOAD}\n`,
    'hyphens instead of an em dash': `${TEXT}\n-- n ${LINE_PAYLOAD}\n`,
    'en dash instead of an em dash': `${TEXT}\n\u2013 n ${LINE_PAYLOAD}\n`,
    'no space after the dash': `${TEXT}\n—n ${LINE_PAYLOAD}\n`,
    'empty name': `${TEXT}\n—  ${LINE_PAYLOAD}\n`,
    'name with +': `${TEXT}\n— a+b ${LINE_PAYLOAD}\n`,
    'name with a no-break space': `${TEXT}\n— a\u00a0b ${LINE_PAYLOAD}\n`,
    'name with NEL': `${TEXT}\n— a\u0085b ${LINE_PAYLOAD}\n`,
    'no signature after the name': `${TEXT}\n— name\n`,
    'empty signature': `${TEXT}\n— name \n`,
    'two spaces before the signature': `${TEXT}\n— name  ${LINE_PAYLOAD}\n`,
    'space inside the signature': `${TEXT}\n— name AQID BAUG\n`,
    'base64 without padding': `${TEXT}\n— n ${LINE_PAYLOAD.replace(/=+$/, '')}\n`,
    'base64url alphabet': `${TEXT}\n— n ${b64([0xfb, 0xff, 0xbf, 0, 1, 2]).replace(/\+/g, '-').replace(/\//g, '_')}\n`,
    'non-canonical base64 trailing bits': `${TEXT}\n— n AQIDBAUGBx==\n`,
    'junk in base64': `${TEXT}\n— n AQID*AUGBw==\n`,
    'signature of 3 bytes': `${TEXT}\n— n ${b64([1, 2, 3])}\n`,
    'key ID without signature (4 bytes)': `${TEXT}\n— n ${b64([1, 2, 3, 4])}\n`,
    'blank line inside the signatures': `${TEXT}\n— n ${LINE_PAYLOAD}\n\n`,
  };

  it.each(Object.entries(malformed))('refuses %s', (_name, note) => {
    expect(noteErrorCode(() => parseSignedNote(note))).toBe('MALFORMED_NOTE');
  });

  it('checks the canonical base64 vector used above is otherwise well-formed', () => {
    // AQIDBAUGBw== is the canonical form of the 7 bytes; only the trailing bits differ.
    expect(parseSignedNote(`${TEXT}\n— n AQIDBAUGBw==\n`).signatures[0]?.signature).toEqual(
      Uint8Array.of(5, 6, 7),
    );
  });
});

describe('formatSignedNote', () => {
  const signature = { name: 'n', keyId: 1, signature: Uint8Array.of(9) };

  it('refuses what parseSignedNote would refuse', () => {
    expect(
      noteErrorCode(() => formatSignedNote({ text: 'no newline', signatures: [signature] })),
    ).toBe('MALFORMED_NOTE');
    expect(noteErrorCode(() => formatSignedNote({ text: '', signatures: [signature] }))).toBe(
      'MALFORMED_NOTE',
    );
    expect(noteErrorCode(() => formatSignedNote({ text: 'a\r\n', signatures: [signature] }))).toBe(
      'MALFORMED_NOTE',
    );
    expect(noteErrorCode(() => formatSignedNote({ text: TEXT, signatures: [] }))).toBe(
      'MALFORMED_NOTE',
    );
    for (const bad of [
      { ...signature, name: 'a b' },
      { ...signature, name: '' },
      { ...signature, name: 'a+b' },
      { ...signature, keyId: -1 },
      { ...signature, keyId: 2 ** 32 },
      { ...signature, keyId: 1.5 },
      { ...signature, signature: new Uint8Array() },
    ])
      expect(noteErrorCode(() => formatSignedNote({ text: TEXT, signatures: [bad] }))).toBe(
        'MALFORMED_NOTE',
      );
  });
});

describe('signNote and openNote with @airlock/keys signers', () => {
  const algorithms = ['ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519'] as const;

  it.each(algorithms)('round-trips a note signed with %s', async (algorithm) => {
    const signer = SoftwareSigner.generate(algorithm);
    const noteSigner = noteSignerFromSigner('log.example', signer);
    const note = await signNote(TEXT, [noteSigner]);
    expect(note.startsWith(`${TEXT}\n— log.example `)).toBe(true);
    const opened = openNote(note, [noteVerifierFromPublicKey('log.example', signer.publicKey)]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified).toHaveLength(1);
    expect(opened.verified[0]?.keyId).toBe(noteSigner.keyId);
    expect(opened.unverified).toEqual([]);
    // Another text under the same signature fails.
    const forged = note.replace('\n42\n', '\n43\n');
    expect(
      noteErrorCode(() =>
        openNote(forged, [noteVerifierFromPublicKey('log.example', signer.publicKey)]),
      ),
    ).toBe('BAD_SIGNATURE');
  });

  it('binds the Ed25519 key ID to the name but not the ECDSA one', () => {
    const ed25519 = SoftwareSigner.generate('ed25519');
    expect(noteSignerFromSigner('a', ed25519).keyId).not.toBe(
      noteSignerFromSigner('b', ed25519).keyId,
    );
    const ecdsa = SoftwareSigner.generate('ecdsa-p256-sha256');
    const spkiHint = rekorV1KeyId(
      new Uint8Array(ecdsa.publicKey.export({ format: 'der', type: 'spki' })),
    );
    expect(noteSignerFromSigner('a', ecdsa).keyId).toBe(spkiHint);
    expect(noteSignerFromSigner('b', ecdsa).keyId).toBe(spkiHint);
  });

  it('signs with several keys, one line each, and verifies any configured subset', async () => {
    const signers = algorithms.map((a) => SoftwareSigner.generate(a));
    const ed25519 = signers[2];
    if (ed25519 === undefined) throw new Error('no Ed25519 signer');
    const names = ['p256.example', 'p384.example', 'ed.example'];
    const note = await signNote(
      TEXT,
      signers.map((s, i) => noteSignerFromSigner(names[i] ?? '', s)),
    );
    expect(parseSignedNote(note).signatures.map((s) => s.name)).toEqual(names);
    const opened = openNote(note, [noteVerifierFromPublicKey('ed.example', ed25519.publicKey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['ed.example']);
    expect(opened.unverified.map((s) => s.name)).toEqual(['p256.example', 'p384.example']);
  });

  it('refuses a note with no line from a configured key', async () => {
    const note = await signNote(TEXT, [
      noteSignerFromSigner('log.example', SoftwareSigner.generate('ed25519')),
    ]);
    expect(noteErrorCode(() => openNote(note, []))).toBe('UNVERIFIED');
    const other = SoftwareSigner.generate('ed25519');
    // Same name, other Ed25519 key: the key ID differs, so the line is not the verifier's.
    expect(
      noteErrorCode(() =>
        openNote(note, [noteVerifierFromPublicKey('log.example', other.publicKey)]),
      ),
    ).toBe('UNVERIFIED');
  });

  it('refuses a line that claims a configured name and key ID but is signed by another key', async () => {
    const logKey = SoftwareSigner.generate('ecdsa-p256-sha256');
    const verifier = noteVerifierFromPublicKey('log.example', logKey.publicKey);
    const impostorKey = SoftwareSigner.generate('ecdsa-p256-sha256');
    const impostor: NoteSigner = {
      name: 'log.example',
      keyId: verifier.keyId,
      sign: (message) => impostorKey.sign(message),
    };
    const note = await signNote(TEXT, [impostor]);
    expect(noteErrorCode(() => openNote(note, [verifier]))).toBe('BAD_SIGNATURE');
    // A valid line does not excuse a bad one from a configured key.
    const both = await signNote(TEXT, [noteSignerFromSigner('log.example', logKey), impostor]);
    expect(noteErrorCode(() => openNote(both, [verifier]))).toBe('BAD_SIGNATURE');
  });

  it('refuses two configured verifiers for the same line', async () => {
    const signer = SoftwareSigner.generate('ed25519');
    const note = await signNote(TEXT, [noteSignerFromSigner('log.example', signer)]);
    const verifier = noteVerifierFromPublicKey('log.example', signer.publicKey);
    expect(noteErrorCode(() => openNote(note, [verifier, verifier]))).toBe('AMBIGUOUS_KEY');
  });

  it('treats a verifier that throws as a failed verification', async () => {
    const signer = SoftwareSigner.generate('ed25519');
    const noteSigner = noteSignerFromSigner('log.example', signer);
    const note = await signNote(TEXT, [noteSigner]);
    const throwing = {
      name: 'log.example',
      keyId: noteSigner.keyId,
      verify(): boolean {
        throw new Error('token removed');
      },
    };
    expect(noteErrorCode(() => openNote(note, [throwing]))).toBe('BAD_SIGNATURE');
  });

  it('refuses bad input to signNote with typed errors', async () => {
    const signer = noteSignerFromSigner('log.example', SoftwareSigner.generate('ed25519'));
    expect(await asyncNoteErrorCode(() => signNote('no newline', [signer]))).toBe('MALFORMED_NOTE');
    expect(await asyncNoteErrorCode(() => signNote('a\rb\n', [signer]))).toBe('MALFORMED_NOTE');
    expect(await asyncNoteErrorCode(() => signNote(TEXT, []))).toBe('MALFORMED_NOTE');
    expect(await asyncNoteErrorCode(() => signNote(TEXT, [{ ...signer, name: 'a+b' }]))).toBe(
      'INVALID_KEY',
    );
    const failing: NoteSigner = {
      name: 'hsm.example',
      keyId: 1,
      sign: () => Promise.reject(new Error('CKR_DEVICE_ERROR')),
    };
    expect(await asyncNoteErrorCode(() => signNote(TEXT, [failing]))).toBe('SIGNING_FAILED');
    const empty: NoteSigner = { name: 'hsm.example', keyId: 1, sign: async () => new Uint8Array() };
    expect(await asyncNoteErrorCode(() => signNote(TEXT, [empty]))).toBe('SIGNING_FAILED');
  });

  it('refuses key names a note cannot carry', () => {
    const signer = SoftwareSigner.generate('ed25519');
    for (const name of ['', 'a b', 'a+b', 'a\nb'])
      expect(noteErrorCode(() => noteSignerFromSigner(name, signer))).toBe('INVALID_KEY');
    expect(noteErrorCode(() => noteVerifierFromPublicKey('a b', signer.publicKey))).toBe(
      'INVALID_KEY',
    );
  });
});
