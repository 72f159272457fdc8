// Converts ECDSA signatures from the raw r‖s form PKCS#11 tokens return to the DER form
// (SEQUENCE { INTEGER r, INTEGER s }) that X.509, CMS and Sigstore bundles carry.
import { KeysError } from './errors.js';

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** A DER INTEGER holding the unsigned big-endian `magnitude`. */
function derUnsignedInteger(magnitude: Uint8Array): number[] {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const content = Array.from(magnitude.subarray(start));
  // A set top bit would read as negative, so such values get a leading zero byte.
  if ((content[0] ?? 0) & 0x80) content.unshift(0);
  return [0x02, ...derLength(content.length), ...content];
}

/**
 * DER-encodes a raw r‖s signature whose halves are `fieldBytes` long each (32 for P-256, 48 for
 * P-384). Throws SIGNING_FAILED when the length does not fit the curve: a truncated signature is
 * never passed on.
 */
export function ecdsaRawToDer(raw: Uint8Array, fieldBytes: number): Uint8Array {
  if (raw.length !== 2 * fieldBytes) {
    throw new KeysError(
      'SIGNING_FAILED',
      `the token returned a ${raw.length}-byte ECDSA signature; expected ${2 * fieldBytes} bytes`,
    );
  }
  const r = derUnsignedInteger(raw.subarray(0, fieldBytes));
  const s = derUnsignedInteger(raw.subarray(fieldBytes));
  return Uint8Array.from([0x30, ...derLength(r.length + s.length), ...r, ...s]);
}
