// Judges what @airlock/oci found attached to an image: each signature or attestation, in either
// layout, must name the image digest being verified and verify as a Sigstore bundle under the policy.
// Legacy `.sig`/`.att` layers carry no bundle, so one (v0.1: SET, no inclusion proof) is rebuilt
// from their annotations, which is what cosign verifies them with too.
import { createHash } from 'node:crypto';
import type {
  FoundAttestation,
  FoundSignature,
  LegacyAttestation,
  LegacySignature,
  RejectedItem,
  RekorBundle,
} from '@airlock/oci';
import { COSIGN_SIGN_PREDICATE_TYPE } from '@airlock/oci';
import {
  type Artifact,
  type VerificationPolicy,
  type VerificationResult,
  VerifyError,
  verifyBundle,
} from '@airlock/verify';

/** A legacy layer's rebuilt bundle: v0.1 is the version whose log entries may carry a SET alone. */
const LEGACY_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

export interface ImageCheckContext {
  /** The digest being verified (`sha256:<hex>`): what every item must name. */
  readonly subjectDigest: string;
  /** Parsed trusted_root.json. */
  readonly trustedRoot: unknown;
  readonly policy: VerificationPolicy;
}

export type ItemVerdict =
  | {
      readonly ok: true;
      readonly where: string;
      /** Who signed: the certificate identity and issuer, or "the given key". */
      readonly signer: string;
      /** The verified statement's predicate type (attestations and DSSE signatures). */
      readonly predicateType?: string;
    }
  | { readonly ok: false; readonly where: string; readonly reason: string };

/** The parts of a Sigstore bundle's JSON the legacy layout keeps (sigstore-js `SerializedBundle`). */
export interface SignedBundleJson {
  readonly verificationMaterial: {
    readonly tlogEntries: readonly {
      // Protobuf JSON leaves out zero values: the first entry of a log has no logIndex.
      readonly logIndex?: string | undefined;
      readonly logId: { readonly keyId: string };
      readonly integratedTime?: string | undefined;
      readonly inclusionPromise?: { readonly signedEntryTimestamp: string } | undefined;
      readonly canonicalizedBody: string;
    }[];
    readonly timestampVerificationData?:
      | { readonly rfc3161Timestamps: readonly { readonly signedTimestamp: string }[] }
      | undefined;
  };
}

/**
 * cosign's `dev.sigstore.cosign/bundle` annotation for a new bundle: its first log entry that has a
 * signed entry timestamp. Undefined when there is none (a Rekor v2 log gives none): the legacy
 * layout has no room for an inclusion proof, so such a signature cannot be stored there.
 */
export function rekorBundleOf(bundle: SignedBundleJson): RekorBundle | undefined {
  const entry = bundle.verificationMaterial.tlogEntries.find(
    (e) => e.inclusionPromise !== undefined,
  );
  if (entry?.inclusionPromise === undefined) return undefined;
  return {
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
    Payload: {
      body: entry.canonicalizedBody,
      integratedTime: Number(entry.integratedTime ?? '0'),
      logIndex: Number(entry.logIndex ?? '0'),
      logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
    },
  };
}

/** The first RFC 3161 timestamp of a new bundle (DER), for the legacy `rfc3161timestamp` annotation. */
export function firstTimestampOf(bundle: SignedBundleJson): Uint8Array | undefined {
  const first = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps[0];
  return first === undefined
    ? undefined
    : new Uint8Array(Buffer.from(first.signedTimestamp, 'base64'));
}

/** An item could not be used; the message says why, on one line. */
class Refused extends Error {}

function tlogEntryOf(rekor: RekorBundle): Record<string, unknown> {
  if (!/^[0-9a-f]{64}$/i.test(rekor.Payload.logID)) {
    throw new Refused('the rekor bundle annotation has a log ID that is not 32 bytes of hex');
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8'));
  } catch {
    throw new Refused('the rekor bundle annotation body is not base64 JSON');
  }
  const { kind, apiVersion } = (body ?? {}) as { kind?: unknown; apiVersion?: unknown };
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
    throw new Refused('the rekor bundle annotation body names no kind and apiVersion');
  }
  return {
    logIndex: String(rekor.Payload.logIndex),
    logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
    kindVersion: { kind, version: apiVersion },
    integratedTime: String(rekor.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
    canonicalizedBody: rekor.Payload.body,
  };
}

/** The DER of the first certificate in a PEM text. */
function firstCertificateDer(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (match === null) throw new Refused('the certificate annotation holds no PEM certificate');
  return match[1]!.replace(/\s+/g, '');
}

/**
 * Signing material for a rebuilt bundle, chosen by the policy: a key policy verifies with its own
 * key; a certificate policy needs the layer's certificate (the chain comes from the trusted root).
 */
function materialOf(
  item: LegacySignature | LegacyAttestation,
  policy: VerificationPolicy,
): Record<string, unknown> {
  if ('publicKey' in policy) return { publicKey: { hint: '' } };
  if (item.certificatePem === undefined) {
    throw new Refused('no certificate annotation, so no identity to check (signed with a key?)');
  }
  return {
    x509CertificateChain: {
      certificates: [{ rawBytes: firstCertificateDer(item.certificatePem) }],
    },
  };
}

function tlogEntriesOf(item: LegacySignature | LegacyAttestation): Record<string, unknown>[] {
  // No annotation, no log entry: verification then fails the one-entry threshold, as it must.
  return item.rekorBundle === undefined ? [] : [tlogEntryOf(item.rekorBundle)];
}

