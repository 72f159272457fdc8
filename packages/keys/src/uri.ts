// Parses the key URIs Airlock accepts (RFC 7512 `pkcs11:` and `file:`) and finds the PIN or password
// each one points to. No error message ever repeats an attribute value, so a PIN in a URI cannot leak.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { KeysError } from './errors.js';

/** Object classes RFC 7512 names in the `type` attribute. A signer only accepts `private`. */
export type Pkcs11ObjectType = 'public' | 'private' | 'cert' | 'secret-key' | 'data';

/** A parsed `pkcs11:` URI. Absent attributes are absent properties. */
export interface Pkcs11Uri {
  readonly scheme: 'pkcs11';
  /** Token label (CKA_LABEL of the token, without its space padding). */
  readonly token?: string;
  /** Object label (CKA_LABEL). */
  readonly object?: string;
  /** Object id (CKA_ID), as the bytes the percent-encoding spells. */
  readonly id?: Uint8Array;
  readonly type?: Pkcs11ObjectType;
  /** The PKCS#11 module (shared library) to load. */
  readonly modulePath?: string;
  /** A file holding the PIN, as a path (a `file:` URI here is turned into its path). */
  readonly pinSource?: string;
  /** The PIN itself. RFC 7512 allows it; it ends up in shell history and process lists, so avoid it. */
  readonly pinValue?: string;
}

/** A parsed `file:` key URI. */
export interface FileKeyUri {
  readonly scheme: 'file';
  /** The key file's path; a relative path resolves against the caller's base directory. */
  readonly path: string;
  /** A file holding the password that decrypts the key. */
  readonly passwordSource?: string;
}

export type KeyUri = Pkcs11Uri | FileKeyUri;

/** Where PINs and passwords come from when a URI names no source of its own. */
export const PKCS11_PIN_ENV = 'AIRLOCK_PKCS11_PIN';
export const KEY_PASSWORD_ENV = 'AIRLOCK_KEY_PASSWORD';

const PKCS11_PATH_ATTRIBUTES = new Set(['token', 'object', 'id', 'type']);
const PKCS11_QUERY_ATTRIBUTES = new Set(['module-path', 'pin-source', 'pin-value']);
// Standard RFC 7512 attributes Airlock does not match on, named so the error can say so precisely.
const PKCS11_UNSUPPORTED_ATTRIBUTES = new Set([
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
  'module-name',
]);
const OBJECT_TYPES: ReadonlySet<string> = new Set([
  'public',
  'private',
  'cert',
  'secret-key',
  'data',
]);

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
const RES_AVAIL = ":[]@!$'()*+,=";
/** Characters RFC 7512 allows unencoded in path attribute values (pk11-pchar). */
const PKCS11_PATH_CHARS = new Set(`${UNRESERVED}${RES_AVAIL}&`);
/** Characters RFC 7512 allows unencoded in query attribute values (pk11-qchar). */
const PKCS11_QUERY_CHARS = new Set(`${UNRESERVED}${RES_AVAIL}/?|`);
/** Characters RFC 8089/3986 allow unencoded in a file URI path. */
const FILE_PATH_CHARS = new Set(`${UNRESERVED}/:@!$&'()*+,;=`);
const FILE_QUERY_CHARS = new Set(`${UNRESERVED}:@!$'()*+,;=/?`);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(scheme: string, detail: string): KeysError {
  return new KeysError('INVALID_KEY_URI', `invalid ${scheme} key URI: ${detail}`);
}

/**
 * An attribute name safe to repeat in an error: it looks like a name. Anything else might be a
 * misplaced secret (`?1234`), so it is described, not quoted.
 */
function nameForError(name: string): string {
  return /^[a-z][a-z0-9-]{0,39}$/i.test(name) ? `'${name}'` : 'with a malformed name';
}

/** Decodes %XX escapes to bytes, rejecting characters the grammar wants encoded. */
function percentDecode(
  raw: string,
  allowed: ReadonlySet<string>,
  scheme: string,
  what: string,
): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw invalid(scheme, `${what} has a malformed %-escape`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (allowed.has(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      throw invalid(scheme, `${what} contains a character that must be percent-encoded`);
    }
  }
  return Uint8Array.from(bytes);
}

function decodeText(bytes: Uint8Array, scheme: string, what: string): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalid(scheme, `${what} is not valid UTF-8 once percent-decoded`);
  }
  if (text.includes('\0')) throw invalid(scheme, `${what} contains a NUL character`);
  return text;
}

/** Splits `name=value` pairs; the value may itself contain '='. */
function splitAttributes(
  component: string,
  separator: string,
  scheme: string,
  where: 'path' | 'query',
): Array<[name: string, rawValue: string]> {
  if (component === '') return [];
  const seen = new Set<string>();
  return component.split(separator).map((part) => {
    if (part === '') throw invalid(scheme, `empty attribute in the ${where}`);
    const equals = part.indexOf('=');
    if (equals <= 0) throw invalid(scheme, `a ${where} attribute is not of the form name=value`);
    const name = part.slice(0, equals);
    if (seen.has(name)) throw invalid(scheme, `attribute ${nameForError(name)} appears twice`);
    seen.add(name);
    const rawValue = part.slice(equals + 1);
    if (rawValue === '') throw invalid(scheme, `attribute ${nameForError(name)} is empty`);
    return [name, rawValue];
  });
}

