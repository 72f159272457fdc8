// Starts the CA as a process would run it: open the issuing key by URI, read the chain, build the
// identity verifier and the CT log client, listen.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type OpenedSigner, type OpenSignerOptions, openSigner } from '@airlock/keys';
import {
  IdentityVerifier,
  type IdentityVerifierOptions,
  type OidcConfig,
  parseIssuerConfig,
} from '@airlock/oidc';
import { pemDecodeAll } from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { CertificateAuthority, type IssuanceRecord } from './ca.js';
import { CaError } from './ca-error.js';
import { CtLogClient } from './ct-client.js';
import { createCaServer } from './server.js';

export interface StartCaOptions {
  /** Address and port to listen on; port 0 picks a free one. */
  readonly listenHost: string;
  readonly port: number;
  /** `pkcs11:` or `file:` URI of the issuing key: the intermediate's, or the root's if there is none. */
  readonly caKeyUri: string;
  /** PIN, module and password sources for the key URI. */
  readonly keyOptions?: OpenSignerOptions;
  /** The CA chain as PEM, issuing certificate first, root last; or the file that holds it. */
  readonly chain: { readonly pem: string } | { readonly file: string };
  /** The issuer configuration as parsed from Fulcio-style YAML or JSON. */
  readonly issuerConfig: unknown;
  /** Folder that relative paths in the issuer configuration are resolved against. */
  readonly issuerConfigBaseDir?: string;
  readonly verifierOptions?: IdentityVerifierOptions;
  /** The CT log's base URL (add-pre-chain is posted under it) and its public key (PEM or KeyObject). */
  readonly ctUrl: string;
  readonly ctPublicKey: KeyObject | string;
  readonly ctTimeoutMs?: number;
  readonly ctRetries?: number;
  readonly onIssued?: (record: IssuanceRecord) => void | Promise<void>;
  readonly bodyLimit?: number;
  readonly logger?: boolean;
}

export interface RunningCa {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly ca: CertificateAuthority;
  readonly oidcConfig: OidcConfig;
  close(): Promise<void>;
}

async function readChain(chain: StartCaOptions['chain']): Promise<Uint8Array[]> {
  let pem: string;
  if ('pem' in chain) {
    pem = chain.pem;
  } else {
    try {
      pem = await readFile(chain.file, 'utf8');
    } catch (error) {
      throw new CaError('INVALID_CONFIG', `cannot read the CA chain file ${chain.file}`, {
        cause: error,
      });
    }
  }
  try {
    return pemDecodeAll(pem, 'CERTIFICATE');
  } catch (error) {
    throw new CaError('INVALID_CONFIG', 'the CA chain is not PEM certificates', { cause: error });
  }
}

function ctPublicKeyOf(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return createPublicKey({ key, format: 'pem' });
  } catch (error) {
    throw new CaError('INVALID_CONFIG', 'the CT log public key is not a PEM public key', {
      cause: error,
    });
  }
}

/** What /readyz signs to prove the CA key is usable. */
const READINESS_PROBE = new TextEncoder().encode('airlock ca readiness');

export async function startCa(options: StartCaOptions): Promise<RunningCa> {
  // Everything that needs no key is checked first, so a bad configuration never touches the HSM.
  const chain = await readChain(options.chain);
  const oidcConfig = parseIssuerConfig(
    options.issuerConfig,
    options.issuerConfigBaseDir === undefined ? {} : { baseDir: options.issuerConfigBaseDir },
  );
  const identityVerifier = new IdentityVerifier(oidcConfig, options.verifierOptions);
  const ctLog = new CtLogClient({
    url: options.ctUrl,
    publicKey: ctPublicKeyOf(options.ctPublicKey),
    ...(options.ctTimeoutMs === undefined ? {} : { timeoutMs: options.ctTimeoutMs }),
    ...(options.ctRetries === undefined ? {} : { retries: options.ctRetries }),
  });

  let signer: OpenedSigner;
  try {
    signer = await openSigner(options.caKeyUri, options.keyOptions);
  } catch (error) {
    // KeysError messages never hold a PIN or password; the URI is not repeated (it may hold a pin-value).
    const detail = error instanceof Error ? `: ${error.message}` : '';
    throw new CaError('INVALID_CONFIG', `cannot open the CA signing key${detail}`, {
      cause: error,
    });
  }
  try {
    const issued = new Counter({
      name: 'airlock_ca_certificates_issued_total',
      help: 'Certificates issued (each with an SCT from the CT log)',
      registers: [],
    });
    let app: FastifyInstance | undefined;
    const ca = new CertificateAuthority({
      signer,
      chain,
      identityVerifier,
      ctLog,
      onIssued: async (record) => {
        // The audit trail: who got which certificate when. The record holds no token or secret.
        app?.log.info({ audit: { event: 'certificate_issued', ...record } }, 'certificate issued');
        await options.onIssued?.(record);
        issued.inc();
      },
    });
    app = await createCaServer({
      ca,
      oidcConfig,
      // Readiness includes the HSM: a session that died shows up here, not at the next request.
      readiness: () => signer.sign(READINESS_PROBE),
      metrics: (registry) => registry.registerMetric(issued),
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    await app.listen({ host: options.listenHost, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.listenHost.includes(':') ? `[${options.listenHost}]` : options.listenHost;
    return {
      url: `http://${host}:${port}`,
      app,
      ca,
      oidcConfig,
      async close() {
        await app.close();
        await signer.close();
      },
    };
  } catch (error) {
    await signer.close();
    throw error;
  }
}
