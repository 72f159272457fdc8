// The CA issues what Fulcio issues: a token from the test IdP and a fresh key in, a chain out that
// OpenSSL, node:crypto and sigstore-js accept, with the Fulcio profile and a verifying embedded SCT.
// Also the CSR, Bearer-header and legacy v1 paths, and the read-only endpoints.
import { generateKeyPairSync, type KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import { FULCIO_OID } from '@airlock/oidc';
import {
  certificateExtensions,
  ctLogId,
  issuerKeyHash,
  LEAF_VALIDITY_MS,
  OID,
  pemDecode,
  pemDecodeAll,
  tbsForSct,
  verifySct,
} from '@airlock/x509';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaFixture,
  opensslCsr,
  opensslVerify,
  proofOfPossession,
  publicKeyPem,
  startCaFixture,
} from './support.js';

let fixture: CaFixture;
const ALICE = 'alice@example.test';

beforeAll(async () => {
  fixture = await startCaFixture();
});
afterAll(async () => {
  await fixture?.close();
});

function freshKey() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** A v2 request for `key` with a proof of possession of `challenge`. */
function keyRequest(key: { publicKey: KeyObject; privateKey: KeyObject }, challenge: string) {
  return {
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: publicKeyPem(key.publicKey) },
      proofOfPossession: proofOfPossession(key.privateKey, challenge),
    },
  };
}

function chainOf(body: unknown): Uint8Array[] {
  const pems = (body as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } })
    .signedCertificateEmbeddedSct.chain.certificates;
  return pems.map((pem) => pemDecode(pem));
}

/** A ctlogs entry of sigstore-js's trust material. */
type TLogAuthority = Parameters<typeof verifySCTs>[2][number];

function ctlogAuthority(publicKey: KeyObject): TLogAuthority {
  return {
    logID: Buffer.from(ctLogId(publicKey)),
    publicKey,
    baseURL: fixture.ctLog.url,
    validFor: { start: new Date(0), end: new Date(8.64e15) },
  };
}

