import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics: process defaults plus request latency by route pattern (bounded cardinality). Returns the
 * observer, for requests the hot lane answers before Fastify sees them.
 */
export function registerMetrics(app: FastifyInstance): (method: string, route: string, status: number, seconds: number) => void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mintreu_' });
  const duration = new Histogram({
    name: 'mintreu_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.decorate('metricsRegistry', registry);
  return (method, route, status, seconds) => duration.observe({ method, route, status: String(status) }, seconds);
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}
