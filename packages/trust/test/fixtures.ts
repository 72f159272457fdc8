// A small private Sigstore PKI for tests, made with the real certificate builders: a Fulcio-style CA
// (root and intermediate), a TSA chain (timestamping leaf under its own root), and log keys.
import { SoftwareSigner } from '@airlock/keys';
import {
  createIntermediateCertificate,
  createRootCertificate,
  createTimestampingCertificate,
} from '@airlock/x509';
import type { TrustedRootInput } from '../src/index.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface TestPki {
  readonly caRoot: Uint8Array;
  readonly caIntermediate: Uint8Array;
  readonly tsaRoot: Uint8Array;
  readonly tsaLeaf: Uint8Array;
  readonly rekorKey: SoftwareSigner;
  readonly rekorV2Key: SoftwareSigner;
  readonly ctKey: SoftwareSigner;
}

export async function createTestPki(now = new Date()): Promise<TestPki> {
  const notBefore = new Date(now.getTime() - YEAR_MS);
  const notAfter = new Date(now.getTime() + 5 * YEAR_MS);
  const caRootKey = SoftwareSigner.generate('ecdsa-p384-sha384');
  const caIntermediateKey = SoftwareSigner.generate('ecdsa-p256-sha256');
  const caRoot = await createRootCertificate({
    signer: caRootKey,
    subject: { commonName: 'airlock-test-root', organization: 'airlock.test' },
    notBefore,
    notAfter,
  });
  const caIntermediate = await createIntermediateCertificate({
    issuerCert: caRoot,
    issuerSigner: caRootKey,
    publicKey: caIntermediateKey.publicKey,
    subject: { commonName: 'airlock-test-intermediate', organization: 'airlock.test' },
    notBefore,
    notAfter,
  });
  const tsaRootKey = SoftwareSigner.generate('ecdsa-p256-sha256');
  const tsaLeafKey = SoftwareSigner.generate('ecdsa-p256-sha256');
  const tsaRoot = await createRootCertificate({
    signer: tsaRootKey,
    subject: { commonName: 'airlock-test-tsa-root', organization: 'airlock.test' },
    notBefore,
    notAfter,
  });
  const tsaLeaf = await createTimestampingCertificate({
    issuerCert: tsaRoot,
    issuerSigner: tsaRootKey,
    publicKey: tsaLeafKey.publicKey,
    subject: { commonName: 'airlock-test-tsa', organization: 'airlock.test' },
    notBefore,
    notAfter,
  });
  return {
    caRoot,
    caIntermediate,
    tsaRoot,
    tsaLeaf,
    rekorKey: SoftwareSigner.generate('ecdsa-p256-sha256'),
    rekorV2Key: SoftwareSigner.generate('ed25519'),
    ctKey: SoftwareSigner.generate('ecdsa-p256-sha256'),
  };
}

/** A trusted root input covering every section: CA, Rekor v1 and v2 logs, a CT log and a TSA. */
export function trustedRootInput(pki: TestPki, start = '2026-01-01T00:00:00Z'): TrustedRootInput {
  return {
    certificateAuthorities: [
      {
        uri: 'https://fulcio.airlock.test',
        chain: [pki.caIntermediate, pki.caRoot],
        validFor: { start },
      },
    ],
    tlogs: [
      {
        baseUrl: 'https://rekor.airlock.test',
        publicKey: pki.rekorKey.publicKey,
        validFor: { start },
      },
      {
        baseUrl: 'https://log2026-1.rekor.airlock.test',
        publicKey: pki.rekorV2Key.publicKey,
        origin: 'log2026-1.rekor.airlock.test',
        validFor: { start: '2026-06-01T00:00:00Z' },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctlog.airlock.test/2026',
        publicKey: pki.ctKey.publicKey,
        validFor: { start },
      },
    ],
    timestampAuthorities: [
      {
        uri: 'https://tsa.airlock.test/api/v1/timestamp',
        chain: [pki.tsaLeaf, pki.tsaRoot],
        validFor: { start },
      },
    ],
  };
}
