// The CT log: the log engine holding RFC 6962 MerkleTreeLeaf entries, signed by one ECDSA P-256 key
// that signs SCTs, tree heads and the engine's C2SP checkpoints.
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer } from '@airlock/keys';
import { type BatchOptions, SqliteLogStore, TransparencyLog } from '@airlock/log';
import { noteSignerFromSigner } from '@airlock/note';
import {
  type CtEntry,
  ctLogId,
  issuerKeyHash,
  merkleTreeLeaf,
  precertTbsFromPrecert,
  type SignedCertificateTimestamp,
  signSct,
  TlsWriter,
} from '@airlock/x509';
import { type AcceptedChain, VerifiedLinks } from './chain.js';

export interface CtLogOptions {
  readonly dataDir: string;
  /** The C2SP origin of the log's checkpoints, e.g. `ct.example/airlock`. */
  readonly origin: string;
  /** Signs SCTs and tree heads: RFC 6962 and sigstore-python need ECDSA P-256. */
  readonly signer: Signer;
  /** DER certificates whose chains the log accepts (the CA's roots). */
  readonly roots: readonly Uint8Array[];
  readonly batch?: BatchOptions;
  readonly now?: () => number;
}

export class CtLog {
  readonly logId: Uint8Array;
  /** The accepted roots, parsed once. */
  readonly rootCertificates: readonly X509Certificate[];
  /** CA-to-CA chain links already verified. */
  readonly verifiedLinks = new VerifiedLinks();

  private constructor(
    readonly log: TransparencyLog,
    readonly signer: Signer,
    readonly roots: readonly Uint8Array[],
    private readonly now: () => number,
  ) {
    this.logId = ctLogId(signer.publicKey);
    this.rootCertificates = roots.map((root) => new X509Certificate(root));
  }

  static async open(options: CtLogOptions): Promise<CtLog> {
    if (options.signer.algorithm !== 'ecdsa-p256-sha256') {
      throw new Error('the CT log key must be ECDSA P-256: RFC 6962 clients verify SCTs with it');
    }
    if (options.roots.length === 0) throw new Error('a CT log needs at least one accepted root');
    mkdirSync(options.dataDir, { recursive: true });
    const log = await TransparencyLog.open({
      ...options.batch,
      store: new SqliteLogStore(join(options.dataDir, 'ctlog.db')),
      origin: options.origin,
      checkpointSigner: noteSignerFromSigner(options.origin, options.signer),
    });
    return new CtLog(log, options.signer, options.roots, options.now ?? Date.now);
  }

  /**
   * Logs a checked chain and returns its SCT once the entry is durable in the tree (so the SCT's
   * promise of inclusion is already kept).
   */
  async add(chain: AcceptedChain, precert: boolean): Promise<SignedCertificateTimestamp> {
    const entry: CtEntry = precert
      ? {
          type: 'precert',
          issuerKeyHash: issuerKeyHash(chain.issuer),
          tbsCertificate: precertTbsFromPrecert(chain.leaf),
        }
      : { type: 'x509', certificate: chain.leaf };
    const timestamp = this.now();
    const leaf = merkleTreeLeaf({ timestamp, entry });
    await this.log.add({ body: leaf, extraData: extraData(chain, precert) });
    return signSct({ timestamp, entry, signer: this.signer });
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/**
 * get-entries' extra_data (RFC 6962 §4.6): for an x509 entry the chain after the leaf
 * (`ASN.1Cert certificate_chain<0..2^24-1>`); for a precert entry a PrecertChainEntry (the
 * precertificate itself, then that chain).
 */
function extraData(chain: AcceptedChain, precert: boolean): Uint8Array {
  const certificates = new TlsWriter();
  for (const der of chain.rest) certificates.vector(der, 3);
  const list = certificates.finish();
  const writer = new TlsWriter();
  if (precert) writer.vector(chain.leaf, 3);
  return writer.vector(list, 3).finish();
}
