import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionUser } from '../../lib/guard.js';
import { registerHot } from '../../lib/hot-lane.js';
import { killSwitchNames } from '../../lib/live-config.js';
import { flag, flagKey, killSwitch, setFlagBody, setKillSwitchBody, statusResponse } from './schema.js';
import * as system from './service.js';

export default async function systemRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  // Every storefront page asks (the kill-switch banner): served by the hot lane from memory, pre-serialised; no
  // query, no session lookup.
  await registerHot(fastify, {
    method: 'GET', url: '/status',
    schema: { tags: ['system'], summary: 'Kill switch state and version', response: { 200: statusResponse } },
    handler: async (_req, res, ctx) => fastify.hotLane.json(res, ctx, 200, fastify.live.statusBody),
  });

  app.get(
    '/flags',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], summary: 'Feature flags as they apply to the caller', response: { 200: z.object({ flags: z.record(z.string(), z.boolean()) }) } },
    },
    async (request) => {
      const user = await sessionUser(app.auth, request);
      return { flags: Object.fromEntries(app.live.flagKeys().map((key) => [key, app.live.isFlagEnabled(key, user?.id)])) };
    },
  );

  app.get(
    '/admin/kill-switches',
    { config: { access: 'admin' }, schema: { tags: ['admin'], response: { 200: z.object({ data: z.array(killSwitch) }) } } },
    async () => ({ data: await system.listKillSwitches(app.db) }),
  );

  app.put(
    '/admin/kill-switches/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Engage or release a kill switch',
        params: z.object({ name: z.enum(killSwitchNames) }),
        body: setKillSwitchBody,
        response: { 200: killSwitch },
      },
    },
    async (request) => {
      const result = await system.setKillSwitch(app.db, { name: request.params.name, ...request.body }, request.actor);
      // This instance acts on the change before answering; the others hear it through NOTIFY.
      await app.live.reload();
      return result;
    },
  );

  app.get(
    '/admin/flags',
    { config: { access: 'admin' }, schema: { tags: ['admin'], response: { 200: z.object({ data: z.array(flag) }) } } },
    async () => ({ data: await system.listFlags(app.db) }),
  );

  app.put(
    '/admin/flags/:key',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Create or change a feature flag', params: z.object({ key: flagKey }), body: setFlagBody, response: { 200: flag } },
    },
    async (request) => system.setFlag(app.db, { key: request.params.key, ...request.body }, request.actor),
  );
}
