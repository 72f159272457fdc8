// The CT log over HTTP (Fastify inject): precertificates from a real CA chain get SCTs that verify and
// entries that are in the signed tree; chains that do not end at an accepted root are refused.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtLog, createCtLogServer } from '@airlock/ctlog';
import { SoftwareSigner } from '@airlock/keys';
import { hashLeaf, verifyConsistency, verifyInclusion } from '@airlock/merkle';
import {
  buildLeafTbs,
  createIntermediateCertificate,
  createRootCertificate,
  decodeDigitallySigned,
  issuerKeyHash,
  precertificateTbs,
  precertTbsFromPrecert,
  signTbs,
  TlsReader,
  treeHeadSignatureInput,
  verifyDigitallySigned,
  verifySct,
} from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const now = Date.now();
const year = 365 * 24 * 3600 * 1000;
const rootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
const intermediateSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
const ctSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
let root: Uint8Array;
let intermediate: Uint8Array;
let app: FastifyInstance;
let ct: CtLog;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function precert(email = 'alice@airlock.test'): Promise<Uint8Array> {
  const tbs = await buildLeafTbs({
    issuerCert: intermediate,
    publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
    notBefore: new Date(),
    subjectAlternativeName: { type: 'email', value: email },
    extensions: { issuer: 'https://idp.airlock.test' },
  });
  return signTbs(precertificateTbs(tbs), intermediateSigner);
}

beforeAll(async () => {
  root = await createRootCertificate({
    signer: rootSigner,
    subject: { commonName: 'Airlock test root', organization: 'Airlock' },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * year),
  });
  intermediate = await createIntermediateCertificate({
    issuerCert: root,
    issuerSigner: rootSigner,
    publicKey: intermediateSigner.publicKey,
    subject: { commonName: 'Airlock test intermediate', organization: 'Airlock' },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + year),
  });
  ct = await CtLog.open({
    dataDir: mkdtempSync(join(tmpdir(), 'airlock-ctlog-')),
    origin: 'ct.airlock.test',
    signer: ctSigner,
    roots: [root],
    batch: { batchMaxAgeMs: 2 },
  });
  app = await createCtLogServer(ct, { prefix: '/test' });
});
afterAll(async () => {
  await app.close();
  await ct.close();
});

const post = (path: string, payload: unknown) =>
  app.inject({ method: 'POST', url: `/test/ct/v1/${path}`, payload: payload as object });
const get = (path: string) => app.inject(`/test/ct/v1/${path}`);

