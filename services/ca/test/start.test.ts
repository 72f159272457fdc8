// The CA as `airlock up` starts it: the key ceremony with keys generated inside SoftHSM (sensitive,
// never extractable), startCa with the issuing key named by a pkcs11: URI, and a clear refusal to
// start with a wrong PIN that never prints a PIN.
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaError, createCaHierarchy, type RunningCa, startCa } from '@airlock/ca';
import { generateKey, listTokenKeys, type OpenedSigner, openSigner } from '@airlock/keys';
import { OidcError } from '@airlock/oidc';
import { pemDecode, pemEncode } from '@airlock/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../../test/support/idp.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import {
  KEY_LABELS,
  opensslVerify,
  proofOfPossession,
  publicKeyPem,
  startTestCtLog,
  type TestCtLog,
} from './support.js';

let hsm: SoftHsmToken;
let idp: TestIdp;
let chainPem: string;
let root: Uint8Array;
let intermediate: Uint8Array;
const opened: OpenedSigner[] = [];

beforeAll(async () => {
  hsm = await createSoftHsmToken();
  await generateKey(hsm.uri(KEY_LABELS.root), 'ecdsa-p384-sha384');
  await generateKey(hsm.uri(KEY_LABELS.intermediate), 'ecdsa-p256-sha256');
  await generateKey(hsm.uri(KEY_LABELS.ct), 'ecdsa-p256-sha256');
  // The ceremony; its signers are closed again so the wrong-PIN test meets the token itself.
  const rootSigner = await openSigner(hsm.uri(KEY_LABELS.root));
  const intermediateSigner = await openSigner(hsm.uri(KEY_LABELS.intermediate));
  try {
    const hierarchy = await createCaHierarchy({ rootSigner, intermediateSigner });
    chainPem = hierarchy.chainPem;
    root = hierarchy.root;
    intermediate = hierarchy.intermediate!;
  } finally {
    await rootSigner.close();
    await intermediateSigner.close();
  }
  idp = await startTestIdp();
});

afterAll(async () => {
  for (const signer of opened) await signer.close();
  await idp?.close();
  await hsm?.cleanup();
});

function baseOptions(ctLog: { url: string; publicKey: TestCtLog['publicKey'] }) {
  return {
    listenHost: '127.0.0.1',
    port: 0,
    caKeyUri: hsm.uri(KEY_LABELS.intermediate),
    chain: { pem: chainPem },
    issuerConfig: { 'oidc-issuers': { [idp.issuer]: { type: 'email' } } },
    ctUrl: ctLog.url,
    ctPublicKey: publicKeyPem(ctLog.publicKey),
  };
}

/** Every message in an error and its causes. */
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    parts.push(String(current), current.stack ?? '');
  }
  return parts.join('\n');
}

describe('the CA key ceremony', () => {
  it('makes a root and an intermediate that openssl chains, keyed by the token keys', async () => {
    const [first, second] = chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    expect(pemDecode(first!)).toEqual(intermediate);
    expect(pemDecode(second!)).toEqual(root);
    const verified = await opensslVerify(root, root, intermediate);
    expect(verified.output).toMatch(/leaf\.pem: OK/);
    const rootCert = new X509Certificate(Buffer.from(root));
    expect(rootCert.ca).toBe(true);
    expect(rootCert.subject).toContain('CN=Airlock Root CA');
    expect(new X509Certificate(Buffer.from(intermediate)).subject).toContain(
      'CN=Airlock Intermediate CA',
    );
  });
});

