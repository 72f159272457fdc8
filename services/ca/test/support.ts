// What the CA's tests run against: CA keys and a CT log key in a real SoftHSM token, the test IdP,
// an issuer trusted through a static JWKS (for hand-made tokens in negative tests), an RFC 6962
// add-pre-chain peer that signs real SCTs, and the CA server itself.
import { execFile } from 'node:child_process';
import { type KeyObject, X509Certificate as NodeX509, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type CaHierarchy,
  CertificateAuthority,
  CtLogClient,
  type CtLogClientOptions,
  createCaHierarchy,
  createCaServer,
  type IssuanceRecord,
} from '@airlock/ca';
import { generateKey, type OpenedSigner, openSigner, type Signer } from '@airlock/keys';
import { IdentityVerifier, type OidcConfig, parseIssuerConfig } from '@airlock/oidc';
import {
  encodeDigitallySigned,
  issuerKeyHash,
  pemEncode,
  precertTbsFromPrecert,
  signSct,
} from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import type { JWTPayload } from 'jose';
import { startTestIdp, type TestIdp } from '../../../test/support/idp.js';
import {
  generateSigningKey,
  jwksOf,
  nowSeconds,
  type TestSigningKey,
} from '../../../test/support/jwt.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

const run = promisify(execFile);

/** An issuer the CA trusts through a static JWKS file, so tests can sign any claims for it. */
export const STATIC_ISSUER = 'https://static-idp.airlock.test';

/** How the test CT log answers add-pre-chain. */
export type CtBehaviour =
  | 'honest' // a real SCT over the precertificate, with a static-ct-api leaf_index extension
  | 'tampered-sct' // a real SCT whose timestamp is changed afterwards, so it no longer verifies
  | 'foreign-key' // a real SCT, but signed by a key that is not the configured log key
  | 'http-500'
  | 'http-400'
  | 'not-json'
  | 'hang'; // never answers

/**
 * A minimal RFC 6962 log front end: it checks the chain (the precertificate must be signed by the
 * next certificate) and signs a real SCT with the log key. It is a peer the CA talks to, not a mock
 * of an Airlock service (services/ctlog will replace it).
 */
export interface TestCtLog {
  readonly url: string;
  readonly publicKey: KeyObject;
  /** Every add-pre-chain request received, answered or not. */
  readonly submissions: number;
  /** Chains accepted and answered with an SCT. */
  readonly logged: readonly (readonly Uint8Array[])[];
  behaviour: CtBehaviour;
  close(): Promise<void>;
}

