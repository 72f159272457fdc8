// The PKCS#11 backend against a real SoftHSM token: keys generated inside it stay inside it, its
// signatures verify with node:crypto, the session pool survives concurrency, and every way of
// naming a key or a PIN wrongly fails with the right code and without echoing the PIN.
import { execFile } from 'node:child_process';
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  generateKeyPair,
  KeysError,
  listKeys,
  Pkcs11Signer,
  Pkcs11Token,
  type SignatureAlgorithm,
  spkiDer,
} from '@airlock/keys';
import pkcs11js, { type PKCS11 } from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

const run = promisify(execFile);

let hsm: SoftHsmToken;
let token: Pkcs11Token;

/** Runs pkcs11-tool against the test token, as an operator would: an independent PKCS#11 client. */
async function pkcs11Tool(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'pkcs11-tool',
    [
      '--module',
      hsm.modulePath,
      '--token-label',
      hsm.tokenLabel,
      '--login',
      '--pin',
      hsm.pin,
      ...args,
    ],
    { env: { ...process.env, ...hsm.env } },
  );
  return stdout;
}

/** The block pkcs11-tool --list-objects prints for one object. */
function objectBlock(listing: string, header: string, label: string): string {
  const block = listing
    .split(/\n(?=\S)/)
    .find((part) => part.startsWith(header) && part.includes(`label:      ${label}\n`));
  if (block === undefined) throw new Error(`pkcs11-tool lists no ${header} labelled ${label}`);
  return block;
}

/** CKA_EC_POINT as PKCS#11 stores it, from a node:crypto public key: OCTET STRING { point }. */
function ecPointOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const point =
    jwk.kty === 'OKP'
      ? Buffer.from(jwk.x!, 'base64url')
      : Buffer.concat([
          Buffer.of(4),
          Buffer.from(jwk.x!, 'base64url'),
          Buffer.from(jwk.y!, 'base64url'),
        ]);
  return Buffer.concat([Buffer.of(4, point.length), point]).toString('hex');
}

/** The one object of a class with a label, looked up with pkcs11js directly. */
function rawHandle(pkcs11: PKCS11, session: Buffer, objectClass: number, label: string): Buffer {
  pkcs11.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  const found = pkcs11.C_FindObjects(session, 2);
  pkcs11.C_FindObjectsFinal(session);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function exportPath(label: string): string {
  return join(hsm.dir, `${label}.public`);
}

/** A public key pkcs11-tool exported: DER for EC keys, PEM for Ed25519. */
async function readExportedPublicKey(label: string): Promise<KeyObject> {
  const file = await readFile(exportPath(label));
  return createPublicKey(
    file.subarray(0, 5).toString() === '-----'
      ? { key: file, format: 'pem' }
      : { key: file, format: 'der', type: 'spki' },
  );
}

function openToken(options: { sessions?: number; asyncSign?: boolean; pin?: string } = {}) {
  return Pkcs11Token.open({
    modulePath: hsm.modulePath,
    tokenLabel: hsm.tokenLabel,
    pin: options.pin ?? hsm.pin,
    ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
    ...(options.asyncSign !== undefined ? { asyncSign: options.asyncSign } : {}),
  });
}

async function rejection(promise: Promise<unknown>): Promise<KeysError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KeysError);
    return error as KeysError;
  }
  throw new Error('expected a KeysError, but the promise resolved');
}

beforeAll(async () => {
  hsm = await createSoftHsmToken();
  // Keys an operator made with pkcs11-tool, before this process opens the token: one Airlock can
  // use, two it cannot sign with, and two sharing a label.
  for (const [keyType, label, id] of [
    ['EC:prime256v1', 'tool-p256', '0a'],
    ['EC:secp256k1', 'tool-k1', '0b'],
    ['rsa:2048', 'tool-rsa', '0c'],
    ['EC:prime256v1', 'dup', '0d'],
    ['EC:prime256v1', 'dup', '0e'],
  ]) {
    await pkcs11Tool('--keypairgen', '--key-type', keyType!, '--label', label!, '--id', id!);
  }
  token = await openToken();
});