describe('startCa', () => {
  it('refuses to start with a wrong PIN, saying so without printing either PIN', async () => {
    const wrongPin = `${hsm.pin}0`;
    const wrongPinFile = join(hsm.dir, 'wrong.pin');
    await writeFile(wrongPinFile, `${wrongPin}\n`, { mode: 0o600 });
    const uri = hsm
      .uri(KEY_LABELS.intermediate)
      .replace(/pin-source=[^&]*/, `pin-source=${encodeURIComponent(wrongPinFile)}`);
    const error = await startCa({
      ...baseOptions({ url: 'http://127.0.0.1:9', publicKey: await ctKey() }),
      caKeyUri: uri,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaError);
    expect((error as CaError).code).toBe('INVALID_CONFIG');
    expect((error as CaError).message).toMatch(/cannot open the CA signing key: wrong PIN/);
    // The token itself refused the PIN (no login of this process answered for it).
    expect((error as CaError).message).not.toMatch(/differs from the PIN/);
    const everything = messagesOf(error);
    expect(everything).not.toContain(wrongPin);
    expect(everything).not.toContain(hsm.pin);
  });

  it('keeps the CA and CT keys in the token: sensitive and never extractable', async () => {
    const keys = await listTokenKeys(hsm.uri(KEY_LABELS.root));
    for (const label of [KEY_LABELS.root, KEY_LABELS.intermediate, KEY_LABELS.ct]) {
      const key = keys.find((candidate) => candidate.label === label);
      expect(key, label).toBeDefined();
      expect(key).toMatchObject({
        sensitive: true,
        extractable: false,
        alwaysSensitive: true,
        neverExtractable: true,
      });
    }
  });

  it('refuses a chain whose issuing certificate is not the key’s', async () => {
    const error = await startCa({
      ...baseOptions({ url: 'http://127.0.0.1:9', publicKey: await ctKey() }),
      caKeyUri: hsm.uri(KEY_LABELS.root),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaError);
    expect((error as CaError).message).toMatch(/not the key of the issuing certificate/);
  });

  it('refuses a bad issuer configuration before touching the key', async () => {
    const error = await startCa({
      ...baseOptions({ url: 'http://127.0.0.1:9', publicKey: await ctKey() }),
      issuerConfig: {
        'oidc-issuers': { [idp.issuer]: { type: 'email', 'allowed-algorithms': ['none'] } },
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).code).toBe('INVALID_CONFIG');
  });

  it('starts with the issuing key in SoftHSM and issues over HTTP', async () => {
    const ctSigner = await openSigner(hsm.uri(KEY_LABELS.ct));
    opened.push(ctSigner);
    const foreign = await openSigner(hsm.uri(KEY_LABELS.root));
    opened.push(foreign);
    const ctLog = await startTestCtLog(ctSigner, foreign);
    const issued: string[] = [];
    let running: RunningCa | undefined;
    try {
      running = await startCa({
        ...baseOptions(ctLog),
        onIssued: (record) => {
          issued.push(record.serialNumber);
        },
      });
      const key = (await import('node:crypto')).generateKeyPairSync('ec', {
        namedCurve: 'prime256v1',
      });
      const response = await fetch(`${running.url}/api/v2/signingCert`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await idp.tokenFor('alice@example.test')}`,
        },
        body: JSON.stringify({
          publicKeyRequest: {
            publicKey: { algorithm: 'ECDSA', content: publicKeyPem(key.publicKey) },
            proofOfPossession: proofOfPossession(key.privateKey, 'alice@example.test'),
          },
        }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
      };
      const [leafPem, intermediatePem, rootPem] =
        body.signedCertificateEmbeddedSct.chain.certificates;
      expect(intermediatePem).toBe(pemEncode(intermediate));
      expect(rootPem).toBe(pemEncode(root));
      const leaf = pemDecode(leafPem!);
      expect((await opensslVerify(root, intermediate, leaf)).ok).toBe(true);
      expect(issued).toEqual([new X509Certificate(Buffer.from(leaf)).serialNumber.toLowerCase()]);
      expect(ctLog.submissions).toBe(1);
    } finally {
      await running?.close();
      await ctLog.close();
    }
  });
});

/** The CT key's public half, read through the token (the private half never leaves it). */
async function ctKey() {
  const signer = await openSigner(hsm.uri(KEY_LABELS.ct));
  try {
    return signer.publicKey;
  } finally {
    await signer.close();
  }
}
