// verifyRootChain on the real Sigstore public-good roots 14 → 15: the rotation verifies as a client
// walks it, and reordering, skipping or corrupting signatures below the threshold breaks it.
import { readFileSync } from 'node:fs';
import { TrustError, verifyRootChain } from '@airlock/trust';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

const read = (version: number) =>
  JSON.parse(readFileSync(sharedVectorsPath('tuf', `${version}.root.json`), 'utf8'));

/** Flips one bit in the first byte of a hex signature. */
function flipSignatureByte(root: any, index: number): void {
  const signature = root.signatures[index];
  const first = Number.parseInt(signature.sig.slice(0, 2), 16) ^ 0x01;
  signature.sig = first.toString(16).padStart(2, '0') + signature.sig.slice(2);
}

function expectBroken(action: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TrustError);
  expect((thrown as TrustError).code).toBe('ROOT_CHAIN_BROKEN');
  expect((thrown as TrustError).message).toMatch(message);
}

describe('verifyRootChain on the Sigstore public-good roots', () => {
  it('verifies 14 → 15 (threshold 3 of 5, the empty signature in 14 not counted)', () => {
    const links = verifyRootChain([read(14), read(15)]);
    expect(links.map((link) => link.version)).toEqual([14, 15]);
    expect(links[0]?.signedBySelf).toHaveLength(4);
    expect(links[0]?.signedBySelf).not.toContain(
      '22f4caec6d8e6f9555af66b3d4c3cb06a3bb23fdc7e39c916c61f462e6f52b06',
    );
    expect(links[1]?.signedByPrevious).toHaveLength(5);
    expect(links[1]?.signedBySelf).toHaveLength(5);
    // Also from JSON text, as read from disk.
    expect(
      verifyRootChain([JSON.stringify(read(14)), Buffer.from(JSON.stringify(read(15)))]),
    ).toEqual(links);
  });

  it('refuses the roots reordered, repeated or with a version skipped', () => {
    expectBroken(
      () => verifyRootChain([read(15), read(14)]),
      /version 14; after version 15 a client expects 16/,
    );
    expectBroken(() => verifyRootChain([read(14), read(14)]), /expects 15/);
    const sixteen = read(15);
    sixteen.signed.version = 16;
    expectBroken(() => verifyRootChain([read(14), sixteen]), /expects 15/);
  });

  it('does not count a signature with one byte flipped, and fails once too few remain', () => {
    const flipped = read(15);
    flipSignatureByte(flipped, 0);
    const links = verifyRootChain([read(14), flipped]);
    expect(links[1]?.signedBySelf).toHaveLength(4);
    expect(links[1]?.signedBySelf).not.toContain(flipped.signatures[0].keyid);

    // With exactly the threshold of signatures left, one flipped byte breaks the chain.
    const threshold = read(15);
    threshold.signatures = threshold.signatures.slice(0, 3);
    expect(() => verifyRootChain([read(14), threshold])).not.toThrow();
    flipSignatureByte(threshold, 2);
    expectBroken(
      () => verifyRootChain([read(14), threshold]),
      /root v15 under root v14: 2 valid signature\(s\) from root keys, threshold 3/,
    );
  });

  it('refuses a changed signed body (every signature fails)', () => {
    const changed = read(15);
    changed.signed.expires = '2036-11-20T13:58:18Z';
    expectBroken(() => verifyRootChain([read(14), changed]), /0 valid signature/);
  });

  it('checks the last root against a clock when asked', () => {
    expect(() =>
      verifyRootChain([read(14), read(15)], { now: new Date('2026-01-01T00:00:00Z') }),
    ).not.toThrow();
    expectBroken(
      () => verifyRootChain([read(14), read(15)], { now: new Date('2027-01-01T00:00:00Z') }),
      /root v15 expired at 2026-11-20T13:58:18Z/,
    );
  });

  it('refuses what is not root metadata', () => {
    let thrown: unknown;
    try {
      verifyRootChain([{ signed: { _type: 'timestamp' }, signatures: [] }]);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as TrustError).code).toBe('INVALID_METADATA');
    expectBroken(() => verifyRootChain([]), /no root/);
  });
});
