// A root, an intermediate and Fulcio leaves made here, checked by independent verifiers: OpenSSL
// (`verify -x509_strict`, `x509 -text`), node:crypto's X509Certificate and sigstore-js's parser.
import { createPublicKey, generateKeyPairSync, X509Certificate as NodeX509 } from 'node:crypto';
import { type Signer, SoftwareSigner } from '@airlock/keys';
import {
  buildLeafTbs,
  certificateExtensions,
  createIntermediateCertificate,
  createRootCertificate,
  FULCIO_EXTENSIONS,
  type FulcioExtensions,
  LEAF_VALIDITY_MS,
  OID,
  pemEncode,
  type SubjectAlternativeName,
  signTbs,
} from '@airlock/x509';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asyncX509ErrorCode,
  clientKey,
  extensionBlock,
  issueLeaf,
  makeChain,
  opensslText,
  opensslVerify,
  type TestChain,
  x509ErrorCode,
} from './support.js';

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

/** Every Fulcio value set, so every OID of the table is rendered. */
const ALL_FULCIO: FulcioExtensions = {
  issuer: 'https://token.actions.githubusercontent.com',
  githubWorkflowTrigger: 'push',
  githubWorkflowSha: 'a'.repeat(40),
  githubWorkflowName: 'release',
  githubWorkflowRepository: 'airlock/airlock',
  githubWorkflowRef: 'refs/heads/main',
  buildSignerUri: 'https://git.airlock.test/airlock/.ci/release.yml@refs/heads/main',
  buildSignerDigest: 'b'.repeat(40),
  runnerEnvironment: 'self-hosted',
  sourceRepositoryUri: 'https://git.airlock.test/airlock/airlock',
  sourceRepositoryDigest: 'c'.repeat(40),
  sourceRepositoryRef: 'refs/heads/main',
  sourceRepositoryIdentifier: '42',
  sourceRepositoryOwnerUri: 'https://git.airlock.test/airlock',
  sourceRepositoryOwnerIdentifier: '7',
  buildConfigUri: 'https://git.airlock.test/airlock/.ci/release.yml@refs/heads/main',
  buildConfigDigest: 'd'.repeat(40),
  buildTrigger: 'push',
  runInvocationUri: 'https://git.airlock.test/airlock/airlock/runs/9',
  sourceRepositoryVisibilityAtSigning: 'private',
  deploymentEnvironment: 'prod – ünïcode',
  subject: 'repo:airlock/airlock:ref:refs/heads/main',
};

let chain: TestChain;
let leaf: Uint8Array;
let leafKey: ReturnType<typeof clientKey>;
let leafNotBefore: Date;

beforeAll(async () => {
  chain = await makeChain();
  leafKey = clientKey();
  leafNotBefore = new Date();
  leaf = await issueLeaf(chain, {
    publicKey: leafKey.publicKey,
    notBefore: leafNotBefore,
    subjectAlternativeName: { type: 'email', value: 'dev@airlock.test' },
    extensions: ALL_FULCIO,
  });
});

