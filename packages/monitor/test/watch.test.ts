// Watch rules: what each kind matches, and the rules refused before the monitor starts.
import { generateKeyPairSync } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import {
  describeCertificate,
  describeRekorBody,
  MonitorError,
  matchVerifiers,
  parseWatchRules,
  type VerifierSummary,
} from '@airlock/monitor';
import { buildLeafTbs, createRootCertificate, signTbs } from '@airlock/x509';
import { beforeAll, describe, expect, it } from 'vitest';

let verifier: VerifierSummary;

beforeAll(async () => {
  const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  const root = await createRootCertificate({
    signer,
    subject: { commonName: 'watch test CA' },
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
  });
  const tbs = buildLeafTbs({
    issuerCert: root,
    publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
    notBefore: new Date(),
    subjectAlternativeName: {
      type: 'uri',
      value: 'https://ci.airlock.test/org/repo/.ci/release.yml@refs/heads/main',
    },
    extensions: {
      issuer: 'https://ci.airlock.test',
      sourceRepositoryUri: 'https://git.airlock.test/org/repo',
    },
  });
  const certificate = describeCertificate(await signTbs(tbs, signer));
  verifier = {
    kind: 'certificate',
    keyFingerprint: certificate.keyFingerprint,
    keyAlgorithm: certificate.keyAlgorithm,
    certificate,
  };
});

const rules = (input: Parameters<typeof parseWatchRules>[0]) => parseWatchRules(input);

describe('matchVerifiers', () => {
  it('matches identities exactly or with * wildcards, ignoring case', () => {
    const uri = 'https://ci.airlock.test/org/repo/.ci/release.yml@refs/heads/main';
    expect(matchVerifiers([verifier], rules({ identities: [uri] }))).toEqual([
      { rule: 'identity', pattern: uri, value: uri },
    ]);
    expect(
      matchVerifiers([verifier], rules({ identities: ['HTTPS://CI.AIRLOCK.TEST/org/*'] })),
    ).toHaveLength(1);
    expect(
      matchVerifiers([verifier], rules({ identities: ['https://ci.airlock.test/org/other/*'] })),
    ).toEqual([]);
    // A dot in a pattern is a dot, not any character.
    expect(
      matchVerifiers(
        [verifier],
        rules({ identities: ['https://ci.airlock.test/org/repo/.ci/release.yml@refs/heads/mai.'] }),
      ),
    ).toEqual([]);
    expect(
      matchVerifiers(
        [verifier],
        rules({ identities: ['https://ci.airlock.test/org/repo/.ci/release.yml'] }),
      ),
    ).toEqual([]);
  });

  it('matches the OIDC issuer, an extension by OID and by value, and key or certificate fingerprints', () => {
    const certificate = verifier.certificate!;
    expect(
      matchVerifiers([verifier], rules({ issuers: ['https://ci.airlock.test'] })),
    ).toHaveLength(1);
    expect(matchVerifiers([verifier], rules({ issuers: ['https://ci.airlock.test/'] }))).toEqual(
      [],
    );
    expect(matchVerifiers([verifier], rules({ oids: ['1.3.6.1.4.1.57264.1.12'] }))).toEqual([
      {
        rule: 'oid',
        pattern: '1.3.6.1.4.1.57264.1.12',
        value: 'https://git.airlock.test/org/repo',
      },
    ]);
    expect(
      matchVerifiers(
        [verifier],
        rules({ oids: ['1.3.6.1.4.1.57264.1.12=https://git.airlock.test/org/repo'] }),
      ),
    ).toHaveLength(1);
    expect(
      matchVerifiers(
        [verifier],
        rules({ oids: ['1.3.6.1.4.1.57264.1.12=https://git.airlock.test/org/other'] }),
      ),
    ).toEqual([]);
    expect(matchVerifiers([verifier], rules({ oids: ['1.3.6.1.4.1.57264.1.9'] }))).toEqual([]);
    expect(
      matchVerifiers(
        [verifier],
        rules({ fingerprints: [certificate.keyFingerprint.toUpperCase().replace('SHA256:', '')] }),
      ),
    ).toHaveLength(1);
    expect(
      matchVerifiers([verifier], rules({ fingerprints: [`sha256:${certificate.sha256}`] })),
    ).toHaveLength(1);
    expect(matchVerifiers([verifier], rules({ fingerprints: ['0'.repeat(64)] }))).toEqual([]);
  });

  it('refuses rules that cannot match or would match everything', () => {
    for (const bad of [
      {},
      { identities: ['*'] },
      { identities: [' '] },
      { oids: ['1.2.x'] },
      { oids: ['01.2'] },
      { fingerprints: ['abc'] },
    ]) {
      expect(() => parseWatchRules(bad), JSON.stringify(bad)).toThrow(MonitorError);
    }
  });
});

describe('describeRekorBody', () => {
  it('finds the verifiers and digests of a body, and refuses what is not an entry', () => {
    const pem = verifier.certificate!.pem;
    const body = Buffer.from(
      JSON.stringify({
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: 'AB'.repeat(32) },
          payloadHash: { algorithm: 'sha256', value: 'cd'.repeat(32) },
          signatures: [{ signature: 'c2ln', verifier: Buffer.from(pem).toString('base64') }],
        },
      }),
    );
    const summary = describeRekorBody(body);
    expect(summary.kind).toBe('dsse');
    expect(summary.digests).toEqual([
      { algorithm: 'sha256', value: 'ab'.repeat(32) },
      { algorithm: 'sha256', value: 'cd'.repeat(32) },
    ]);
    expect(summary.verifiers).toHaveLength(1);
    expect(summary.verifiers[0]!.certificate?.oidcIssuer).toBe('https://ci.airlock.test');
    expect(() => describeRekorBody(Buffer.from('not json'))).toThrow(MonitorError);
    expect(() => describeRekorBody(Buffer.from('{"spec":{}}'))).toThrow(/no kind/);
  });
});
