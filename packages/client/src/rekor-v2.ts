// A Witness that enters a signature in a Rekor v2 (tiles) log. sigstore-js's own v2 path names every
// key P-256 and sends a public key as if it were a certificate, and it sends DSSE as dsseRequestV002,
// which rekor-tiles no longer accepts; here every bundle is logged as hashedrekord 0.0.2 (a DSSE
// envelope over SHA-256(PAE), wire-formats §0.1 #6), with the verifier the bundle really carries.
import { createHash } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { dsse, pem } from '@sigstore/core';
import {
  PublicKeyDetails,
  TransparencyLogEntry as TransparencyLogEntryMessage,
} from '@sigstore/protobuf-specs';
import { CreateEntryRequest } from '@sigstore/protobuf-specs/rekor/v2';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';
import { ClientError, describeCause } from './errors.js';
import type { FetchOptions } from './signers.js';

const CERTIFICATE_PEM = '-----BEGIN CERTIFICATE-----';
/** Pause before the n-th retry: n times this. */
const RETRY_DELAY_MS = 250;

/** Statuses worth another try: the log is busy or briefly down. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class RekorV2Witness implements Witness {
  readonly #entriesUrl: string;
  readonly #fetch: FetchOptions;

  constructor(baseUrl: string, fetchOptions: FetchOptions) {
    this.#entriesUrl = `${baseUrl.replace(/\/+$/, '')}/api/v2/log/entries`;
    this.#fetch = fetchOptions;
  }

  async testify(content: SignatureBundle, publicKey: string): Promise<VerificationMaterial> {
    const verifier = publicKey.includes(CERTIFICATE_PEM)
      ? {
          $case: 'x509Certificate' as const,
          x509Certificate: { rawBytes: pem.toDER(publicKey) },
        }
      : { $case: 'publicKey' as const, publicKey: { rawBytes: pem.toDER(publicKey) } };
    const signed =
      content.$case === 'messageSignature'
        ? {
            digest: content.messageSignature.messageDigest!.digest,
            signature: content.messageSignature.signature,
          }
        : {
            digest: createHash('sha256')
              .update(
                dsse.preAuthEncoding(
                  content.dsseEnvelope.payloadType,
                  content.dsseEnvelope.payload,
                ),
              )
              .digest(),
            signature: content.dsseEnvelope.signatures[0]!.sig,
          };
    const request = CreateEntryRequest.toJSON({
      spec: {
        $case: 'hashedRekordRequestV002',
        hashedRekordRequestV002: {
          digest: signed.digest,
          signature: {
            content: signed.signature,
            // Only P-256 keys reach this point (keyedSigner, and the CA's ephemeral keys).
            verifier: { keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, verifier },
          },
        },
      },
    });
    const body = await this.#post(JSON.stringify(request));
    let entry: TransparencyLogEntry;
    try {
      const parsed = TransparencyLogEntryMessage.fromJSON(body);
      if (parsed.logId === undefined || parsed.kindVersion === undefined) throw new Error();
      entry = parsed as TransparencyLogEntry;
    } catch {
      throw new ClientError(
        'INVALID_RESPONSE',
        `the transparency log ${this.#entriesUrl} answered with no usable log entry`,
      );
    }
    return { tlogEntries: [entry] };
  }

  async #post(body: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise((wake) => setTimeout(wake, RETRY_DELAY_MS * attempt));
      let response: Response;
      try {
        response = await fetch(this.#entriesUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(this.#fetch.timeoutMs),
        });
      } catch (error) {
        if (attempt < this.#fetch.retries) continue;
        throw new ClientError(
          'SERVICE_FAILED',
          `transparency log ${this.#entriesUrl}: ${describeCause((error as Error).cause ?? error)}`,
          { cause: error },
        );
      }
      if (response.ok) {
        try {
          return await response.json();
        } catch {
          throw new ClientError(
            'INVALID_RESPONSE',
            `the transparency log ${this.#entriesUrl} answered with something other than JSON`,
          );
        }
      }
      if (retryable(response.status) && attempt < this.#fetch.retries) continue;
      const text = (await response.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
      throw new ClientError(
        'SERVICE_FAILED',
        `transparency log ${this.#entriesUrl} refused the entry: (${response.status}) ${text}`,
      );
    }
  }
}
