// Each failure code is raised for the bad input it names (and only a valid bundle passes), on real
// conformance vectors changed one field at a time and on synthetic bundles built in the test.
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  MAX_CLOCK_SKEW_MS,
  parseBundleJson,
  type VerificationPolicy,
  type VerifyBundleInput,
  VerifyError,
  type VerifyErrorCode,
  verifyBundle,
} from '@airlock/verify';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { CASES_INDEX, type ConformanceCase, conformanceCases } from './support/conformance.js';
import { syntheticBundle } from './support/synthetic.js';

/** Bundle and trusted-root JSON, loosely typed so tests can change any field. */
type Json = Record<string, any>;

const cases = new Map(conformanceCases().map((c) => [c.name, c]));
const conformanceCase = (name: string): ConformanceCase => {
  const found = cases.get(name);
  if (found === undefined) throw new Error(`no conformance case ${name}`);
  return found;
};

/** A verifyBundle input from a conformance case, with copies of bundle and root to change. */
function input(
  name: string,
  change: (bundle: Json, root: Json) => void = () => {},
): VerifyBundleInput {
  const testCase = conformanceCase(name);
  const bundle = structuredClone(testCase.bundle()) as Json;
  const trustedRoot = structuredClone(testCase.trustedRoot) as Json;
  change(bundle, trustedRoot);
  return { bundle, artifact: { bytes: testCase.artifact }, trustedRoot, policy: testCase.policy };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function failure(run: () => unknown): VerifyError {
  try {
    run();
  } catch (err) {
    if (err instanceof VerifyError) return err;
    throw new Error(`expected a VerifyError, got ${String(err)}`);
  }
  throw new Error('verification passed');
}

function expectCode(run: () => unknown, code: VerifyErrorCode, message?: RegExp): void {
  const error = failure(run);
  expect(error.code, error.message).toBe(code);
  expect(error.message).not.toMatch(/\n/);
  if (message) expect(error.message).toMatch(message);
}

const DEFAULT_IDENTITY = CASES_INDEX.defaults.identity;
const DEFAULT_ISSUER = CASES_INDEX.defaults.issuer;

describe('verifyBundle: what a success returns', () => {
  it('a keyless v0.1 bundle: identity, issuer, the SET time and the entry', () => {
    const result = verifyBundle(input('happy-path-v0.1'));
    expect(result).toEqual({
      identity: DEFAULT_IDENTITY,
      issuer: DEFAULT_ISSUER,
      verifiedTimes: [new Date('2023-07-12T15:56:36Z')],
      tlogEntries: [
        {
          logIndex: 27246492n,
          logId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
          kind: 'hashedrekord',
          version: '0.0.1',
          integratedTime: new Date('2023-07-12T15:56:36Z'),
        },
      ],
    });
  });

  it('a Rekor v2 bundle: its time comes from the RFC 3161 timestamp only', () => {
    const result = verifyBundle(input('rekor2-happy-path'));
    expect(result.verifiedTimes).toEqual([new Date('2025-06-12T12:02:20Z')]);
    expect(result.tlogEntries[0]).not.toHaveProperty('integratedTime');
  });

  it('a DSSE bundle returns its in-toto statement', () => {
    const result = verifyBundle(input('intoto-with-custom-trust-root'));
    expect(result.statement?._type).toBe('https://in-toto.io/Statement/v1');
    expect(result.statement?.subject).toEqual([
      {
        name: 'd.txt',
        digest: { sha256: sha256Hex(conformanceCase('intoto-with-custom-trust-root').artifact) },
      },
    ]);
  });

  it('accepts line-wrapped base64, as Go clients do', () => {
    const wrapped = input('happy-path-v0.1', (bundle) => {
      bundle.messageSignature.signature = bundle.messageSignature.signature.replace(
        /(.{20})/g,
        '$1\n',
      );
    });
    expect(verifyBundle(wrapped).identity).toBe(DEFAULT_IDENTITY);
  });
});

describe('synthetic key-signed bundles (Rekor v2 hashedrekord, Ed25519 checkpoint)', () => {
  it('a message signature verifies from the artifact and from its digest alone', () => {
    const s = syntheticBundle();
    const policy = { publicKey: s.publicKeyPem };
    const base = { bundle: s.bundle, trustedRoot: s.trustedRoot, policy };
    expect(verifyBundle({ ...base, artifact: { bytes: s.artifact } }).tlogEntries).toHaveLength(1);
    const byDigest = { digest: { algorithm: 'sha256' as const, hex: sha256Hex(s.artifact) } };
    expect(verifyBundle({ ...base, artifact: byDigest }).verifiedTimes).toHaveLength(1);
  });

  it('DSSE logged as hashedrekord 0.0.2 verifies, though @sigstore/verify alone rejects it', () => {
    const s = syntheticBundle({ content: 'dsse' });
    const result = verifyBundle({
      bundle: s.bundle,
      artifact: { bytes: s.artifact },
      trustedRoot: s.trustedRoot,
      policy: { publicKey: s.signingKey },
    });
    expect(result.statement?.predicateType).toBe('https://airlock.test/predicate/v1');
    // sigstore-js compares the logged digest with SHA-256(payload), not SHA-256(PAE).
    const trust = toTrustMaterial(TrustedRoot.fromJSON(s.trustedRoot), () => ({
      publicKey: s.signingKey,
      validFor: () => true,
    }));
    expect(() => new Verifier(trust).verify(toSignedEntity(bundleFromJSON(s.bundle)))).toThrow(
      /digest mismatch/,
    );
  });
});

describe('SIGNATURE', () => {
  it('a signature over other bytes, logged as it is, fails from bytes and from the digest', () => {
    const s = syntheticBundle({ signOver: Buffer.from('something else') });
    const base = {
      bundle: s.bundle,
      trustedRoot: s.trustedRoot,
      policy: { publicKey: s.publicKeyPem },
    };
    expectCode(() => verifyBundle({ ...base, artifact: { bytes: s.artifact } }), 'SIGNATURE');
    const byDigest = { digest: { algorithm: 'sha256' as const, hex: sha256Hex(s.artifact) } };
    expectCode(() => verifyBundle({ ...base, artifact: byDigest }), 'SIGNATURE');
  });

  it('a DSSE signature over another envelope fails', () => {
    const s = syntheticBundle({ content: 'dsse', signOver: Buffer.from('another envelope') });
    expectCode(
      () =>
        verifyBundle({
          bundle: s.bundle,
          artifact: { bytes: s.artifact },
          trustedRoot: s.trustedRoot,
          policy: { publicKey: s.publicKeyPem },
        }),
      'SIGNATURE',
    );
  });
});

describe('IDENTITY', () => {
  const withPolicy = (policy: VerificationPolicy) => ({ ...input('happy-path-v0.1'), policy });

  it('another SAN', () => {
    expectCode(
      () =>
        verifyBundle(
          withPolicy({ identity: 'https://github.com/else/where', issuer: DEFAULT_ISSUER }),
        ),
      'IDENTITY',
      /is not https:\/\/github.com\/else\/where/,
    );
  });

  it('regexps match the whole SAN, not a part of it', () => {
    for (const identityRegexp of [
      'https://github\\.com/sigstore-conformance/',
      'extremely-dangerous',
    ]) {
      expectCode(
        () => verifyBundle(withPolicy({ identityRegexp, issuer: DEFAULT_ISSUER })),
        'IDENTITY',
      );
    }
    const whole = 'https://github\\.com/sigstore-conformance/.*@refs/heads/main';
    expect(
      verifyBundle(withPolicy({ identityRegexp: whole, issuer: DEFAULT_ISSUER })).identity,
    ).toBe(DEFAULT_IDENTITY);
  });

  it('given an exact identity and a regexp, both must hold', () => {
    const policy = {
      identity: DEFAULT_IDENTITY,
      identityRegexp: 'https://gitlab\\.com/.*',
      issuer: DEFAULT_ISSUER,
    };
    expectCode(() => verifyBundle(withPolicy(policy)), 'IDENTITY');
  });

  it('a policy with no identity, or a regexp that does not compile', () => {
    expectCode(() => verifyBundle(withPolicy({ issuer: DEFAULT_ISSUER })), 'IDENTITY', /names no/);
    expectCode(
      () => verifyBundle(withPolicy({ identityRegexp: '(', issuer: DEFAULT_ISSUER })),
      'IDENTITY',
    );
  });
});

describe('ISSUER', () => {
  const withPolicy = (policy: VerificationPolicy) => ({ ...input('happy-path-v0.1'), policy });

  it('another issuer, a partial regexp match, or none named', () => {
    expectCode(
      () =>
        verifyBundle(
          withPolicy({ identity: DEFAULT_IDENTITY, issuer: 'https://accounts.google.com' }),
        ),
      'ISSUER',
    );
    expectCode(
      () =>
        verifyBundle(
          withPolicy({ identity: DEFAULT_IDENTITY, issuerRegexp: 'https://token\\.actions' }),
        ),
      'ISSUER',
    );
    expectCode(() => verifyBundle(withPolicy({ identity: DEFAULT_IDENTITY })), 'ISSUER');
    const whole = {
      identity: DEFAULT_IDENTITY,
      issuerRegexp: 'https://token\\.actions\\.githubusercontent\\.com',
    };
    expect(verifyBundle(withPolicy(whole)).issuer).toBe(DEFAULT_ISSUER);
  });
});

describe('CERTIFICATE', () => {
  it('a leaf that chains to no trusted CA', () => {
    expectCode(
      () =>
        verifyBundle(
          input('happy-path-v0.1', (_b, root) => {
            root.certificateAuthorities = [];
          }),
        ),
      'CERTIFICATE',
    );
  });

  it('a bundle that ships a root the trusted root does not contain', () => {
    expectCode(
      () => verifyBundle(input('bundle-with-root-cert_fail')),
      'CERTIFICATE',
      /root certificate/,
    );
  });

  it('a CA certificate in the leaf position', () => {
    const run = input('happy-path-v0.1', (bundle, root) => {
      bundle.verificationMaterial.x509CertificateChain.certificates = [
        root.certificateAuthorities.at(-1).certChain.certificates[0],
      ];
    });
    expectCode(() => verifyBundle(run), 'CERTIFICATE', /CA certificate/);
  });

  it('no verified time at all, even with the timestamp threshold at 0', () => {
    const run = { ...input('rekor2-no-timestamp_fail'), options: { timestampThreshold: 0 } };
    expectCode(() => verifyBundle(run), 'CERTIFICATE', /no verified time/);
  });
});

describe('TLOG', () => {
  it('an inclusion proof whose root hash or tree size is not the checkpoint one', () => {
    expectCode(
      () =>
        verifyBundle(
          input('happy-path-v0.3', (bundle) => {
            bundle.verificationMaterial.tlogEntries[0].inclusionProof.rootHash = Buffer.alloc(
              32,
              7,
            ).toString('base64');
          }),
        ),
      'TLOG',
      /root hash/,
    );
    expectCode(
      () =>
        verifyBundle(
          input('happy-path-v0.3', (bundle) => {
            bundle.verificationMaterial.tlogEntries[0].inclusionProof.treeSize = '75408394';
          }),
        ),
      'TLOG',
      /tree size/,
    );
  });

  it('a checkpoint signed under a name that is not the log the entry names', () => {
    const run = input('rekor2-happy-path', (_bundle, root) => {
      root.tlogs[1].baseUrl = 'https://other-log.example';
    });
    expectCode(() => verifyBundle(run), 'TLOG', /checkpoint/);
  });

  it('an inclusion proof without a checkpoint, even in a v0.1 bundle', () => {
    const run = input('happy-path-v0.1', (bundle) => {
      delete bundle.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    });
    expectCode(() => verifyBundle(run), 'TLOG', /no checkpoint/);
  });

  it('an entry from a log the trusted root does not list', () => {
    const run = input('happy-path-v0.1', (_bundle, root) => {
      root.tlogs = root.tlogs.filter((log: Json) => log.baseUrl !== 'https://rekor.sigstore.dev');
    });
    expectCode(() => verifyBundle(run), 'TLOG', /not in the trusted root/);
  });

  it('an integrated time in the future of the verifier clock', () => {
    const integrated = Date.parse('2023-07-12T15:56:36Z');
    const early = {
      ...input('happy-path-v0.1'),
      options: { now: new Date(integrated - MAX_CLOCK_SKEW_MS - 1000) },
    };
    expectCode(() => verifyBundle(early), 'TLOG', /in the future/);
    const skewed = { ...input('happy-path-v0.1'), options: { now: new Date(integrated - 1000) } };
    expect(verifyBundle(skewed).verifiedTimes).toHaveLength(1);
  });

  it('a Rekor v2 log key that was no longer valid at the timestamped time', () => {
    const run = input('rekor2-happy-path', (_bundle, root) => {
      root.tlogs[1].publicKey.validFor.end = '2025-06-01T00:00:00Z';
    });
    expectCode(() => verifyBundle(run), 'TLOG', /not valid at 2025-06-12/);
  });

  it('fewer entries than the threshold', () => {
    expectCode(
      () => verifyBundle({ ...input('happy-path-v0.1'), options: { tlogThreshold: 2 } }),
      'TLOG',
    );
  });
});

describe('TIMESTAMP', () => {
  it('a timestamp in the future of the verifier clock', () => {
    const run = {
      ...input('rekor2-happy-path'),
      options: { now: new Date('2025-06-12T11:00:00Z') },
    };
    expectCode(() => verifyBundle(run), 'TIMESTAMP', /in the future/);
  });

  it('fewer signed times than the threshold', () => {
    const run = { ...input('rekor2-happy-path'), options: { timestampThreshold: 2 } };
    expectCode(() => verifyBundle(run), 'TIMESTAMP', /1 signed times/);
  });

  it('a token the TSA did not grant, and one that does not parse', () => {
    const rejected = input('rekor2-happy-path', (bundle) => {
      const token = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
      const der = Buffer.from(token.signedTimestamp, 'base64');
      // TimeStampResp ::= SEQUENCE { status PKIStatusInfo ::= SEQUENCE { status INTEGER } ... }
      const at = der.indexOf(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]));
      expect(at).toBeGreaterThan(0);
      der[at + 4] = 2; // rejection
      token.signedTimestamp = der.toString('base64');
    });
    expectCode(() => verifyBundle(rejected), 'TIMESTAMP', /status 2/);
    const garbage = input('rekor2-happy-path', (bundle) => {
      bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp =
        'AAAA';
    });
    expectCode(() => verifyBundle(garbage), 'TIMESTAMP', /does not parse/);
  });
});

