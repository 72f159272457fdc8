// The CA keys in a real SoftHSM token: the root and intermediate keys are generated inside it and
// never leave it, every certificate is signed through the PKCS#11 Signer, and OpenSSL verifies.
import { X509Certificate as NodeX509 } from 'node:crypto';
import {
  generateKeyPair,
  type OpenedSigner,
  openSigner,
  Pkcs11Token,
  SoftwareSigner,
} from '@airlock/keys';
import {
  assertSignerMatches,
  buildLeafTbs,
  finalCertificateTbs,
  issuerKeyHash,
  precertificateTbs,
  precertTbsFromPrecert,
  signSct,
  signTbs,
  tbsForSct,
  verifySct,
} from '@airlock/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import {
  clientKey,
  extensionBlock,
  makeChain,
  opensslText,
  opensslVerify,
  type TestChain,
  x509ErrorCode,
} from './support.js';

let hsm: SoftHsmToken;
let rootSigner: OpenedSigner;
let intermediateSigner: OpenedSigner;
let ctLogSigner: OpenedSigner;
let chain: TestChain;

beforeAll(async () => {
  hsm = await createSoftHsmToken();
  const token = await Pkcs11Token.open({
    modulePath: hsm.modulePath,
    tokenLabel: hsm.tokenLabel,
    pin: hsm.pin,
  });
  try {
    await generateKeyPair(token, { label: 'fulcio-root', algorithm: 'ecdsa-p384-sha384' });
    await generateKeyPair(token, { label: 'fulcio-intermediate', algorithm: 'ecdsa-p256-sha256' });
    await generateKeyPair(token, { label: 'ctlog', algorithm: 'ecdsa-p256-sha256' });
  } finally {
    await token.close();
  }
  rootSigner = await openSigner(hsm.uri('fulcio-root'));
  intermediateSigner = await openSigner(hsm.uri('fulcio-intermediate'));
  ctLogSigner = await openSigner(hsm.uri('ctlog'));
  chain = await makeChain(rootSigner, intermediateSigner);
});

afterAll(async () => {
  await rootSigner?.close();
  await intermediateSigner?.close();
  await ctLogSigner?.close();
  await hsm?.cleanup();
});

describe('a CA whose keys live in SoftHSM', () => {
  it('issues a root and intermediate that openssl verifies, certifying the token keys', async () => {
    const root = new NodeX509(chain.root);
    const intermediate = new NodeX509(chain.intermediate);
    expect(root.publicKey.equals(rootSigner.publicKey)).toBe(true);
    expect(intermediate.publicKey.equals(intermediateSigner.publicKey)).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    const rootOnly = await opensslVerify(chain.root, [], chain.intermediate);
    expect(rootOnly.output).toMatch(/leaf\.pem: OK/);
    expect(await opensslText(chain.root)).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(() => assertSignerMatches(chain.root, rootSigner)).not.toThrow();
    expect(x509ErrorCode(() => assertSignerMatches(chain.root, intermediateSigner))).toBe(
      'KEY_MISMATCH',
    );
  });

  it('runs the precertificate flow with an HSM CA and an HSM CT log key', async () => {
    const leafTbs = buildLeafTbs({
      issuerCert: chain.intermediate,
      publicKey: clientKey().publicKey,
      notBefore: new Date(),
      subjectAlternativeName: { type: 'email', value: 'hsm@airlock.test' },
      extensions: { issuer: 'https://idp.airlock.test' },
    });
    const precert = await signTbs(precertificateTbs(leafTbs), intermediateSigner);
    expect(extensionBlock(await opensslText(precert), 'CT Precertificate Poison')).toBe(
      'CT Precertificate Poison: critical\nNULL',
    );
    const entry = {
      type: 'precert',
      issuerKeyHash: issuerKeyHash(chain.intermediate),
      tbsCertificate: precertTbsFromPrecert(precert),
    } as const;
    const sct = await signSct({ signer: ctLogSigner, timestamp: Date.now(), entry });
    const final = await signTbs(finalCertificateTbs(leafTbs, [sct]), intermediateSigner);
    const verified = await opensslVerify(chain.root, [chain.intermediate], final);
    expect(verified.output).toMatch(/leaf\.pem: OK/);
    expect(
      verifySct(sct, { ...entry, tbsCertificate: tbsForSct(final) }, ctLogSigner.publicKey),
    ).toBe(true);
    expect(verifySct(sct, entry, SoftwareSigner.generate('ecdsa-p256-sha256').publicKey)).toBe(
      false,
    );
  });
});
