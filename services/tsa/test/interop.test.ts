// sigstore-js against the running TSA: @sigstore/sign's TSAWitness (the JSON request) timestamps a
// key-signed bundle with no log entry, and @sigstore/verify accepts it with a trusted root listing this
// TSA's chain — and rejects it for another artifact, another TSA, or a TSA not yet trusted.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { listen } from '@airlock/http';
import { createTsaServer, type RunningTsa, startTsa, TimestampAuthority } from '@airlock/tsa';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { MessageSignatureBundleBuilder, type Signer, TSAWitness } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTsaChain } from '../../../packages/timestamp/test/support.js';
import { type HsmTsaChain, makeHsmTsaChain } from './support.js';

let chain: HsmTsaChain;
let tsa: RunningTsa;

beforeAll(async () => {
  chain = await makeHsmTsaChain();
  tsa = await startTsa({
    listenHost: '127.0.0.1',
    port: 0,
    keyUri: chain.keyUri,
    chain: { pem: chain.chainPem },
  });
});
afterAll(async () => {
  await tsa?.close();
  await chain?.token.cleanup();
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function trustedRoot(certificates: readonly Uint8Array[], validFrom = '2020-01-01T00:00:00Z') {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [
      {
        subject: { organization: 'Airlock', commonName: 'Airlock test TSA' },
        uri: tsa.url,
        certChain: { certificates: certificates.map((der) => ({ rawBytes: b64(der) })) },
        validFor: { start: validFrom },
      },
    ],
  });
}

function keySigner(privateKey: KeyObject, publicKey: KeyObject): Signer {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    sign: async (data) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: pem, hint: 'test-key' },
    }),
  };
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const keys = {
  'test-key': {
    rawBytes: publicKey.export({ type: 'spki', format: 'der' }),
    keyDetails: 5 /* PKIX_ECDSA_P256_SHA_256 */,
  },
};

async function timestampedBundle(tsaBaseURL: string, artifact: Buffer) {
  const builder = new MessageSignatureBundleBuilder({
    signer: keySigner(privateKey, publicKey),
    witnesses: [new TSAWitness({ tsaBaseURL, retry: 0 })],
  });
  return bundleToJSON(await builder.create({ data: artifact })) as any;
}

function verifyBundle(json: unknown, artifact: Buffer, root: TrustedRoot) {
  const verifier = new Verifier(toTrustMaterial(root, keys as never), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 1,
  });
  return verifier.verify(toSignedEntity(bundleFromJSON(json), artifact));
}

describe('sigstore-js TSAWitness and Verifier', () => {
  const artifact = Buffer.from('airlock TSA interop artifact');
  let bundle: any;

  beforeAll(async () => {
    bundle = await timestampedBundle(tsa.url, artifact);
  });

  it('produces a bundle whose only timestamp is from this TSA', () => {
    expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
  });

  it('verifies with the TSA chain [leaf, root] in the trusted root', () => {
    expect(() =>
      verifyBundle(bundle, artifact, trustedRoot([chain.leaf, chain.root])),
    ).not.toThrow();
  });

  it('also takes the full signing_config URL as tsaBaseURL', async () => {
    const viaFullUrl = await timestampedBundle(`${tsa.url}/api/v1/timestamp`, artifact);
    expect(() =>
      verifyBundle(viaFullUrl, artifact, trustedRoot([chain.leaf, chain.root])),
    ).not.toThrow();
  });

  it('rejects the bundle for a tampered artifact', () => {
    expect(() =>
      verifyBundle(
        bundle,
        Buffer.from('airlock TSA interop artifacT'),
        trustedRoot([chain.leaf, chain.root]),
      ),
    ).toThrow();
  });

  it('rejects the bundle with a trusted root that lists another TSA chain', async () => {
    const other = await makeTsaChain();
    expect(() => verifyBundle(bundle, artifact, trustedRoot(other.trustedChain))).toThrow(
      /timestamp/i,
    );
  });

  it('rejects the bundle when the trusted root trusts this TSA only from a later date', () => {
    const later = new Date(Date.now() + 3600_000).toISOString();
    expect(() =>
      verifyBundle(bundle, artifact, trustedRoot([chain.leaf, chain.root], later)),
    ).toThrow(/timestamp/i);
  });

  it('rejects a bundle whose timestamp was altered', () => {
    const altered = structuredClone(bundle);
    const token = Buffer.from(
      altered.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp,
      'base64',
    );
    token[token.length - 5]! ^= 0x01;
    altered.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp =
      token.toString('base64');
    expect(() => verifyBundle(altered, artifact, trustedRoot([chain.leaf, chain.root]))).toThrow(
      /timestamp/i,
    );
  });
});

describe('a TSA whose chain has an intermediate CA', () => {
  it('is verified by sigstore-js with [leaf, intermediate, root] in the trusted root', async () => {
    const tsaChain = await makeTsaChain({ intermediate: true });
    const authority = await TimestampAuthority.create({
      signer: tsaChain.signer,
      chain: tsaChain.trustedChain,
    });
    const app = await createTsaServer(authority);
    try {
      const url = await listen(app, '127.0.0.1', 0);
      const artifact = Buffer.from('artifact timestamped under an intermediate');
      const json = await timestampedBundle(url, artifact);
      expect(() => verifyBundle(json, artifact, trustedRoot(tsaChain.trustedChain))).not.toThrow();
      // Without the intermediate, no path leads from the leaf to the root.
      expect(() =>
        verifyBundle(json, artifact, trustedRoot([tsaChain.leaf, tsaChain.root])),
      ).toThrow();
    } finally {
      await app.close();
    }
  });
});
