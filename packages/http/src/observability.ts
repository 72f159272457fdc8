// What operators watch on every service: /healthz (the process answers), /readyz (it can do its job:
// database, HSM session), Prometheus /metrics (requests and latencies by route, plus the service's
// own figures), and a request id on every request and log line.
import { randomUUID } from 'node:crypto';
import type { TransparencyLog } from '@airlock/log';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ObservabilityOptions {
  /** The service's name, the `service` label of every metric. */
  readonly service: string;
  /** Throws (or rejects) when the service cannot serve: /readyz answers 503 with its message. */
  readonly readiness?: () => unknown;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A client's X-Request-Id when it is a sane token, else a fresh one. */
export function requestIdOf(headers: Record<string, unknown>): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Adds health, readiness and metrics routes and the request metrics hooks to `app`, which must be the
 * root instance (hooks added here see every route). Returns the registry for service metrics.
 */
export function installObservability(
  app: FastifyInstance,
  options: ObservabilityOptions,
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'airlock_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'airlock_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const started = new WeakMap<FastifyRequest, bigint>();
  app.addHook('onRequest', async (request, reply) => {
    started.set(request, process.hrtime.bigint());
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: /api/v1/log/entries/:uuid is one series, not one per entry.
    const route = request.routeOptions.url ?? 'unmatched';
    const begin = started.get(request);
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    if (begin !== undefined) {
      latency.observe(
        { method: request.method, route },
        Number(process.hrtime.bigint() - begin) / 1e9,
      );
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await options.readiness?.();
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ code: 503, message: `not ready: ${(error as Error).message}` });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}

/** Tree size, batch sizes and sequencing time of the logs a service runs, labelled by log name. */
export function registerLogMetrics(
  registry: Registry,
  logs: readonly (readonly [string, TransparencyLog])[],
): void {
  new Gauge({
    name: 'airlock_log_tree_size',
    help: 'Entries in the log (its newest durable tree size)',
    labelNames: ['log'],
    registers: [registry],
    collect() {
      for (const [name, log] of logs) this.set({ log: name }, Number(log.treeState.size));
    },
  });
  new Gauge({
    name: 'airlock_log_pending_entries',
    help: 'Entries waiting to be sequenced',
    labelNames: ['log'],
    registers: [registry],
    collect() {
      for (const [name, log] of logs) this.set({ log: name }, log.pendingCount);
    },
  });
  const batchSize = new Histogram({
    name: 'airlock_log_batch_entries',
    help: 'New entries per sequenced batch',
    labelNames: ['log'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const batchTime = new Histogram({
    name: 'airlock_log_batch_duration_seconds',
    help: 'Time to sequence and durably commit a batch',
    labelNames: ['log'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  for (const [name, log] of logs) {
    log.onBatch((batch) => {
      batchSize.observe({ log: name }, batch.added);
      batchTime.observe({ log: name }, batch.durationMs / 1000);
    });
  }
}
