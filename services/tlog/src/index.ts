// @airlock/tlog: the Rekor-compatible transparency log service.

export { EXPLORER_CSP, EXPLORER_DIR } from './explorer.js';
export { openRekorLogs, type RekorLogs, type RekorLogsOptions, type RekorV1Shard } from './logs.js';
export { type TlogPluginOptions, tlogPlugin } from './plugin.js';
export { createTlogServer, DEFAULT_BODY_LIMIT, type TlogServerOptions } from './server.js';
export { type RunningTlog, type StartTlogOptions, startTlog } from './start.js';
export {
  CheckpointWitnessing,
  DEFAULT_WITNESS_TIMEOUT_MS,
  type WitnessEndpoint,
  type WitnessingOptions,
  witnessVerifier,
} from './witnessing.js';
