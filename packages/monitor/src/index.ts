// @airlock/monitor: follows a Rekor log and a CT log from a remembered tree head, proves every step
// consistent, and alerts on entries for watched identities, issuers, extensions or keys.
export {
  type CertificateSummary,
  type CtEntrySummary,
  describeCertificate,
  describeCtEntry,
  describeRekorBody,
  type EntrySummary,
  type ExtensionSummary,
  type SubjectAlternativeNameSummary,
  type VerifierSummary,
} from './describe.js';
export { MonitorError, type MonitorErrorCode } from './errors.js';
export {
  type Alert,
  DEFAULT_POLL_INTERVAL_MS,
  type IntegrityAlert,
  LogMonitor,
  type LogMonitorOptions,
  type MatchAlert,
  type StepResult,
  type UndecodableAlert,
} from './monitor.js';
export {
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  type RunMonitorsOptions,
  type RunOutcome,
  runMonitors,
  webhookDeliverer,
} from './run.js';
export {
  CtSource,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type FollowedEntry,
  type LogSource,
  MAX_RESPONSE_BYTES,
  RekorSource,
  type SignedTreeHead,
} from './sources.js';
export { type FollowedLogState, MonitorStateStore } from './state.js';
export {
  type Match,
  type MatchRule,
  matchVerifiers,
  type OidRule,
  parseWatchRules,
  type WatchRules,
  type WatchRulesInput,
} from './watch.js';
