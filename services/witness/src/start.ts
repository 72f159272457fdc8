// Starts a witness as a process runs it: open the Ed25519 key by URI, read the state, listen.
import { listen } from '@airlock/http';
import { openSigner } from '@airlock/keys';
import type { FastifyInstance } from 'fastify';
import { createWitnessServer } from './server.js';
import { WitnessStateStore } from './state.js';
import { logVerifierFromText, Witness } from './witness.js';

export interface StartWitnessOptions {
  /** The witness's key name, e.g. `witness.example/w1`. */
  readonly name: string;
  /** `pkcs11:` or `file:` URI of the witness's Ed25519 key. */
  readonly keyUri: string;
  /** Where witness-state.json lives. */
  readonly dataDir: string;
  /** Each log: its origin and its key (a verifier key or a PEM public key). */
  readonly logs: readonly { readonly origin: string; readonly key: string }[];
  readonly listenHost: string;
  readonly port: number;
  readonly logger?: boolean;
}

export interface RunningWitness {
  readonly url: string;
  readonly witness: Witness;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startWitness(options: StartWitnessOptions): Promise<RunningWitness> {
  const signer = await openSigner(options.keyUri);
  try {
    const witness = new Witness({
      name: options.name,
      signer,
      logs: options.logs.map((log) => ({
        origin: log.origin,
        verifiers: [logVerifierFromText(log.origin, log.key)],
      })),
      state: WitnessStateStore.open(options.dataDir),
    });
    const app = await createWitnessServer({
      witness,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    const url = await listen(app, options.listenHost, options.port);
    return {
      url,
      witness,
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
