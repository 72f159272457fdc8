// Starts the development stack in this process: dev IdP, CT log, CA, transparency log; writes the
// trusted root, the signing config and stack.json that clients read.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CaHierarchy, createCaHierarchy, type RunningCa, startCa } from '@airlock/ca';
import { type RunningCtLog, startCtLog } from '@airlock/ctlog';
import type { TestIdp } from '@airlock/dev-idp';
import { openSigner, readPublicKey } from '@airlock/keys';
import { type RunningTlog, startTlog } from '@airlock/tlog';
import { buildSigningConfig, buildTrustedRoot } from '@airlock/trust';
import { type RunningTsa, startTsa } from '@airlock/tsa';
import { startTufServer } from '@airlock/tuf-server';
import { createRootCertificate, createTimestampingCertificate, pemEncode } from '@airlock/x509';
import type { StackConfig } from './config.js';
import { ensureStackKeys, loadOrCreateState, type StackKeyUris } from './keys.js';
import { stackLayout } from './layout.js';
import { publishTrust } from './tuf.js';

/** Loopback ports of the development stack (Sigstore's usual ones where there is one). */
export const DEFAULT_STACK_PORTS = {
  oidc: 5556,
  ca: 5555,
  ctlog: 6962,
  tlog: 3000,
  tsa: 3004,
  tuf: 8088,
} as const;
export type StackPorts = { -readonly [K in keyof typeof DEFAULT_STACK_PORTS]: number };

/** The hostname every service is reached by: checkpoints carry it, so it must be the URLs' host. */
export const STACK_HOST = '127.0.0.1';
/** The operator named in the signing config. */
export const STACK_OPERATOR = 'airlock.dev';

export interface StackOptions {
  readonly dir: string;
  /** Port 0 lets the kernel choose; defaults are DEFAULT_STACK_PORTS, then the config's. */
  readonly ports?: Partial<StackPorts>;
  /** An operator's configuration (airlock up --config); flags given as options win over it. */
  readonly config?: StackConfig;
}

/** What clients need, as written to stack.json. */
export interface StackDescription {
  readonly oidc: string;
  readonly ca: string;
  readonly ctlog: string;
  readonly tlog: string;
  /** The full URL time-stamp requests are posted to. */
  readonly tsa: string;
  readonly tuf: string;
  readonly trustedRoot: string;
  readonly signingConfig: string;
  /** The TUF root clients start from (tuf-js, sigstore-js `tufRootPath`). */
  readonly tufRoot: string;
  readonly keyBackend: 'softhsm' | 'file';
  readonly keys: StackKeyUris;
}

export interface RunningStack {
  readonly description: StackDescription;
  readonly stackJson: string;
  /** The development IdP, unless the configuration names the organisation's issuers. */
  readonly idp?: TestIdp;
  close(): Promise<void>;
}

async function ensureCaHierarchy(
  keys: StackKeyUris,
  caChain: string,
  caRoot: string,
): Promise<string> {
  if (existsSync(caChain)) return readFileSync(caChain, 'utf8');
  const rootSigner = await openSigner(keys['ca-root']);
  const intermediateSigner = await openSigner(keys['ca-intermediate']);
  let hierarchy: CaHierarchy;
  try {
    hierarchy = await createCaHierarchy({
      rootSigner,
      intermediateSigner,
      organization: 'Airlock development',
    });
  } finally {
    await Promise.all([rootSigner.close(), intermediateSigner.close()]);
  }
  mkdirSync(dirname(caChain), { recursive: true });
  writeFileSync(caChain, hierarchy.chainPem);
  writeFileSync(caRoot, pemEncode(hierarchy.root, 'CERTIFICATE'));
  return hierarchy.chainPem;
}

