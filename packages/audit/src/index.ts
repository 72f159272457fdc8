// @airlock/audit: what an auditor needs to hold a transparency log to account with nothing but the
// trusted root: inclusion and consistency checks, remembered checkpoints, a verified mirror of the
// log's tiles, and fsck, which re-derives every hash from the entries.
export {
  auditConsistency,
  type ConsistencyAudit,
  type ConsistencySource,
  consistencyProofFromTiles,
  fetchVerifiedLogInfo,
  type VerifiedBundleEntry,
  type VerifiedLogEntry,
  type VerifiedLogInfo,
  verifyBundleEntry,
  verifyLogEntry,
} from './audit.js';
export { type BundleSummary, type BundleTlogEntry, readBundle } from './bundle.js';
export {
  defaultCheckpointFile,
  type RememberedCheckpoint,
  readRememberedCheckpoint,
  rememberCheckpoint,
} from './checkpoint-store.js';
export { AuditError, type AuditErrorCode, CHECK_FAILURE_CODES } from './errors.js';
export {
  DEFAULT_FSCK_PROGRESS_INTERVAL_MS,
  DEFAULT_FSCK_READ_AHEAD,
  DEFAULT_FSCK_STATE_INTERVAL_MS,
  type ExtraCheckpoint,
  type FsckOptions,
  type FsckProblem,
  type FsckProgress,
  type FsckReport,
  fsck,
} from './fsck.js';
export { type FsckState, readFsckState } from './fsck-state.js';
export { DEFAULT_TIMEOUT_MS, type HttpOptions, MAX_JSON_BYTES, normalizeBaseUrl } from './http.js';
export {
  type LogKey,
  logKeyFromPublicKey,
  logKeyFromTrustedRoot,
  openLogCheckpoint,
  type TrustedLogKey,
  type VerifiedCheckpoint,
} from './log-key.js';
export { type MirrorOptions, type MirrorReport, mirror } from './mirror.js';
export {
  type ConsistencyProofAnswer,
  type InclusionProof,
  type LogEntry,
  type LogInfo,
  parseConsistencyProof,
  parseLogEntry,
  parseLogInfo,
  RekorClient,
  type RekorClientOptions,
  type SearchQuery,
} from './rekor-client.js';
export {
  CHECKPOINT_HISTORY_DIR,
  DirTileSource,
  HttpTileSource,
  MAX_BUNDLE_BYTES,
  MAX_CHECKPOINT_BYTES,
  MAX_TILE_BYTES,
  type TileSource,
} from './tile-source.js';
export { type RebuilderSnapshot, type TileMismatch, TreeRebuilder } from './tree-rebuilder.js';
export {
  type ConsistencyInput,
  checkConsistency,
  type EntryTimestampInput,
  type EntryToVerify,
  type VerifiedConsistency,
  type VerifiedInclusion,
  verifyEntryInclusion,
  verifySignedEntryTimestamp,
} from './verify.js';
