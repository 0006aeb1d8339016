import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listMeta, pageQuery } from '../users/schema.js';
import * as mail from './service.js';

const summary = z.object({ id: z.string(), to: z.string(), subject: z.string(), createdAt: z.date() });
const message = summary.extend({ from: z.string(), html: z.string(), text: z.string() });

/** The development mailbox: what would have been emailed, when no SMTP server is configured. */
export default async function mailboxRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/mailbox',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], querystring: z.object(pageQuery), response: { 200: z.object({ data: z.array(summary), meta: listMeta }) } },
    },
    async (request) => mail.listMailbox(app.db, request.query),
  );

  app.get(
    '/mailbox/:id',
    { config: { access: 'admin' }, schema: { tags: ['admin'], params: z.object({ id: z.string().max(64) }), response: { 200: message } } },
    async (request) => mail.getMail(app.db, request.params.id),
  );
}
