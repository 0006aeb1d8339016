import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const demoProducts = [
  { id: 'p_1', name: 'Aurora Desk Lamp', price: 4900, currency: 'INR', stock: 12 },
  { id: 'p_2', name: 'Nimbus Headphones', price: 12900, currency: 'INR', stock: 4 },
  { id: 'p_3', name: 'Terra Notebook', price: 1900, currency: 'INR', stock: 40 },
];

/**
 * A small upstream served by the platform itself while the demo is on (DEMO_UPSTREAM, default: SEED_DEMO), which the
 * seeded API products point at (`apiConfig.baseUrl: /api/demo-upstream/…`), so the gateway works out of the box.
 * It trusts nobody: it is only ever as public as the demo data.
 */
export async function demoUpstreamRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const enabled = app.env.DEMO_UPSTREAM ?? app.env.SEED_DEMO;
  if (!enabled) return;
  const tags = ['demo-upstream'];
  app.get('/demo-upstream/:api/products', { config: { access: 'public' }, schema: { tags, summary: 'Demo upstream: a product list' } }, async () => ({ data: demoProducts }));
  app.get('/demo-upstream/:api/products/:id', {
    config: { access: 'public' }, schema: { tags, summary: 'Demo upstream: one product', params: z.object({ api: z.string(), id: z.string() }) },
  }, async (request, reply) => {
    const product = demoProducts.find((p) => p.id === request.params.id);
    if (!product) return reply.code(404).send({ error: 'not found' });
    return product;
  });
  app.get('/demo-upstream/:api/hello', { config: { access: 'public' }, schema: { tags, summary: 'Demo upstream: a greeting with the caller as the gateway forwards it' } }, async (request) => ({
    message: 'Hello from the demo upstream',
    keyId: request.headers['x-mintreu-key-id'] ?? null,
    plan: request.headers['x-mintreu-plan'] ?? null,
    at: new Date().toISOString(),
  }));
  app.post('/demo-upstream/:api/echo', { config: { access: 'public' }, schema: { tags, summary: 'Demo upstream: echoes a JSON body' } }, async (request) => ({ received: request.body ?? null }));
}
