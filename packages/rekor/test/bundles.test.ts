// Every transparency-log entry in the shared bundles, rebuilt from its bundle the way its client
// built the request, must come out as the very body the real log stored, or be refused or differ
// exactly where the test case tampered with it.
import { X509Certificate } from 'node:crypto';
import { hashLeaf, verifyInclusion } from '@airlock/merkle';
import {
  canonicalizeV1,
  canonicalizeV2,
  entryUuid,
  parseCreateEntryRequestV2,
  parseProposedEntryV1,
  RekorError,
  type RekorErrorCode,
} from '@airlock/rekor';
import { describe, expect, it } from 'vitest';
import {
  createEntryRequestV2,
  differingPaths,
  dsseRequestV1,
  envelopeString,
  hashedRekordRequestV1,
  intotoRequestV1,
  type LoggedIntotoSpec,
  loadVectorEntries,
  type PemStyle,
  signingMaterial,
  type VectorEntry,
} from './vector-bundles.js';

/** What happens to an entry whose bundle a conformance case tampered with (the rest reproduce). */
type Tampered =
  | { readonly refused: RekorErrorCode; readonly because: string }
  | { readonly differsAt: readonly string[]; readonly because: string };

const TAMPERED_CONFORMANCE: Readonly<Record<string, Tampered>> = {
  'bundle-empty-certificate-chain_fail': {
    refused: 'MALFORMED',
    because: 'the bundle has no certificate, so the request has no public key',
  },
  'bundle-invalid-base64-signature_fail': {
    refused: 'MALFORMED',
    because: 'the message signature is not base64',
  },
  'signature-mismatch_fail': {
    refused: 'INVALID_SIGNATURE',
    because: 'the bundle signature was replaced',
  },
  'dsse-invalid-sig_fail': {
    refused: 'INVALID_SIGNATURE',
    because: 'the envelope signature was replaced',
  },
  'dsse-mismatch-envelope_fail': {
    differsAt: [
      'spec.envelopeHash.value',
      'spec.payloadHash.value',
      'spec.signatures[0].signature',
    ],
    because: 'the bundle carries another validly signed envelope than the one logged',
  },
  'incorrect-public-key_fail': {
    differsAt: ['spec.signature.publicKey.content'],
    because: 'the logged public key was modified',
  },
  'wrong-hashedrekord-artifact_fail': {
    differsAt: ['spec.data.hash.value', 'spec.signature.content'],
    because: 'the bundle signs another artifact than the logged entry',
  },
  'wrong-hashedrekord-cert-and-sig_fail': {
    differsAt: ['spec.signature.content', 'spec.signature.publicKey.content'],
    because: 'the logged entry was made with another certificate and signature',
  },
  'intoto-log-entry-mismatch_fail': {
    // Logged by a payload-keeping Rekor (see PAYLOAD_KEEPING_REKOR), hence the payload path too.
    differsAt: ['spec.content.envelope.payload', 'spec.content.envelope.signatures[0].sig'],
    because: 'the logged envelope has another signature than the bundle',
  },
  'rekor2-dsse-mismatch-sig_fail': {
    differsAt: ['spec.hashedRekordV002.signature.content'],
    because: 'the payload was signed again (ECDSA is randomized) after logging',
  },
};

/**
 * The conformance intoto entries come from a local Rekor old enough to still keep the payload in
 * intoto bodies (`envelope.payload`); current Rekor, and this log, drop it. Everything else must
 * match what we store.
 */
const PAYLOAD_KEEPING_REKOR = /^intoto-/;

/** Entries whose inclusion proof is broken on purpose. */
const BROKEN_INCLUSION_PROOF = new Set(['invalid-inclusion-proof_fail']);

const PEM_STYLES: readonly PemStyle[] = ['go', 'one-line', 'crlf-76'];

type Bucket =
  | 'reproduced'
  | 'payload-keeping Rekor'
  | 'tampered npm bundle'
  | 'tampered conformance case';

/** Which of the checks below an entry falls under; every entry falls under exactly one. */
function bucketOf(entry: VectorEntry): Bucket {
  const testCase = entry.conformanceCase ?? '';
  if (testCase in TAMPERED_CONFORMANCE) return 'tampered conformance case';
  if (entry.npmTampered === true) return 'tampered npm bundle';
  if (PAYLOAD_KEEPING_REKOR.test(testCase)) return 'payload-keeping Rekor';
  return 'reproduced';
}