afterAll(async () => {
  await token?.close();
  await hsm?.cleanup();
});

describe('key generation inside the token', () => {
  const cases: Array<[SignatureAlgorithm, string, number]> = [
    ['ecdsa-p256-sha256', 'gen-p256', 0x21],
    ['ecdsa-p384-sha384', 'gen-p384', 0x22],
    ['ed25519', 'gen-ed25519', 0x23],
  ];

  it.each(cases)('generates a non-extractable %s key', async (algorithm, label, idByte) => {
    const info = await generateKeyPair(token, { label, id: Uint8Array.of(idByte), algorithm });
    expect(info).toMatchObject({
      label,
      id: Uint8Array.of(idByte),
      algorithm,
      canSign: true,
      sensitive: true,
      extractable: false,
      neverExtractable: true,
      alwaysSensitive: true,
      alwaysAuthenticate: false,
    });
    expect(info.publicKey?.type).toBe('public');

    // Read back through pkcs11js directly, not through the code that set them.
    const attributes = await token.withSession((session, pkcs11) => {
      const handle = rawHandle(pkcs11, session, pkcs11js.CKO_PRIVATE_KEY, label);
      const wanted = [
        pkcs11js.CKA_TOKEN,
        pkcs11js.CKA_PRIVATE,
        pkcs11js.CKA_SENSITIVE,
        pkcs11js.CKA_EXTRACTABLE,
        pkcs11js.CKA_NEVER_EXTRACTABLE,
        pkcs11js.CKA_SIGN,
        pkcs11js.CKA_DERIVE,
      ];
      const values = pkcs11.C_GetAttributeValue(
        session,
        handle,
        wanted.map((type) => ({ type })),
      );
      return Object.fromEntries(
        values.map((attribute) => [attribute.type, (attribute.value as Buffer)[0]]),
      );
    });
    expect(attributes).toEqual({
      [pkcs11js.CKA_TOKEN]: 1,
      [pkcs11js.CKA_PRIVATE]: 1,
      [pkcs11js.CKA_SENSITIVE]: 1,
      [pkcs11js.CKA_EXTRACTABLE]: 0,
      [pkcs11js.CKA_NEVER_EXTRACTABLE]: 1,
      [pkcs11js.CKA_SIGN]: 1,
      [pkcs11js.CKA_DERIVE]: 0,
    });
  });

  it('is confirmed by pkcs11-tool, whose public points match ours', async () => {
    const listing = await pkcs11Tool('--list-objects');
    for (const [algorithm, label, idByte] of cases) {
      const privateBlock = objectBlock(listing, 'Private Key Object', label);
      expect(privateBlock).toMatch(
        /Access:\s+sensitive, always sensitive, never extractable, local/,
      );
      expect(privateBlock).toContain(`ID:         ${idByte.toString(16)}`);
      expect(privateBlock).toMatch(/Usage:\s+sign\n/);

      // pkcs11-tool prints CKA_EC_POINT as stored: an OCTET STRING around the point.
      const publicBlock = objectBlock(listing, 'Public Key Object', label);
      const listedPoint = /EC_POINT:\s+([0-9a-f]+)/.exec(publicBlock)?.[1];
      const signer = await Pkcs11Signer.open(token, { label });
      expect(signer.algorithm).toBe(algorithm);
      expect(listedPoint).toBe(ecPointOf(signer.publicKey));
    }
  });

  it('matches the SubjectPublicKeyInfo pkcs11-tool exports', async () => {
    // pkcs11-tool 0.23 cannot export P-384 public keys ("cannot create EVP_PKEY"), so P-256 and
    // Ed25519 only; the listing above covers P-384.
    for (const label of ['gen-p256', 'gen-ed25519']) {
      await pkcs11Tool(
        '--read-object',
        '--type',
        'pubkey',
        '--label',
        label,
        '-o',
        exportPath(label),
      );
      const signer = await Pkcs11Signer.open(token, { label });
      const independent = await readExportedPublicKey(label);
      expect(Buffer.from(spkiDer(signer.publicKey))).toEqual(
        independent.export({ format: 'der', type: 'spki' }),
      );
    }
  });

  it('refuses a second object with the same label or id', async () => {
    const sameLabel = await rejection(
      generateKeyPair(token, { label: 'gen-p256', algorithm: 'ecdsa-p256-sha256' }),
    );
    expect(sameLabel.code).toBe('KEY_EXISTS');
    const sameId = await rejection(
      generateKeyPair(token, { label: 'new', id: Uint8Array.of(0x21), algorithm: 'ed25519' }),
    );
    expect(sameId.code).toBe('KEY_EXISTS');
  });

  it('lists every private key, including ones Airlock cannot sign with', async () => {
    const keys = await listKeys(token);
    const byLabel = (label: string) => keys.filter((key) => key.label === label);
    expect(byLabel('gen-p384')[0]).toMatchObject({
      algorithm: 'ecdsa-p384-sha384',
      sensitive: true,
    });
    expect(byLabel('tool-p256')[0]?.algorithm).toBe('ecdsa-p256-sha256');
    expect(byLabel('tool-k1')[0]).toMatchObject({ algorithm: null, publicKey: null });
    expect(byLabel('tool-rsa')[0]).toMatchObject({ algorithm: null, publicKey: null });
    expect(byLabel('dup')).toHaveLength(2);
  });
});

