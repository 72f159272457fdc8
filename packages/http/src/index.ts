// @airlock/http: what every Airlock service shares at its HTTP edge.
export { ApiError, type ErrorMapper, jsonErrorHandler, jsonNotFound } from './errors.js';
export { createServiceServer, listen, type ServiceServerOptions } from './server.js';
export { tileRoutes } from './tiles.js';