function canonicalBody(entry: VectorEntry, index: number): Uint8Array {
  const { bundle, tlogEntry } = entry;
  const style = PEM_STYLES[index % PEM_STYLES.length]!;
  const { kind, version } = tlogEntry.kindVersion;
  if (version === '0.0.2' && kind === 'hashedrekord') {
    return canonicalizeV2(parseCreateEntryRequestV2(createEntryRequestV2(bundle))).body;
  }
  if (kind === 'hashedrekord')
    return canonicalizeV1(parseProposedEntryV1(hashedRekordRequestV1(bundle, style))).body;
  if (kind === 'dsse') {
    return canonicalizeV1(parseProposedEntryV1(dsseRequestV1(bundle, bundle.dsseEnvelope!, style)))
      .body;
  }
  if (kind === 'intoto') {
    const logged = JSON.parse(entry.loggedBody.toString('utf8')) as { spec: LoggedIntotoSpec };
    return canonicalizeV1(parseProposedEntryV1(intotoRequestV1(bundle, logged.spec))).body;
  }
  throw new Error(`no rebuild for ${kind} ${version}`);
}

function expectRekorError(action: () => unknown, code: RekorErrorCode): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a RekorError').toBeInstanceOf(RekorError);
  expect((thrown as RekorError).code).toBe(code);
}

function expectInclusion(entry: VectorEntry, body: Uint8Array): void {
  const proof = entry.tlogEntry.inclusionProof;
  if (
    proof === undefined ||
    proof === null ||
    BROKEN_INCLUSION_PROOF.has(entry.conformanceCase ?? '')
  )
    return;
  const included = verifyInclusion(
    hashLeaf(body),
    BigInt(proof.logIndex),
    BigInt(proof.treeSize),
    proof.hashes.map((hash) => Buffer.from(hash, 'base64')),
    Buffer.from(proof.rootHash, 'base64'),
  );
  expect(included, `${entry.name}: our leaf is in the logged tree`).toBe(true);
}

const { entries, skipped } = loadVectorEntries();

