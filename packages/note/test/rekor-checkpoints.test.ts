// Real Sigstore checkpoints (public-good and staging Rekor v1 and v2, conformance logs) parse and
// verify with the log keys of the trusted roots, using the key-name rules Sigstore clients use.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  c2spLogId,
  formatSignedNote,
  type NoteErrorCode,
  type NoteVerifier,
  noteVerifierFromPublicKey,
  openCheckpoint,
  parseCheckpoint,
  parseCosignature,
  parseRekorV1Origin,
  parseSignedNote,
  rekorV1LogId,
} from '@airlock/note';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { noteErrorCode } from './support.js';

interface InclusionEntry {
  id: string;
  logId: string;
  inclusionProof: { treeSize: string; rootHash: string };
  checkpoint: {
    envelope: string;
    parsed: { origin: string; size: string; rootHashHex: string; extraLines: string[] };
    rootMatchesProof: boolean;
  } | null;
}

interface TrustedRoot {
  tlogs?: { baseUrl: string; publicKey: { rawBytes: string }; logId: { keyId: string } }[];
}

interface TransparencyLog {
  baseUrl: URL;
  publicKey: KeyObject;
  spki: Uint8Array;
}

const inclusionFile = JSON.parse(
  readFileSync(sharedVectorsPath('merkle', 'rekor-inclusion-proofs.shared.json'), 'utf8'),
) as { count: number; entries: InclusionEntry[] };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// Every tlog of every trusted root in the kit, by hex log ID.
function loadTransparencyLogs(): Map<string, TransparencyLog> {
  const bundleDir = sharedVectorsPath('conformance', 'bundle-verify');
  const rootFiles = [
    sharedVectorsPath('npm-provenance', 'trusted_root.json'),
    ...readdirSync(bundleDir)
      .map((name) => join(bundleDir, name, 'trusted_root.json'))
      .filter((path) => existsSync(path)),
  ];
  const logs = new Map<string, TransparencyLog>();
  for (const file of rootFiles) {
    const root = JSON.parse(readFileSync(file, 'utf8')) as TrustedRoot;
    for (const tlog of root.tlogs ?? []) {
      const logId = Buffer.from(tlog.logId.keyId, 'base64').toString('hex');
      const spki = new Uint8Array(Buffer.from(tlog.publicKey.rawBytes, 'base64'));
      const known = logs.get(logId);
      if (known !== undefined && hex(known.spki) !== hex(spki))
        throw new Error(`trusted roots disagree on the key of log ${logId}`);
      logs.set(logId, {
        baseUrl: new URL(tlog.baseUrl),
        spki,
        publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      });
    }
  }
  return logs;
}

const logs = loadTransparencyLogs();

/**
 * The verifier a Sigstore client would use for a checkpoint of `log` (§0.1 item 4): decided by
 * the (not yet verified) origin line as sigstore-go does. Rekor v1: key name = the host of the
 * origin, which must be the host of baseUrl (sigstore-js: name is a substring of baseUrl), key
 * ID = SPKI hash, log ID = SHA-256(SPKI). Rekor v2: key name = origin = hostname of baseUrl,
 * C2SP key ID, log ID = the full C2SP key hash.
 */
function sigstoreVerifier(
  log: TransparencyLog,
  logIdHex: string,
  envelope: string,
): { verifier: NoteVerifier; origin?: string } {
  const firstLine = envelope.slice(0, envelope.indexOf('\n'));
  const v1 = parseRekorV1Origin(firstLine);
  if (v1 !== null) {
    expect(log.baseUrl.host).toBe(v1.hostname);
    expect(log.baseUrl.href.includes(v1.hostname)).toBe(true);
    expect(hex(rekorV1LogId(log.spki))).toBe(logIdHex);
    return {
      verifier: noteVerifierFromPublicKey(v1.hostname, log.publicKey, { keyIdRule: 'rekor-v1' }),
    };
  }
  const name = log.baseUrl.hostname;
  expect(hex(c2spLogId(name, log.publicKey))).toBe(logIdHex);
  return { verifier: noteVerifierFromPublicKey(name, log.publicKey), origin: name };
}

