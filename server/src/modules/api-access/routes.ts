import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeyList } from './schema.js';
import * as apiAccess from './service.js';

/** The customer's own API keys. Creation, rotation, deletion, usage and the gateway come later. */
export async function apiAccessRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api-keys',
    { config: { access: 'customer' }, schema: { tags: ['api-keys'], summary: 'My API keys (prefixes only)', response: { 200: apiKeyList } } },
    async (request) => ({ data: await apiAccess.listOwnApiKeys(app.db, request.actor.user!.id) }),
  );

  app.post(
    '/api-keys/:id/reveal',
    {
      config: { access: 'customer' },
      schema: {
        tags: ['api-keys'],
        summary: 'Show, once, a key issued to you by a purchase (410 GONE afterwards)',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: z.object({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return apiAccess.revealApiKey(app.db, app.keyRing, request.actor.user!.id, request.params.id, request.actor);
    },
  );
}
