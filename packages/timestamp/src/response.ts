// RFC 3161 §2.4.2 TimeStampResp: the granted response around a token, the failure responses a TSA
// answers bad requests with, and a reader for both.
import {
  decodeSmallInteger,
  encodeElement,
  encodeInteger,
  encodeUtf8String,
  expectTag,
  Fields,
  readSingle,
  sequence,
  TAG,
} from './der.js';
import { parsingAs, type TimestampError, type TimestampErrorCode } from './errors.js';

/** PKIStatus values (RFC 3161 §2.4.2). */
export const PKI_STATUS = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;
export type PkiStatus = keyof typeof PKI_STATUS;

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
export const FAILURE_INFO_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type FailureInfo = keyof typeof FAILURE_INFO_BITS;

/** The failure a TSA reports for a request it refused with `code`. */
export function failureInfoFor(code: TimestampErrorCode): FailureInfo {
  switch (code) {
    case 'UNSUPPORTED_HASH_ALGORITHM':
      return 'badAlg';
    case 'MALFORMED_REQUEST':
    case 'INVALID_DIGEST_LENGTH':
      return 'badDataFormat';
    case 'UNACCEPTED_POLICY':
      return 'unacceptedPolicy';
    case 'UNACCEPTED_EXTENSION':
      return 'unacceptedExtension';
    case 'INVALID_INPUT':
      return 'badRequest';
    default:
      return 'systemFailure';
  }
}

/** DER BIT STRING of one named bit, trailing zero bits removed as DER requires of named bit lists. */
function encodeFailureInfo(failInfo: FailureInfo): Uint8Array {
  const bit = FAILURE_INFO_BITS[failInfo];
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return encodeElement(TAG.BIT_STRING, Uint8Array.of(7 - (bit % 8)), bytes);
}

/** A granted TimeStampResp carrying `token` (a DER ContentInfo). */
export function grantedResponse(token: Uint8Array): Uint8Array {
  return sequence(sequence(encodeInteger(BigInt(PKI_STATUS.granted))), token);
}

/**
 * A TimeStampResp without a token: `status` (rejection, normally), one failure reason and an
 * optional text for the client (PKIFreeText), which must be safe to show.
 */
export function timeStampFailure(
  status: Exclude<PkiStatus, 'granted' | 'grantedWithMods'>,
  failInfo: FailureInfo,
  statusString?: string,
): Uint8Array {
  return sequence(
    sequence(
      encodeInteger(BigInt(PKI_STATUS[status])),
      ...(statusString !== undefined ? [sequence(encodeUtf8String(statusString))] : []),
      encodeFailureInfo(failInfo),
    ),
  );
}

/** The failure response for a request refused with a TimestampError. */
export function timeStampFailureFor(error: TimestampError): Uint8Array {
  return timeStampFailure('rejection', failureInfoFor(error.code), error.message);
}

export interface ParsedTimeStampResponse {
  readonly status: PkiStatus;
  readonly statusString: readonly string[];
  readonly failInfo: readonly FailureInfo[];
  /** The DER ContentInfo, when the response carries a token. */
  readonly token?: Uint8Array;
}

function decodeFailureInfo(content: Uint8Array): FailureInfo[] {
  const unused = content[0];
  if (unused === undefined || unused > 7) throw new Error('bad BIT STRING');
  const named: FailureInfo[] = [];
  for (const [name, bit] of Object.entries(FAILURE_INFO_BITS)) {
    const byte = content[1 + Math.floor(bit / 8)];
    if (byte !== undefined && (byte & (0x80 >> (bit % 8))) !== 0) named.push(name as FailureInfo);
  }
  return named;
}

/** Reads a DER TimeStampResp; MALFORMED_RESPONSE for anything else (including trailing bytes). */
export function parseTimeStampResponse(der: Uint8Array): ParsedTimeStampResponse {
  return parsingAs('MALFORMED_RESPONSE', 'not a DER TimeStampResp', () => {
    const response = Fields.of(readSingle(der), TAG.SEQUENCE, 'TimeStampResp');
    const info = Fields.of(
      response.required(TAG.SEQUENCE, 'a status'),
      TAG.SEQUENCE,
      'PKIStatusInfo',
    );
    const statusNumber = decodeSmallInteger(info.required(TAG.INTEGER, 'a status'));
    const status = (Object.keys(PKI_STATUS) as PkiStatus[]).find(
      (name) => PKI_STATUS[name] === statusNumber,
    );
    if (status === undefined) throw new Error(`unknown status ${statusNumber}`);
    const text = info.optional(TAG.SEQUENCE);
    const statusString =
      text === undefined
        ? []
        : Fields.of(text, TAG.SEQUENCE, 'PKIFreeText')
            .rest()
            .map((element) =>
              new TextDecoder('utf-8', { fatal: true }).decode(
                expectTag(element, TAG.UTF8_STRING).content,
              ),
            );
    const failure = info.optional(TAG.BIT_STRING);
    info.end();
    const token = response.optional(TAG.SEQUENCE);
    response.end();
    return {
      status,
      statusString,
      failInfo: failure === undefined ? [] : decodeFailureInfo(failure.content),
      ...(token !== undefined ? { token: token.bytes } : {}),
    };
  });
}
