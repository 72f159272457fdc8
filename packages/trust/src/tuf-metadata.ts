// TUF keys and signatures made through Airlock Signers: a key's TUF form and key ID, and signatures
// over the canonical JSON of `signed` that go-tuf, python-tuf and tuf-js all verify.
import { createHash, type KeyObject } from 'node:crypto';
import type { Signer } from '@airlock/keys';
import { canonicalize } from '@tufjs/canonical-json';
import { spkiOf } from './encoding.js';
import { TrustError } from './errors.js';

/** The TUF specification version written into every role. */
export const TUF_SPEC_VERSION = '1.0.31';

export interface TufKeyJson {
  readonly keytype: 'ed25519' | 'ecdsa';
  readonly scheme: 'ed25519' | 'ecdsa-sha2-nistp256';
  readonly keyval: { readonly public: string };
}

export interface TufKey {
  /** Hex SHA-256 of the canonical JSON of `json`, as the TUF specification defines key IDs. */
  readonly keyId: string;
  readonly json: TufKeyJson;
}

export interface TufSignatureJson {
  readonly keyid: string;
  readonly sig: string;
}

export interface TufEnvelope<Signed> {
  readonly signatures: readonly TufSignatureJson[];
  readonly signed: Signed;
}

/**
 * The TUF form of a public key. Only Ed25519 and ECDSA P-256 are offered: tuf-js verifies ECDSA
 * with SHA-256 whatever the curve, so a P-384 key (which Airlock signs with SHA-384) would never
 * verify there.
 */
export function tufKeyOf(publicKey: KeyObject): TufKey {
  let json: TufKeyJson;
  if (publicKey.asymmetricKeyType === 'ed25519') {
    const spki = spkiOf(publicKey);
    json = {
      keytype: 'ed25519',
      scheme: 'ed25519',
      keyval: { public: Buffer.from(spki.subarray(spki.length - 32)).toString('hex') },
    };
  } else if (
    publicKey.asymmetricKeyType === 'ec' &&
    publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  ) {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    json = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem } };
  } else {
    throw new TrustError(
      'UNSUPPORTED_KEY',
      'TUF keys are Ed25519 or ECDSA P-256 (tuf-js verifies every ECDSA key with SHA-256)',
    );
  }
  return { keyId: sha256Hex(canonicalize(json)), json };
}

/**
 * Signs `signed` with each signer (once per distinct key) and returns the envelope. Signatures are
 * hex: DER for ECDSA, the 64 raw bytes for Ed25519, as Signers make them.
 */
export async function signEnvelope<Signed extends object>(
  signed: Signed,
  signers: readonly Signer[],
): Promise<TufEnvelope<Signed>> {
  const message = Buffer.from(canonicalize(signed), 'utf8');
  const seen = new Set<string>();
  const signatures: TufSignatureJson[] = [];
  for (const signer of signers) {
    const { keyId } = tufKeyOf(signer.publicKey);
    if (seen.has(keyId)) continue;
    seen.add(keyId);
    const signature = await signer.sign(message);
    signatures.push({ keyid: keyId, sig: Buffer.from(signature).toString('hex') });
  }
  return { signatures, signed };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
