// @airlock/http: what every Airlock service shares at its HTTP edge.
export { ApiError, type ErrorMapper, jsonErrorHandler, jsonNotFound } from './errors.js';
export {
  installObservability,
  type ObservabilityOptions,
  registerLogMetrics,
  requestIdOf,
} from './observability.js';
export {
  createServiceServer,
  listen,
  type ServiceServer,
  type ServiceServerOptions,
} from './server.js';
export { tileRoutes } from './tiles.js';
