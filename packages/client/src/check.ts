// Verifies a bundle just made against a trusted root before anyone relies on it, as cosign does with
// `--trusted-root` on signing: it catches a CA, log or TSA the verifiers will not trust.
import { createHash, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { TrustedRootJson } from '@airlock/trust';
import type { Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type SignedEntity, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { ClientError, describeCause } from './errors.js';

/**
 * toSignedEntity, except that a DSSE bundle whose log entries are all hashedrekord 0.0.2 (Rekor v2)
 * is matched against its entries by SHA-256(PAE), the bytes the signature covers, as sigstore-go,
 * sigstore-python and rekor-tiles do (wire-formats §0.1 #6). @sigstore/verify 3.1 compares
 * SHA-256(payload) there and so rejects every such bundle (fixed upstream in sigstore-js #1677). The
 * digest is only swapped when no other kind of entry could read it.
 */
export function signedEntityOf(bundle: Bundle, artifact?: Uint8Array): SignedEntity {
  const entity = toSignedEntity(bundle, artifact === undefined ? undefined : Buffer.from(artifact));
  const { content } = bundle;
  const entries = bundle.verificationMaterial.tlogEntries;
  const v2Only =
    entries.length > 0 &&
    entries.every(
      (entry) =>
        entry.kindVersion?.kind === 'hashedrekord' && entry.kindVersion.version === '0.0.2',
    );
  if (content.$case !== 'dsseEnvelope' || !v2Only) return entity;
  const signedDigest = createHash('sha256')
    .update(dsse.preAuthEncoding(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload))
    .digest();
  const original = entity.signature;
  return {
    ...entity,
    signature: {
      signature: original.signature,
      compareSignature: (signature) => original.compareSignature(signature),
      compareDigest: (digest) =>
        digest.length === signedDigest.length && timingSafeEqual(digest, signedDigest),
      verifySignature: (key) => original.verifySignature(key),
    },
  };
}

export interface CheckBundleOptions {
  readonly bundle: Bundle;
  /** The signed bytes for a message signature; unused for DSSE (the envelope carries its payload). */
  readonly artifact?: Uint8Array;
  readonly trustedRoot: TrustedRootJson;
  /** For a keyed bundle: the key its hint stands for. */
  readonly publicKey?: { readonly hint: string; readonly key: KeyObject };
}

/**
 * Verifies with @sigstore/verify and its default thresholds (one tlog entry, one verified time, one
 * SCT for a certificate); a keyed bundle has no certificate and so no SCT. Throws CHECK_FAILED.
 */
export function checkBundle(options: CheckBundleOptions): void {
  const { publicKey } = options;
  const keys =
    publicKey === undefined
      ? undefined
      : (hint: string) => {
          if (hint !== publicKey.hint) throw new Error(`no key for hint ${hint}`);
          return { publicKey: publicKey.key, validFor: () => true };
        };
  try {
    const material = toTrustMaterial(TrustedRoot.fromJSON(options.trustedRoot), keys);
    const verifier = new Verifier(material, publicKey === undefined ? {} : { ctlogThreshold: 0 });
    verifier.verify(signedEntityOf(options.bundle, options.artifact));
  } catch (error) {
    throw new ClientError(
      'CHECK_FAILED',
      `the new bundle does not verify with the trusted root: ${describeCause(error)}`,
      { cause: error },
    );
  }
}