/** The TSA's chain (signing certificate, root), made once. */
async function ensureTsaChain(keys: StackKeyUris, path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const rootSigner = await openSigner(keys['tsa-root']);
  try {
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const root = await createRootCertificate({
      signer: rootSigner,
      subject: { commonName: 'Airlock development TSA root', organization: 'Airlock development' },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * day),
    });
    const leaf = await createTimestampingCertificate({
      issuerCert: root,
      issuerSigner: rootSigner,
      publicKey: await readPublicKey(keys.tsa),
      subject: { commonName: 'Airlock development TSA', organization: 'Airlock development' },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3649 * day),
    });
    const pem = pemEncode(leaf, 'CERTIFICATE') + pemEncode(root, 'CERTIFICATE');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, pem);
    return pem;
  } finally {
    await rootSigner.close();
  }
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const config = options.config ?? {};
  const layout = stackLayout(options.dir);
  const ports: StackPorts = { ...DEFAULT_STACK_PORTS, ...config.ports, ...options.ports };
  const host = config.host ?? STACK_HOST;
  const state = loadOrCreateState(layout);
  const keys: StackKeyUris = {
    ...(await ensureStackKeys(layout, state.keyBackend)),
    ...config.keys,
  };
  const chainPem = await ensureCaHierarchy(keys, layout.caChain, layout.caRoot);
  const tsaChainPem = await ensureTsaChain(keys, layout.tsaChain);
  const since = state.createdAt;

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  try {
    // The organisation's IdP when configured; otherwise the development one, on loopback only.
    // Loaded only when used: oidc-provider prints warnings on Node 20 as soon as it is imported.
    const idp = config.oidc?.issuers
      ? undefined
      : await (await import('@airlock/dev-idp')).startTestIdp({ port: ports.oidc });
    if (idp) closers.push(() => idp.close());
    const issuers: Record<string, unknown> = idp
      ? { [idp.issuer]: { 'issuer-url': idp.issuer, 'client-id': 'sigstore', type: 'email' } }
      : config.oidc!.issuers!;
    const oidcUrl = idp?.issuer ?? Object.keys(issuers)[0]!;

    const ctlog: RunningCtLog = await startCtLog({
      dataDir: layout.ctlogDir,
      origin: `${host}/ctlog`,
      keyUri: keys.ctlog,
      rootsPem: layout.caRoot,
      listenHost: host,
      port: ports.ctlog,
    });
    closers.push(() => ctlog.close());

    const ca: RunningCa = await startCa({
      listenHost: host,
      port: ports.ca,
      caKeyUri: keys['ca-intermediate'],
      chain: { pem: chainPem },
      issuerConfig: { 'oidc-issuers': issuers },
      ctUrl: ctlog.url,
      ctPublicKey: ctlog.ct.signer.publicKey,
    });
    closers.push(() => ca.close());

    const tlog: RunningTlog = await startTlog({
      dataDir: layout.tlogDir,
      hostname: host,
      listenHost: host,
      port: ports.tlog,
      v1KeyUri: keys['rekor-v1'],
      v2KeyUri: keys['rekor-v2'],
      ...(config.tlog ? { batch: config.tlog } : {}),
    });
    closers.push(() => tlog.close());

    const tsa: RunningTsa = await startTsa({
      listenHost: host,
      port: ports.tsa,
      keyUri: keys.tsa,
      chain: { pem: tsaChainPem },
    });
    closers.push(() => tsa.close());
    const tsaUrl = `${tsa.url}/api/v1/timestamp`;

    const trustedRoot = buildTrustedRoot({
      certificateAuthorities: [{ uri: ca.url, chain: chainPem }],
      tlogs: [
        {
          baseUrl: tlog.url,
          publicKey: await readPublicKey(keys['rekor-v1']),
          validFor: { start: since },
        },
        {
          baseUrl: tlog.url,
          publicKey: await readPublicKey(keys['rekor-v2']),
          validFor: { start: since },
          origin: host,
        },
      ],
      ctlogs: [
        { baseUrl: ctlog.url, publicKey: ctlog.ct.signer.publicKey, validFor: { start: since } },
      ],
      timestampAuthorities: [{ uri: tsaUrl, chain: tsaChainPem }],
    });
    const trustedRootText = `${JSON.stringify(trustedRoot, null, 2)}\n`;
    writeFileSync(layout.trustedRoot, trustedRootText);
    const signingConfig = buildSigningConfig({
      caUrls: [{ url: ca.url, validFor: { start: since }, operator: STACK_OPERATOR }],
      oidcUrls: [{ url: oidcUrl, validFor: { start: since }, operator: STACK_OPERATOR }],
      rekorTlogUrls: [
        { url: tlog.url, majorApiVersion: 1, validFor: { start: since }, operator: STACK_OPERATOR },
      ],
      tsaUrls: [{ url: tsaUrl, validFor: { start: since }, operator: STACK_OPERATOR }],
    });
    const signingConfigText = `${JSON.stringify(signingConfig, null, 2)}\n`;
    writeFileSync(layout.signingConfig, signingConfigText);

    const tufSigners = await publishTrust(layout, keys, trustedRootText, signingConfigText);
    closers.push(() => tufSigners.close());
    const tuf = await startTufServer({
      dir: layout.tufDir,
      listen: { host, port: ports.tuf },
      timestampSigner: tufSigners.timestamp,
      snapshotSigner: tufSigners.snapshot,
    });
    closers.push(() => tuf.close());

    const description: StackDescription = {
      oidc: oidcUrl,
      ca: ca.url,
      ctlog: ctlog.url,
      tlog: tlog.url,
      tsa: tsaUrl,
      tuf: tuf.url,
      trustedRoot: layout.trustedRoot,
      signingConfig: layout.signingConfig,
      tufRoot: join(layout.tufDir, '1.root.json'),
      keyBackend: state.keyBackend,
      keys,
    };
    writeFileSync(layout.stackJson, `${JSON.stringify(description, null, 2)}\n`);
    return { description, stackJson: layout.stackJson, ...(idp ? { idp } : {}), close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
