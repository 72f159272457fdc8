// Validates parsed trusted_root.json before @sigstore/verify reads it: that library treats a missing
// validity start as "since the beginning of time" and a missing chain as a crash; both are refused here.
import { type TransparencyLogInstance, TrustedRoot } from '@sigstore/protobuf-specs';
import { isRecord } from './bundle-input.js';
import { VerifyError } from './errors.js';

/** The v0.1 string every client accepts, and the v0.2 one the protobuf comment asks for. */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

export function parseTrustedRoot(json: unknown): TrustedRoot {
  if (!isRecord(json)) throw new VerifyError('TRUST_ROOT', 'trusted root is not a JSON object');
  if (typeof json.mediaType !== 'string' || !TRUSTED_ROOT_MEDIA_TYPES.includes(json.mediaType)) {
    throw new VerifyError(
      'TRUST_ROOT',
      `unsupported trusted root media type ${JSON.stringify(json.mediaType)}`,
    );
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new VerifyError('TRUST_ROOT', `trusted root does not parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
  root.tlogs.forEach((log, i) => {
    checkLog(log, `tlogs[${i}]`);
  });
  root.ctlogs.forEach((log, i) => {
    checkLog(log, `ctlogs[${i}]`);
  });
  const authorities = [
    ...root.certificateAuthorities.map((ca, i) => ({ ca, at: `certificateAuthorities[${i}]` })),
    ...root.timestampAuthorities.map((ca, i) => ({ ca, at: `timestampAuthorities[${i}]` })),
  ];
  for (const { ca, at } of authorities) {
    const certificates = ca.certChain?.certificates ?? [];
    if (certificates.length === 0 || certificates.some((c) => c.rawBytes.length === 0)) {
      throw new VerifyError('TRUST_ROOT', `trusted root ${at} has an empty certificate chain`);
    }
    checkRange(ca.validFor, at, false);
  }
  return root;
}

function checkLog(log: TransparencyLogInstance, at: string): void {
  if (!log.publicKey?.rawBytes?.length) {
    throw new VerifyError('TRUST_ROOT', `trusted root ${at} has no public key`);
  }
  if (!log.logId?.keyId?.length) {
    throw new VerifyError('TRUST_ROOT', `trusted root ${at} has no log ID`);
  }
  // sigstore-go refuses a log without a start; an open start would let a key vouch for any past time.
  checkRange(log.publicKey.validFor, `${at}.publicKey`, true);
}

function checkRange(
  range: { start?: Date | undefined; end?: Date | undefined } | undefined,
  at: string,
  startRequired: boolean,
): void {
  if (startRequired && range?.start === undefined) {
    throw new VerifyError('TRUST_ROOT', `trusted root ${at}.validFor has no start`);
  }
  for (const [bound, date] of [
    ['start', range?.start],
    ['end', range?.end],
  ] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) {
      throw new VerifyError('TRUST_ROOT', `trusted root ${at}.validFor.${bound} is not a time`);
    }
  }
}

/** The trusted log an entry names by log ID (or by the checkpoint key ID some roots also carry). */
export function findLog(root: TrustedRoot, logId: Uint8Array): TransparencyLogInstance | undefined {
  return root.tlogs.find(
    (log) =>
      (log.logId !== undefined && Buffer.from(log.logId.keyId).equals(logId)) ||
      (log.checkpointKeyId !== undefined && Buffer.from(log.checkpointKeyId.keyId).equals(logId)),
  );
}