/**
 * A `pin-source` / `password-source` value: a path, or a `file:` URI naming one. The value is
 * percent-decoded once, as every attribute is; a `file:` prefix is then simply removed, so
 * `pin-source=file:/run/pin%20file` and `pin-source=/run/pin%20file` name the same file.
 */
function parseSecretSource(
  raw: string,
  allowed: ReadonlySet<string>,
  scheme: string,
  what: string,
): string {
  const text = decodeText(percentDecode(raw, allowed, scheme, what), scheme, what);
  if (text.startsWith('|')) {
    throw invalid(scheme, `${what} may not run a command; give a file path or a file: URI`);
  }
  if (/^file:/i.test(text)) {
    if (/[?#]/.test(text)) throw invalid(scheme, `${what} may not have a query or fragment`);
    return stripFileAuthority(text.slice('file:'.length), scheme, what);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    throw invalid(scheme, `${what} must be a file path or a file: URI`);
  }
  return text;
}

/** Parses an RFC 7512 `pkcs11:` URI. Attributes Airlock does not understand are rejected. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  const scheme = 'pkcs11';
  if (!/^pkcs11:/i.test(uri)) throw invalid(scheme, 'it does not start with pkcs11:');
  const rest = uri.slice('pkcs11:'.length);
  const question = rest.indexOf('?');
  const path = question === -1 ? rest : rest.slice(0, question);
  const query = question === -1 ? '' : rest.slice(question + 1);
  const parsed: {
    -readonly [K in keyof Pkcs11Uri]: Pkcs11Uri[K];
  } = { scheme };

  for (const [name, rawValue] of splitAttributes(path, ';', scheme, 'path')) {
    if (!PKCS11_PATH_ATTRIBUTES.has(name)) {
      if (PKCS11_QUERY_ATTRIBUTES.has(name))
        throw invalid(scheme, `attribute '${name}' belongs in the query (after '?')`);
      throw unknownAttribute(scheme, name, 'path');
    }
    const what = `attribute '${name}'`;
    const bytes = percentDecode(rawValue, PKCS11_PATH_CHARS, scheme, what);
    if (name === 'id') {
      parsed.id = bytes;
      continue;
    }
    const text = decodeText(bytes, scheme, what);
    if (name === 'token') parsed.token = text;
    else if (name === 'object') parsed.object = text;
    else {
      if (!OBJECT_TYPES.has(text))
        throw invalid(scheme, `type must be one of ${[...OBJECT_TYPES].join(', ')}`);
      parsed.type = text as Pkcs11ObjectType;
    }
  }

  for (const [name, rawValue] of splitAttributes(query, '&', scheme, 'query')) {
    if (!PKCS11_QUERY_ATTRIBUTES.has(name)) {
      if (PKCS11_PATH_ATTRIBUTES.has(name))
        throw invalid(scheme, `attribute '${name}' belongs in the path (before '?')`);
      throw unknownAttribute(scheme, name, 'query');
    }
    const what = `attribute '${name}'`;
    if (name === 'pin-source') {
      parsed.pinSource = parseSecretSource(rawValue, PKCS11_QUERY_CHARS, scheme, what);
      continue;
    }
    const text = decodeText(
      percentDecode(rawValue, PKCS11_QUERY_CHARS, scheme, what),
      scheme,
      what,
    );
    if (name === 'module-path') {
      if (!isAbsolute(text)) throw invalid(scheme, 'module-path must be an absolute path');
      parsed.modulePath = text;
    } else parsed.pinValue = text;
  }

  if (parsed.pinSource !== undefined && parsed.pinValue !== undefined) {
    throw invalid(scheme, 'give pin-source or pin-value, not both');
  }
  return parsed;
}

function unknownAttribute(scheme: string, name: string, where: 'path' | 'query'): KeysError {
  if (PKCS11_UNSUPPORTED_ATTRIBUTES.has(name)) {
    return invalid(scheme, `attribute '${name}' is standard but Airlock does not support it`);
  }
  return invalid(scheme, `unknown ${where} attribute ${nameForError(name)}`);
}

/** The path of a `file:` URI after `file:`: `/abs`, `///abs`, `//localhost/abs` or `rel`. */
function stripFileAuthority(rest: string, scheme: string, what: string): string {
  let path = rest;
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    const authority = slash === -1 ? path.slice(2) : path.slice(2, slash);
    if (authority !== '' && authority.toLowerCase() !== 'localhost') {
      throw invalid(scheme, `${what} names a remote host; only local files are supported`);
    }
    path = slash === -1 ? '' : path.slice(slash);
  }
  if (path === '') throw invalid(scheme, `${what} has no path`);
  return path;
}

/** Parses a `file:` key URI: `file:/abs/key.pem`, `file:///abs/key.pem` or `file:relative.pem`. */
export function parseFileKeyUri(uri: string): FileKeyUri {
  const scheme = 'file';
  if (!/^file:/i.test(uri)) throw invalid(scheme, 'it does not start with file:');
  const rest = uri.slice('file:'.length);
  if (rest.includes('#')) throw invalid(scheme, 'fragments are not allowed');
  const question = rest.indexOf('?');
  const pathPart = question === -1 ? rest : rest.slice(0, question);
  const query = question === -1 ? '' : rest.slice(question + 1);
  const parsed: { -readonly [K in keyof FileKeyUri]: FileKeyUri[K] } = {
    scheme,
    path: decodeText(
      percentDecode(
        stripFileAuthority(pathPart, scheme, 'the path'),
        FILE_PATH_CHARS,
        scheme,
        'the path',
      ),
      scheme,
      'the path',
    ),
  };
  for (const [name, rawValue] of splitAttributes(query, '&', scheme, 'query')) {
    if (name !== 'password-source')
      throw invalid(scheme, `unknown query attribute ${nameForError(name)}`);
    const what = `attribute '${name}'`;
    parsed.passwordSource = parseSecretSource(rawValue, FILE_QUERY_CHARS, scheme, what);
  }
  return parsed;
}

/** Parses a key URI of either scheme. */
export function parseKeyUri(uri: string): KeyUri {
  if (/^pkcs11:/i.test(uri)) return parsePkcs11Uri(uri);
  if (/^file:/i.test(uri)) return parseFileKeyUri(uri);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
  throw new KeysError(
    'INVALID_KEY_URI',
    scheme === undefined
      ? 'a key URI must start with pkcs11: or file:'
      : `unsupported key URI scheme '${scheme.length <= 20 ? scheme : `${scheme.slice(0, 20)}…`}'; use pkcs11: or file:`,
  );
}

function encodeComponent(text: string | Uint8Array, allowed: ReadonlySet<string>): string {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && allowed.has(char) && typeof text === 'string'
        ? char
        : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Writes a `pkcs11:` URI (the inverse of parsePkcs11Uri). It has no way to write pin-value:
 * a URI Airlock prints or stores should point at a PIN, never hold one.
 */
export function formatPkcs11Uri(uri: Omit<Pkcs11Uri, 'scheme' | 'pinValue'>): string {
  const path: string[] = [];
  if (uri.token !== undefined) path.push(`token=${encodeComponent(uri.token, PKCS11_PATH_CHARS)}`);
  if (uri.object !== undefined)
    path.push(`object=${encodeComponent(uri.object, PKCS11_PATH_CHARS)}`);
  if (uri.id !== undefined) path.push(`id=${encodeComponent(uri.id, PKCS11_PATH_CHARS)}`);
  if (uri.type !== undefined) path.push(`type=${uri.type}`);
  const query: string[] = [];
  if (uri.modulePath !== undefined)
    query.push(`module-path=${encodeComponent(uri.modulePath, PKCS11_QUERY_CHARS)}`);
  if (uri.pinSource !== undefined)
    query.push(`pin-source=${encodeComponent(uri.pinSource, PKCS11_QUERY_CHARS)}`);
  return `pkcs11:${path.join(';')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

/** Where PINs, passwords and relative paths come from; defaults are the process's. */
export interface CredentialOptions {
  /** Environment to read AIRLOCK_PKCS11_PIN / AIRLOCK_KEY_PASSWORD from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative file paths (default process.cwd()). */
  readonly baseDir?: string;
}

/** Reads a PIN or password file; one trailing line break (as `echo` leaves) is not part of it. */
async function readSecretFile(path: string, what: 'PIN' | 'password'): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KeysError('BAD_CREDENTIALS', `could not read the ${what} file ${path}`, {
      cause: error,
    });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new KeysError('BAD_CREDENTIALS', `the ${what} file ${path} is empty`);
  return secret;
}

function fromEnv(options: CredentialOptions, name: string): string | undefined {
  const value = (options.env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The PIN a `pkcs11:` URI points to: its pin-source file, else its pin-value, else `fallback`
 * (a PIN the caller prompted for), else $AIRLOCK_PKCS11_PIN. Undefined when there is none.
 */
export async function resolvePkcs11Pin(
  uri: Pkcs11Uri,
  options: CredentialOptions & { readonly fallback?: string } = {},
): Promise<string | undefined> {
  if (uri.pinSource !== undefined) {
    return readSecretFile(resolve(options.baseDir ?? process.cwd(), uri.pinSource), 'PIN');
  }
  return uri.pinValue ?? options.fallback ?? fromEnv(options, PKCS11_PIN_ENV);
}

/**
 * The password a `file:` URI points to: its password-source file, else `fallback`, else
 * $AIRLOCK_KEY_PASSWORD. Undefined when there is none (the key file must then be unencrypted).
 */
export async function resolveKeyFilePassword(
  uri: FileKeyUri,
  options: CredentialOptions & { readonly fallback?: string } = {},
): Promise<string | undefined> {
  if (uri.passwordSource !== undefined) {
    return readSecretFile(
      resolve(options.baseDir ?? process.cwd(), uri.passwordSource),
      'password',
    );
  }
  return options.fallback ?? fromEnv(options, KEY_PASSWORD_ENV);
}
