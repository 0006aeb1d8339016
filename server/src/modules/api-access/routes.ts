import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
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
}