describe('add-pre-chain', () => {
  it('answers an SCT over the precertificate entry that verifies with the log key', async () => {
    const pre = await precert();
    const response = await post('add-pre-chain', {
      chain: [b64(pre), b64(intermediate), b64(root)],
    });
    expect(response.statusCode).toBe(200);
    const sct = response.json();
    expect(sct.sct_version).toBe(0);
    expect(Buffer.from(sct.id, 'base64')).toEqual(Buffer.from(ct.logId));
    const entry = {
      type: 'precert' as const,
      issuerKeyHash: issuerKeyHash(intermediate),
      tbsCertificate: precertTbsFromPrecert(pre),
    };
    const decoded = {
      version: 0,
      logId: Buffer.from(sct.id, 'base64'),
      timestamp: sct.timestamp,
      extensions: Buffer.from(sct.extensions, 'base64'),
      signature: decodeDigitallySigned(Buffer.from(sct.signature, 'base64')),
    };
    expect(verifySct(decoded, entry, ctSigner.publicKey)).toBe(true);
    const otherPre = await precert('mallory@airlock.test');
    expect(
      verifySct(
        decoded,
        { ...entry, tbsCertificate: precertTbsFromPrecert(otherPre) },
        ctSigner.publicKey,
      ),
    ).toBe(false);
  });

  it('completes a chain that stops below the root', async () => {
    const response = await post('add-pre-chain', {
      chain: [b64(await precert()), b64(intermediate)],
    });
    expect(response.statusCode).toBe(200);
  });

  it('logs the entry in a tree whose signed head, inclusion and consistency proofs verify', async () => {
    const before = (await get('get-sth')).json();
    await post('add-pre-chain', {
      chain: [b64(await precert('bob@airlock.test')), b64(intermediate)],
    });
    const sth = (await get('get-sth')).json();
    expect(sth.tree_size).toBe(before.tree_size + 1);
    const signed = decodeDigitallySigned(Buffer.from(sth.tree_head_signature, 'base64'));
    const message = treeHeadSignatureInput({
      timestamp: sth.timestamp,
      treeSize: sth.tree_size,
      rootHash: Buffer.from(sth.sha256_root_hash, 'base64'),
    });
    expect(verifyDigitallySigned(signed, message, ctSigner.publicKey)).toBe(true);

    const index = sth.tree_size - 1;
    const entries = (await get(`get-entries?start=${index}&end=${index}`)).json().entries;
    expect(entries).toHaveLength(1);
    const leafHash = hashLeaf(Buffer.from(entries[0].leaf_input, 'base64'));
    const proof = (
      await get(
        `get-proof-by-hash?hash=${encodeURIComponent(b64(leafHash))}&tree_size=${sth.tree_size}`,
      )
    ).json();
    expect(proof.leaf_index).toBe(index);
    const path = proof.audit_path.map((h: string) => Buffer.from(h, 'base64'));
    expect(
      verifyInclusion(
        leafHash,
        BigInt(index),
        BigInt(sth.tree_size),
        path,
        Buffer.from(sth.sha256_root_hash, 'base64'),
      ),
    ).toBe(true);

    // extra_data is a PrecertChainEntry: the precertificate, then the chain up to the root.
    const extra = new TlsReader(Buffer.from(entries[0].extra_data, 'base64'), 'PrecertChainEntry');
    extra.vector(3);
    const chain = new TlsReader(extra.vector(3), 'chain');
    expect(Buffer.from(chain.vector(3))).toEqual(Buffer.from(intermediate));
    expect(Buffer.from(chain.vector(3))).toEqual(Buffer.from(root));

    const consistency = (
      await get(`get-sth-consistency?first=${before.tree_size}&second=${sth.tree_size}`)
    ).json();
    const hashes = consistency.consistency.map((h: string) => Buffer.from(h, 'base64'));
    expect(
      verifyConsistency(
        BigInt(before.tree_size),
        BigInt(sth.tree_size),
        hashes,
        Buffer.from(before.sha256_root_hash, 'base64'),
        Buffer.from(sth.sha256_root_hash, 'base64'),
      ),
    ).toBe(true);
    expect((await get('get-roots')).json().certificates).toEqual([b64(root)]);
  });
});