describe('shared Sigstore bundles', () => {
  it('finds every bundle and skips only files that are not bundles', () => {
    expect(
      skipped.filter((file) => file.reason.startsWith('not JSON')).map((file) => file.name),
    ).toEqual(['conformance/bundle-verify/bundle-malformed-json_fail']);
    for (const file of skipped.filter((item) => item.reason === 'not a Sigstore bundle')) {
      expect(file.name).toMatch(
        /(meta|attestations|index\.shared|npm-registry-keys|trusted_root)\.json$/,
      );
    }
    // 45 conformance bundles + (7 packages + 19 mutated cases) × 2 npm bundles, one entry each.
    expect(entries).toHaveLength(97);
    const buckets = new Map<Bucket, number>();
    for (const entry of entries)
      buckets.set(bucketOf(entry), (buckets.get(bucketOf(entry)) ?? 0) + 1);
    expect(Object.fromEntries(buckets)).toEqual({
      reproduced: 64,
      'payload-keeping Rekor': 5,
      'tampered npm bundle': 18,
      'tampered conformance case': 10,
    });
  });

  it('reproduces the logged body byte for byte for every entry that was not tampered with', () => {
    const reproduced: string[] = [];
    entries.forEach((entry, index) => {
      if (bucketOf(entry) !== 'reproduced') return;
      const body = canonicalBody(entry, index);
      expect(Buffer.from(body).toString('utf8'), entry.name).toBe(
        entry.loggedBody.toString('utf8'),
      );
      expect(entryUuid(body)).toBe(Buffer.from(hashLeaf(entry.loggedBody)).toString('hex'));
      expectInclusion(entry, body);
      reproduced.push(entry.name);
    });
    const byKind = (kind: string, version: string) =>
      entries.filter(
        (entry) =>
          reproduced.includes(entry.name) &&
          entry.tlogEntry.kindVersion.kind === kind &&
          entry.tlogEntry.kindVersion.version === version,
      ).length;
    // hashedrekord 0.0.1 with certificates and with a managed key; Rekor v2 entries; npm intoto.
    expect(byKind('hashedrekord', '0.0.1')).toBe(13);
    expect(byKind('hashedrekord', '0.0.2')).toBe(17);
    expect(byKind('intoto', '0.0.2')).toBe(34);
    expect(reproduced).toHaveLength(64);
  });

  it('matches older-Rekor intoto bodies in everything but the payload they still stored', () => {
    const older = entries.filter((entry) => bucketOf(entry) === 'payload-keeping Rekor');
    expect(older).toHaveLength(5);
    older.forEach((entry, index) => {
      const ours = JSON.parse(Buffer.from(canonicalBody(entry, index)).toString('utf8'));
      const logged = JSON.parse(entry.loggedBody.toString('utf8'));
      expect(differingPaths(ours, logged), entry.name).toEqual(['spec.content.envelope.payload']);
      expect(logged.spec.content.envelope.payload).toBe(
        Buffer.from(entry.bundle.dsseEnvelope!.payload, 'ascii').toString('base64'),
      );
    });
  });

  it('takes the intoto PEM from the logged body only when it holds the bundle key', () => {
    const intoto = entries.filter((entry) => entry.tlogEntry.kindVersion.kind === 'intoto');
    expect(intoto).toHaveLength(58);
    for (const entry of intoto) {
      const logged = JSON.parse(entry.loggedBody.toString('utf8')) as { spec: LoggedIntotoSpec };
      const pem = Buffer.from(
        logged.spec.content.envelope.signatures[0]!.publicKey,
        'base64',
      ).toString('ascii');
      const material = signingMaterial(entry.bundle)!;
      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
      if (material.type === 'CERTIFICATE') {
        expect(new X509Certificate(der).raw.equals(material.der), entry.name).toBe(true);
      } else {
        expect(der.equals(material.der), entry.name).toBe(true);
      }
    }
  });

  it('refuses the entries of npm bundles whose envelope was changed after signing', () => {
    const tampered = entries.filter((entry) => bucketOf(entry) === 'tampered npm bundle');
    // 18 of the 19 mutated cases change a signed bundle; one only changes the npm wrapper.
    expect(tampered).toHaveLength(18);
    tampered.forEach((entry, index) => {
      expectRekorError(() => canonicalBody(entry, index), 'INVALID_SIGNATURE');
    });
  });

  describe.each(Object.entries(TAMPERED_CONFORMANCE))(
    'conformance case %s',
    (testCase, tampered) => {
      const entry = entries.find((candidate) => candidate.conformanceCase === testCase)!;

      it(`${'refused' in tampered ? `is refused with ${tampered.refused}` : 'differs only where tampered'}: ${tampered.because}`, () => {
        if ('refused' in tampered) {
          expectRekorError(() => canonicalBody(entry, 0), tampered.refused);
        } else {
          const ours = JSON.parse(Buffer.from(canonicalBody(entry, 0)).toString('utf8'));
          expect(differingPaths(ours, JSON.parse(entry.loggedBody.toString('utf8')))).toEqual(
            tampered.differsAt,
          );
        }
      });
    },
  );

  it('reproduces a logged DSSE entry, envelope hash included, from the signature it logged', () => {
    // dsse-invalid-sig_fail logged a valid envelope; the bundle then had its signature replaced.
    // The logged signature over the bundle's payload rebuilds the exact entry: this is the kit's
    // only dsse 0.0.1 entry not tampered with at log level.
    const entry = entries.find(
      (candidate) => candidate.conformanceCase === 'dsse-invalid-sig_fail',
    )!;
    const logged = JSON.parse(entry.loggedBody.toString('utf8'));
    const envelope = {
      ...entry.bundle.dsseEnvelope!,
      signatures: [{ sig: logged.spec.signatures[0].signature }],
    };
    const proposed = dsseRequestV1(entry.bundle, envelope, 'one-line');
    const canonical = canonicalizeV1(parseProposedEntryV1(proposed));
    expect(Buffer.from(canonical.body).equals(entry.loggedBody)).toBe(true);
    expect(envelopeString(envelope)).toContain('"signatures":[{"sig":');
    expectInclusion(entry, canonical.body);
  });

  it('reproduces the Rekor v2 DSSE entry (hashedrekord over H(PAE)) from the signature it logged', () => {
    const entry = entries.find(
      (candidate) => candidate.conformanceCase === 'rekor2-dsse-mismatch-sig_fail',
    )!;
    const logged = JSON.parse(entry.loggedBody.toString('utf8'));
    const request = createEntryRequestV2(
      entry.bundle,
      logged.spec.hashedRekordV002.signature.content,
    );
    const canonical = canonicalizeV2(parseCreateEntryRequestV2(request));
    expect(Buffer.from(canonical.body).equals(entry.loggedBody)).toBe(true);
    expect(canonical.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    expectInclusion(entry, canonical.body);
  });
});
