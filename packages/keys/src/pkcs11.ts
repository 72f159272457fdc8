// Keys inside a PKCS#11 token (an HSM, or SoftHSM in tests and development): opening a token by
// label with a pool of sessions, signing through it, and generating and listing keys in it.
import {
  createHash,
  createPublicKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { realpathSync } from 'node:fs';
import pkcs11js, { type Mechanism, type PKCS11, type Template } from 'pkcs11js';
import { ecdsaRawToDer } from './ecdsa-der.js';
import { KeysError } from './errors.js';
import { digestOf, type SignatureAlgorithm, type Signer, verifySignature } from './signer.js';

/** A PKCS#11 session or object handle, as pkcs11js passes them. */
export type Pkcs11Handle = Buffer;

/** Sessions a token opens at most, unless told otherwise. Sync signing never needs more than one. */
export const DEFAULT_PKCS11_SESSIONS = 4;

// PKCS#11 3.0 values pkcs11js 2.1.7 does not export.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

/** DER EC parameters (named-curve OIDs, or for Ed25519 also the PrintableString SoftHSM stores). */
const EC_PARAMS = {
  p256: Buffer.from('06082a8648ce3d030107', 'hex'),
  p384: Buffer.from('06052b81040022', 'hex'),
  ed25519Oid: Buffer.from('06032b6570', 'hex'),
  ed25519Name: Buffer.concat([Buffer.from('130c', 'hex'), Buffer.from('edwards25519')]),
};

/** How each algorithm is held and used in a token. */
const ALGORITHMS: Record<
  SignatureAlgorithm,
  {
    keyType: number;
    generate: number;
    sign: number;
    params: Buffer;
    /** Length of the raw signature (r‖s, or R‖S for EdDSA). */
    signatureBytes: number;
    /** Length of the public point inside CKA_EC_POINT. */
    pointBytes: number;
    jwkCurve: string;
  }
> = {
  'ecdsa-p256-sha256': {
    keyType: pkcs11js.CKK_EC,
    generate: pkcs11js.CKM_EC_KEY_PAIR_GEN,
    sign: pkcs11js.CKM_ECDSA,
    params: EC_PARAMS.p256,
    signatureBytes: 64,
    pointBytes: 65,
    jwkCurve: 'P-256',
  },
  'ecdsa-p384-sha384': {
    keyType: pkcs11js.CKK_EC,
    generate: pkcs11js.CKM_EC_KEY_PAIR_GEN,
    sign: pkcs11js.CKM_ECDSA,
    params: EC_PARAMS.p384,
    signatureBytes: 96,
    pointBytes: 97,
    jwkCurve: 'P-384',
  },
  ed25519: {
    keyType: CKK_EC_EDWARDS,
    generate: CKM_EC_EDWARDS_KEY_PAIR_GEN,
    sign: CKM_EDDSA,
    params: EC_PARAMS.ed25519Oid,
    signatureBytes: 64,
    pointBytes: 32,
    jwkCurve: 'Ed25519',
  },
};

/** The PKCS#11 return code of an error from pkcs11js, if it is one. */
function ckr(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

/** A short description of a pkcs11js error for messages (`CKR_PIN_INCORRECT`); never holds a PIN. */
function describe(error: unknown): string {
  if (error instanceof pkcs11js.Pkcs11Error) return error.message;
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

function backendFailed(message: string, cause: unknown): KeysError {
  return new KeysError('BACKEND_FAILED', `${message}: ${describe(cause)}`, { cause });
}

// ---------------------------------------------------------------------------------------------
// Process-wide state. C_Initialize/C_Finalize and login are per process, not per caller, so they
// are counted here and every Pkcs11Token shares them.

interface LoadedModule {
  readonly pkcs11: PKCS11;
  /** Open Pkcs11Tokens using this module. */
  users: number;
  /** Whether our C_Initialize is in force and so ours to finalize (someone else's is not). */
  ownsInitialize: boolean;
}

/** Modules by real path: a module is loaded once per process and never unloaded. */
const loadedModules = new Map<string, LoadedModule>();

interface LoggedInToken {
  users: number;
  /** SHA-256 of the PIN the process logged in with. */
  pinDigest: Buffer;
}

/** Tokens this process is logged in to, by module path and slot id. */
const loggedInTokens = new Map<string, LoggedInToken>();

function acquireModule(modulePath: string): { key: string; module: LoadedModule } {
  let key: string;
  try {
    key = realpathSync(modulePath);
  } catch (error) {
    throw backendFailed(`PKCS#11 module ${modulePath} cannot be found`, error);
  }
  let module = loadedModules.get(key);
  if (module === undefined) {
    const pkcs11 = new pkcs11js.PKCS11();
    try {
      pkcs11.load(key);
    } catch (error) {
      throw backendFailed(`PKCS#11 module ${modulePath} cannot be loaded`, error);
    }
    module = { pkcs11, users: 0, ownsInitialize: false };
    loadedModules.set(key, module);
  }
  if (module.users === 0) {
    try {
      // OS locking: C_SignAsync and friends call the module from libuv's worker threads.
      module.pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      module.ownsInitialize = true;
    } catch (error) {
      // Someone else in this process (another library, a worker) initialized it; it stays theirs.
      if (ckr(error) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw backendFailed(`PKCS#11 module ${modulePath} failed to initialize`, error);
      }
      module.ownsInitialize = false;
    }
  }
  module.users++;
  return { key, module };
}

function releaseModule(module: LoadedModule): void {
  module.users--;
  if (module.users > 0 || !module.ownsInitialize) return;
  module.ownsInitialize = false;
  try {
    module.pkcs11.C_Finalize();
  } catch {
    // Finalizing is best effort: the process no longer uses the module either way.
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

// ---------------------------------------------------------------------------------------------

export interface Pkcs11TokenOptions {
  /** Absolute path of the PKCS#11 module (shared library). */
  readonly modulePath: string;
  /** The token's label; tokens are found by label because slot ids can change. */
  readonly tokenLabel: string;
  readonly pin: string;
  /** Sessions to open at most (default DEFAULT_PKCS11_SESSIONS). */
  readonly sessions?: number;
  /**
   * Sign with C_SignAsync on libuv's thread pool instead of a blocking C_Sign. Blocking is faster
   * for a local token (SoftHSM: ~12k signatures/s against ~7–9k); a network HSM whose signature
   * takes milliseconds should sign asynchronously so it does not stall the event loop.
   */
  readonly asyncSign?: boolean;
}

/**
 * An open, logged-in PKCS#11 token. Each session runs one operation at a time (PKCS#11 refuses a
 * second with CKR_OPERATION_ACTIVE), so operations borrow a session from a small pool. Close it
 * when done; the module is finalized when the last token in the process closes.
 */
export class Pkcs11Token {
  readonly label: string;
  readonly modulePath: string;
  readonly asyncSign: boolean;
  readonly #pkcs11: PKCS11;
  readonly #module: LoadedModule;
  readonly #slot: Pkcs11Handle;
  readonly #loginKey: string;
  readonly #mechanisms: ReadonlySet<number>;
  readonly #maxSessions: number;
  // Held to log in again if the token dropped the login (it does when the app's last session ends).
  readonly #pin: string;
  readonly #idle: Pkcs11Handle[] = [];
  readonly #waiters: Array<{
    resolve: (session: Pkcs11Handle) => void;
    reject: (error: unknown) => void;
  }> = [];
  #openSessions = 0;
  #busySessions = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  private constructor(fields: {
    options: Pkcs11TokenOptions;
    module: LoadedModule;
    slot: Pkcs11Handle;
    loginKey: string;
    mechanisms: ReadonlySet<number>;
    firstSession: Pkcs11Handle;
  }) {
    this.label = fields.options.tokenLabel;
    this.modulePath = fields.options.modulePath;
    this.asyncSign = fields.options.asyncSign ?? false;
    this.#pin = fields.options.pin;
    this.#module = fields.module;
    this.#pkcs11 = fields.module.pkcs11;
    this.#slot = fields.slot;
    this.#loginKey = fields.loginKey;
    this.#mechanisms = fields.mechanisms;
    this.#maxSessions = fields.options.sessions ?? DEFAULT_PKCS11_SESSIONS;
    this.#idle.push(fields.firstSession);
    this.#openSessions = 1;
  }

  /**
   * Loads the module (once per process), finds the token by label and logs in. A wrong PIN is
   * BAD_CREDENTIALS; so is a PIN that differs from the one this process is already logged in to
   * the token with, because the token would not check it (CKR_USER_ALREADY_LOGGED_IN).
   */
  static async open(options: Pkcs11TokenOptions): Promise<Pkcs11Token> {
    const sessions = options.sessions ?? DEFAULT_PKCS11_SESSIONS;
    if (!Number.isInteger(sessions) || sessions < 1) {
      throw new KeysError('BACKEND_FAILED', 'a PKCS#11 token needs at least one session');
    }
    const { key: moduleKey, module } = acquireModule(options.modulePath);
    const { pkcs11 } = module;
    let session: Pkcs11Handle | undefined;
    try {
      const slot = findSlot(pkcs11, options.tokenLabel, options.modulePath);
      const loginKey = `${moduleKey}#${slot.toString('hex')}`;
      const pinDigest = sha256(options.pin);
      const loggedIn = loggedInTokens.get(loginKey);
      if (loggedIn !== undefined && !timingSafeEqual(loggedIn.pinDigest, pinDigest)) {
        throw new KeysError(
          'BAD_CREDENTIALS',
          `wrong PIN for token '${options.tokenLabel}' (it differs from the PIN this process is logged in with)`,
        );
      }
      session = openSession(pkcs11, slot, options.tokenLabel);
      login(pkcs11, session, options.pin, options.tokenLabel);
      let mechanisms: ReadonlySet<number>;
      try {
        mechanisms = new Set(pkcs11.C_GetMechanismList(slot));
      } catch (error) {
        throw backendFailed(`token '${options.tokenLabel}' did not list its mechanisms`, error);
      }
      if (loggedIn === undefined) loggedInTokens.set(loginKey, { users: 1, pinDigest });
      else loggedIn.users++;
      return new Pkcs11Token({
        options,
        module,
        slot,
        loginKey,
        mechanisms,
        firstSession: session,
      });
    } catch (error) {
      if (session !== undefined) closeQuietly(pkcs11, session);
      releaseModule(module);
      throw error;
    }
  }

  /** Sessions this token has open now (idle or in use); never more than its pool size. */
  get openSessions(): number {
    return this.#openSessions;
  }

  /** Whether the token offers a mechanism (CKM_* value). */
  supportsMechanism(mechanism: number): boolean {
    return this.#mechanisms.has(mechanism);
  }

  /**
   * Runs `operation` on a session no other operation is using. If it throws, the session is
   * closed rather than reused, since an operation may have been left active on it. An escape
   * hatch for what this package does not wrap; `pkcs11` must not be finalized or logged out.
   */
  async withSession<T>(
    operation: (session: Pkcs11Handle, pkcs11: PKCS11) => T | Promise<T>,
  ): Promise<T> {
    if (this.#closing !== undefined) throw this.#closedError();
    // Counted as busy from here, so close() waits for this call even while it waits for a session.
    this.#busySessions++;
    let session = this.#idle.pop();
    let healthy = false;
    try {
      session ??= await this.#acquireSlowly();
      const pending = operation(session, this.#pkcs11);
      // A synchronous operation on an idle session never reaches an await, so the session is back
      // in the pool before the next caller looks: blocking signs then share one session.
      const result = isPromiseLike(pending) ? await pending : pending;
      healthy = true;
      return result;
    } finally {
      this.#busySessions--;
      if (session !== undefined) this.#release(session, healthy);
      if (this.#closing !== undefined && this.#busySessions === 0) this.#drained?.();
    }
  }

  /** Waits for running operations, closes this token's sessions, and finalizes if it was the last. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError());
    if (this.#busySessions > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    for (const session of this.#idle.splice(0)) closeQuietly(this.#pkcs11, session);
    this.#openSessions = 0;
    const loggedIn = loggedInTokens.get(this.#loginKey);
    if (loggedIn !== undefined && --loggedIn.users === 0) loggedInTokens.delete(this.#loginKey);
    releaseModule(this.#module);
  }

  #closedError(): KeysError {
    return new KeysError('BACKEND_FAILED', `token '${this.label}' is closed`);
  }

  #acquireSlowly(): Promise<Pkcs11Handle> {
    if (this.#openSessions < this.#maxSessions) {
      this.#openSessions++;
      try {
        return Promise.resolve(this.#openLoggedInSession());
      } catch (error) {
        this.#openSessions--;
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  #release(session: Pkcs11Handle, healthy: boolean): void {
    if (!healthy || this.#closing !== undefined) {
      closeQuietly(this.#pkcs11, session);
      this.#openSessions--;
      const waiter = this.#closing === undefined ? this.#waiters.shift() : undefined;
      if (waiter !== undefined) {
        this.#openSessions++;
        try {
          waiter.resolve(this.#openLoggedInSession());
        } catch (error) {
          this.#openSessions--;
          waiter.reject(error);
        }
      }
    } else {
      // Handed straight to the next waiter, which is how the pool stays fair under load.
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter.resolve(session);
      else this.#idle.push(session);
    }
  }

  #openLoggedInSession(): Pkcs11Handle {
    const session = openSession(this.#pkcs11, this.#slot, this.label);
    try {
      const { state } = this.#pkcs11.C_GetSessionInfo(session);
      if (state !== CKS_RO_USER_FUNCTIONS && state !== CKS_RW_USER_FUNCTIONS) {
        login(this.#pkcs11, session, this.#pin, this.label);
      }
      return session;
    } catch (error) {
      closeQuietly(this.#pkcs11, session);
      if (error instanceof KeysError) throw error;
      throw backendFailed(`token '${this.label}' refused a new session`, error);
    }
  }
}

function findSlot(pkcs11: PKCS11, tokenLabel: string, modulePath: string): Pkcs11Handle {
  let slots: Pkcs11Handle[];
  try {
    slots = pkcs11
      .C_GetSlotList(true)
      .filter((slot) => pkcs11.C_GetTokenInfo(slot).label.replace(/ +$/, '') === tokenLabel);
  } catch (error) {
    throw backendFailed(`PKCS#11 module ${modulePath} did not list its tokens`, error);
  }
  if (slots.length === 0) {
    throw new KeysError(
      'KEY_NOT_FOUND',
      `no token labelled '${tokenLabel}' in PKCS#11 module ${modulePath}`,
    );
  }
  if (slots.length > 1) {
    throw new KeysError(
      'AMBIGUOUS_KEY',
      `${slots.length} tokens are labelled '${tokenLabel}' in PKCS#11 module ${modulePath}`,
    );
  }
  return slots[0]!;
}

function openSession(pkcs11: PKCS11, slot: Pkcs11Handle, tokenLabel: string): Pkcs11Handle {
  try {
    // Read-write, because generating a key creates token objects.
    return pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  } catch (error) {
    throw backendFailed(`token '${tokenLabel}' refused to open a session`, error);
  }
}

function login(pkcs11: PKCS11, session: Pkcs11Handle, pin: string, tokenLabel: string): void {
  try {
    pkcs11.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (error) {
    const code = ckr(error);
    // Login is per token and application-wide: another session of ours already logged in.
    if (code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
    if (
      code === pkcs11js.CKR_PIN_INCORRECT ||
      code === pkcs11js.CKR_PIN_INVALID ||
      code === pkcs11js.CKR_PIN_LEN_RANGE
    ) {
      throw new KeysError('BAD_CREDENTIALS', `wrong PIN for token '${tokenLabel}'`, {
        cause: error,
      });
    }
    if (code === pkcs11js.CKR_PIN_LOCKED || code === pkcs11js.CKR_PIN_EXPIRED) {
      throw new KeysError(
        'BAD_CREDENTIALS',
        `the user PIN of token '${tokenLabel}' is ${code === pkcs11js.CKR_PIN_LOCKED ? 'locked' : 'expired'}`,
        { cause: error },
      );
    }
    throw backendFailed(`login to token '${tokenLabel}' failed`, error);
  }
}

/** Runs token work, turning raw PKCS#11 failures into BACKEND_FAILED; KeysErrors pass through. */
async function guarded<T>(what: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KeysError) throw error;
    throw backendFailed(what, error);
  }
}

function closeQuietly(pkcs11: PKCS11, session: Pkcs11Handle): void {
  try {
    pkcs11.C_CloseSession(session);
  } catch {
    // The session is being thrown away; a failure to close it changes nothing for the caller.
  }
}

// ---------------------------------------------------------------------------------------------
// Objects and attributes.

function findObjects(pkcs11: PKCS11, session: Pkcs11Handle, template: Template): Pkcs11Handle[] {
  pkcs11.C_FindObjectsInit(session, template);
  try {
    const found: Pkcs11Handle[] = [];
    for (;;) {
      const batch = pkcs11.C_FindObjects(session, 64);
      if (batch.length === 0) return found;
      found.push(...batch);
    }
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

function readAttributes(
  pkcs11: PKCS11,
  session: Pkcs11Handle,
  object: Pkcs11Handle,
  types: readonly number[],
): Buffer[] {
  const values = pkcs11.C_GetAttributeValue(
    session,
    object,
    types.map((type) => ({ type })),
  );
  return types.map((type) => {
    const value = values.find((attribute) => attribute.type === type)?.value;
    if (!Buffer.isBuffer(value))
      throw new Error(`attribute 0x${type.toString(16)} was not returned`);
    return value;
  });
}

function readBoolean(value: Buffer): boolean {
  return value.length > 0 && value[0] !== 0;
}

/** A CK_ULONG in the platform's byte order (little-endian on every platform Node ships for). */
function readUlong(value: Buffer): number {
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

/** The algorithm a key of `keyType` with `params` signs with, or null if Airlock does not. */
function algorithmFor(keyType: number, params: Buffer | undefined): SignatureAlgorithm | null {
  if (params === undefined) return null;
  if (keyType === pkcs11js.CKK_EC) {
    if (params.equals(EC_PARAMS.p256)) return 'ecdsa-p256-sha256';
    if (params.equals(EC_PARAMS.p384)) return 'ecdsa-p384-sha384';
  }
  if (keyType === CKK_EC_EDWARDS) {
    if (params.equals(EC_PARAMS.ed25519Oid) || params.equals(EC_PARAMS.ed25519Name)) {
      return 'ed25519';
    }
  }
  return null;
}

/**
 * The public key in a CKA_EC_POINT. PKCS#11 says it is a DER OCTET STRING around the point; some
 * tokens return the bare point, so both are accepted when the length says which it is.
 */
function publicKeyFromPoint(algorithm: SignatureAlgorithm, ecPoint: Buffer): KeyObject {
  const { pointBytes, jwkCurve } = ALGORITHMS[algorithm];
  let point: Buffer | undefined;
  if (ecPoint[0] === 0x04 && ecPoint.length >= 2) {
    const short = ecPoint[1]!;
    const [length, header] =
      short < 0x80 ? [short, 2] : short === 0x81 ? [ecPoint[2] ?? -1, 3] : [-1, 0];
    if (length === pointBytes && ecPoint.length === header + length)
      point = ecPoint.subarray(header);
  }
  if (point === undefined && ecPoint.length === pointBytes) point = ecPoint;
  if (point === undefined) {
    throw new KeysError('BACKEND_FAILED', `the token returned a malformed ${jwkCurve} public key`);
  }
  const half = (pointBytes - 1) / 2;
  const jwk =
    algorithm === 'ed25519'
      ? { kty: 'OKP', crv: jwkCurve, x: point.toString('base64url') }
      : point[0] === 0x04
        ? {
            kty: 'EC',
            crv: jwkCurve,
            x: point.subarray(1, 1 + half).toString('base64url'),
            y: point.subarray(1 + half).toString('base64url'),
          }
        : undefined;
  if (jwk === undefined) {
    throw new KeysError('BACKEND_FAILED', `the token returned a compressed ${jwkCurve} public key`);
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new KeysError('BACKEND_FAILED', `the token returned an invalid ${jwkCurve} public key`, {
      cause: error,
    });
  }
}

/** What Airlock knows about a private key in a token. */
export interface Pkcs11KeyInfo {
  /** CKA_LABEL. */
  readonly label: string;
  /** CKA_ID. */
  readonly id: Uint8Array;
  /** The algorithm it signs with, or null for a key Airlock does not sign with (RSA, P-521, ...). */
  readonly algorithm: SignatureAlgorithm | null;
  /** The public half, from the matching public key object; null if there is none. */
  readonly publicKey: KeyObject | null;
  readonly canSign: boolean;
  /** CKA_SENSITIVE: the key's value never leaves the token in plaintext. */
  readonly sensitive: boolean;
  /** CKA_EXTRACTABLE: the key can be wrapped out of the token. */
  readonly extractable: boolean;
  /** CKA_NEVER_EXTRACTABLE: the key has never been extractable. */
  readonly neverExtractable: boolean;
  /** CKA_ALWAYS_SENSITIVE: the key has always been sensitive. */
  readonly alwaysSensitive: boolean;
  /** CKA_ALWAYS_AUTHENTICATE: the token wants the PIN again for every signature. */
  readonly alwaysAuthenticate: boolean;
}

function describeKey(label: string | undefined, id: Uint8Array | undefined): string {
  const parts: string[] = [];
  if (label !== undefined) parts.push(`labelled '${label}'`);
  if (id !== undefined) parts.push(`with id ${Buffer.from(id).toString('hex') || '(empty)'}`);
  return parts.join(' and ');
}

function keyInfo(
  pkcs11: PKCS11,
  session: Pkcs11Handle,
  privateKey: Pkcs11Handle,
  tokenLabel: string,
  /** Throw on a missing or confusing public key object (to sign), or report it as null (to list). */
  strict: boolean,
): Pkcs11KeyInfo {
  const [
    label,
    id,
    keyType,
    sign,
    sensitive,
    extractable,
    neverExtractable,
    alwaysSensitive,
    alwaysAuthenticate,
  ] = readAttributes(pkcs11, session, privateKey, [
    pkcs11js.CKA_LABEL,
    pkcs11js.CKA_ID,
    pkcs11js.CKA_KEY_TYPE,
    pkcs11js.CKA_SIGN,
    pkcs11js.CKA_SENSITIVE,
    pkcs11js.CKA_EXTRACTABLE,
    pkcs11js.CKA_NEVER_EXTRACTABLE,
    pkcs11js.CKA_ALWAYS_SENSITIVE,
    pkcs11js.CKA_ALWAYS_AUTHENTICATE,
  ]) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const type = readUlong(keyType);
  // EC parameters exist only on EC keys; asking an RSA key for them is an error.
  const params =
    type === pkcs11js.CKK_EC || type === CKK_EC_EDWARDS
      ? readAttributes(pkcs11, session, privateKey, [pkcs11js.CKA_EC_PARAMS])[0]
      : undefined;
  const algorithm = algorithmFor(type, params);
  const labelText = label.toString('utf8');
  let publicKey: KeyObject | null = null;
  if (algorithm !== null) {
    try {
      publicKey = publicKeyOf(pkcs11, session, algorithm, type, labelText, id, tokenLabel);
    } catch (error) {
      if (strict) throw error;
    }
  }
  return {
    label: labelText,
    id: new Uint8Array(id),
    algorithm,
    publicKey,
    canSign: readBoolean(sign),
    sensitive: readBoolean(sensitive),
    extractable: readBoolean(extractable),
    neverExtractable: readBoolean(neverExtractable),
    alwaysSensitive: readBoolean(alwaysSensitive),
    alwaysAuthenticate: readBoolean(alwaysAuthenticate),
  };
}

/** The public half of a private key, read from its public key object; null if there is none. */
function publicKeyOf(
  pkcs11: PKCS11,
  session: Pkcs11Handle,
  algorithm: SignatureAlgorithm,
  keyType: number,
  label: string,
  id: Buffer,
  tokenLabel: string,
): KeyObject | null {
  const publicObject = findPublicObject(pkcs11, session, label, id, tokenLabel);
  if (publicObject === undefined) return null;
  const [params, ecPoint] = readAttributes(pkcs11, session, publicObject, [
    pkcs11js.CKA_EC_PARAMS,
    pkcs11js.CKA_EC_POINT,
  ]) as [Buffer, Buffer];
  if (algorithmFor(keyType, params) !== algorithm) {
    throw new KeysError(
      'SIGNING_FAILED',
      `the public key object beside private key ${describeKey(label, id)} in token '${tokenLabel}' is on another curve; the pair is mismatched`,
    );
  }
  return publicKeyFromPoint(algorithm, ecPoint);
}

/**
 * The public key object paired with a private key: the one with the same CKA_ID (the PKCS#11
 * convention), narrowed by label if several share the id; by label alone when the id is empty.
 */
function findPublicObject(
  pkcs11: PKCS11,
  session: Pkcs11Handle,
  label: string,
  id: Buffer,
  tokenLabel: string,
): Pkcs11Handle | undefined {
  const publicClass = { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY };
  const byLabel = { type: pkcs11js.CKA_LABEL, value: label };
  let found: Pkcs11Handle[];
  if (id.length === 0) found = findObjects(pkcs11, session, [publicClass, byLabel]);
  else {
    const byId = { type: pkcs11js.CKA_ID, value: id };
    found = findObjects(pkcs11, session, [publicClass, byId]);
    if (found.length > 1) found = findObjects(pkcs11, session, [publicClass, byId, byLabel]);
  }
  if (found.length > 1) {
    throw new KeysError(
      'AMBIGUOUS_KEY',
      `${found.length} public key objects match private key ${describeKey(label, id)} in token '${tokenLabel}'`,
    );
  }
  return found[0];
}

function findPrivateKey(
  pkcs11: PKCS11,
  session: Pkcs11Handle,
  selector: Pkcs11KeySelector,
  tokenLabel: string,
): Pkcs11Handle {
  const template: Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }];
  if (selector.label !== undefined)
    template.push({ type: pkcs11js.CKA_LABEL, value: selector.label });
  if (selector.id !== undefined)
    template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(selector.id) });
  const found = findObjects(pkcs11, session, template);
  const what = describeKey(selector.label, selector.id);
  if (found.length === 0) {
    throw new KeysError('KEY_NOT_FOUND', `no private key ${what} in token '${tokenLabel}'`);
  }
  if (found.length > 1) {
    throw new KeysError(
      'AMBIGUOUS_KEY',
      `${found.length} private keys are ${what} in token '${tokenLabel}'; name the key by label and id`,
    );
  }
  return found[0]!;
}

/** Which private key in a token: by label (CKA_LABEL), id (CKA_ID) or both. */
export interface Pkcs11KeySelector {
  readonly label?: string;
  readonly id?: Uint8Array;
}

// Signed and verified once when a signer opens, so a public key object that does not belong to
// the private key is caught before anything is signed with the pair.
const SELF_TEST_MESSAGE = Buffer.from('airlock pkcs11 signer self-test');

/** A Signer whose private key never leaves a PKCS#11 token. */
export class Pkcs11Signer implements Signer {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
  readonly label: string;
  readonly id: Uint8Array;
  readonly #token: Pkcs11Token;
  readonly #key: Pkcs11Handle;
  readonly #mechanism: Mechanism;
  readonly #digest: 'sha256' | 'sha384' | null;
  readonly #signatureBytes: number;

  private constructor(token: Pkcs11Token, key: Pkcs11Handle, info: Pkcs11KeyInfo) {
    this.#token = token;
    this.#key = key;
    this.algorithm = info.algorithm!;
    this.publicKey = info.publicKey!;
    this.label = info.label;
    this.id = info.id;
    const { sign, signatureBytes } = ALGORITHMS[this.algorithm];
    this.#mechanism = { mechanism: sign };
    this.#signatureBytes = signatureBytes;
    this.#digest = digestOf(this.algorithm);
  }

  /**
   * Finds the private key and its public key object, checks Airlock can sign with it, and signs
   * one test message to prove the two halves belong together. The token stays open and owned by
   * the caller.
   */
  static async open(token: Pkcs11Token, selector: Pkcs11KeySelector): Promise<Pkcs11Signer> {
    if (selector.label === undefined && selector.id === undefined) {
      throw new KeysError('INVALID_KEY_URI', 'name the key by label (object=) or id (id=)');
    }
    const { key, info } = await token.withSession((session, pkcs11) =>
      guarded(
        `reading key ${describeKey(selector.label, selector.id)} in token '${token.label}' failed`,
        () => {
          const key = findPrivateKey(pkcs11, session, selector, token.label);
          return { key, info: keyInfo(pkcs11, session, key, token.label, true) };
        },
      ),
    );
    const what = `key ${describeKey(info.label, info.id)} in token '${token.label}'`;
    if (info.algorithm === null) {
      throw new KeysError(
        'UNSUPPORTED_KEY',
        `${what} is not ECDSA P-256, ECDSA P-384 or Ed25519, which are all Airlock signs with`,
      );
    }
    if (!token.supportsMechanism(ALGORITHMS[info.algorithm].sign)) {
      throw new KeysError(
        'UNSUPPORTED_KEY',
        `token '${token.label}' does not offer ${info.algorithm === 'ed25519' ? 'CKM_EDDSA' : 'CKM_ECDSA'}, so it cannot sign with ${what}`,
      );
    }
    if (!info.canSign) throw new KeysError('UNSUPPORTED_KEY', `${what} is not allowed to sign`);
    if (info.alwaysAuthenticate) {
      throw new KeysError(
        'UNSUPPORTED_KEY',
        `${what} wants the PIN for every signature (CKA_ALWAYS_AUTHENTICATE), which Airlock does not do`,
      );
    }
    if (info.publicKey === null) {
      throw new KeysError(
        'KEY_NOT_FOUND',
        `${what} has no public key object beside it; Airlock reads the public key from the token`,
      );
    }
    const signer = new Pkcs11Signer(token, key, info);
    const signature = await signer.sign(SELF_TEST_MESSAGE);
    if (!verifySignature(signer.publicKey, signer.algorithm, SELF_TEST_MESSAGE, signature)) {
      throw new KeysError(
        'SIGNING_FAILED',
        `the public key object beside ${what} does not verify its signatures; the pair is mismatched`,
      );
    }
    return signer;
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    const input =
      this.#digest === null
        ? Buffer.from(message.buffer, message.byteOffset, message.byteLength)
        : createHash(this.#digest).update(message).digest();
    return this.#token.withSession((session, pkcs11) => {
      const output = Buffer.alloc(this.#signatureBytes);
      try {
        pkcs11.C_SignInit(session, this.#mechanism, this.#key);
        if (this.#token.asyncSign) {
          return pkcs11.C_SignAsync(session, input, output).then(
            (raw) => this.#encode(raw),
            (error: unknown) => {
              throw this.#signingFailed(error);
            },
          );
        }
        return this.#encode(pkcs11.C_Sign(session, input, output));
      } catch (error) {
        throw error instanceof KeysError ? error : this.#signingFailed(error);
      }
    });
  }

  #signingFailed(error: unknown): KeysError {
    return new KeysError(
      'SIGNING_FAILED',
      `token '${this.#token.label}' failed to sign with key '${this.label}': ${describe(error)}`,
      { cause: error },
    );
  }

  /** The signature as Signer promises it: DER for ECDSA, 64 raw bytes for Ed25519. */
  #encode(raw: Buffer): Uint8Array {
    if (this.#digest !== null) return ecdsaRawToDer(raw, this.#signatureBytes / 2);
    if (raw.length !== this.#signatureBytes) {
      throw new KeysError(
        'SIGNING_FAILED',
        `the token returned a ${raw.length}-byte Ed25519 signature`,
      );
    }
    return new Uint8Array(raw);
  }
}

/** What to generate: a label, optionally an id (default 16 random bytes), and the algorithm. */
export interface Pkcs11KeySpec {
  readonly label: string;
  readonly id?: Uint8Array;
  readonly algorithm: SignatureAlgorithm;
}

/**
 * Generates a key pair inside the token. The private key is a token object that is sensitive,
 * never extractable and may only sign; the public key object beside it carries the same label and
 * id. Refuses (KEY_EXISTS) if any object already has the label or id, so lookups stay unambiguous.
 */
export async function generateKeyPair(
  token: Pkcs11Token,
  spec: Pkcs11KeySpec,
): Promise<Pkcs11KeyInfo> {
  const algorithm = ALGORITHMS[spec.algorithm];
  if (algorithm === undefined) {
    throw new KeysError('UNSUPPORTED_KEY', 'Airlock generates ECDSA P-256, P-384 and Ed25519 keys');
  }
  if (spec.label === '') throw new KeysError('INVALID_KEY_URI', 'a key needs a non-empty label');
  if (!token.supportsMechanism(algorithm.generate) || !token.supportsMechanism(algorithm.sign)) {
    throw new KeysError(
      'UNSUPPORTED_KEY',
      `token '${token.label}' cannot generate and sign with ${spec.algorithm} keys`,
    );
  }
  const id = Buffer.from(spec.id ?? randomBytes(16));
  if (id.length === 0) throw new KeysError('INVALID_KEY_URI', 'a key id must not be empty');
  return token.withSession((session, pkcs11) =>
    guarded(`generating a key in token '${token.label}' failed`, async () => {
      const byLabel = findObjects(pkcs11, session, [
        { type: pkcs11js.CKA_LABEL, value: spec.label },
      ]);
      const byId = findObjects(pkcs11, session, [{ type: pkcs11js.CKA_ID, value: id }]);
      if (byLabel.length > 0 || byId.length > 0) {
        throw new KeysError(
          'KEY_EXISTS',
          `token '${token.label}' already holds an object ${byLabel.length > 0 ? `labelled '${spec.label}'` : `with id ${id.toString('hex')}`}`,
        );
      }
      const common: Template = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_KEY_TYPE, value: algorithm.keyType },
        { type: pkcs11js.CKA_LABEL, value: spec.label },
        { type: pkcs11js.CKA_ID, value: id },
      ];
      const publicTemplate: Template = [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: algorithm.params },
      ];
      const privateTemplate: Template = [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        // A signing key does nothing else: no key agreement, no decryption, no unwrapping.
        { type: pkcs11js.CKA_DERIVE, value: false },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
      ];
      let keys: { privateKey: Pkcs11Handle; publicKey: Pkcs11Handle };
      try {
        keys = await pkcs11.C_GenerateKeyPairAsync(
          session,
          { mechanism: algorithm.generate },
          publicTemplate,
          privateTemplate,
        );
      } catch (error) {
        throw backendFailed(
          `token '${token.label}' failed to generate a ${spec.algorithm} key`,
          error,
        );
      }
      const info = keyInfo(pkcs11, session, keys.privateKey, token.label, true);
      // A token that quietly ignored the template would leave an exportable key; none is kept.
      if (!info.sensitive || info.extractable || !info.neverExtractable || !info.canSign) {
        pkcs11.C_DestroyObject(session, keys.privateKey);
        pkcs11.C_DestroyObject(session, keys.publicKey);
        throw new KeysError(
          'BACKEND_FAILED',
          `token '${token.label}' did not make key '${spec.label}' sensitive and non-extractable; it was destroyed`,
        );
      }
      return info;
    }),
  );
}

/** Every private key in the token, with what Airlock can tell about it. */
export async function listKeys(token: Pkcs11Token): Promise<Pkcs11KeyInfo[]> {
  return token.withSession((session, pkcs11) =>
    guarded(`listing the keys in token '${token.label}' failed`, () =>
      findObjects(pkcs11, session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      ]).map((key) => keyInfo(pkcs11, session, key, token.label, false)),
    ),
  );
}