describe('SCT', () => {
  it('an SCT from a CT log the trusted root does not list', () => {
    expectCode(
      () =>
        verifyBundle(
          input('happy-path-v0.1', (_b, root) => {
            root.ctlogs = [];
          }),
        ),
      'SCT',
    );
  });

  it('fewer SCTs than the threshold', () => {
    expectCode(
      () => verifyBundle({ ...input('happy-path-v0.1'), options: { ctlogThreshold: 2 } }),
      'SCT',
    );
  });
});

describe('ARTIFACT', () => {
  it('another artifact, as bytes or as a digest', () => {
    const other = Buffer.from('not the signed artifact');
    expectCode(
      () => verifyBundle({ ...input('happy-path-v0.1'), artifact: { bytes: other } }),
      'ARTIFACT',
    );
    const digest = { algorithm: 'sha256' as const, hex: sha256Hex(other) };
    expectCode(
      () => verifyBundle({ ...input('happy-path-v0.1'), artifact: { digest } }),
      'ARTIFACT',
    );
  });

  it('a digest under another algorithm than the bundle signs, or not a digest at all', () => {
    const sha512 = { algorithm: 'sha512' as const, hex: 'ab'.repeat(64) };
    expectCode(
      () => verifyBundle({ ...input('happy-path-v0.1'), artifact: { digest: sha512 } }),
      'ARTIFACT',
      /sha256/,
    );
    for (const hex of ['ab'.repeat(31), 'zz'.repeat(32)]) {
      const digest = { algorithm: 'sha256' as const, hex };
      expectCode(
        () => verifyBundle({ ...input('happy-path-v0.1'), artifact: { digest } }),
        'ARTIFACT',
      );
    }
    const neither = { ...input('happy-path-v0.1'), artifact: {} as VerifyBundleInput['artifact'] };
    expectCode(() => verifyBundle(neither), 'ARTIFACT');
  });

  it('a DSSE statement about another artifact (the signature alone binds nothing)', () => {
    const run = {
      ...input('intoto-with-custom-trust-root'),
      artifact: { bytes: Buffer.from('a.txt?') },
    };
    expectCode(() => verifyBundle(run), 'ARTIFACT', /subject/);
    const s = syntheticBundle({ content: 'dsse', subjectSha256: 'ab'.repeat(32) });
    expectCode(
      () =>
        verifyBundle({
          bundle: s.bundle,
          artifact: { bytes: s.artifact },
          trustedRoot: s.trustedRoot,
          policy: { publicKey: s.publicKeyPem },
        }),
      'ARTIFACT',
      /subject/,
    );
  });

  it('a signed DSSE payload that is not an in-toto statement we know', () => {
    for (const options of [
      { payloadType: 'text/plain' },
      { statementType: 'https://in-toto.io/Statement/v2' },
    ]) {
      const s = syntheticBundle({ content: 'dsse', ...options });
      expectCode(
        () =>
          verifyBundle({
            bundle: s.bundle,
            artifact: { bytes: s.artifact },
            trustedRoot: s.trustedRoot,
            policy: { publicKey: s.publicKeyPem },
          }),
        'ARTIFACT',
      );
    }
  });
});

