import {
  apiEndpointBodySchema, attachApiCredentialBodySchema, createApiKeyBodySchema, rotateApiKeyBodySchema, updateApiCredentialBodySchema,
  updateApiEndpointBodySchema, updateApiKeyBodySchema, verifyKeyBodySchema, verifyCodes,
} from '@mintreu/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import * as admin from './admin.js';
import { attachCredential, deleteCredential, listCredentialsOfLicense, listOwnCredentials, revealOwnCredential, updateCredential } from './credentials.js';
import { adminApiCredentials, apiCredential, apiCredentialList, apiCredentialSecret, apiKey, apiKeyList } from './schema.js';
import * as apiAccess from './service.js';
import * as ownKeys from './own-keys.js';
import { keyUsage, listOwnSubscriptions, usageOverview } from './usage.js';
import { verifyKey } from './verify.js';

const tags = ['api-keys'];
const idParams = z.object({ id: z.string().min(1).max(64) });
const withSecret = apiKey.extend({ key: z.string().describe('The full key: shown this once') });
const usageQuery = z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional(), interval: z.enum(['hour', 'day']).default('day') });

/** The customer's own API keys and subscriptions. */
export async function apiAccessRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const customer = { access: 'customer' as const };

  app.get('/api-keys', { config: customer, schema: { tags, summary: 'My API keys (prefixes only)', response: { 200: apiKeyList } } },
    async (request) => ({ data: await apiAccess.listOwnApiKeys(app.db, request.actor.user!.id) }));

  app.get('/api-subscriptions', { config: customer, schema: { tags, summary: 'My API subscriptions with quotas used in the current billing period' } },
    async (request) => ({ data: await listOwnSubscriptions(app.apiAccess, request.actor.user!.id) }));

  app.post('/api-keys', { config: customer, schema: { tags, summary: 'Create a key (the full key is in this answer only)', body: createApiKeyBodySchema, response: { 201: withSecret } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').code(201);
      return ownKeys.createOwnApiKey(app.db, app.env.API_KEYS_PER_LICENSE, request.actor.user!.id, request.body, request.actor);
    });

  app.patch('/api-keys/:id', { config: customer, schema: { tags, summary: "Rename a key or change its allowed domains and IPs", params: idParams, body: updateApiKeyBodySchema, response: { 200: apiKey } } },
    async (request) => ownKeys.updateOwnApiKey(app.db, request.actor.user!.id, request.params.id, request.body, request.actor));

  app.post('/api-keys/:id/rotate', { config: customer, schema: { tags, summary: 'Replace a key; the old one works for graceSeconds more', params: idParams, body: rotateApiKeyBodySchema.optional(), response: { 200: withSecret } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return ownKeys.rotateOwnApiKey(app.db, request.actor.user!.id, request.params.id, request.body?.graceSeconds ?? 86_400, request.actor);
    });

  app.delete('/api-keys/:id', { config: customer, schema: { tags, summary: 'Revoke a key at once', params: idParams, response: { 200: apiKey } } },
    async (request) => ownKeys.revokeOwnApiKey(app.db, request.actor.user!.id, request.params.id, request.actor));

  app.get('/api-keys/:id/usage', { config: customer, schema: { tags, summary: 'Calls per hour or day and per endpoint', params: idParams, querystring: usageQuery } },
    async (request) => keyUsage(app.db, request.actor.user!.id, request.params.id, request.query));

  app.post('/api-keys/:id/reveal', {
    config: customer,
    schema: { tags, summary: 'Show, once, a key issued to you by a purchase (410 GONE afterwards)', params: idParams, response: { 200: z.object({ key: z.string() }) } },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return apiAccess.revealApiKey(app.db, app.keyRing, request.actor.user!.id, request.params.id, request.actor);
  });

  app.get('/api-credentials', { config: customer, schema: { tags, summary: 'Credentials for third-party APIs you subscribe to (label and hint only)', response: { 200: apiCredentialList } } },
    async (request) => ({ data: await listOwnCredentials(app.db, request.actor.user!.id) }));
  app.post('/api-credentials/:id/reveal', { config: customer, schema: { tags, summary: 'Show the key and secret of one of your credentials (audited; 409 while the subscription is not in force)', params: idParams, response: { 200: apiCredentialSecret } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return revealOwnCredential(app.db, app.keyRing, request.actor.user!.id, request.params.id, request.actor);
    });

  app.post('/keys/verify', {
    config: { access: 'public' },
    schema: {
      tags: ['gateway'],
      summary: "Verify a customer's API key from your own server (Authorization: Bearer <service token>)",
      description: 'Same checks and limits as the gateway; the outcome is data: 200 {valid:false, code} for a refused key.',
      body: verifyKeyBodySchema,
      response: { 200: z.object({
        valid: z.boolean(), code: z.enum(verifyCodes), keyId: z.string().nullable(), environment: z.enum(['live', 'test']).optional(),
        plan: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
        ratelimit: z.object({ limit: z.number(), remaining: z.number(), reset: z.number() }).nullable(),
        quota: z.object({ limit: z.number(), remaining: z.number() }).nullable(),
      }) },
    },
  }, async (request) => {
    const token = await app.apiAccess.serviceTokens.authenticate(request.headers.authorization);
    return verifyKey(app.apiAccess, token, request.body);
  });
}

/** Admin: endpoints of API products, service tokens, the usage overview, any key's usage. */
export async function apiAccessAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const adminOnly = { access: 'admin' as const };
  const tags = ['admin-api'];
  const credentialDeps = { db: app.db, keyRing: app.keyRing, mailer: app.mailer, publicUrl: app.env.PUBLIC_URL, log: app.apiAccess.log };

  app.get('/products/:id/api-endpoints', { config: adminOnly, schema: { tags, summary: "An API product's endpoints", params: idParams } },
    async (request) => ({ data: await admin.listEndpoints(app.db, request.params.id) }));
  app.post('/products/:id/api-endpoints', { config: adminOnly, schema: { tags, summary: 'Add an endpoint (method, path pattern, weight, plans)', params: idParams, body: apiEndpointBodySchema } },
    async (request, reply) => {
      reply.code(201);
      return admin.createEndpoint(app.db, request.params.id, request.body as Required<typeof request.body>, request.actor);
    });
  app.patch('/api-endpoints/:id', { config: adminOnly, schema: { tags, summary: 'Change an endpoint (only the fields sent)', params: idParams, body: updateApiEndpointBodySchema } },
    async (request) => admin.updateEndpoint(app.db, request.params.id, request.body, request.actor));
  app.delete('/api-endpoints/:id', { config: adminOnly, schema: { tags, summary: 'Remove an endpoint', params: idParams } },
    async (request, reply) => {
      await admin.deleteEndpoint(app.db, request.params.id, request.actor);
      return reply.code(204).send();
    });

  app.get('/service-tokens', { config: adminOnly, schema: { tags, summary: 'Service tokens for POST /api/keys/verify' } },
    async () => ({ data: await admin.listServiceTokens(app.db) }));
  app.post('/service-tokens', {
    config: adminOnly,
    schema: { tags, summary: 'Create a service token (shown this once)', body: z.object({ name: z.string().trim().min(1).max(100), productId: z.string().min(1).max(64).nullable().optional() }) },
  }, async (request, reply) => {
    reply.code(201).header('cache-control', 'no-store');
    return admin.createServiceToken(app.db, request.body, request.actor);
  });
  app.delete('/service-tokens/:id', { config: adminOnly, schema: { tags, summary: 'Revoke a service token', params: idParams } },
    async (request) => {
      const token = await admin.revokeServiceToken(app.db, request.params.id, request.actor);
      // This instance at once; the others when they hear the NOTIFY.
      app.apiAccess.serviceTokens.forget(token.id);
      return token;
    });

  app.get('/api-credentials', {
    config: adminOnly,
    schema: { tags, summary: "A licence's external API credentials (label and hint only) and whether more can be attached", querystring: z.object({ licenseId: z.string().trim().min(1).max(64) }), response: { 200: adminApiCredentials } },
  }, async (request) => listCredentialsOfLicense(app.db, request.query.licenseId));
  app.post('/api-credentials', {
    config: adminOnly,
    schema: { tags, summary: "Attach a customer's credentials for an api_referral product's third-party API (stored encrypted)", body: attachApiCredentialBodySchema, response: { 201: apiCredential } },
  }, async (request, reply) => {
    reply.code(201);
    return attachCredential(credentialDeps, request.body, request.actor);
  });
  app.patch('/api-credentials/:id', {
    config: adminOnly,
    schema: { tags, summary: 'Change a credential: a new apiKey or apiSecret replaces the stored one', params: idParams, body: updateApiCredentialBodySchema, response: { 200: apiCredential } },
  }, async (request) => updateCredential(credentialDeps, request.params.id, request.body, request.actor));
  app.delete('/api-credentials/:id', { config: adminOnly, schema: { tags, summary: 'Remove a credential', params: idParams } },
    async (request, reply) => {
      await deleteCredential(app.db, request.params.id, request.actor);
      return reply.code(204).send();
    });

  app.get('/api-usage', { config: adminOnly, schema: { tags, summary: 'Gateway usage: totals, latency, top keys, errors, endpoints', querystring: z.object({ hours: z.coerce.number().int().min(1).max(24 * 90).default(24) }) } },
    async (request) => usageOverview(app.db, request.query.hours));
  app.get('/api-keys/:id/usage', { config: adminOnly, schema: { tags, summary: "Any key's usage", params: idParams, querystring: usageQuery } },
    async (request) => keyUsage(app.db, null, request.params.id, request.query));
}