describe('POST /api/v2/signingCert with a token from the test IdP and a fresh P-256 key', () => {
  let key: ReturnType<typeof freshKey>;
  let chain: Uint8Array[];
  let leaf: Uint8Array;
  let requestedAt: number;
  let ctSubmissionsBefore: number;

  beforeAll(async () => {
    key = freshKey();
    const token = await fixture.idp.tokenFor(ALICE);
    ctSubmissionsBefore = fixture.ctLog.submissions;
    requestedAt = Date.now();
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v2/signingCert',
      payload: { credentials: { oidcIdentityToken: token }, ...keyRequest(key, ALICE) },
    });
    expect(response.statusCode, response.body).toBe(200);
    chain = chainOf(response.json());
    leaf = chain[0]!;
  });

  it('returns leaf, intermediate, root: the CA chain after the leaf', () => {
    expect(chain).toHaveLength(3);
    expect(Buffer.from(chain[1]!).equals(fixture.intermediate)).toBe(true);
    expect(Buffer.from(chain[2]!).equals(fixture.root)).toBe(true);
  });

  it('is a chain that openssl verifies (root as CA file, intermediate untrusted)', async () => {
    const result = await opensslVerify(fixture.root, fixture.intermediate, leaf);
    expect(result.output).toMatch(/leaf\.pem: OK/);
    const withoutIntermediate = await opensslVerify(fixture.root, fixture.root, leaf);
    expect(withoutIntermediate.ok).toBe(false);
  });

  it('is a chain that node:crypto verifies, certifying the submitted key', () => {
    const [leafCert, intermediate, root] = chain.map((der) => new NodeX509(Buffer.from(der)));
    expect(leafCert!.checkIssued(intermediate!)).toBe(true);
    expect(leafCert!.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate!.verify(root!.publicKey)).toBe(true);
    expect(root!.verify(root!.publicKey)).toBe(true);
    expect(leafCert!.publicKey.equals(key.publicKey)).toBe(true);
    expect(leafCert!.ca).toBe(false);
    expect(leafCert!.subject ?? '').toBe('');
  });

  it('has the Fulcio profile: SAN, issuer .1.1/.1.8, subject .1.24, usages, AKI = intermediate SKI', () => {
    const extensions = certificateExtensions(leaf);
    const intermediate = certificateExtensions(fixture.intermediate);
    expect(extensions.subjectAlternativeNames).toEqual([{ type: 'email', value: ALICE }]);
    expect(extensions.all.find((ext) => ext.oid === OID.subjectAltName)?.critical).toBe(true);
    const raw = (oid: string) => extensions.all.find((ext) => ext.oid === oid)?.value;
    expect(Buffer.from(raw(FULCIO_OID.issuerV1)!).toString()).toBe(fixture.idp.issuer);
    // .1.8 and .1.24 are DER UTF8Strings: tag 0x0c, a short length, the text.
    const utf8 = (value: Uint8Array | undefined) => {
      expect(value?.[0]).toBe(0x0c);
      return Buffer.from(value!.subarray(2)).toString();
    };
    expect(utf8(raw(FULCIO_OID.issuer))).toBe(fixture.idp.issuer);
    expect(utf8(raw(FULCIO_OID.tokenSubject))).toBe('alice');
    expect(extensions.fulcio).toMatchObject({ issuer: fixture.idp.issuer, subject: 'alice' });
    expect(extensions.keyUsage).toEqual(['digitalSignature']);
    expect(extensions.all.find((ext) => ext.oid === OID.keyUsage)?.critical).toBe(true);
    expect(extensions.extendedKeyUsage).toEqual([OID.codeSigning]);
    expect(extensions.basicConstraints).toBeUndefined();
    expect(Buffer.from(extensions.authorityKeyIdentifier!)).toEqual(
      Buffer.from(intermediate.subjectKeyIdentifier!),
    );
    expect(extensions.precertificatePoison).toBe(false);
    // The SCT list comes last, as in Fulcio's certificates.
    expect(extensions.all.at(-1)?.oid).toBe(OID.ctSctList);
  });

  it('is valid for exactly 10 minutes from the time of the request, with a 20-byte serial', () => {
    const cert = new NodeX509(Buffer.from(leaf));
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    expect(notAfter - notBefore).toBe(LEAF_VALIDITY_MS);
    expect(notBefore).toBeGreaterThanOrEqual(Math.floor(requestedAt / 1000) * 1000);
    expect(notBefore).toBeLessThanOrEqual(Date.now());
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{39}$/);
  });

  it('was logged once as a precertificate chain [precert, intermediate, root]', () => {
    expect(fixture.ctLog.submissions).toBe(ctSubmissionsBefore + 1);
    const logged = fixture.ctLog.logged.at(-1)!;
    expect(logged).toHaveLength(3);
    expect(certificateExtensions(logged[0]!).precertificatePoison).toBe(true);
    expect(Buffer.from(logged[1]!).equals(fixture.intermediate)).toBe(true);
    expect(Buffer.from(logged[2]!).equals(fixture.root)).toBe(true);
  });

  it('embeds one SCT that verifySct accepts with the CT log key, and no other key', () => {
    const { scts } = certificateExtensions(leaf);
    expect(scts).toHaveLength(1);
    const entry = {
      type: 'precert' as const,
      issuerKeyHash: issuerKeyHash(fixture.intermediate),
      tbsCertificate: tbsForSct(leaf),
    };
    expect(verifySct(scts[0]!, entry, fixture.ctLog.publicKey)).toBe(true);
    expect(Buffer.from(scts[0]!.logId)).toEqual(Buffer.from(ctLogId(fixture.ctLog.publicKey)));
    expect(verifySct(scts[0]!, entry, freshKey().publicKey)).toBe(false);
  });

  it("embeds an SCT that sigstore-js's SCT check accepts (and rejects under another log key)", () => {
    const leafCert = SigstoreX509.parse(Buffer.from(leaf));
    const issuer = SigstoreX509.parse(Buffer.from(fixture.intermediate));
    const verified = verifySCTs(leafCert, issuer, [ctlogAuthority(fixture.ctLog.publicKey)]);
    expect(verified).toEqual([Buffer.from(ctLogId(fixture.ctLog.publicKey))]);
    const stranger = freshKey().publicKey;
    expect(() =>
      verifySCTs(leafCert, issuer, [{ ...ctlogAuthority(stranger), logID: verified[0]! }]),
    ).toThrow(/SCT verification failed/);
  });

  it('tells the audit hook about the certificate, without the token', () => {
    const record = fixture.issued.at(-1)!;
    const cert = new NodeX509(Buffer.from(leaf));
    expect(record).toEqual({
      serialNumber: cert.serialNumber.toLowerCase(),
      san: { type: 'email', value: ALICE },
      issuer: fixture.idp.issuer,
      subject: 'alice',
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
      ctIndex: fixture.ctLog.logged.length - 1,
    });
  });
});

