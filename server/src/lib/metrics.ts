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
  // One child per label set, kept: prom-client would otherwise hash the labels object on every observation.
  const children = new Map<string, { observe(value: number): void }>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const id = `${method} ${status} ${route}`;
    let child = children.get(id);
    if (!child) {
      child = duration.labels({ method, route, status: String(status) });
      children.set(id, child);
    }
    child.observe(seconds);
  };
  app.addHook('onResponse', (request, reply, done) => {
    observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.decorate('metricsRegistry', registry);
  return observe;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}
