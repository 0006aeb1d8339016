import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminUser, listMeta, listUsersQuery, updateUserBody } from './schema.js';
import * as usersService from './service.js';

export default async function userAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Find users', querystring: listUsersQuery, response: { 200: z.object({ data: z.array(adminUser), meta: listMeta }) } },
    },
    async (request) => usersService.listUsers(app.db, request.query),
  );

  app.patch(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: "Change a user's role or ban", params: z.object({ id: z.string().max(64) }), body: updateUserBody, response: { 200: adminUser } },
    },
    async (request) => usersService.updateUser(app.db, request.params.id, request.body, request.actor),
  );
}