/** The bundle cosign's verifier would assemble from a `.sig` layer. */
export function legacySignatureBundle(
  item: LegacySignature,
  policy: VerificationPolicy,
): Record<string, unknown> {
  // The payload blob was digest-checked when read; the bundle names it by its SHA-256.
  const digest = createHash('sha256').update(item.payload).digest();
  return {
    mediaType: LEGACY_BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      ...materialOf(item, policy),
      tlogEntries: tlogEntriesOf(item),
      timestampVerificationData: {
        // cosign's annotation stamps the raw signature, as a bundle's timestamps do.
        rfc3161Timestamps:
          item.rfc3161Timestamp === undefined
            ? []
            : [{ signedTimestamp: Buffer.from(item.rfc3161Timestamp).toString('base64') }],
      },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
      signature: Buffer.from(item.signature).toString('base64'),
    },
  };
}

/**
 * The bundle for an `.att` layer. Its RFC 3161 annotation, if any, is left out: cosign stamps the
 * envelope there, not the signature as a bundle does, so it could not be checked as a bundle's.
 */
export function legacyAttestationBundle(
  item: LegacyAttestation,
  policy: VerificationPolicy,
): Record<string, unknown> {
  return {
    mediaType: LEGACY_BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      ...materialOf(item, policy),
      tlogEntries: tlogEntriesOf(item),
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: Buffer.from(item.envelope.payload).toString('base64'),
      payloadType: item.envelope.payloadType,
      signatures: item.envelope.signatures.map((s) => ({
        sig: Buffer.from(s.sig).toString('base64'),
        keyid: s.keyid,
      })),
    },
  };
}

/** The image digest as the artifact a bundle is about. */
function digestArtifact(digest: string): Artifact {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return { digest: { algorithm: algorithm === 'sha512' ? 'sha512' : 'sha256', hex } };
}

export function whereOf(item: FoundSignature | FoundAttestation): string {
  return item.layout === 'legacy-tag'
    ? `${item.tag} layer ${item.layer.digest}`
    : `referrer ${item.manifestDigest} (${item.source === 'api' ? 'referrers API' : 'referrers tag'})`;
}

function signerOf(result: VerificationResult): string {
  return result.identity !== undefined
    ? `${result.identity} (issuer ${result.issuer ?? 'unknown'})`
    : 'the given key';
}

/** Runs one check; a refusal or a VerifyError becomes a failed verdict, anything else is thrown. */
function judge(where: string, check: () => ItemVerdict): ItemVerdict {
  try {
    return check();
  } catch (error) {
    if (error instanceof Refused) return { ok: false, where, reason: error.message };
    if (error instanceof VerifyError) {
      return { ok: false, where, reason: `${error.code}: ${error.message}` };
    }
    throw error;
  }
}

function namesOther(named: readonly string[], subject: string): Refused {
  return new Refused(
    `names ${named.join(', ') || 'no digest'}, not ${subject}: it was made for another image`,
  );
}

/**
 * One signature: it must name the digest being verified (a signature copied from another image's
 * tag must not count) and verify under the policy. Legacy ones sign their simple signing payload;
 * referrer bundles sign the digest itself or an in-toto statement of cosign's sign type about it.
 */
export function checkSignature(item: FoundSignature, context: ImageCheckContext): ItemVerdict {
  const where = whereOf(item);
  return judge(where, () => {
    const { subjectDigest, trustedRoot, policy } = context;
    if (item.layout === 'legacy-tag') {
      if (!item.namesSubject || item.simpleSigning.dockerManifestDigest !== subjectDigest) {
        throw namesOther([item.namedDigest], subjectDigest);
      }
      const result = verifyBundle({
        bundle: legacySignatureBundle(item, policy),
        artifact: { bytes: item.payload },
        trustedRoot,
        policy,
      });
      return { ok: true, where, signer: signerOf(result) };
    }
    if (!item.namesSubject) throw namesOther(item.namedDigests, subjectDigest);
    const result = verifyBundle({
      bundle: item.bundle,
      artifact: digestArtifact(subjectDigest),
      trustedRoot,
      policy,
    });
    if (
      result.statement !== undefined &&
      result.statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE
    ) {
      throw new Refused(
        `the signed statement is a ${result.statement.predicateType} attestation, not a signature`,
      );
    }
    return {
      ok: true,
      where,
      signer: signerOf(result),
      ...(result.statement === undefined ? {} : { predicateType: result.statement.predicateType }),
    };
  });
}

/**
 * One attestation: its statement must list the digest being verified as a subject (checked on the
 * listing and again by the verifier on the signed statement) and its envelope verify under the policy.
 */
export function checkAttestation(item: FoundAttestation, context: ImageCheckContext): ItemVerdict {
  const where = whereOf(item);
  return judge(where, () => {
    const { subjectDigest, trustedRoot, policy } = context;
    if (!item.namesSubject) throw namesOther(item.namedDigests, subjectDigest);
    const bundle =
      item.layout === 'legacy-tag' ? legacyAttestationBundle(item, policy) : item.bundle;
    const result = verifyBundle({
      bundle,
      artifact: digestArtifact(subjectDigest),
      trustedRoot,
      policy,
    });
    if (result.statement === undefined) throw new Refused('it holds no in-toto statement');
    return {
      ok: true,
      where,
      signer: signerOf(result),
      predicateType: result.statement.predicateType,
    };
  });
}

/** Something attached that could not even be read counts as checked and failed. */
export function rejectedVerdict(item: RejectedItem): ItemVerdict {
  const where =
    item.layout === 'legacy-tag'
      ? `${item.location}${item.digest === '' ? '' : ` layer ${item.digest}`}`
      : `referrer ${item.digest} (${item.location === 'api' ? 'referrers API' : 'referrers tag'})`;
  return { ok: false, where, reason: `${item.error.code}: ${item.error.message}` };
}
