// sigstore-js end to end against the running CA: @sigstore/sign's FulcioSigner gets a certificate
// from this CA with a test IdP token, RekorWitness logs the signature in the transparency log, and
// @sigstore/verify's Verifier accepts the bundle with default thresholds (1 SCT, 1 tlog entry,
// 1 timestamp) and an identity policy, and rejects it for any other identity.
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftwareSigner } from '@airlock/keys';
import { createTlogServer, openRekorLogs, type RekorLogs } from '@airlock/tlog';
import { ctLogId } from '@airlock/x509';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { FulcioSigner, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaFixture, startCaFixture } from './support.js';

const HOST = '127.0.0.1';
const ALICE = 'alice@example.test';
const VALID_FOR = { start: '2020-01-01T00:00:00Z' };

let fixture: CaFixture;
let caUrl: string;
let tlogApp: FastifyInstance;
let tlogLogs: RekorLogs;
let tlogV1Key: KeyObject;
let tlogUrl: string;
let tlogDir: string;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: HOST, port: 0 });
  const address = app.server.address();
  return `http://${HOST}:${typeof address === 'object' && address ? address.port : 0}`;
}

beforeAll(async () => {
  fixture = await startCaFixture();
  caUrl = await listen(fixture.app);
  tlogDir = await mkdtemp(join(tmpdir(), 'airlock-ca-tlog-'));
  const v1Signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  tlogV1Key = v1Signer.publicKey;
  tlogLogs = await openRekorLogs({
    dataDir: tlogDir,
    hostname: HOST,
    v1Signer,
    v2Signer: SoftwareSigner.generate('ecdsa-p256-sha256'),
    batch: { batchMaxAgeMs: 2 },
  });
  tlogApp = await createTlogServer({ logs: tlogLogs });
  tlogUrl = await listen(tlogApp);
});

afterAll(async () => {
  await tlogApp?.close();
  await fixture?.close();
  if (tlogDir) await rm(tlogDir, { recursive: true, force: true });
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const spki = (key: KeyObject) => b64(key.export({ type: 'spki', format: 'der' }));

/** A trusted root listing this CA's chain, the transparency log and the CT log. */
function trustedRoot(options: { ctKey?: KeyObject; caChain?: Uint8Array[] } = {}) {
  const ctKey = options.ctKey ?? fixture.ctLog.publicKey;
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: tlogUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: spki(tlogV1Key),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: VALID_FOR,
        },
        logId: { keyId: b64(tlogLogs.v1.logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'Airlock test', commonName: 'Airlock test Intermediate CA' },
        uri: caUrl,
        certChain: {
          certificates: (options.caChain ?? [fixture.intermediate, fixture.root]).map((der) => ({
            rawBytes: b64(der),
          })),
        },
        validFor: VALID_FOR,
      },
    ],
    ctlogs: [
      {
        baseUrl: fixture.ctLog.url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: spki(ctKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: VALID_FOR,
        },
        logId: { keyId: b64(ctLogId(ctKey)) },
      },
    ],
    timestampAuthorities: [],
  });
}

describe('sigstore-js signs with a certificate from this CA and verifies the bundle', () => {
  const artifact = Buffer.from('airlock CA interop artifact');
  let bundle: ReturnType<typeof bundleToJSON>;

  beforeAll(async () => {
    const builder = new MessageSignatureBundleBuilder({
      signer: new FulcioSigner({
        fulcioBaseURL: caUrl,
        identityProvider: { getToken: () => fixture.idp.tokenFor(ALICE) },
        retry: 0,
      }),
      witnesses: [new RekorWitness({ rekorBaseURL: tlogUrl, retry: 0 })],
    });
    bundle = bundleToJSON(await builder.create({ data: artifact }));
  });

  const verify = (
    policy: Parameters<Verifier['verify']>[1],
    data: Buffer = artifact,
    root = trustedRoot(),
  ) =>
    new Verifier(toTrustMaterial(root)).verify(
      toSignedEntity(bundleFromJSON(bundle), data),
      policy,
    );

  it('builds a bundle around the leaf this CA issued, logged in the transparency log', () => {
    const material = bundle.verificationMaterial as unknown as {
      certificate?: { rawBytes: string };
      x509CertificateChain?: { certificates: { rawBytes: string }[] };
      tlogEntries: unknown[];
    };
    const leaf =
      material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes;
    expect(leaf).toBeTruthy();
    const serial = new X509Certificate(Buffer.from(leaf!, 'base64')).serialNumber.toLowerCase();
    expect(fixture.issued.at(-1)).toMatchObject({
      serialNumber: serial,
      san: { type: 'email', value: ALICE },
    });
    expect(material.tlogEntries).toHaveLength(1);
    const digest = (bundle.messageSignature as { messageDigest: { digest: string } }).messageDigest;
    expect(digest.digest).toBe(createHash('sha256').update(artifact).digest('base64'));
  });

  it('is accepted with default thresholds and a policy on the email and the issuer', () => {
    const signer = verify({
      subjectAlternativeName: ALICE,
      extensions: { issuer: fixture.idp.issuer },
    });
    expect(signer.identity?.subjectAlternativeName).toBe(ALICE);
    expect(signer.identity?.extensions?.issuer).toBe(fixture.idp.issuer);
  });

  it('is rejected for another email', () => {
    expect(() =>
      verify({
        subjectAlternativeName: 'mallory@example.test',
        extensions: { issuer: fixture.idp.issuer },
      }),
    ).toThrow(/certificate identity error - expected mallory@example.test/);
  });

  it('is rejected for another issuer', () => {
    expect(() =>
      verify({
        subjectAlternativeName: ALICE,
        extensions: { issuer: 'https://accounts.google.com' },
      }),
    ).toThrow(/issuer/);
  });

  it('is rejected for another artifact', () => {
    expect(() => verify({ subjectAlternativeName: ALICE }, Buffer.from('tampered'))).toThrow();
  });

  it('is rejected when the trusted root lists another CT log key (SCT does not verify)', () => {
    const stranger = SoftwareSigner.generate('ecdsa-p256-sha256').publicKey;
    expect(() =>
      verify({ subjectAlternativeName: ALICE }, artifact, trustedRoot({ ctKey: stranger })),
    ).toThrow();
  });

  it('is rejected when the trusted root lists another CA', async () => {
    const { createCaHierarchy } = await import('@airlock/ca');
    const other = await createCaHierarchy({
      rootSigner: SoftwareSigner.generate('ecdsa-p384-sha384'),
      intermediateSigner: SoftwareSigner.generate('ecdsa-p256-sha256'),
    });
    expect(() =>
      verify(
        { subjectAlternativeName: ALICE },
        artifact,
        trustedRoot({ caChain: [...other.chain] }),
      ),
    ).toThrow();
  });
});
