// Signing a blob or an attestation into a Sigstore bundle v0.3: sign (keyless or keyed), have every
// log and TSA testify, assemble, and check the result against the trusted root when one is known.
import { createHash } from 'node:crypto';
import type { Signer as KeySigner } from '@airlock/keys';
import type { TrustedRootJson } from '@airlock/trust';
import {
  assertBundleLatest,
  type Bundle,
  bundleToJSON,
  envelopeToJSON,
  type SerializedBundle,
  type SerializedEnvelope,
  toDSSEBundle,
  toMessageSignatureBundle,
} from '@sigstore/bundle';
import { dsse, pem } from '@sigstore/core';
import {
  InternalError,
  RekorWitness,
  type Signature,
  type Signer as SigstoreSigner,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';
import { checkBundle } from './check.js';
import { ClientError, describeCause } from './errors.js';
import { RekorV2Witness } from './rekor-v2.js';
import type { TlogService } from './services.js';
import {
  CLIENT_DEFAULTS,
  type FetchOptions,
  keyedSigner,
  keyHint,
  keylessSigner,
} from './signers.js';
import {
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  type StatementInput,
} from './statement.js';
import { inspectIdentityToken } from './token.js';

/** Who signs and with which services. Give exactly one of identityToken and keySigner. */
export interface SignOptions {
  /** Keyless: an OIDC identity token; the CA certifies an ephemeral P-256 key for its identity. */
  readonly identityToken?: string;
  /** Keyed: a key opened with @airlock/keys (`file:` or `pkcs11:`); it must be ECDSA P-256. */
  readonly keySigner?: KeySigner;
  /** The CA's base URL; required for keyless signing. */
  readonly caUrl?: string;
  /** The logs to enter the signature in (at least one). */
  readonly tlogs: readonly TlogService[];
  /** Timestamp authorities; required when a log is Rekor v2, which gives no signed time. */
  readonly tsaUrls?: readonly string[];
  /** When given, the new bundle must verify against it (default thresholds) before it is returned. */
  readonly trustedRoot?: TrustedRootJson;
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface SignBlobOptions extends SignOptions {
  readonly artifact: Uint8Array;
  /** `messageSignature` (default): sign the bytes. `dsseEnvelope`: sign them as a DSSE payload. */
  readonly bundleType?: 'messageSignature' | 'dsseEnvelope';
  /** The DSSE payload type (default: an in-toto statement's). */
  readonly payloadType?: string;
}

export interface SignResult {
  /** The bundle as JSON (protobuf JSON encoding), ready to write to a `.sigstore.json` file. */
  readonly bundle: SerializedBundle;
  /** The raw signature (for DSSE, the envelope's one signature). */
  readonly signature: Uint8Array;
  /** The signing certificate, keyless only. */
  readonly certificatePem?: string;
  /** The DSSE envelope, for DSSE bundles. */
  readonly envelope?: SerializedEnvelope;
}

export interface AttestBlobOptions extends SignOptions, StatementInput {}

export interface AttestResult extends SignResult {
  readonly statement: InTotoStatement;
  readonly envelope: SerializedEnvelope;
}

type Content =
  | { readonly type: 'messageSignature'; readonly data: Buffer }
  | { readonly type: 'dsseEnvelope'; readonly payload: Buffer; readonly payloadType: string };

interface Plan {
  readonly signer: SigstoreSigner;
  readonly witnesses: readonly Witness[];
  readonly keyed?: { readonly hint: string; readonly key: KeySigner['publicKey'] };
  /** Removes the token from text that came back from a service, in case it was echoed. */
  readonly redact: (text: string) => string;
}

function plan(options: SignOptions): Plan {
  const fetch: FetchOptions = {
    timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    retries: options.retries ?? CLIENT_DEFAULTS.retries,
  };
  const token = options.identityToken;
  if (token !== undefined && options.keySigner !== undefined) {
    throw new ClientError(
      'CONFLICTING_OPTIONS',
      'sign with an identity token or with a key, not both',
    );
  }
  if (options.tlogs.length === 0) {
    throw new ClientError('NO_SERVICE', 'no transparency log to enter the signature in');
  }
  const tsaUrls = options.tsaUrls ?? [];
  const v2 = options.tlogs.find((tlog) => tlog.majorApiVersion === 2);
  if (v2 !== undefined && tsaUrls.length === 0) {
    throw new ClientError(
      'NO_SERVICE',
      `the Rekor v2 log ${v2.url} gives no signed time: a timestamp authority is required with it`,
    );
  }
  const witnesses: Witness[] = [
    ...options.tlogs.map((tlog) =>
      tlog.majorApiVersion === 2
        ? new RekorV2Witness(tlog.url, fetch)
        : new RekorWitness({
            rekorBaseURL: tlog.url,
            majorApiVersion: 1,
            timeout: fetch.timeoutMs,
            retry: { retries: fetch.retries },
          }),
    ),
    ...tsaUrls.map(
      (url) =>
        new TSAWitness({
          tsaBaseURL: url,
          timeout: fetch.timeoutMs,
          retry: { retries: fetch.retries },
        }),
    ),
  ];
  if (options.keySigner !== undefined) {
    const { publicKey } = options.keySigner;
    return {
      signer: keyedSigner(options.keySigner),
      witnesses,
      keyed: { hint: keyHint(publicKey), key: publicKey },
      redact: (text) => text,
    };
  }
  if (token === undefined) {
    throw new ClientError('NO_IDENTITY', 'no identity token and no key to sign with');
  }
  if (options.caUrl === undefined) {
    throw new ClientError('NO_SERVICE', 'keyless signing needs a certificate authority URL');
  }
  inspectIdentityToken(token);
  return {
    signer: keylessSigner(options.caUrl, token, fetch),
    witnesses,
    redact: (text) => text.split(token).join('<identity token>'),
  };
}

/** sigstore-js's errors say what failed; this says which service and never repeats the token. */
function serviceError(error: unknown, what: string, redact: (text: string) => string): ClientError {
  if (error instanceof ClientError) return error;
  const cause = error instanceof InternalError && error.cause !== undefined ? error.cause : error;
  const detail =
    error instanceof InternalError && error.message.includes(' - ')
      ? error.message.slice(error.message.indexOf(' - ') + 3)
      : describeCause(cause);
  return new ClientError('SERVICE_FAILED', redact(`${what}: ${detail}`), { cause: error });
}

async function createBundle(
  content: Content,
  options: SignOptions,
): Promise<SignResult & { readonly object: Bundle }> {
  const { signer, witnesses, keyed, redact } = plan(options);
  const toSign =
    content.type === 'messageSignature'
      ? content.data
      : dsse.preAuthEncoding(content.payloadType, content.payload);
  let signature: Signature;
  try {
    signature = await signer.sign(toSign);
  } catch (error) {
    throw serviceError(
      error,
      keyed !== undefined
        ? 'signing with the key failed'
        : `certificate authority ${options.caUrl}`,
      redact,
    );
  }
  const certificate =
    signature.key.$case === 'x509Certificate' ? pem.toDER(signature.key.certificate) : undefined;
  const material = {
    ...(certificate !== undefined ? { certificate } : {}),
    ...(keyed !== undefined ? { keyHint: keyed.hint } : {}),
    // v0.3: the leaf alone, as `certificate`; verifiers build the chain from the trusted root.
    certificateChain: false,
  };
  const bundle: Bundle =
    content.type === 'messageSignature'
      ? toMessageSignatureBundle({
          digest: createHash('sha256').update(content.data).digest(),
          signature: signature.signature,
          ...material,
        })
      : toDSSEBundle({
          artifact: content.payload,
          artifactType: content.payloadType,
          signature: signature.signature,
          ...material,
        });

  const verifierKey =
    signature.key.$case === 'x509Certificate' ? signature.key.certificate : signature.key.publicKey;
  const testimonies = await Promise.all(
    witnesses.map((witness, i) =>
      witness.testify(bundle.content, verifierKey).catch((error: unknown) => {
        const tlog = options.tlogs[i];
        const what =
          tlog !== undefined
            ? `transparency log ${tlog.url}`
            : `timestamp authority ${options.tsaUrls?.[i - options.tlogs.length]}`;
        throw serviceError(error, what, redact);
      }),
    ),
  );
  bundle.verificationMaterial.tlogEntries = testimonies.flatMap((t) => t.tlogEntries ?? []);
  bundle.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: testimonies.flatMap((t) => t.rfc3161Timestamps ?? []),
  };
  try {
    assertBundleLatest(bundle);
  } catch (error) {
    throw new ClientError(
      'INVALID_RESPONSE',
      `the services' answers do not make a valid v0.3 bundle: ${describeCause(error)}`,
      { cause: error },
    );
  }
  if (options.trustedRoot !== undefined) {
    checkBundle({
      bundle,
      ...(content.type === 'messageSignature' ? { artifact: content.data } : {}),
      trustedRoot: options.trustedRoot,
      ...(keyed !== undefined ? { publicKey: keyed } : {}),
    });
  }
  const rawSignature =
    bundle.content.$case === 'messageSignature'
      ? bundle.content.messageSignature.signature
      : bundle.content.dsseEnvelope.signatures[0]!.sig;
  return {
    object: bundle,
    bundle: bundleToJSON(bundle),
    signature: new Uint8Array(rawSignature),
    ...(signature.key.$case === 'x509Certificate'
      ? { certificatePem: normalizePem(signature.key.certificate) }
      : {}),
    ...(bundle.content.$case === 'dsseEnvelope'
      ? { envelope: envelopeToJSON(bundle.content.dsseEnvelope) }
      : {}),
  };
}

function normalizePem(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Signs bytes into a Sigstore bundle v0.3: a message signature with a hashedrekord entry (cosign
 * `sign-blob --bundle`), or, with bundleType `dsseEnvelope`, a DSSE envelope over them.
 */
export async function signBlob(options: SignBlobOptions): Promise<SignResult> {
  const data = Buffer.from(options.artifact);
  const content: Content =
    options.bundleType === 'dsseEnvelope'
      ? {
          type: 'dsseEnvelope',
          payload: data,
          payloadType: options.payloadType ?? IN_TOTO_PAYLOAD_TYPE,
        }
      : { type: 'messageSignature', data };
  const { object: _bundle, ...result } = await createBundle(content, options);
  return result;
}

/**
 * Attests to an artifact (cosign `attest-blob --bundle`): an in-toto Statement v1 naming the artifact
 * by its SHA-256, signed in a DSSE envelope, in a bundle v0.3.
 */
export async function attestBlob(options: AttestBlobOptions): Promise<AttestResult> {
  const statement = buildStatement(options);
  const { object: _bundle, ...result } = await createBundle(
    {
      type: 'dsseEnvelope',
      payload: Buffer.from(JSON.stringify(statement)),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
    },
    options,
  );
  return { ...result, statement, envelope: result.envelope! };
}