describe('BUNDLE', () => {
  it('not JSON, not an object, or an unknown media type', () => {
    expectCode(() => parseBundleJson('{"mediaType": '), 'BUNDLE', /not valid JSON/);
    expectCode(() => verifyBundle({ ...input('happy-path-v0.1'), bundle: [] }), 'BUNDLE');
    const v04 = input('happy-path-v0.3', (bundle) => {
      bundle.mediaType = 'application/vnd.dev.sigstore.bundle.v0.4+json';
    });
    expectCode(() => verifyBundle(v04), 'BUNDLE', /media type/);
  });

  it('base64 that Node would only half-decode', () => {
    const run = input('happy-path-v0.1', (bundle) => {
      bundle.verificationMaterial.tlogEntries[0].canonicalizedBody += '!!';
    });
    expectCode(() => verifyBundle(run), 'BUNDLE', /canonicalizedBody/);
  });

  it('a message signature without a signature', () => {
    const run = input('happy-path-v0.1', (bundle) => void delete bundle.messageSignature.signature);
    expectCode(() => verifyBundle(run), 'BUNDLE');
  });
});

describe('TRUST_ROOT', () => {
  it('a log key without a validity start, an empty CA chain, an unknown media type', () => {
    const noStart = input('happy-path-v0.1', (_bundle, root) => {
      delete root.tlogs[0].publicKey.validFor.start;
    });
    expectCode(() => verifyBundle(noStart), 'TRUST_ROOT', /no start/);
    const emptyChain = input('happy-path-v0.1', (_bundle, root) => {
      root.certificateAuthorities[0].certChain.certificates = [];
    });
    expectCode(() => verifyBundle(emptyChain), 'TRUST_ROOT', /empty certificate chain/);
    const mediaType = input('happy-path-v0.1', (_bundle, root) => {
      root.mediaType = 'application/json';
    });
    expectCode(() => verifyBundle(mediaType), 'TRUST_ROOT', /media type/);
  });

  it('a log key that does not parse', () => {
    const run = input('happy-path-v0.1', (_bundle, root) => {
      for (const log of root.tlogs)
        log.publicKey.rawBytes = Buffer.from('not a key').toString('base64');
    });
    expectCode(() => verifyBundle(run), 'TRUST_ROOT');
  });
});

