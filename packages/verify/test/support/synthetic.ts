// Builds small, fully valid key-signed bundles with a one-entry Rekor v2-style log (hashedrekord
// 0.0.2 body, Ed25519 checkpoint, optional SET), so tests can reach cases no published vector has:
// DSSE logged as hashedrekord, a message signature that verifies only over its digest, and so on.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { json } from '@sigstore/core';

export const SYNTHETIC_ORIGIN = 'log.airlock.test';
export const SYNTHETIC_LOG_START = '2026-01-01T00:00:00Z';
export const SYNTHETIC_INTEGRATED_TIME = Date.parse('2026-02-01T00:00:00Z') / 1000;

export interface SyntheticOptions {
  content?: 'message' | 'dsse';
  /** Sign these bytes instead of the artifact (or PAE): the log then records a bad signature. */
  signOver?: Buffer;
  /** Digest the in-toto subject claims (DSSE only); the artifact's sha256 by default. */
  subjectSha256?: string;
  /** DSSE payload type; the in-toto one by default. */
  payloadType?: string;
  /** in-toto statement `_type`; Statement/v1 by default. */
  statementType?: string;
  /** Add an inclusion promise (SET) with an integrated time, so the bundle has a verified time. */
  withPromise?: boolean;
}

export interface SyntheticBundle {
  bundle: Record<string, unknown>;
  trustedRoot: Record<string, unknown>;
  artifact: Buffer;
  signingKey: KeyObject;
  publicKeyPem: string;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

export function syntheticBundle(options: SyntheticOptions = {}): SyntheticBundle {
  const content = options.content ?? 'message';
  const withPromise = options.withPromise ?? true;
  const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const log = generateKeyPairSync('ed25519');
  const artifact = Buffer.from('artifact bytes for a synthetic bundle\n');
  const artifactSha256 = sha256(artifact);
  const signerSpki = signer.publicKey.export({ type: 'spki', format: 'der' });

  let signed: Buffer;
  let loggedDigest: Buffer;
  let bundleContent: Record<string, unknown>;
  if (content === 'message') {
    signed = artifact;
    loggedDigest = artifactSha256;
  } else {
    const statement = {
      _type: options.statementType ?? 'https://in-toto.io/Statement/v1',
      subject: [
        {
          name: 'artifact',
          digest: { sha256: options.subjectSha256 ?? artifactSha256.toString('hex') },
        },
      ],
      predicateType: 'https://airlock.test/predicate/v1',
      predicate: {},
    };
    const payload = Buffer.from(JSON.stringify(statement));
    const payloadType = options.payloadType ?? 'application/vnd.in-toto+json';
    signed = pae(payloadType, payload);
    loggedDigest = sha256(signed);
    bundleContent = {
      dsseEnvelope: {
        payload: b64(payload),
        payloadType,
        signatures: [{ sig: '', keyid: '' }],
      },
    };
  }
  const signature = sign('sha256', options.signOver ?? signed, signer.privateKey);
  if (content === 'message') {
    bundleContent = {
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: b64(artifactSha256) },
        signature: b64(signature),
      },
    };
  } else {
    (bundleContent!.dsseEnvelope as { signatures: { sig: string }[] }).signatures[0]!.sig =
      b64(signature);
  }

  const body = Buffer.from(
    json.canonicalize({
      apiVersion: '0.0.2',
      kind: 'hashedrekord',
      spec: {
        hashedRekordV002: {
          data: { algorithm: 'SHA2_256', digest: b64(loggedDigest) },
          signature: {
            content: b64(signature),
            verifier: {
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              publicKey: { rawBytes: b64(signerSpki) },
            },
          },
        },
      },
    }),
  );

  // C2SP note key ID for Ed25519: SHA-256(name || "\n" || 0x01 || public key), first 4 bytes as hint.
  const logRawKey = log.publicKey.export({ format: 'jwk' }).x ?? '';
  const logId = sha256(
    Buffer.from(`${SYNTHETIC_ORIGIN}\n`),
    Buffer.from([0x01]),
    Buffer.from(logRawKey, 'base64url'),
  );
  const root = sha256(Buffer.from([0x00]), body); // a one-leaf tree's root is its leaf hash
  const note = `${SYNTHETIC_ORIGIN}\n1\n${b64(root)}\n`;
  const noteSignature = sign(null, Buffer.from(note), log.privateKey);
  const checkpoint = `${note}\n\u2014 ${SYNTHETIC_ORIGIN} ${b64(Buffer.concat([logId.subarray(0, 4), noteSignature]))}\n`;

  const entry: Record<string, unknown> = {
    logIndex: '0',
    logId: { keyId: b64(logId) },
    kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
    inclusionProof: {
      logIndex: '0',
      rootHash: b64(root),
      treeSize: '1',
      hashes: [],
      checkpoint: { envelope: checkpoint },
    },
    canonicalizedBody: b64(body),
  };
  if (withPromise) {
    const promised = json.canonicalize({
      body: b64(body),
      integratedTime: SYNTHETIC_INTEGRATED_TIME,
      logIndex: 0,
      logID: logId.toString('hex'),
    });
    entry.integratedTime = String(SYNTHETIC_INTEGRATED_TIME);
    entry.inclusionPromise = {
      signedEntryTimestamp: b64(sign(null, Buffer.from(promised), log.privateKey)),
    };
  }

  return {
    bundle: {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'synthetic-key' }, tlogEntries: [entry] },
      ...bundleContent!,
    },
    trustedRoot: {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: `https://${SYNTHETIC_ORIGIN}`,
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: b64(log.publicKey.export({ type: 'spki', format: 'der' })),
            keyDetails: 'PKIX_ED25519',
            validFor: { start: SYNTHETIC_LOG_START },
          },
          logId: { keyId: b64(logId) },
        },
      ],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    },
    artifact,
    signingKey: signer.publicKey,
    publicKeyPem: signer.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