describe('other ways to ask for a certificate', () => {
  it('takes a CSR (base64 of PEM) instead of a key and proof of possession', async () => {
    const key = freshKey();
    const csrPem = await opensslCsr(key.privateKey);
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v2/signingCert',
      payload: {
        credentials: { oidcIdentityToken: await fixture.idp.tokenFor(ALICE) },
        certificateSigningRequest: Buffer.from(csrPem).toString('base64'),
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    const [leaf] = chainOf(response.json());
    const cert = new NodeX509(Buffer.from(leaf!));
    expect(cert.publicKey.equals(key.publicKey)).toBe(true);
    // The CSR's subject is ignored: the identity comes from the token only.
    expect(certificateExtensions(leaf!).subjectAlternativeNames).toEqual([
      { type: 'email', value: ALICE },
    ]);
    expect((await opensslVerify(fixture.root, fixture.intermediate, leaf!)).ok).toBe(true);
  });

  it('takes the token from Authorization: Bearer (sigstore-go, cosign) and tolerates odd algorithms', async () => {
    const key = freshKey();
    const request = keyRequest(key, ALICE);
    request.publicKeyRequest.publicKey.algorithm = 'RSA'; // sigstore-go sends names outside the enum
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v2/signingCert',
      headers: { authorization: `Bearer ${await fixture.idp.tokenFor(ALICE)}` },
      payload: request,
    });
    expect(response.statusCode, response.body).toBe(200);
    const [leaf] = chainOf(response.json());
    expect(new NodeX509(Buffer.from(leaf!)).publicKey.equals(key.publicKey)).toBe(true);
  });

  it('takes proto field names (snake_case) and a DER key as base64, as protojson does', async () => {
    const key = freshKey();
    const der = key.publicKey.export({ type: 'spki', format: 'der' });
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v2/signingCert',
      payload: {
        credentials: { oidc_identity_token: await fixture.idp.tokenFor(ALICE) },
        public_key_request: {
          public_key: { algorithm: 2, content: der.toString('base64') },
          proof_of_possession: proofOfPossession(key.privateKey, ALICE),
        },
      },
    });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('serves the legacy POST /api/v1/signingCert: Bearer token, base64 key, 201 PEM chain', async () => {
    const key = freshKey();
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v1/signingCert',
      headers: { authorization: `Bearer ${await fixture.idp.tokenFor(ALICE)}` },
      payload: {
        publicKey: {
          algorithm: 'ecdsa',
          content: Buffer.from(publicKeyPem(key.publicKey)).toString('base64'),
        },
        signedEmailAddress: proofOfPossession(key.privateKey, ALICE),
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['content-type']).toBe('application/pem-certificate-chain');
    const chain = pemDecodeAll(response.body);
    expect(chain).toHaveLength(3);
    expect(Buffer.from(chain[2]!).equals(fixture.root)).toBe(true);
    expect(new NodeX509(Buffer.from(chain[0]!)).publicKey.equals(key.publicKey)).toBe(true);
    expect((await opensslVerify(fixture.root, fixture.intermediate, chain[0]!)).ok).toBe(true);
  });

  it('refuses a legacy request whose token is only in the body (v1 takes Bearer only)', async () => {
    const key = freshKey();
    const submissions = fixture.ctLog.submissions;
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/api/v1/signingCert',
      payload: {
        credentials: { oidcIdentityToken: await fixture.idp.tokenFor(ALICE) },
        publicKey: { content: Buffer.from(publicKeyPem(key.publicKey)).toString('base64') },
        signedEmailAddress: proofOfPossession(key.privateKey, ALICE),
      },
    });
    expect(response.statusCode).toBe(401);
    expect(fixture.ctLog.submissions).toBe(submissions);
  });
});

describe('read-only endpoints', () => {
  it('GET /api/v2/trustBundle lists one chain: intermediate, root', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/v2/trustBundle' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { chains: { certificates: string[] }[] };
    expect(body.chains).toHaveLength(1);
    const certificates = body.chains[0]!.certificates.map((pem) => pemDecode(pem));
    expect(certificates.map((der) => Buffer.from(der))).toEqual([
      Buffer.from(fixture.intermediate),
      Buffer.from(fixture.root),
    ]);
  });

  it('GET /api/v2/configuration describes each issuer with its challenge claim', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/v2/configuration' });
    expect(response.statusCode).toBe(200);
    const { issuers } = response.json() as { issuers: Record<string, unknown>[] };
    expect(issuers).toContainEqual({
      issuerUrl: fixture.idp.issuer,
      audience: 'sigstore',
      challengeClaim: 'email',
      spiffeTrustDomain: '',
      issuerType: 'email',
      subjectDomain: '',
      skipEmailVerification: false,
    });
  });

  it('GET /api/v1/rootCert returns the CA chain as PEM', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/v1/rootCert' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pem-certificate-chain');
    const certificates = pemDecodeAll(response.body);
    expect(certificates.map((der) => Buffer.from(der))).toEqual([
      Buffer.from(fixture.intermediate),
      Buffer.from(fixture.root),
    ]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/v2/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 5 });
  });
});
