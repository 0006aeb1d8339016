import type { FastifyInstance } from 'fastify';
import { migrationsApplied } from '../../db/migrate.js';
import { send } from '../../lib/http-errors.js';

/** Liveness, readiness and Prometheus metrics, outside /api as operators expect. */
export default async function opsRoutes(app: FastifyInstance) {
  let migrated = false;

  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await app.database.pool.query('select 1');
      migrated ||= await migrationsApplied(app.database.pool);
    } catch {
      return send(reply, 503, 'SERVICE_UNAVAILABLE', 'The database is not reachable');
    }
    if (!migrated) return send(reply, 503, 'SERVICE_UNAVAILABLE', 'Database migrations are not applied yet');
    return { status: 'ready' };
  });

  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.type(app.metricsRegistry.contentType);
    return app.metricsRegistry.metrics();
  });
}
