// The verifier on tokens third parties issued: sigstore-conformance bundles whose RFC 3161 timestamps
// come from sigstore/timestamp-authority instances (and FreeTSA), checked against their trusted roots.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TimestampError, verifyTimeStampToken } from '@airlock/timestamp';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

interface Case {
  readonly signedTimestamp: Uint8Array;
  readonly signature: Uint8Array;
  readonly chain: Uint8Array[];
  readonly validFor: { start: Date; end?: Date };
}

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

function load(name: string): Case {
  const dir = sharedVectorsPath('conformance', 'bundle-verify', name);
  const bundle = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
  const root = JSON.parse(readFileSync(join(dir, 'trusted_root.json'), 'utf8'));
  const [tsa] = root.timestampAuthorities;
  const signature = bundle.messageSignature?.signature ?? bundle.dsseEnvelope.signatures[0].sig;
  return {
    signedTimestamp: b64(
      bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp,
    ),
    signature: b64(signature),
    chain: tsa.certChain.certificates.map((certificate: { rawBytes: string }) =>
      b64(certificate.rawBytes),
    ),
    validFor: {
      start: new Date(tsa.validFor.start),
      ...(tsa.validFor.end ? { end: new Date(tsa.validFor.end) } : {}),
    },
  };
}

function verifyCase(vector: Case) {
  return verifyTimeStampToken(vector.signedTimestamp, {
    data: vector.signature,
    trustedChain: vector.chain,
    validFor: vector.validFor,
  });
}

function errorCode(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof TimestampError) return error.code;
    throw error;
  }
  throw new Error('expected a TimestampError');
}

describe('third-party timestamp tokens', () => {
  // Cases whose timestamp is sound (some fail for reasons outside the token: the signing certificate).
  it.each([
    'rekor2-happy-path',
    'rekor2-timestamp-with-embedded-cert',
    'rekor2-timestamp-without-embedded-cert',
    'rekor2-timestamp-with-incorrect-time_fail',
    'intoto-with-custom-trust-root',
    'intoto-tsa-timestamp-outside-cert-validity_fail',
    'bundle-with-sct-with-extensions',
  ])('accepts the token of %s', (name) => {
    const vector = load(name);
    const verified = verifyCase(vector);
    expect(verified.genTime.getTime()).toBeGreaterThan(vector.validFor.start.getTime());
    expect(verified.hashAlgorithm).toBe('sha256');
  });

  it('rejects a token from a TSA the trusted root does not list (FreeTSA, embedded certs)', () => {
    // FreeTSA names its certificate with ESS signingCertificate v1 (SHA-1) only, which is refused
    // before the signer is even compared with the trusted leaf.
    expect(
      errorCode(() => verifyCase(load('rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail'))),
    ).toBe('MALFORMED_RESPONSE');
  });

  it('rejects a token made after the TSA certificate expired', () => {
    expect(
      errorCode(() => verifyCase(load('rekor2-timestamp-outside-tsa-cert-validity_fail'))),
    ).toBe('UNTRUSTED_CHAIN');
  });

  it("rejects a token made outside the trusted root's validFor for the TSA", () => {
    expect(
      errorCode(() => verifyCase(load('rekor2-timestamp-outside-trust-root-tsa-validity_fail'))),
    ).toBe('UNTRUSTED_CHAIN');
  });

  it('rejects a sound token for other data', () => {
    const vector = load('rekor2-happy-path');
    expect(
      errorCode(() =>
        verifyCase({ ...vector, signature: new Uint8Array(vector.signature.length) }),
      ),
    ).toBe('IMPRINT_MISMATCH');
  });
});