export async function startTestCtLog(logSigner: Signer, foreignSigner: Signer): Promise<TestCtLog> {
  let submissions = 0;
  const logged: Uint8Array[][] = [];
  const hanging = new Set<() => void>();
  const state = { behaviour: 'honest' as CtBehaviour };

  const answer = async (body: string): Promise<{ status: number; body: string }> => {
    const request = JSON.parse(body) as { chain?: unknown };
    if (!Array.isArray(request.chain) || request.chain.length < 2) {
      return { status: 400, body: 'chain needs a precertificate and its issuer' };
    }
    const chain = request.chain.map(
      (entry) => new Uint8Array(Buffer.from(String(entry), 'base64')),
    );
    const precert = new NodeX509(Buffer.from(chain[0]!));
    const issuer = new NodeX509(Buffer.from(chain[1]!));
    if (!precert.checkIssued(issuer) || !precert.verify(issuer.publicKey)) {
      return { status: 400, body: 'the precertificate is not signed by the next certificate' };
    }
    const index = logged.length;
    // static-ct-api leaf_index: extension type 0, length 5, the index as a 40-bit integer.
    const extensions = Uint8Array.of(0, 0, 5, 0, 0, 0, (index >> 8) & 0xff, index & 0xff);
    const sct = await signSct({
      signer: state.behaviour === 'foreign-key' ? foreignSigner : logSigner,
      timestamp: Date.now(),
      entry: {
        type: 'precert',
        issuerKeyHash: issuerKeyHash(chain[1]!),
        tbsCertificate: precertTbsFromPrecert(chain[0]!),
      },
      extensions,
    });
    logged.push(chain);
    return {
      status: 200,
      body: JSON.stringify({
        sct_version: sct.version,
        id: Buffer.from(sct.logId).toString('base64'),
        timestamp: state.behaviour === 'tampered-sct' ? sct.timestamp + 1 : sct.timestamp,
        extensions: Buffer.from(sct.extensions).toString('base64'),
        signature: Buffer.from(encodeDigitallySigned(sct.signature)).toString('base64'),
      }),
    };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/ct/v1/add-pre-chain') {
        res.writeHead(404).end();
        return;
      }
      submissions++;
      const reply = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      switch (state.behaviour) {
        case 'http-500':
          return reply(500, '{"error":"log is sick"}');
        case 'http-400':
          return reply(400, '{"error":"unknown root"}');
        case 'not-json':
          return reply(200, '<html>proxy error</html>');
        case 'hang':
          hanging.add(() => res.destroy());
          return;
        default:
          answer(Buffer.concat(chunks).toString('utf8')).then(
            (result) => reply(result.status, result.body),
            (error: unknown) => reply(500, JSON.stringify({ error: String(error) })),
          );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicKey: logSigner.publicKey,
    get submissions() {
      return submissions;
    },
    logged,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(value: CtBehaviour) {
      state.behaviour = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const drop of hanging) drop();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A Signer that counts its signatures, so a test can prove nothing was signed. */
export function countingSigner(inner: Signer): Signer & { readonly signatures: number } {
  let signatures = 0;
  return {
    algorithm: inner.algorithm,
    publicKey: inner.publicKey,
    sign: (message) => {
      signatures++;
      return inner.sign(message);
    },
    get signatures() {
      return signatures;
    },
  };
}

export interface CaFixture {
  readonly hsm: SoftHsmToken;
  readonly rootSigner: OpenedSigner;
  readonly intermediateSigner: OpenedSigner;
  readonly ctSigner: OpenedSigner;
  /** The intermediate key as the CA uses it, counting signatures. */
  readonly issuingSigner: Signer & { readonly signatures: number };
  readonly hierarchy: CaHierarchy;
  readonly root: Uint8Array;
  readonly intermediate: Uint8Array;
  readonly ctLog: TestCtLog;
  readonly idp: TestIdp;
  /** Signs tokens for STATIC_ISSUER. */
  readonly staticKey: TestSigningKey;
  readonly oidcConfig: OidcConfig;
  readonly verifier: IdentityVerifier;
  readonly ca: CertificateAuthority;
  readonly app: FastifyInstance;
  /** What the audit hook received. */
  readonly issued: readonly IssuanceRecord[];
  /** A CA on the same key, chain and verifier, but another CT client (for CT failure tests). */
  caWithCtClient(options: Partial<CtLogClientOptions>): CertificateAuthority;
  close(): Promise<void>;
}

/** Key labels in the fixture's token. */
export const KEY_LABELS = { root: 'ca-root', intermediate: 'ca-intermediate', ct: 'ctlog' };

export async function startCaFixture(): Promise<CaFixture> {
  const files = await mkdtemp(join(tmpdir(), 'airlock-ca-test-'));
  const hsm = await createSoftHsmToken();
  // Keys are generated inside the token (sensitive, never extractable) before any signer opens it.
  await generateKey(hsm.uri(KEY_LABELS.root), 'ecdsa-p384-sha384');
  await generateKey(hsm.uri(KEY_LABELS.intermediate), 'ecdsa-p256-sha256');
  await generateKey(hsm.uri(KEY_LABELS.ct), 'ecdsa-p256-sha256');
  await generateKey(hsm.uri('foreign-ctlog'), 'ecdsa-p256-sha256');
  const rootSigner = await openSigner(hsm.uri(KEY_LABELS.root));
  const intermediateSigner = await openSigner(hsm.uri(KEY_LABELS.intermediate));
  const ctSigner = await openSigner(hsm.uri(KEY_LABELS.ct));
  const foreignSigner = await openSigner(hsm.uri('foreign-ctlog'));
  const hierarchy = await createCaHierarchy({
    rootSigner,
    intermediateSigner,
    organization: 'Airlock test',
  });
  const ctLog = await startTestCtLog(ctSigner, foreignSigner);
  const idp = await startTestIdp();
  const staticKey = await generateSigningKey('ES256', 'static-1');
  const jwksFile = join(files, 'static.jwks.json');
  await writeFile(jwksFile, JSON.stringify(jwksOf(staticKey)));
  const oidcConfig = parseIssuerConfig({
    'oidc-issuers': {
      [idp.issuer]: { type: 'email' },
      // The same IdP under a name its discovery document does not use: tokens for it must fail.
      [`${idp.issuer}/`]: { type: 'email' },
      [STATIC_ISSUER]: { type: 'email', 'jwks-file': jwksFile },
    },
  });
  const verifier = new IdentityVerifier(oidcConfig);
  const issuingSigner = countingSigner(intermediateSigner);
  const issued: IssuanceRecord[] = [];
  const makeCa = (client: CtLogClient) =>
    new CertificateAuthority({
      signer: issuingSigner,
      chain: hierarchy.chain,
      identityVerifier: verifier,
      ctLog: client,
      onIssued: (record) => {
        issued.push(record);
      },
    });
  const ca = makeCa(new CtLogClient({ url: ctLog.url, publicKey: ctLog.publicKey }));
  const app = await createCaServer({ ca, oidcConfig });
  return {
    hsm,
    rootSigner,
    intermediateSigner,
    ctSigner,
    issuingSigner,
    hierarchy,
    root: hierarchy.root,
    intermediate: hierarchy.intermediate!,
    ctLog,
    idp,
    staticKey,
    oidcConfig,
    verifier,
    ca,
    app,
    issued,
    caWithCtClient: (options) =>
      makeCa(new CtLogClient({ url: ctLog.url, publicKey: ctLog.publicKey, ...options })),
    async close() {
      await app.close();
      await ctLog.close();
      await idp.close();
      for (const signer of [rootSigner, intermediateSigner, ctSigner, foreignSigner]) {
        await signer.close();
      }
      await hsm.cleanup();
      await rm(files, { recursive: true, force: true });
    },
  };
}

/** Claims of a token for STATIC_ISSUER that the CA accepts, with `extra` merged in. */
export function staticClaims(extra: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: STATIC_ISSUER,
    aud: 'sigstore',
    sub: 'static-user',
    email: 'static@airlock.test',
    email_verified: true,
    iat: now,
    exp: now + 600,
    ...extra,
  };
}

/** A proof of possession: the key's signature over the challenge, as sigstore-js makes it. */
export function proofOfPossession(privateKey: KeyObject, challenge: string): string {
  const digest = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(digest, Buffer.from(challenge), privateKey).toString('base64');
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

/** Runs `openssl` on files written to a temp directory; `{name}` in an argument is that file. */
export async function openssl(
  args: readonly string[],
  files: Record<string, string | Uint8Array>,
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-ca-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const resolved = args.map((arg) =>
      arg.replace(/\{([^}]+)\}/g, (_, name: string) => join(dir, name)),
    );
    try {
      const { stdout, stderr } = await run('openssl', resolved);
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A PEM PKCS#10 request for `privateKey`, made by the openssl CLI. */
export async function opensslCsr(privateKey: KeyObject): Promise<string> {
  const made = await openssl(['req', '-new', '-key', '{key.pem}', '-subj', '/CN=ignored'], {
    'key.pem': privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  });
  const pem = /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----\n/.exec(
    made.output,
  );
  if (!made.ok || pem === null) throw new Error(`openssl req failed: ${made.output}`);
  return pem[0];
}

/** `openssl verify -x509_strict` with the root as the only trust anchor, intermediates untrusted. */
export function opensslVerify(root: Uint8Array, intermediate: Uint8Array, leaf: Uint8Array) {
  return openssl(
    ['verify', '-x509_strict', '-CAfile', '{root.pem}', '-untrusted', '{int.pem}', '{leaf.pem}'],
    {
      'root.pem': pemEncode(root),
      'int.pem': pemEncode(intermediate),
      'leaf.pem': pemEncode(leaf),
    },
  );
}
