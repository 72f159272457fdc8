// c2sp.org/tlog-cosignature Ed25519 cosignatures (type 0x04): message, signing, verifying.
import { SoftwareSigner } from '@airlock/keys';
import {
  cosignatureKeyId,
  cosignatureMessage,
  cosignatureSignerFromSigner,
  cosignatureVerifierFromPublicKey,
  formatCheckpoint,
  formatSignedNote,
  noteSignerFromSigner,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCosignature,
  parseSignedNote,
  signCheckpoint,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { noteErrorCode } from './support.js';

const checkpoint = {
  origin: 'log.airlock.test',
  size: 10n,
  rootHash: new Uint8Array(32).fill(7),
  extensions: ['ext line'],
};

describe('cosignatures', () => {
  it('signs "cosignature/v1\\ntime <t>\\n" followed by the checkpoint text', () => {
    const text = formatCheckpoint(checkpoint);
    expect(new TextDecoder().decode(cosignatureMessage(text, 1679315147n))).toBe(
      `cosignature/v1\ntime 1679315147\n${text}`,
    );
    expect(noteErrorCode(() => cosignatureMessage(text, -1n))).toBe('MALFORMED_COSIGNATURE');
  });

  it('cosigns a log checkpoint; log and witness lines both verify', async () => {
    const logKey = SoftwareSigner.generate('ecdsa-p256-sha256');
    const witnessKey = SoftwareSigner.generate('ed25519');
    const cosigner = cosignatureSignerFromSigner('witness.airlock.test', witnessKey, {
      now: () => 1_700_000_000n,
    });
    expect(cosigner.keyId).toBe(cosignatureKeyId('witness.airlock.test', witnessKey.publicKey));
    const note = await signCheckpoint(checkpoint, [
      noteSignerFromSigner(checkpoint.origin, logKey),
      cosigner,
    ]);
    const logVerifier = noteVerifierFromPublicKey(checkpoint.origin, logKey.publicKey);
    const witnessVerifier = cosignatureVerifierFromPublicKey(
      'witness.airlock.test',
      witnessKey.publicKey,
    );

    const opened = openCheckpoint(note, [logVerifier, witnessVerifier]);
    expect(opened.verified.map((s) => s.name)).toEqual([checkpoint.origin, 'witness.airlock.test']);
    const cosignature = parseCosignature(opened.verified[1]?.signature ?? new Uint8Array());
    expect(cosignature.timestamp).toBe(1_700_000_000n);
    expect(cosignature.signature).toHaveLength(64);
    // A client that only knows the log key ignores the cosignature.
    expect(openCheckpoint(note, [logVerifier]).unverified.map((s) => s.name)).toEqual([
      'witness.airlock.test',
    ]);

    // Moving the timestamp breaks the cosignature.
    const parsed = parseSignedNote(note);
    const signatures = parsed.signatures.map((line) => {
      if (line.name !== 'witness.airlock.test') return line;
      const moved = line.signature.slice();
      moved[7] = (moved[7] ?? 0) ^ 0x01;
      return { ...line, signature: moved };
    });
    const retimed = formatSignedNote({ text: parsed.text, signatures });
    expect(noteErrorCode(() => openCheckpoint(retimed, [logVerifier, witnessVerifier]))).toBe(
      'BAD_SIGNATURE',
    );
    // A wrong-length cosignature from the configured witness is a bad signature, too.
    const truncated = formatSignedNote({
      text: parsed.text,
      signatures: parsed.signatures.map((line) =>
        line.name === 'witness.airlock.test'
          ? { ...line, signature: line.signature.slice(1) }
          : line,
      ),
    });
    expect(noteErrorCode(() => openCheckpoint(truncated, [logVerifier, witnessVerifier]))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('does not accept a plain Ed25519 note signature as a cosignature, nor the reverse', async () => {
    const key = SoftwareSigner.generate('ed25519');
    const plain = await signCheckpoint(checkpoint, [noteSignerFromSigner('w.test', key)]);
    expect(
      noteErrorCode(() =>
        openCheckpoint(plain, [cosignatureVerifierFromPublicKey('w.test', key.publicKey)]),
      ),
    ).toBe('UNVERIFIED');
    const cosigned = await signCheckpoint(checkpoint, [cosignatureSignerFromSigner('w.test', key)]);
    expect(
      noteErrorCode(() =>
        openCheckpoint(cosigned, [noteVerifierFromPublicKey('w.test', key.publicKey)]),
      ),
    ).toBe('UNVERIFIED');
  });

  it('uses the system clock by default', async () => {
    const key = SoftwareSigner.generate('ed25519');
    const before = BigInt(Math.floor(Date.now() / 1000));
    const note = await signCheckpoint(checkpoint, [cosignatureSignerFromSigner('w.test', key)]);
    const line = parseSignedNote(note).signatures[0];
    const { timestamp } = parseCosignature(line?.signature ?? new Uint8Array());
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(BigInt(Math.floor(Date.now() / 1000)));
  });

  it('refuses non-Ed25519 cosigners and malformed cosignature payloads', () => {
    expect(
      noteErrorCode(() =>
        cosignatureSignerFromSigner('w.test', SoftwareSigner.generate('ecdsa-p256-sha256')),
      ),
    ).toBe('INVALID_KEY');
    expect(
      noteErrorCode(() =>
        cosignatureVerifierFromPublicKey(
          'w.test',
          SoftwareSigner.generate('ecdsa-p256-sha256').publicKey,
        ),
      ),
    ).toBe('INVALID_KEY');
    expect(noteErrorCode(() => parseCosignature(new Uint8Array(71)))).toBe('MALFORMED_COSIGNATURE');
  });
});
