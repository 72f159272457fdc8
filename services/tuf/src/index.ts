// @airlock/tuf-server: serves a TUF repository read-only and keeps its timestamp and snapshot fresh.
export {
  MAX_SERVED_FILE_BYTES,
  type TufRepositoryPluginOptions,
  tufRepositoryPlugin,
} from './plugin.js';
export {
  DEFAULT_REFRESH_INTERVAL_MS,
  type RefresherOptions,
  RepositoryRefresher,
} from './refresher.js';
export {
  createTufServer,
  type RunningTufServer,
  type StartTufServerOptions,
  startTufServer,
  TUF_BODY_LIMIT,
} from './start.js';