describe('signing', () => {
  const message = new TextEncoder().encode('an in-toto statement, more or less');
  const modified = new TextEncoder().encode('an in-toto statement, more or lesS');

  it.each([
    ['gen-p256', 'sha256', 70, 72],
    ['gen-p384', 'sha384', 101, 104],
    ['tool-p256', 'sha256', 70, 72],
  ] as const)('%s signs DER ECDSA that node:crypto verifies', async (label, hash, min, max) => {
    const signer = await Pkcs11Signer.open(token, { label });
    const signature = await signer.sign(message);
    expect(signature[0]).toBe(0x30);
    expect(signature.length).toBeGreaterThanOrEqual(min);
    expect(signature.length).toBeLessThanOrEqual(max);
    expect(verify(hash, message, signer.publicKey, signature)).toBe(true);
    expect(verify(hash, modified, signer.publicKey, signature)).toBe(false);
    // ECDSA is randomized: two signatures of one message differ, and both verify.
    const again = await signer.sign(message);
    expect(Buffer.from(again)).not.toEqual(Buffer.from(signature));
    expect(verify(hash, message, signer.publicKey, again)).toBe(true);
  });

  it('signs Ed25519 through CKM_EDDSA', async () => {
    const signer = await Pkcs11Signer.open(token, { id: Uint8Array.of(0x23) });
    expect(signer.label).toBe('gen-ed25519');
    const signature = await signer.sign(message);
    expect(signature).toHaveLength(64);
    expect(verify(null, message, signer.publicKey, signature)).toBe(true);
    expect(verify(null, modified, signer.publicKey, signature)).toBe(false);
  });

  it('verifies against the public keys pkcs11-tool exports, not only the ones we parsed', async () => {
    for (const [label, hash] of [
      ['gen-p256', 'sha256'],
      ['gen-ed25519', null],
    ] as const) {
      const independent = await readExportedPublicKey(label);
      const signer = await Pkcs11Signer.open(token, { label });
      expect(verify(hash, message, independent, await signer.sign(message))).toBe(true);
    }
  });

  it('needs the pool: a token runs one operation per session', async () => {
    const key = await Pkcs11Signer.open(token, { label: 'gen-p256' });
    const error = await token.withSession((session, pkcs11) => {
      const handle = rawHandle(pkcs11, session, pkcs11js.CKO_PRIVATE_KEY, key.label);
      pkcs11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, handle);
      try {
        pkcs11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, handle);
        return undefined;
      } catch (caught) {
        pkcs11.C_Sign(session, Buffer.alloc(32), Buffer.alloc(64)); // ends the first operation
        return caught as Error;
      }
    });
    expect(error?.message).toBe('CKR_OPERATION_ACTIVE');
  });

  it.each([
    ['blocking C_Sign', false],
    ['C_SignAsync', true],
  ])('answers 200 concurrent sign() calls with %s through a pool of 3', async (_, asyncSign) => {
    const pooled = await openToken({ sessions: 3, asyncSign });
    try {
      const signer = await Pkcs11Signer.open(pooled, { label: 'gen-p256' });
      const messages = Array.from({ length: 200 }, (_, i) =>
        new TextEncoder().encode(`entry ${i}`),
      );
      const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
      expect(signatures).toHaveLength(200);
      signatures.forEach((signature, i) => {
        expect(verify('sha256', messages[i]!, signer.publicKey, signature)).toBe(true);
      });
      // Blocking signs never overlap, so one session serves them all; async signs fill the pool
      // and go no further.
      expect(pooled.openSessions).toBe(asyncSign ? 3 : 1);
    } finally {
      await pooled.close();
    }
  });
});

