// Starts the timestamp authority as a process runs it: open the key by URI, read the chain, check
// they agree, listen.
import { readFile } from 'node:fs/promises';
import { createServiceServer, listen } from '@airlock/http';
import { type OpenSignerOptions, openSigner } from '@airlock/keys';
import type { Accuracy } from '@airlock/timestamp';
import { pemDecodeAll } from '@airlock/x509';
import type { FastifyInstance } from 'fastify';
import { TSA_QUERY_BODY_LIMIT, tsaPlugin } from './plugin.js';
import { TimestampAuthority } from './tsa.js';

export interface StartTsaOptions {
  /** Address and port to listen on; port 0 picks a free one. */
  readonly listenHost: string;
  readonly port: number;
  /** `pkcs11:` or `file:` URI of the TSA key. */
  readonly keyUri: string;
  /** PIN, module and password sources for the key URI, and the PKCS#11 session pool. */
  readonly keyOptions?: OpenSignerOptions;
  /** The chain as PEM, TSA leaf first, root last; or the file that holds it. */
  readonly chain: { readonly pem: string } | { readonly file: string };
  readonly policy?: string;
  readonly acceptedPolicies?: readonly string[];
  readonly accuracy?: Accuracy | null;
  readonly includeChainInResponse?: boolean;
  readonly prefix?: string;
  readonly logger?: boolean;
}

export interface RunningTsa {
  /** Base URL; sigstore-js's tsaBaseURL, and `<url>/api/v1/timestamp` is the signing_config URL. */
  readonly url: string;
  readonly tsa: TimestampAuthority;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function createTsaServer(
  tsa: TimestampAuthority,
  options: { prefix?: string; logger?: boolean } = {},
): Promise<FastifyInstance> {
  const { app } = createServiceServer({
    service: 'tsa',
    // The JSON parser has its own, smaller limit.
    bodyLimit: TSA_QUERY_BODY_LIMIT,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(tsaPlugin, {
    tsa,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  return app;
}

export async function startTsa(options: StartTsaOptions): Promise<RunningTsa> {
  const pem =
    'pem' in options.chain ? options.chain.pem : await readFile(options.chain.file, 'utf8');
  const chain = pemDecodeAll(pem, 'CERTIFICATE');
  const signer = await openSigner(options.keyUri, options.keyOptions);
  try {
    const tsa = await TimestampAuthority.create({
      signer,
      chain,
      ...(options.policy !== undefined ? { policy: options.policy } : {}),
      ...(options.acceptedPolicies !== undefined
        ? { acceptedPolicies: options.acceptedPolicies }
        : {}),
      ...(options.accuracy !== undefined ? { accuracy: options.accuracy } : {}),
      ...(options.includeChainInResponse !== undefined
        ? { includeChainInResponse: options.includeChainInResponse }
        : {}),
    });
    const app = await createTsaServer(tsa, {
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    const url = await listen(app, options.listenHost, options.port);
    return {
      url: `${url}${options.prefix ?? ''}`,
      tsa,
      app,
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
