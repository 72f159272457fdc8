// Reads client JSON (already parsed, so `unknown`) field by field, naming the exact path of the
// first thing that is missing or of the wrong type. Unknown fields are ignored, as Go's decoders
// in Rekor and rekor-tiles' HTTP gateway ignore them; they never reach a canonical body.
import { RekorError } from './errors.js';

export type JsonObject = { readonly [key: string]: unknown };

function malformed(message: string): RekorError {
  return new RekorError('MALFORMED', message);
}

export function expectObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`${path} must be a JSON object`);
  }
  return value as JsonObject;
}

/** `spec.signature` + `content` -> `spec.signature.content`; a top-level field is just its name. */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function field(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A present, non-null field; Rekor treats an empty string like a missing one. */
export function requiredValue(object: JsonObject, key: string, path: string): unknown {
  const value = field(object, key);
  if (value === undefined || value === null || value === '')
    throw malformed(`${join(path, key)} is required`);
  return value;
}

export function requiredObject(object: JsonObject, key: string, path: string): JsonObject {
  return expectObject(requiredValue(object, key, path), `${join(path, key)}`);
}

export function requiredString(object: JsonObject, key: string, path: string): string {
  const value = requiredValue(object, key, path);
  if (typeof value !== 'string') throw malformed(`${join(path, key)} must be a string`);
  return value;
}

/** A string field that may be absent (or null, as proto3 JSON allows); '' when it is. */
export function optionalString(object: JsonObject, key: string, path: string): string {
  const value = field(object, key);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformed(`${join(path, key)} must be a string`);
  return value;
}

export function optionalObject(
  object: JsonObject,
  key: string,
  path: string,
): JsonObject | undefined {
  const value = field(object, key);
  if (value === undefined || value === null) return undefined;
  return expectObject(value, `${join(path, key)}`);
}

export function requiredArray(object: JsonObject, key: string, path: string): readonly unknown[] {
  const value = requiredValue(object, key, path);
  if (!Array.isArray(value)) throw malformed(`${join(path, key)} must be a JSON array`);
  if (value.length === 0) throw malformed(`${join(path, key)} must not be empty`);
  return value;
}

/**
 * A client-chosen name repeated in an error message only when it looks like a name, so error
 * bodies never reflect arbitrary input.
 */
export function quoteForError(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.+-]{1,40}$/.test(value)
    ? `'${value}'`
    : '(unrecognized)';
}
