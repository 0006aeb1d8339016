import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { license, licenseList, licenseParams, listLicensesQuery } from './schema.js';
import * as licensing from './service.js';

/** The customer's own licences. Activation, validation and the admin routes come later. */
export async function licensingRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const customer = { access: 'customer' as const };

  app.get(
    '/licenses',
    { config: customer, schema: { tags: ['licenses'], summary: 'My licences, newest first', querystring: listLicensesQuery, response: { 200: licenseList } } },
    async (request, reply) => {
      // The answer carries licence keys: no cache may keep it.
      reply.header('cache-control', 'no-store');
      return licensing.listOwnLicenses(app.db, app.licenseKeys, request.actor.user!.id, request.query);
    },
  );

  app.get(
    '/licenses/:id',
    { config: customer, schema: { tags: ['licenses'], summary: 'One of my licences, with its key', params: licenseParams, response: { 200: license } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return licensing.getOwnLicense(app.db, app.licenseKeys, request.actor.user!.id, request.params.id);
    },
  );
}
