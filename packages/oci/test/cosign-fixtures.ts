// Signed test material for the cosign layout tests: simple signing payloads, DSSE envelopes over
// in-toto statements and v0.3 bundles, all signed for real with a throwaway P-256 key.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  buildSimpleSigningPayload,
  COSIGN_SIGN_PREDICATE_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  SIGSTORE_BUNDLE_V03,
} from '@airlock/oci';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const SLSA_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';

export function signBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha256', bytes, privateKey));
}

export function verifyBytes(bytes: Uint8Array, signature: Uint8Array): boolean {
  return verify('sha256', bytes, publicKey, signature);
}

export function simpleSigning(
  dockerReference: string,
  digest: string,
  optional?: Record<string, unknown>,
) {
  const payload = buildSimpleSigningPayload({
    dockerReference,
    digest,
    ...(optional ? { optional } : {}),
  });
  return { payload, signature: signBytes(payload) };
}

export function statement(digests: readonly string[], predicateType: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: digests.map((digest, i) => ({
        name: `image-${i}`,
        digest: { sha256: digest.slice('sha256:'.length) },
      })),
      predicateType,
      predicate: {},
    }),
  );
}

function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(`DSSEv1 ${type.length} `),
      type,
      Buffer.from(` ${payload.length} `),
      Buffer.from(payload),
    ]),
  );
}

function envelopeObject(payload: Uint8Array) {
  return {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [
      {
        keyid: '',
        sig: Buffer.from(signBytes(pae(IN_TOTO_PAYLOAD_TYPE, payload))).toString('base64'),
      },
    ],
  };
}

/** DSSE envelope JSON over an in-toto statement naming `digests`. */
export function envelope(
  digests: readonly string[],
  predicateType = SLSA_PREDICATE_TYPE,
): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(envelopeObject(statement(digests, predicateType))),
  );
}

/** A v0.3 bundle with a DSSE envelope, as `cosign sign` (v3) or `cosign attest` produce. */
export function dsseBundle(
  digests: readonly string[],
  predicateType = COSIGN_SIGN_PREDICATE_TYPE,
  mediaType = SIGSTORE_BUNDLE_V03,
): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      mediaType,
      verificationMaterial: { publicKey: { hint: 'test-key' }, tlogEntries: [] },
      dsseEnvelope: envelopeObject(statement(digests, predicateType)),
    }),
  );
}

/** A v0.3 bundle with a message signature over the manifest bytes (digest = the image digest). */
export function messageBundle(digest: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      mediaType: SIGSTORE_BUNDLE_V03,
      verificationMaterial: { publicKey: { hint: 'test-key' }, tlogEntries: [] },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: Buffer.from(digest.slice('sha256:'.length), 'hex').toString('base64'),
        },
        signature: Buffer.from('not verified here').toString('base64'),
      },
    }),
  );
}
