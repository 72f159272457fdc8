// @airlock/tsa: an RFC 3161 timestamp authority compatible with sigstore/timestamp-authority.
export {
  TSA_JSON_BODY_LIMIT,
  TSA_QUERY_BODY_LIMIT,
  type TsaPluginOptions,
  tsaPlugin,
} from './plugin.js';
export {
  PEM_CHAIN_TYPE,
  requestFromJson,
  TIMESTAMP_QUERY_TYPE,
  TIMESTAMP_REPLY_TYPE,
  tsaRoutes,
} from './routes.js';
export {
  createTsaServer,
  type RunningTsa,
  type StartTsaOptions,
  startTsa,
} from './start.js';
export { TimestampAuthority, type TimestampAuthorityOptions, TSA_DEFAULTS } from './tsa.js';