describe('KEY', () => {
  const managed = () => input('managed-key-happy-path');

  it('the managed-key bundle verifies with its key', () => {
    expect(verifyBundle(managed()).verifiedTimes).toHaveLength(2);
  });

  it('another key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expectCode(() => verifyBundle({ ...managed(), policy: { publicKey } }), 'KEY', /policy key/);
  });

  it('a key that does not parse, or is not a public key', () => {
    const pem = (managed().policy as { publicKey: string }).publicKey;
    const broken = pem.replace(/[A-Za-z0-9]{8}==/, '++++wrongkey==');
    expectCode(
      () => verifyBundle({ ...managed(), policy: { publicKey: broken } }),
      'KEY',
      /does not parse/,
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expectCode(() => verifyBundle({ ...managed(), policy: { publicKey: privateKey } }), 'KEY');
  });

  it('a key policy for a certificate bundle, and an identity policy for a key bundle', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expectCode(() => verifyBundle({ ...input('happy-path-v0.1'), policy: { publicKey } }), 'KEY');
    const identity = { identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
    expectCode(() => verifyBundle({ ...managed(), policy: identity }), 'KEY');
  });

  it('a key hint other than the key ID the policy names', () => {
    const policy = { ...(managed().policy as { publicKey: string }), keyId: 'SHA256:other' };
    expectCode(() => verifyBundle({ ...managed(), policy }), 'KEY', /hint/);
  });

  it('a key not valid at the verified times', () => {
    const policy = {
      ...(managed().policy as { publicKey: string }),
      validFor: { start: new Date('2020-01-01T00:00:00Z'), end: new Date('2025-01-01T00:00:00Z') },
    };
    expectCode(() => verifyBundle({ ...managed(), policy }), 'KEY', /not valid/);
  });
});

describe('fails closed on misuse', () => {
  it('no policy, or thresholds that are not counts', () => {
    const run = input('happy-path-v0.1');
    expectCode(
      () => verifyBundle({ ...run, policy: null as unknown as VerificationPolicy }),
      'IDENTITY',
    );
    expectCode(() => verifyBundle({ ...run, options: { tlogThreshold: -1 } }), 'TLOG');
    expectCode(() => verifyBundle({ ...run, options: { ctlogThreshold: 0.5 } }), 'SCT');
    expectCode(
      () => verifyBundle({ ...run, options: { timestampThreshold: Number.NaN } }),
      'TIMESTAMP',
    );
  });
});
