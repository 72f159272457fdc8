// trusted_root.json: what we build is what sigstore-js loads (TrustedRoot.fromJSON, toTrustMaterial),
// the public-good root passes our checks and still verifies a real bundle after our parse, rotations
// keep old keys valid up to the rotation time, and roots clients would reject are refused.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { c2spLogId } from '@airlock/note';
import {
  addKey,
  buildTrustedRoot,
  parseTrustedRoot,
  rotate,
  TRUSTED_ROOT_MEDIA_TYPE,
  TrustError,
  type TrustedRootJson,
} from '@airlock/trust';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';
import { createTestPki, type TestPki, trustedRootInput } from './fixtures.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
const spki = (pki: TestPki['rekorKey']) =>
  new Uint8Array(pki.publicKey.export({ format: 'der', type: 'spki' }));

/** A deep copy to mutate. */
function clone<T>(value: T): any {
  return JSON.parse(JSON.stringify(value));
}

/** JSON with every validFor time replaced by its instant, to compare across time spellings. */
function sameInstants(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, field) =>
    (key === 'start' || key === 'end') && typeof field === 'string' ? Date.parse(field) : field,
  );
}

function expectTrustError(action: () => unknown, code: string, message: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TrustError);
    expect((error as TrustError).code).toBe(code);
    expect((error as TrustError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a TrustError ${code}`);
}

let pki: TestPki;
let root: TrustedRootJson;

beforeAll(async () => {
  pki = await createTestPki();
  root = buildTrustedRoot(trustedRootInput(pki));
});

describe('buildTrustedRoot', () => {
  it('writes what every client accepts', () => {
    expect(root.mediaType).toBe('application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    for (const log of [...root.tlogs, ...root.ctlogs]) {
      expect(log.hashAlgorithm).toBe('SHA2_256');
      expect(log.publicKey.validFor.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Buffer.from(log.logId.keyId, 'base64')).toHaveLength(32);
    }
    for (const ca of [...root.certificateAuthorities, ...root.timestampAuthorities]) {
      expect(ca.validFor.start).toBe('2026-01-01T00:00:00Z');
    }
    const [rekorV1, rekorV2] = root.tlogs;
    expect(rekorV1?.publicKey.keyDetails).toBe('PKIX_ECDSA_P256_SHA_256');
    expect(rekorV1?.logId.keyId).toBe(b64(sha256(spki(pki.rekorKey))));
    expect(rekorV2?.publicKey.keyDetails).toBe('PKIX_ED25519');
    // Rekor v2 Ed25519: the C2SP key hash, cross-checked with @airlock/note's own computation.
    expect(rekorV2?.logId.keyId).toBe(
      b64(c2spLogId('log2026-1.rekor.airlock.test', pki.rekorV2Key.publicKey)),
    );
    expect(root.ctlogs[0]?.logId.keyId).toBe(b64(sha256(spki(pki.ctKey))));
    expect(root.certificateAuthorities[0]?.certChain.certificates.map((c) => c.rawBytes)).toEqual([
      b64(pki.caIntermediate),
      b64(pki.caRoot),
    ]);
    expect(root.certificateAuthorities[0]?.subject).toEqual({
      organization: 'airlock.test',
      commonName: 'airlock-test-intermediate',
    });
    expect(root.timestampAuthorities[0]?.certChain.certificates[0]?.rawBytes).toBe(
      b64(pki.tsaLeaf),
    );
  });

  it('round-trips through TrustedRoot.fromJSON and toTrustMaterial (sigstore-js)', () => {
    const proto = TrustedRoot.fromJSON(JSON.parse(JSON.stringify(root)));
    expect(proto.mediaType).toBe(TRUSTED_ROOT_MEDIA_TYPE);
    // Field for field the same; protobuf writes times with milliseconds, so compare instants.
    expect(sameInstants(TrustedRoot.toJSON(proto))).toEqual(sameInstants(root));
    const material = toTrustMaterial(proto);
    expect(material.tlogs.map((t) => Buffer.from(t.logID).toString('base64'))).toEqual(
      root.tlogs.map((t) => t.logId.keyId),
    );
    expect(material.tlogs[1]?.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(material.tlogs[0]?.validFor.start).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(material.ctlogs).toHaveLength(1);
    expect(material.certificateAuthorities[0]?.certChain).toHaveLength(2);
    const [tsaLeaf, tsaRoot] = material.timestampAuthorities[0]!.certChain;
    expect(tsaLeaf?.isCA).toBe(false);
    expect(tsaLeaf?.verify(tsaRoot)).toBe(true);
  });

  it('takes PEM chains and defaults a CA validity start to its certificate', () => {
    const pem = [pki.caIntermediate, pki.caRoot]
      .map((der) => `-----BEGIN CERTIFICATE-----\n${b64(der)}\n-----END CERTIFICATE-----\n`)
      .join('');
    const built = buildTrustedRoot({
      certificateAuthorities: [{ uri: 'https://fulcio.airlock.test', chain: pem }],
    });
    expect(built.certificateAuthorities[0]?.certChain.certificates).toHaveLength(2);
    expect(Date.parse(built.certificateAuthorities[0]!.validFor.start)).toBeLessThan(Date.now());
  });

  it('sorts entries by validity start', () => {
    const built = buildTrustedRoot({
      ctlogs: [
        {
          baseUrl: 'https://ct.test/b',
          publicKey: pki.ctKey.publicKey,
          validFor: { start: '2027-01-01T00:00:00Z' },
        },
        {
          baseUrl: 'https://ct.test/a',
          publicKey: pki.rekorKey.publicKey,
          validFor: { start: '2025-01-01T00:00:00Z' },
        },
      ],
    });
    expect(built.ctlogs.map((log) => log.baseUrl)).toEqual([
      'https://ct.test/a',
      'https://ct.test/b',
    ]);
  });

  it('refuses input that would produce a root clients misread', () => {
    const start = { start: '2026-01-01T00:00:00Z' };
    // An Ed25519 tlog identified by SHA-256(SPKI) would match no checkpoint.
    expectTrustError(
      () =>
        buildTrustedRoot({
          tlogs: [
            { baseUrl: 'https://log.test', publicKey: pki.rekorV2Key.publicKey, validFor: start },
          ],
        }),
      'INVALID_INPUT',
      /C2SP key hash/,
    );
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expectTrustError(
      () =>
        buildTrustedRoot({
          ctlogs: [{ baseUrl: 'https://ct.test', publicKey: secp256k1, validFor: start }],
        }),
      'UNSUPPORTED_KEY',
      /secp256k1/,
    );
    expectTrustError(
      () =>
        buildTrustedRoot({
          ctlogs: [
            {
              baseUrl: 'https://ct.test',
              publicKey: pki.ctKey.publicKey,
              validFor: { start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' },
            },
          ],
        }),
      'INVALID_INPUT',
      /end is before/,
    );
    expectTrustError(
      () =>
        buildTrustedRoot({
          tlogs: [
            {
              baseUrl: 'https://rekor.test',
              publicKey: pki.rekorKey.publicKey,
              validFor: start,
              checkpointKeyId: new Uint8Array(32),
            },
          ],
        }),
      'INVALID_INPUT',
      /checkpointKeyId must equal the log ID/,
    );
    expectTrustError(
      () =>
        buildTrustedRoot({
          certificateAuthorities: [
            { uri: 'https://fulcio.test', chain: [pki.caRoot, pki.caIntermediate] },
          ],
        }),
      'INVALID_INPUT',
      /leaf-most first, root last/,
    );
    // A TSA chain must start with the timestamping leaf, not a CA.
    expectTrustError(
      () =>
        buildTrustedRoot({
          timestampAuthorities: [
            { uri: 'https://tsa.test/api/v1/timestamp', chain: [pki.caIntermediate, pki.caRoot] },
          ],
        }),
      'INVALID_INPUT',
      /timeStamping EKU/,
    );
    expectTrustError(
      () =>
        buildTrustedRoot({
          timestampAuthorities: [{ uri: 'https://tsa.test/t', chain: [pki.tsaLeaf] }],
        }),
      'INVALID_INPUT',
      /end with the TSA's root/,
    );
  });
});

describe('parseTrustedRoot', () => {
  const publicGoodText = () =>
    readFileSync(sharedVectorsPath('npm-provenance', 'trusted_root.json'), 'utf8');

  it('accepts the public-good trusted root unchanged', () => {
    const parsed = parseTrustedRoot(publicGoodText());
    expect(parsed).toEqual(JSON.parse(publicGoodText()));
    expect(parsed.tlogs.map((t) => t.publicKey.keyDetails)).toEqual([
      'PKIX_ECDSA_P256_SHA_256',
      'PKIX_ED25519',
    ]);
  });

  it('keeps what a verifier needs: the parsed public-good root verifies a real npm provenance bundle', async () => {
    const material = toTrustMaterial(TrustedRoot.fromJSON(parseTrustedRoot(publicGoodText())));
    const bundleJson = JSON.parse(
      readFileSync(
        sharedVectorsPath(
          'npm-provenance',
          'packages',
          'sigstore@2.3.1',
          'provenance.sigstore.json',
        ),
        'utf8',
      ),
    );
    const verifier = new Verifier(material, { ctlogThreshold: 1, tlogThreshold: 1 });
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(bundleJson)), {
      subjectAlternativeName:
        'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main',
      extensions: { issuer: 'https://token.actions.githubusercontent.com' },
    });
    expect(signer.identity?.subjectAlternativeName).toContain('sigstore/sigstore-js');
  });

  it('rejects roots that clients reject, naming the field', () => {
    const good = JSON.parse(publicGoodText());
    const cases: [string, (r: any) => void, RegExp][] = [
      [
        'v0.2 media type',
        (r) => {
          r.mediaType = 'application/vnd.dev.sigstore.trustedroot.v0.2+json';
        },
        /mediaType .* is not/,
      ],
      [
        'missing media type',
        (r) => {
          delete r.mediaType;
        },
        /mediaType undefined/,
      ],
      [
        'missing tlog start',
        (r) => {
          delete r.tlogs[0].publicKey.validFor.start;
        },
        /tlogs\[0\]\.publicKey\.validFor\.start is missing/,
      ],
      [
        'missing ctlog validFor',
        (r) => {
          delete r.ctlogs[1].publicKey.validFor;
        },
        /ctlogs\[1\]\.publicKey\.validFor is missing/,
      ],
      [
        'missing CA start',
        (r) => {
          delete r.certificateAuthorities[0].validFor.start;
        },
        /certificateAuthorities\[0\]\.validFor\.start is missing/,
      ],
      [
        'bad start',
        (r) => {
          r.tlogs[0].publicKey.validFor.start = 'yesterday';
        },
        /not an RFC 3339 time/,
      ],
      [
        'unknown key details',
        (r) => {
          r.tlogs[0].publicKey.keyDetails = 'PKIX_ECDSA_P256_HMAC_SHA_256';
        },
        /keyDetails "PKIX_ECDSA_P256_HMAC_SHA_256" is not supported/,
      ],
      [
        'key details not the key',
        (r) => {
          r.tlogs[1].publicKey.keyDetails = 'PKIX_ECDSA_P256_SHA_256';
        },
        /says PKIX_ECDSA_P256_SHA_256 but the key is PKIX_ED25519/,
      ],
      [
        'empty log ID',
        (r) => {
          r.tlogs[0].logId.keyId = '';
        },
        /tlogs\[0\]\.logId\.keyId is missing, empty/,
      ],
      [
        'missing log ID',
        (r) => {
          delete r.ctlogs[0].logId;
        },
        /ctlogs\[0\]\.logId is missing/,
      ],
      [
        'short log ID',
        (r) => {
          r.tlogs[0].logId.keyId = 'AAAA';
        },
        /3 bytes/,
      ],
      [
        'other hash',
        (r) => {
          r.tlogs[0].hashAlgorithm = 'SHA2_384';
        },
        /SHA2_256/,
      ],
      [
        'key not base64',
        (r) => {
          r.ctlogs[0].publicKey.rawBytes = 'not base64!';
        },
        /rawBytes is missing, empty or not base64/,
      ],
      [
        'empty chain',
        (r) => {
          r.certificateAuthorities[0].certChain.certificates = [];
        },
        /certificates is empty/,
      ],
      [
        'certificate garbage',
        (r) => {
          r.timestampAuthorities[0].certChain.certificates[0].rawBytes = 'AAAA';
        },
        /not an X.509 certificate/,
      ],
      [
        'end before start',
        (r) => {
          r.tlogs[0].publicKey.validFor.end = '2020-01-01T00:00:00Z';
        },
        /end is before/,
      ],
    ];
    for (const [, mutate, message] of cases) {
      const broken = clone(good);
      mutate(broken);
      expectTrustError(() => parseTrustedRoot(broken), 'INVALID_TRUSTED_ROOT', message);
    }
    expectTrustError(() => parseTrustedRoot('{not json'), 'INVALID_TRUSTED_ROOT', /not JSON/);
  });
});

describe('addKey and rotate', () => {
  it('adds an entry in order', () => {
    const next = addKey(root, {
      kind: 'ctlog',
      entry: {
        baseUrl: 'https://ctlog.airlock.test/2027',
        publicKey: pki.rekorKey.publicKey,
        validFor: { start: '2027-01-01T00:00:00Z' },
      },
    });
    expect(next.ctlogs.map((log) => log.baseUrl)).toEqual([
      'https://ctlog.airlock.test/2026',
      'https://ctlog.airlock.test/2027',
    ]);
    expect(root.ctlogs).toHaveLength(1);
  });

  it('ends the old key at the rotation time and starts the new one then, keeping both', () => {
    const newKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const at = new Date('2026-09-01T12:00:00Z');
    const rotated = rotate(root, {
      kind: 'tlog',
      entry: { baseUrl: 'https://rekor.airlock.test', publicKey: newKey },
      at,
    });
    const rekor = rotated.tlogs.filter((t) => t.baseUrl === 'https://rekor.airlock.test');
    expect(rekor.map((t) => t.publicKey.validFor)).toEqual([
      { start: '2026-01-01T00:00:00Z', end: '2026-09-01T12:00:00Z' },
      { start: '2026-09-01T12:00:00Z' },
    ]);
    // The Rekor v2 shard is another log and is not touched.
    expect(rotated.tlogs.find((t) => t.baseUrl.includes('log2026-1'))?.publicKey.validFor).toEqual({
      start: '2026-06-01T00:00:00Z',
    });
    // sigstore-js picks a log key whose window covers the entry's time: the old key before `at`, the
    // new key after, so entries logged before the rotation still verify.
    const material = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(JSON.stringify(rotated))));
    const [oldLog, newLog] = material.tlogs.filter(
      (t) => t.baseURL === 'https://rekor.airlock.test',
    );
    const before = new Date('2026-08-01T00:00:00Z');
    const after = new Date('2026-10-01T00:00:00Z');
    expect(oldLog!.validFor.start <= before && before <= oldLog!.validFor.end).toBe(true);
    expect(oldLog!.validFor.end < after).toBe(true);
    expect(newLog!.validFor.start <= after && newLog!.validFor.start > before).toBe(true);
    expect(Buffer.from(newLog!.logID).toString('base64')).toBe(
      b64(sha256(new Uint8Array(newKey.export({ format: 'der', type: 'spki' })))),
    );
  });

  it('rotates a CA chain by URI', async () => {
    const fresh = await createTestPki();
    const rotated = rotate(root, {
      kind: 'certificateAuthority',
      entry: { uri: 'https://fulcio.airlock.test', chain: [fresh.caIntermediate, fresh.caRoot] },
      at: '2026-03-01T00:00:00Z',
    });
    expect(rotated.certificateAuthorities.map((ca) => ca.validFor)).toEqual([
      { start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' },
      { start: '2026-03-01T00:00:00Z' },
    ]);
  });

  it('refuses rotations that retire nothing or keep the same key', () => {
    expectTrustError(
      () =>
        rotate(root, {
          kind: 'ctlog',
          entry: { baseUrl: 'https://ctlog.airlock.test/2027', publicKey: pki.rekorKey.publicKey },
          at: '2026-09-01T00:00:00Z',
        }),
      'NOTHING_TO_ROTATE',
      /no ctlog 'https:\/\/ctlog.airlock.test\/2027'/,
    );
    // Before the entry's own start there is nothing valid to retire either.
    expectTrustError(
      () =>
        rotate(root, {
          kind: 'ctlog',
          entry: { baseUrl: 'https://ctlog.airlock.test/2026', publicKey: pki.rekorKey.publicKey },
          at: '2025-01-01T00:00:00Z',
        }),
      'NOTHING_TO_ROTATE',
      /is valid at 2025/,
    );
    expectTrustError(
      () =>
        rotate(root, {
          kind: 'ctlog',
          entry: { baseUrl: 'https://ctlog.airlock.test/2026', publicKey: pki.ctKey.publicKey },
          at: '2026-09-01T00:00:00Z',
        }),
      'INVALID_INPUT',
      /is the one it replaces/,
    );
  });
});
