// Validity windows (`validFor`) as trusted roots and signing configs write them: start always set,
// end optional and never before start; both ends inclusive.
import { formatRfc3339, parseRfc3339, type TimeInput, toDate } from './encoding.js';
import { TrustError, type TrustErrorCode } from './errors.js';

export interface ValidityJson {
  readonly start: string;
  readonly end?: string;
}

export interface ValidityInput {
  readonly start: TimeInput;
  readonly end?: TimeInput;
}

export function validityFromInput(
  input: ValidityInput | undefined,
  field: string,
  code: TrustErrorCode,
): ValidityJson {
  if (input?.start === undefined) {
    throw new TrustError(
      code,
      `${field}.start is missing: clients need the time a key began to count`,
    );
  }
  const start = toDate(input.start, `${field}.start`, code);
  if (input.end === undefined) return { start: formatRfc3339(start) };
  const end = toDate(input.end, `${field}.end`, code);
  if (end < start) throw new TrustError(code, `${field}.end is before ${field}.start`);
  return { start: formatRfc3339(start), end: formatRfc3339(end) };
}

/** Checks a parsed `validFor` object; returns it with only the known fields. */
export function validityFromJson(
  value: unknown,
  field: string,
  code: TrustErrorCode,
): ValidityJson {
  if (typeof value !== 'object' || value === null) {
    throw new TrustError(code, `${field} is missing: every entry needs a validity start`);
  }
  const { start, end } = value as Record<string, unknown>;
  if (start === undefined) {
    throw new TrustError(
      code,
      `${field}.start is missing (sigstore-go refuses a key without a validity start)`,
    );
  }
  if (typeof start !== 'string' || parseRfc3339(start) === null) {
    throw new TrustError(code, `${field}.start is not an RFC 3339 time`);
  }
  if (end === undefined) return { start };
  if (typeof end !== 'string' || parseRfc3339(end) === null) {
    throw new TrustError(code, `${field}.end is not an RFC 3339 time`);
  }
  if (parseRfc3339(end)! < parseRfc3339(start)!) {
    throw new TrustError(code, `${field}.end is before ${field}.start`);
  }
  return { start, end };
}

/** Whether an instant lies inside a window (both ends inclusive, as clients check). */
export function isWithin(validity: ValidityJson, at: Date): boolean {
  const start = parseRfc3339(validity.start);
  const end = validity.end === undefined ? null : parseRfc3339(validity.end);
  return start !== null && start <= at && (end === null || at <= end);
}

export function startOf(validity: ValidityJson): number {
  return parseRfc3339(validity.start)?.getTime() ?? 0;
}