describe('a root, an intermediate and a leaf', () => {
  it('verify with openssl verify -x509_strict', async () => {
    const result = await opensslVerify(chain.root, [chain.intermediate], leaf);
    expect(result.output).toMatch(/leaf\.pem: OK/);
    expect(result.ok).toBe(true);
  });

  it('fail openssl verify without the intermediate, or under another root', async () => {
    expect((await opensslVerify(chain.root, [], leaf)).ok).toBe(false);
    const other = await makeChain();
    expect((await opensslVerify(other.root, [chain.intermediate], leaf)).ok).toBe(false);
  });

  it('verify with node:crypto X509Certificate (verify, checkIssued)', () => {
    const root = new NodeX509(chain.root);
    const intermediate = new NodeX509(chain.intermediate);
    const node = new NodeX509(leaf);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(node.verify(intermediate.publicKey)).toBe(true);
    expect(node.verify(root.publicKey)).toBe(false);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(node.checkIssued(intermediate)).toBe(true);
    expect(node.checkIssued(root)).toBe(false);
    expect(root.ca).toBe(true);
    expect(intermediate.ca).toBe(true);
    expect(node.ca).toBe(false);
    expect(node.publicKey.equals(leafKey.publicKey)).toBe(true);
  });

  it('verify with sigstore-js X509Certificate, issuer by issuer', () => {
    const root = SigstoreX509.parse(pemEncode(chain.root));
    const intermediate = SigstoreX509.parse(pemEncode(chain.intermediate));
    const parsed = SigstoreX509.parse(pemEncode(leaf));
    expect(root.verify()).toBe(true);
    expect(intermediate.verify(root)).toBe(true);
    expect(parsed.verify(intermediate)).toBe(true);
    expect(root.isCA && intermediate.isCA).toBe(true);
    expect(parsed.isCA).toBe(false);
    expect(parsed.subjectAltName).toBe('dev@airlock.test');
    // sigstore-js builds paths by AKI -> SKI.
    expect(
      parsed.extAuthorityKeyID?.keyIdentifier?.equals(intermediate.extSubjectKeyID!.keyIdentifier),
    ).toBe(true);
  });

  it('has a root shaped as Fulcio specifies', async () => {
    const text = await opensslText(chain.root);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toContain('Issuer: O = airlock.test, CN = airlock-root');
    expect(text).toContain('Subject: O = airlock.test, CN = airlock-root');
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe(
      'X509v3 Key Usage: critical\nCertificate Sign, CRL Sign',
    );
    expect(extensionBlock(text, 'X509v3 Basic Constraints')).toBe(
      'X509v3 Basic Constraints: critical\nCA:TRUE',
    );
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).not.toContain('Authority Key Identifier');
  });

  it('has an intermediate with pathlen 0, EKU codeSigning and AKI = root SKI', async () => {
    const text = await opensslText(chain.intermediate);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toContain('Issuer: O = airlock.test, CN = airlock-root');
    expect(text).toContain('Subject: O = airlock.test, CN = airlock-intermediate');
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe(
      'X509v3 Key Usage: critical\nCertificate Sign, CRL Sign',
    );
    expect(extensionBlock(text, 'X509v3 Extended Key Usage')).toBe(
      'X509v3 Extended Key Usage:\nCode Signing',
    );
    expect(extensionBlock(text, 'X509v3 Basic Constraints')).toBe(
      'X509v3 Basic Constraints: critical\nCA:TRUE, pathlen:0',
    );
    const root = certificateExtensions(chain.root);
    const intermediate = certificateExtensions(chain.intermediate);
    expect(hex(intermediate.authorityKeyIdentifier)).toBe(hex(root.subjectKeyIdentifier));
    expect(intermediate.all.map((ext) => ext.oid)).toEqual([
      OID.keyUsage,
      OID.extendedKeyUsage,
      OID.basicConstraints,
      OID.subjectKeyIdentifier,
      OID.authorityKeyIdentifier,
    ]);
  });

  it('has a leaf with the Fulcio profile, as openssl shows it', async () => {
    const text = await opensslText(leaf);
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('Issuer: O = airlock.test, CN = airlock-intermediate');
    expect(text).toMatch(/\n\s+Subject: ?\n/);
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe(
      'X509v3 Key Usage: critical\nDigital Signature',
    );
    expect(extensionBlock(text, 'X509v3 Extended Key Usage')).toBe(
      'X509v3 Extended Key Usage:\nCode Signing',
    );
    expect(extensionBlock(text, 'X509v3 Subject Alternative Name')).toBe(
      'X509v3 Subject Alternative Name: critical\nemail:dev@airlock.test',
    );
    expect(extensionBlock(text, 'X509v3 Subject Key Identifier')).not.toContain('critical');
    expect(extensionBlock(text, 'X509v3 Authority Key Identifier')).not.toContain('critical');
    expect(text).not.toContain('Basic Constraints');
    expect(extensionBlock(text, '1.3.6.1.4.1.57264.1.1:')).toContain(
      'https://token.actions.githubusercontent.com',
    );
  });

  it('has a leaf with the extensions in Fulcio order, AKI = issuer SKI, and no other', () => {
    const read = certificateExtensions(leaf);
    expect(read.all.map((ext) => [ext.oid, ext.critical])).toEqual([
      [OID.keyUsage, true],
      [OID.extendedKeyUsage, false],
      [OID.subjectKeyIdentifier, false],
      [OID.authorityKeyIdentifier, false],
      [OID.subjectAltName, true],
      ...FULCIO_EXTENSIONS.map((spec) => [spec.oid, false]),
    ]);
    expect(hex(read.authorityKeyIdentifier)).toBe(
      hex(certificateExtensions(chain.intermediate).subjectKeyIdentifier),
    );
    expect(read.keyUsage).toEqual(['digitalSignature']);
    expect(read.extendedKeyUsage).toEqual([OID.codeSigning]);
    expect(read.basicConstraints).toBeUndefined();
    expect(read.subjectAlternativeNames).toEqual([{ type: 'email', value: 'dev@airlock.test' }]);
    expect(read.fulcio).toEqual(ALL_FULCIO);
    expect(read.precertificatePoison).toBe(false);
    expect(read.scts).toEqual([]);
  });

  it('encodes the issuer raw in .1.1 and as a DER UTF8String in .1.8 and after', () => {
    const read = certificateExtensions(leaf);
    const value = (oid: string) => read.all.find((ext) => ext.oid === oid)!.value;
    const issuer = Buffer.from(ALL_FULCIO.issuer);
    expect(Buffer.from(value('1.3.6.1.4.1.57264.1.1')).equals(issuer)).toBe(true);
    expect(hex(value('1.3.6.1.4.1.57264.1.8'))).toBe(
      `0c${issuer.length.toString(16)}${issuer.toString('hex')}`,
    );
    const environment = Buffer.from(ALL_FULCIO.deploymentEnvironment!, 'utf8');
    expect(hex(value('1.3.6.1.4.1.57264.1.23'))).toBe(
      `0c${environment.length.toString(16).padStart(2, '0')}${environment.toString('hex')}`,
    );
    // sigstore-js reads the issuer the way @sigstore/verify's getSigner does.
    const parsed = SigstoreX509.parse(pemEncode(leaf));
    expect(
      parsed.extension('1.3.6.1.4.1.57264.1.8')?.valueObj.subs[0]?.value.toString('utf8'),
    ).toBe(ALL_FULCIO.issuer);
  });

  it('has a 20-byte positive serial and a ten-minute validity from notBefore', () => {
    const node = new NodeX509(leaf);
    expect(node.serialNumber).toMatch(/^[0-7][0-9A-F]{39}$/);
    expect(node.serialNumber).not.toMatch(/^00/);
    const from = new Date(node.validFrom).getTime();
    const to = new Date(node.validTo).getTime();
    expect(to - from).toBe(LEAF_VALIDITY_MS);
    expect(from).toBe(Math.floor(leafNotBefore.getTime() / 1000) * 1000);
  });

  it('issues distinct random serials', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add(new NodeX509(await issueLeaf(chain)).serialNumber);
    expect(serials.size).toBe(20);
  });
});