// Flips the lowest bit of the last digit of the size line: still a well-formed checkpoint.
function flipTextBit(envelope: string): string {
  const sizeEnd = envelope.indexOf('\n', envelope.indexOf('\n') + 1);
  const digit = envelope.charCodeAt(sizeEnd - 1) ^ 0x01;
  return `${envelope.slice(0, sizeEnd - 1)}${String.fromCharCode(digit)}${envelope.slice(sizeEnd)}`;
}

function flipSignatureBit(envelope: string, name: string): string {
  const note = parseSignedNote(envelope);
  let flipped = false;
  const signatures = note.signatures.map((line) => {
    if (flipped || line.name !== name) return line;
    flipped = true;
    const signature = line.signature.slice();
    signature[signature.length >> 1] = (signature[signature.length >> 1] ?? 0) ^ 0x10;
    return { ...line, signature };
  });
  expect(flipped).toBe(true);
  return formatSignedNote({ text: note.text, signatures });
}

describe('real Rekor checkpoints', () => {
  it('every checkpoint envelope parses to its recorded origin, size and root', () => {
    expect(inclusionFile.entries.length).toBe(inclusionFile.count);
    let parsed = 0;
    for (const entry of inclusionFile.entries) {
      if (entry.checkpoint === null) continue;
      const note = parseSignedNote(entry.checkpoint.envelope);
      expect(formatSignedNote(note), entry.id).toBe(entry.checkpoint.envelope);
      const checkpoint = parseCheckpoint(note.text);
      expect(checkpoint.origin, entry.id).toBe(entry.checkpoint.parsed.origin);
      expect(checkpoint.size.toString(), entry.id).toBe(entry.checkpoint.parsed.size);
      expect(hex(checkpoint.rootHash), entry.id).toBe(entry.checkpoint.parsed.rootHashHex);
      expect(checkpoint.extensions, entry.id).toEqual(entry.checkpoint.parsed.extraLines);
      if (entry.checkpoint.rootMatchesProof) {
        expect(hex(checkpoint.rootHash), entry.id).toBe(entry.inclusionProof.rootHash);
        expect(checkpoint.size.toString(), entry.id).toBe(entry.inclusionProof.treeSize);
      }
      const v1 = parseRekorV1Origin(checkpoint.origin);
      if (checkpoint.origin.includes(' - ')) {
        expect(v1, entry.id).not.toBeNull();
        expect(`${v1?.hostname} - ${v1?.treeId}`, entry.id).toBe(checkpoint.origin);
      } else {
        expect(v1, entry.id).toBeNull();
      }
      parsed++;
    }
    expect(parsed).toBe(16);
  });

  it('every checkpoint verifies with its log key, and fails after one flipped bit', () => {
    let withCheckpoint = 0;
    let verified = 0;
    let v1 = 0;
    for (const entry of inclusionFile.entries) {
      if (entry.checkpoint === null) continue;
      withCheckpoint++;
      const log = logs.get(entry.logId);
      if (log === undefined) continue;
      const envelope = entry.checkpoint.envelope;
      const { verifier, origin } = sigstoreVerifier(log, entry.logId, envelope);
      const options = origin === undefined ? {} : { origin };
      const opened = openCheckpoint(envelope, [verifier], options);
      expect(
        opened.verified.map((s) => s.name),
        entry.id,
      ).toEqual([verifier.name]);
      expect(hex(opened.checkpoint.rootHash), entry.id).toBe(entry.checkpoint.parsed.rootHashHex);
      // Witness cosignatures and lines from other keys are ignored, not trusted.
      for (const line of opened.unverified) expect(line.keyId, entry.id).not.toBe(verifier.keyId);

      expect(
        noteErrorCode(() => openCheckpoint(flipTextBit(envelope), [verifier], options)),
        entry.id,
      ).toBe('BAD_SIGNATURE');
      expect(
        noteErrorCode(() =>
          openCheckpoint(flipSignatureBit(envelope, verifier.name), [verifier], options),
        ),
        entry.id,
      ).toBe('BAD_SIGNATURE');
      verified++;
      if (origin === undefined) v1++;
    }
    expect(withCheckpoint).toBe(16);
    expect(verified).toBe(withCheckpoint);
    expect(v1).toBe(8);
  });

  it('reports witness cosignatures and a second origin key as unverified lines', () => {
    const byId = new Map(inclusionFile.entries.map((e) => [e.id, e]));
    const open = (id: string) => {
      const entry = byId.get(id);
      const log = entry && logs.get(entry.logId);
      if (entry?.checkpoint == null || log === undefined) throw new Error(`missing ${id}`);
      const { verifier, origin } = sigstoreVerifier(log, entry.logId, entry.checkpoint.envelope);
      return openCheckpoint(entry.checkpoint.envelope, [verifier], origin ? { origin } : {});
    };
    const cosigned = open('conformance/rekor2-checkpoint-multiple-cosigs#0');
    expect(cosigned.unverified.map((s) => s.name)).toEqual([
      'witness.example/w1',
      'witness.example/w2',
    ]);
    for (const line of cosigned.unverified) {
      const { timestamp } = parseCosignature(line.signature);
      // August 2025, when the staging conformance assets were made.
      expect(timestamp).toBeGreaterThan(1_750_000_000n);
      expect(timestamp).toBeLessThan(1_760_000_000n);
    }
    const twoKeys = open('conformance/rekor2-checkpoint-two-sigs-from-origin#0');
    expect(twoKeys.verified.map((s) => s.name)).toEqual(['log2025-alpha1.rekor.sigstage.dev']);
    expect(twoKeys.unverified.map((s) => s.name)).toEqual(['log2025-alpha1.rekor.sigstage.dev']);
    expect(twoKeys.unverified[0]?.keyId).toBe(0x9a2c6355);
  });

  it('refuses a v2 checkpoint from the right key under another origin', () => {
    const entry = inclusionFile.entries.find((e) => e.id === 'conformance/rekor2-happy-path#0');
    const log = entry && logs.get(entry.logId);
    if (entry?.checkpoint == null || log === undefined) throw new Error('missing rekor2 entry');
    const { verifier } = sigstoreVerifier(log, entry.logId, entry.checkpoint.envelope);
    expect(
      noteErrorCode(() =>
        openCheckpoint(entry.checkpoint?.envelope ?? '', [verifier], { origin: 'rekor.example' }),
      ),
    ).toBe('ORIGIN_MISMATCH');
  });
});

