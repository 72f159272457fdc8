// @airlock/log: the transparency log engine shared by the Rekor-compatible log and the CT log.
export * from './defaults.js';
export { LogError, type LogErrorCode } from './errors.js';
export {
  type BatchOptions,
  type BatchReport,
  type Sequenced,
  type Submission,
  TransparencyLog,
  type TransparencyLogOptions,
} from './log.js';
export { SqliteLogStore, type SqliteLogStoreOptions } from './sqlite-store.js';
export type { Batch, LogStore, NewEntry, StoredEntry, TileWrite, TreeState } from './store.js';
export { LruCache, locateNode, TileTree } from './tile-cache.js';