describe('leaf identities and keys', () => {
  it('puts a URI SAN for URI issuers', async () => {
    const uri = 'https://git.airlock.test/airlock/airlock/.ci/release.yml@refs/heads/main';
    const cert = await issueLeaf(chain, { subjectAlternativeName: { type: 'uri', value: uri } });
    expect(extensionBlock(await opensslText(cert), 'X509v3 Subject Alternative Name')).toBe(
      `X509v3 Subject Alternative Name: critical\nURI:${uri}`,
    );
    expect(SigstoreX509.parse(pemEncode(cert)).subjectAltName).toBe(uri);
    expect((await opensslVerify(chain.root, [chain.intermediate], cert)).ok).toBe(true);
  });

  it("encodes username identities as Fulcio's otherName: [0] EXPLICIT UTF8String", async () => {
    const value = 'jdoe!airlock.test';
    const cert = await issueLeaf(chain, {
      subjectAlternativeName: { type: 'otherName-username', value },
    });
    const san = certificateExtensions(cert).all.find((ext) => ext.oid === OID.subjectAltName)!;
    // GeneralNames { [0] otherName { OID 1.3.6.1.4.1.57264.1.7, [0] EXPLICIT UTF8String } }, laid out by hand.
    const oid = '060a2b0601040183bf300107';
    const utf8 = `0c${value.length.toString(16)}${Buffer.from(value).toString('hex')}`;
    const explicit = `a0${(utf8.length / 2).toString(16)}${utf8}`;
    const otherName = `a0${((oid.length + explicit.length) / 2).toString(16)}${oid}${explicit}`;
    expect(hex(san.value)).toBe(`30${(otherName.length / 2).toString(16)}${otherName}`);
    expect(san.critical).toBe(true);
    expect(certificateExtensions(cert).subjectAlternativeNames).toEqual([
      { type: 'otherName-username', value },
    ]);
    expect((await opensslVerify(chain.root, [chain.intermediate], cert)).ok).toBe(true);
  });

  it.each([
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey],
    ['P-521', () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey],
    ['RSA-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['Ed25519', () => generateKeyPairSync('ed25519').publicKey],
  ])('certifies a %s client key given as SPKI DER', async (_, makeKey) => {
    const key = makeKey();
    const spki = new Uint8Array(key.export({ format: 'der', type: 'spki' }));
    const cert = await issueLeaf(chain, { publicKey: spki });
    expect(new NodeX509(cert).publicKey.equals(key)).toBe(true);
    expect((await opensslVerify(chain.root, [chain.intermediate], cert)).ok).toBe(true);
  });

  it('refuses client keys goodkey refuses', () => {
    const weak = generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).publicKey;
    expect(x509ErrorCode(() => buildLeafTbs(leafOptions({ publicKey: weak })))).toBe(
      'UNSUPPORTED_KEY',
    );
  });

  it('refuses SANs an IA5String or Fulcio cannot carry', () => {
    for (const subjectAlternativeName of [
      { type: 'email', value: 'dév@airlock.test' },
      { type: 'email', value: 'no-at-sign' },
      { type: 'email', value: 'two@@airlock.test' },
      { type: 'email', value: 'space @airlock.test' },
      { type: 'uri', value: 'not a uri' },
      { type: 'uri', value: 'https://airlock.test/ünïcode' },
      { type: 'otherName-username', value: '' },
      { type: 'dns', value: 'airlock.test' },
    ] as const) {
      expect(
        x509ErrorCode(() =>
          buildLeafTbs(
            leafOptions({
              subjectAlternativeName: subjectAlternativeName as SubjectAlternativeName,
            }),
          ),
        ),
      ).toBe('INVALID_INPUT');
    }
  });

  it('refuses an empty issuer, bad serials and bad validity', () => {
    expect(x509ErrorCode(() => buildLeafTbs(leafOptions({ extensions: { issuer: '' } })))).toBe(
      'INVALID_INPUT',
    );
    for (const serialNumber of [
      new Uint8Array(0),
      new Uint8Array(21).fill(1),
      Uint8Array.of(0x80, 1),
      Uint8Array.of(0x00),
      Uint8Array.of(0x00, 0x01),
    ]) {
      expect(x509ErrorCode(() => buildLeafTbs(leafOptions({ serialNumber })))).toBe(
        'INVALID_INPUT',
      );
    }
    const now = new Date();
    expect(x509ErrorCode(() => buildLeafTbs(leafOptions({ notBefore: now, notAfter: now })))).toBe(
      'INVALID_INPUT',
    );
    expect(
      x509ErrorCode(() => buildLeafTbs(leafOptions({ notBefore: new Date(Number.NaN) }))),
    ).toBe('INVALID_INPUT');
  });

  it('refuses a leaf that would outlive its issuer, or start before it', () => {
    expect(
      x509ErrorCode(() =>
        buildLeafTbs(leafOptions({ notBefore: new Date(Date.now() + 400 * 24 * 3600_000) })),
      ),
    ).toBe('INVALID_ISSUER');
    expect(
      x509ErrorCode(() =>
        buildLeafTbs(leafOptions({ notBefore: new Date(Date.now() - 7200_000) })),
      ),
    ).toBe('INVALID_ISSUER');
  });

  it('refuses to issue under a certificate that is not a CA', () => {
    expect(x509ErrorCode(() => buildLeafTbs(leafOptions({ issuerCert: leaf })))).toBe(
      'INVALID_ISSUER',
    );
  });
});