describe('finding keys and tokens', () => {
  it('names an unknown object as KEY_NOT_FOUND', async () => {
    const byLabel = await rejection(Pkcs11Signer.open(token, { label: 'no-such-key' }));
    expect(byLabel.code).toBe('KEY_NOT_FOUND');
    expect(byLabel.message).toContain("no private key labelled 'no-such-key'");
    expect(byLabel.message).toContain(hsm.tokenLabel);
    const byId = await rejection(Pkcs11Signer.open(token, { id: Uint8Array.of(0x99) }));
    expect(byId.code).toBe('KEY_NOT_FOUND');
    const wrongPair = await rejection(
      Pkcs11Signer.open(token, { label: 'gen-p256', id: Uint8Array.of(0x22) }),
    );
    expect(wrongPair.code).toBe('KEY_NOT_FOUND');
  });

  it('names an unknown token label as KEY_NOT_FOUND', async () => {
    const error = await rejection(
      Pkcs11Token.open({ modulePath: hsm.modulePath, tokenLabel: 'no-such-token', pin: hsm.pin }),
    );
    expect(error.code).toBe('KEY_NOT_FOUND');
    expect(error.message).toContain("no token labelled 'no-such-token'");
  });

  it('refuses a module that does not exist', async () => {
    const error = await rejection(
      Pkcs11Token.open({ modulePath: '/nonexistent/libpkcs11.so', tokenLabel: 't', pin: '1' }),
    );
    expect(error.code).toBe('BACKEND_FAILED');
  });

  it('refuses to guess between two keys with one label', async () => {
    const error = await rejection(Pkcs11Signer.open(token, { label: 'dup' }));
    expect(error.code).toBe('AMBIGUOUS_KEY');
    const signer = await Pkcs11Signer.open(token, { label: 'dup', id: Uint8Array.of(0x0e) });
    expect(
      verify('sha256', Uint8Array.of(1), signer.publicKey, await signer.sign(Uint8Array.of(1))),
    ).toBe(true);
  });

  it.each([
    ['tool-k1', 'secp256k1'],
    ['tool-rsa', 'RSA'],
  ])('refuses %s (%s) as UNSUPPORTED_KEY', async (label) => {
    const error = await rejection(Pkcs11Signer.open(token, { label }));
    expect(error.code).toBe('UNSUPPORTED_KEY');
    expect(error.message).toContain('ECDSA P-256, ECDSA P-384 or Ed25519');
  });

  it('catches a public key object that does not belong to its private key', async () => {
    await generateKeyPair(token, {
      label: 'mm-a',
      id: Uint8Array.of(0x31),
      algorithm: 'ecdsa-p256-sha256',
    });
    await generateKeyPair(token, {
      label: 'mm-b',
      id: Uint8Array.of(0x32),
      algorithm: 'ecdsa-p256-sha256',
    });
    // Swap the ids of the two public key objects, so each private key pairs with the wrong one.
    await token.withSession((session, pkcs11) => {
      const a = rawHandle(pkcs11, session, pkcs11js.CKO_PUBLIC_KEY, 'mm-a');
      const b = rawHandle(pkcs11, session, pkcs11js.CKO_PUBLIC_KEY, 'mm-b');
      pkcs11.C_SetAttributeValue(session, a, [{ type: pkcs11js.CKA_ID, value: Buffer.of(0x32) }]);
      pkcs11.C_SetAttributeValue(session, b, [{ type: pkcs11js.CKA_ID, value: Buffer.of(0x31) }]);
    });
    const error = await rejection(Pkcs11Signer.open(token, { label: 'mm-a' }));
    expect(error.code).toBe('SIGNING_FAILED');
    expect(error.message).toContain('mismatched');
  });
});

