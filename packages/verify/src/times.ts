// The times a bundle proves (SET-backed integrated times, RFC 3161 genTimes), and the checks on them
// that sigstore-js leaves out: none at all, times in the future, a log key not valid at those times.
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { VerifyError } from './errors.js';
import { findLog } from './trusted-root.js';

/** How far ahead of the verifier's clock a signed time may be before it counts as forged. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface BundleTimes {
  /** Per tlog entry: its integrated time when an inclusion promise (SET) vouches for it. */
  integrated: (Date | undefined)[];
  /** genTime of each RFC 3161 timestamp. */
  timestamped: Date[];
}

/**
 * Reads the times; they are verified only once @sigstore/verify has accepted the SETs and tokens
 * (it refuses the bundle if any one of them does not verify).
 * An integrated time without a promise is only the log's unsigned claim and is not a time here.
 */
export function bundleTimes(bundle: Bundle): BundleTimes {
  const integrated = bundle.verificationMaterial.tlogEntries.map((entry) =>
    entry.inclusionPromise !== undefined && entry.integratedTime && entry.integratedTime !== '0'
      ? new Date(Number(entry.integratedTime) * 1000)
      : undefined,
  );
  const tokens = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  const timestamped = tokens.map(
    (token) => RFC3161Timestamp.parse(Buffer.from(token.signedTimestamp)).signingTime,
  );
  return { integrated, timestamped };
}

export function allTimes(times: BundleTimes): Date[] {
  return [
    ...times.integrated.filter((time): time is Date => time !== undefined),
    ...times.timestamped,
  ].sort((a, b) => a.getTime() - b.getTime());
}

export function checkTimes(bundle: Bundle, root: TrustedRoot, times: BundleTimes, now: Date): void {
  const latest = now.getTime() + MAX_CLOCK_SKEW_MS;
  times.integrated.forEach((time, i) => {
    if (time !== undefined && time.getTime() > latest) {
      throw new VerifyError('TLOG', `log entry ${i} integrated time ${iso(time)} is in the future`);
    }
  });
  times.timestamped.forEach((time, i) => {
    if (time.getTime() > latest) {
      throw new VerifyError(
        'TIMESTAMP',
        `RFC 3161 timestamp ${i} time ${iso(time)} is in the future`,
      );
    }
  });
  // The log key must have been valid when the entry was made: the SET's time, or else (Rekor v2,
  // which has no integrated time) each timestamped time. sigstore-js checks this for SETs only.
  bundle.verificationMaterial.tlogEntries.forEach((entry, i) => {
    const log = findLog(root, entry.logId?.keyId ?? Buffer.alloc(0));
    const validFor = log?.publicKey?.validFor;
    const integrated = times.integrated[i];
    const at = integrated !== undefined ? [integrated] : times.timestamped;
    for (const time of at) {
      const start = validFor?.start?.getTime();
      const end = validFor?.end?.getTime();
      if (
        start === undefined ||
        time.getTime() < start ||
        (end !== undefined && time.getTime() > end)
      ) {
        throw new VerifyError(
          'TLOG',
          `log entry ${i}: log ${log?.baseUrl ?? '?'} key is not valid at ${iso(time)}`,
        );
      }
    }
  });
}

function iso(time: Date): string {
  return time.toISOString();
}