describe('refused submissions leave the tree unchanged', () => {
  const stranger = SoftwareSigner.generate('ecdsa-p256-sha256');
  const cases: [string, string, () => Promise<unknown>][] = [
    [
      'a certificate without poison to add-pre-chain',
      'add-pre-chain',
      async () => ({ chain: [b64(intermediate), b64(root)] }),
    ],
    [
      'a precertificate to add-chain',
      'add-chain',
      async () => ({ chain: [b64(await precert()), b64(intermediate)] }),
    ],
    [
      'a chain that does not reach an accepted root',
      'add-pre-chain',
      async () => {
        const otherRoot = await createRootCertificate({
          signer: stranger,
          subject: { commonName: 'other' },
          notBefore: new Date(now - 1000),
          notAfter: new Date(now + year),
        });
        return { chain: [b64(await precert()), b64(otherRoot)] };
      },
    ],
    [
      'a link whose signature is wrong',
      'add-pre-chain',
      async () => {
        const forged = await signTbs(
          precertificateTbs(
            await buildLeafTbs({
              issuerCert: intermediate,
              publicKey: stranger.publicKey,
              notBefore: new Date(),
              subjectAlternativeName: { type: 'email', value: 'x@y.z' },
              extensions: { issuer: 'https://idp' },
            }),
          ),
          intermediateSigner,
        );
        const tampered = Buffer.from(forged);
        tampered[tampered.length - 5]! ^= 0x01;
        return { chain: [b64(tampered), b64(intermediate)] };
      },
    ],
    ['a root on its own', 'add-chain', async () => ({ chain: [b64(root)] })],
    ['junk base64', 'add-pre-chain', async () => ({ chain: ['***'] })],
    [
      'bytes that are not a certificate',
      'add-pre-chain',
      async () => ({ chain: [b64(Buffer.from('hello'))] }),
    ],
    ['an empty chain', 'add-pre-chain', async () => ({ chain: [] })],
    [
      'a chain of eleven',
      'add-pre-chain',
      async () => ({ chain: Array(11).fill(b64(intermediate)) }),
    ],
    ['no chain at all', 'add-chain', async () => ({ certificates: [] })],
  ];
  for (const [name, path, payload] of cases) {
    it(`refuses ${name} with 400`, async () => {
      const size = ct.log.treeState.size;
      const response = await post(path, await payload());
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 400, message: expect.any(String) });
      expect(ct.log.treeState.size).toBe(size);
    });
  }

  it('answers bad query parameters with 400 and unknown leaves with 404', async () => {
    for (const path of [
      'get-entries?start=5&end=1',
      'get-entries?start=-1&end=2',
      'get-entries?start=999999&end=999999',
      'get-sth-consistency?first=2&second=1',
      'get-sth-consistency?first=1&second=999999',
      'get-proof-by-hash?hash=abc&tree_size=1',
      'get-proof-by-hash?tree_size=1',
    ]) {
      expect((await get(path)).statusCode, path).toBe(400);
    }
    const unknown = b64(Buffer.alloc(32, 7));
    expect(
      (await get(`get-proof-by-hash?hash=${encodeURIComponent(unknown)}&tree_size=1`)).statusCode,
    ).toBe(404);
    const malformed = await app.inject({
      method: 'POST',
      url: '/test/ct/v1/add-chain',
      headers: { 'content-type': 'application/json' },
      payload: '{"chain":[',
    });
    expect(malformed.statusCode).toBe(400);
  });
});

describe('verified chain links are remembered, never assumed', () => {
  it('refuses an intermediate with the same name but another key after the real one was accepted', async () => {
    // The real intermediate's link to the root is now remembered.
    expect(
      (await post('add-pre-chain', { chain: [b64(await precert()), b64(intermediate), b64(root)] }))
        .statusCode,
    ).toBe(200);
    // An impostor: same subject, its own key, signed by a key that is not the root's.
    const impostorSigner = SoftwareSigner.generate('ecdsa-p256-sha256');
    const fakeRootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
    const fakeRoot = await createRootCertificate({
      signer: fakeRootSigner,
      subject: { commonName: 'Airlock test root', organization: 'Airlock' },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * year),
    });
    const impostor = await createIntermediateCertificate({
      issuerCert: fakeRoot,
      issuerSigner: fakeRootSigner,
      publicKey: impostorSigner.publicKey,
      subject: { commonName: 'Airlock test intermediate', organization: 'Airlock' },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + year),
    });
    const tbs = await buildLeafTbs({
      issuerCert: impostor,
      publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
      notBefore: new Date(),
      subjectAlternativeName: { type: 'email', value: 'mallory@airlock.test' },
      extensions: { issuer: 'https://idp.airlock.test' },
    });
    const forged = await signTbs(precertificateTbs(tbs), impostorSigner);
    const size = ct.log.treeState.size;
    const response = await post('add-pre-chain', {
      chain: [b64(forged), b64(impostor), b64(root)],
    });
    expect(response.statusCode).toBe(400);
    expect(ct.log.treeState.size).toBe(size);
  });
});