describe('PINs and the token lifecycle', () => {
  it('refuses a wrong PIN while this process is already logged in, naming the token only', async () => {
    const wrongPin = 'wrong-pin-31337';
    const error = await rejection(openToken({ pin: wrongPin }));
    expect(error.code).toBe('BAD_CREDENTIALS');
    expect(error.message).toContain(hsm.tokenLabel);
    expect(error.message).not.toContain(wrongPin);
    expect(error.message).not.toContain(hsm.pin);
  });

  it('shares the login between tokens, and finalizes only when the last one closes', async () => {
    const second = await openToken();
    const signer = await Pkcs11Signer.open(second, { label: 'gen-p256' });
    await second.close();
    await second.close(); // closing twice is harmless
    const closed = await rejection(signer.sign(Uint8Array.of(1)));
    expect(closed.code).toBe('BACKEND_FAILED');
    expect(closed.message).toContain('closed');
    // The first token is still open, logged in and signing.
    const first = await Pkcs11Signer.open(token, { label: 'gen-p256' });
    const signature = await first.sign(Uint8Array.of(2));
    expect(verify('sha256', Uint8Array.of(2), first.publicKey, signature)).toBe(true);
  });

  it('waits for running operations before closing', async () => {
    const closing = await openToken({ asyncSign: true });
    const signer = await Pkcs11Signer.open(closing, { label: 'gen-p384' });
    const pending = Array.from({ length: 20 }, (_, i) => signer.sign(Uint8Array.of(i)));
    const closed = closing.close();
    const outcomes = await Promise.allSettled(pending);
    await closed;
    // Calls already holding a session finish and verify; calls still waiting for one are refused.
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') {
        expect(verify('sha384', Uint8Array.of(i), signer.publicKey, outcome.value)).toBe(true);
      } else {
        expect(outcome.reason).toMatchObject({ code: 'BACKEND_FAILED' });
      }
    }
    expect(outcomes.some((outcome) => outcome.status === 'fulfilled')).toBe(true);
  });
});

describe('a token nobody is logged in to', () => {
  let fresh: SoftHsmToken | undefined;

  it('refuses a wrong PIN with BAD_CREDENTIALS, then works again after closing everything', async () => {
    // A new token is only visible once the module is re-initialized, so close the shared one.
    await token.close();
    fresh = await createSoftHsmToken();
    const wrongPin = '000000-not-it';
    const error = await rejection(
      Pkcs11Token.open({
        modulePath: fresh.modulePath,
        tokenLabel: fresh.tokenLabel,
        pin: wrongPin,
      }),
    );
    expect(error.code).toBe('BAD_CREDENTIALS');
    expect(error.message).toBe(`wrong PIN for token '${fresh.tokenLabel}'`);
    expect(String(error.cause)).not.toContain(wrongPin);

    const opened = await Pkcs11Token.open({
      modulePath: fresh.modulePath,
      tokenLabel: fresh.tokenLabel,
      pin: fresh.pin,
    });
    const info = await generateKeyPair(opened, { label: 'k', algorithm: 'ecdsa-p256-sha256' });
    expect(info.id).toHaveLength(16);
    await opened.close();
    // And the original token is still there for a new open.
    token = await openToken();
    expect((await listKeys(token)).some((key) => key.label === 'gen-p256')).toBe(true);
  });

  afterAll(async () => {
    await fresh?.cleanup();
  });
});
