// @airlock/ctlog: an RFC 6962 certificate transparency log for the CA's precertificates.
export {
  type AcceptedChain,
  acceptChain,
  MAX_CERTIFICATE_BYTES,
  MAX_CHAIN_LENGTH,
} from './chain.js';
export { CtLog, type CtLogOptions } from './ctlog.js';
export { type CtLogPluginOptions, ctLogPlugin } from './plugin.js';
export { MAX_ENTRIES_PER_GET } from './routes.js';
export {
  CT_BODY_LIMIT,
  createCtLogServer,
  type RunningCtLog,
  type StartCtLogOptions,
  startCtLog,
} from './start.js';
