import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { killSwitchNames } from '../../lib/live-config.js';
import { countAuditEvents } from '../audit/service.js';
import { countMailbox } from '../mail/service.js';
import { countUsers } from '../users/service.js';

/** The admin dashboard's home: a few counts, each from the module that owns it. */
export default async function adminOverviewRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/overview',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Counts for the admin dashboard',
        response: {
          200: z.object({ users: z.number(), admins: z.number(), engagedSwitches: z.array(z.string()), auditEvents: z.number(), mailbox: z.number() }),
        },
      },
    },
    async () => {
      const [people, auditEvents, mailbox] = await Promise.all([countUsers(app.db), countAuditEvents(app.db), countMailbox(app.db)]);
      return { ...people, auditEvents, mailbox, engagedSwitches: killSwitchNames.filter((name) => app.live.isEngaged(name)) };
    },
  );
}