describe('conformance checkpoint _fail cases', () => {
  const cases: Record<string, NoteErrorCode> = {
    'checkpoint-bad-keyhint_fail': 'UNVERIFIED', // key hint c4 instead of c0: no known line
    'invalid-checkpoint-signature_fail': 'BAD_SIGNATURE',
    'rekor2-checkpoint-missing-log-signature_fail': 'MALFORMED_NOTE',
    'rekor2-checkpoint-missing-origin_fail': 'BAD_SIGNATURE',
    'rekor2-checkpoint-missing-size_fail': 'BAD_SIGNATURE',
  };

  it.each(Object.entries(cases))('%s is refused with %s', (name, code) => {
    const bundle = JSON.parse(
      readFileSync(
        sharedVectorsPath('conformance', 'bundle-verify', name, 'bundle.sigstore.json'),
        'utf8',
      ),
    ) as {
      verificationMaterial: {
        tlogEntries: {
          logId: { keyId: string };
          inclusionProof: { checkpoint: { envelope: string } };
        }[];
      };
    };
    const entry = bundle.verificationMaterial.tlogEntries[0];
    if (entry === undefined) throw new Error(`${name} has no tlog entry`);
    const logId = Buffer.from(entry.logId.keyId, 'base64').toString('hex');
    const log = logs.get(logId);
    if (log === undefined) throw new Error(`no trusted root holds log ${logId}`);
    const envelope = entry.inclusionProof.checkpoint.envelope;
    const { verifier, origin } = sigstoreVerifier(log, logId, envelope);
    expect(
      noteErrorCode(() => openCheckpoint(envelope, [verifier], origin ? { origin } : {})),
    ).toBe(code);
  });
});
