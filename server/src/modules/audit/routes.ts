import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import * as audit from './service.js';

const id = z.string().trim().max(128);
const auditEvent = z.object({
  id: z.string(),
  at: z.date(),
  actor: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
});

export default async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Read the audit log, newest first',
        querystring: z.object({
          action: id.optional(),
          entityType: id.optional(),
          entityId: id.optional(),
          actorId: id.optional(),
          from: z.coerce.date().optional(),
          to: z.coerce.date().optional(),
          cursor: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ data: z.array(auditEvent), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => audit.listAudit(app.db, request.query),
  );

  app.get(
    '/audit/verify',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Check that no audit row was edited or deleted',
        response: { 200: z.object({ ok: z.boolean(), checked: z.number(), brokenAt: z.string().optional() }) },
      },
    },
    async () => audit.verifyChain(app.db),
  );
}