describe('CA certificates', () => {
  it('can be Ed25519 throughout, and openssl verifies the chain', async () => {
    const ed = await makeChain(
      SoftwareSigner.generate('ed25519'),
      SoftwareSigner.generate('ed25519'),
    );
    const cert = await issueLeaf(ed);
    expect(await opensslText(ed.root)).toContain('Signature Algorithm: ED25519');
    expect(await opensslText(cert)).toContain('Signature Algorithm: ED25519');
    expect((await opensslVerify(ed.root, [ed.intermediate], cert)).ok).toBe(true);
  });

  it('signs with ecdsa-with-SHA256 for a P-256 root', async () => {
    const p256 = await makeChain(SoftwareSigner.generate('ecdsa-p256-sha256'));
    expect(await opensslText(p256.root)).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('refuses an intermediate signed by a key other than the issuer certificate’s', async () => {
    const code = await asyncX509ErrorCode(() =>
      createIntermediateCertificate({
        issuerCert: chain.root,
        issuerSigner: SoftwareSigner.generate('ecdsa-p384-sha384'),
        publicKey: SoftwareSigner.generate('ecdsa-p256-sha256').publicKey,
        subject: { commonName: 'rogue' },
        notBefore: chain.notBefore,
        notAfter: new Date(chain.notBefore.getTime() + 3600_000),
      }),
    );
    expect(code).toBe('KEY_MISMATCH');
  });

  it('refuses to issue a CA under an intermediate with pathlen 0', async () => {
    const code = await asyncX509ErrorCode(() =>
      createIntermediateCertificate({
        issuerCert: chain.intermediate,
        issuerSigner: chain.intermediateSigner,
        publicKey: SoftwareSigner.generate('ecdsa-p256-sha256').publicKey,
        subject: { commonName: 'too deep' },
        notBefore: chain.notBefore,
        notAfter: new Date(chain.notBefore.getTime() + 3600_000),
      }),
    );
    expect(code).toBe('INVALID_ISSUER');
  });

  it('refuses CA keys Airlock cannot sign with, and bad names', async () => {
    const signer = SoftwareSigner.generate('ecdsa-p256-sha256');
    const base = {
      notBefore: chain.notBefore,
      notAfter: new Date(chain.notBefore.getTime() + 3600_000),
    };
    expect(
      await asyncX509ErrorCode(() =>
        createIntermediateCertificate({
          ...base,
          issuerCert: chain.root,
          issuerSigner: chain.rootSigner,
          publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
          subject: { commonName: 'rsa' },
        }),
      ),
    ).toBe('UNSUPPORTED_KEY');
    for (const subject of [
      { commonName: '' },
      { commonName: 'x'.repeat(65) },
      { commonName: 'ok', country: 'usa' },
    ]) {
      expect(
        await asyncX509ErrorCode(() => createRootCertificate({ ...base, signer, subject })),
      ).toBe('INVALID_INPUT');
    }
  });
});

describe('signTbs', () => {
  it('refuses a signer whose algorithm is not the one the TBS names', async () => {
    const tbs = buildLeafTbs(leafOptions());
    const code = await asyncX509ErrorCode(() =>
      signTbs(tbs, SoftwareSigner.generate('ecdsa-p384-sha384')),
    );
    expect(code).toBe('KEY_MISMATCH');
  });

  it('refuses to emit a certificate whose signature does not verify (a failing HSM)', async () => {
    const real = chain.intermediateSigner;
    const broken: Signer = {
      algorithm: real.algorithm,
      publicKey: real.publicKey,
      sign: async (message) => {
        const signature = new Uint8Array(await real.sign(message));
        signature[signature.length - 1]! ^= 1;
        return signature;
      },
    };
    expect(await asyncX509ErrorCode(() => signTbs(buildLeafTbs(leafOptions()), broken))).toBe(
      'SIGNING_FAILED',
    );
    const failing: Signer = {
      ...real,
      sign: async () => Promise.reject(new Error('token removed')),
    };
    expect(await asyncX509ErrorCode(() => signTbs(buildLeafTbs(leafOptions()), failing))).toBe(
      'SIGNING_FAILED',
    );
  });

  it('refuses bytes that are not a TBSCertificate', async () => {
    expect(
      await asyncX509ErrorCode(() => signTbs(Uint8Array.of(0x30, 0x00), chain.intermediateSigner)),
    ).toBe('MALFORMED_CERTIFICATE');
  });
});

function leafOptions(overrides: Partial<Parameters<typeof buildLeafTbs>[0]> = {}) {
  return {
    issuerCert: chain.intermediate,
    publicKey: createPublicKey(clientKey().publicKey.export({ format: 'pem', type: 'spki' })),
    notBefore: new Date(),
    subjectAlternativeName: { type: 'email', value: 'dev@airlock.test' } as const,
    extensions: { issuer: 'https://idp.airlock.test' },
    ...overrides,
  };
}
