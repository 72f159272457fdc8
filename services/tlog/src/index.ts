// @airlock/tlog: the Rekor-compatible transparency log service.
export { openRekorLogs, type RekorLogs, type RekorLogsOptions, type RekorV1Shard } from './logs.js';
export { type TlogPluginOptions, tlogPlugin } from './plugin.js';
export { createTlogServer, DEFAULT_BODY_LIMIT, type TlogServerOptions } from './server.js';
export { type RunningTlog, type StartTlogOptions, startTlog } from './start.js';
