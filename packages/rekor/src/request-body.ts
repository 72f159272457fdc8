// Turns a raw request body into JSON for the parsers, refusing oversized bodies before parsing.
import { RekorError } from './errors.js';
import { MAX_REQUEST_BODY_BYTES } from './limits.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON request body of at most MAX_REQUEST_BODY_BYTES UTF-8 bytes. */
export function parseRequestBody(body: Uint8Array): unknown {
  if (body.length > MAX_REQUEST_BODY_BYTES) {
    throw new RekorError('TOO_LARGE', `the request body is over ${MAX_REQUEST_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(utf8.decode(body));
  } catch (cause) {
    throw new RekorError('MALFORMED', 'the request body is not UTF-8 JSON', { cause });
  }
}
