import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { limitPerIp } from '../../lib/rate-limit.js';
import { listMeta, pageQuery } from '../users/schema.js';
import { getWebhookEvent, listWebhookEvents, receiveWebhook, replayWebhookEvent } from './inbox.js';
import { getRazorpayCheckout } from './razorpay-page.js';
import { answerSandboxSession, getSandboxSession } from './sandbox-gateway.js';

const webhookStatuses = ['received', 'processed', 'deferred', 'ignored', 'rejected', 'failed'] as const;
const webhookEvent = z.object({
  id: z.string(),
  provider: z.enum(['sandbox', 'stripe', 'razorpay']),
  providerEventId: z.string().nullable(),
  type: z.string().nullable(),
  status: z.enum(webhookStatuses),
  orderId: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  receivedAt: z.date(),
  processedAt: z.date().nullable(),
  replayedAt: z.date().nullable().describe('The last admin replay'),
  replayNote: z.string().nullable().describe('What the last replay found (e.g. nothing left to do)'),
  payload: z.string().optional().describe('The raw body as received'),
});

/**
 * Payment provider webhooks. The body is read raw: a signature covers the exact bytes sent, so nothing may
 * parse or re-serialise it first.
 */
export async function webhookRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) => done(null, body));
  app.post('/webhooks/:provider', {
    config: { access: 'public' },
    schema: {
      tags: ['payments'],
      summary: "A payment provider's signed event (Stripe-Signature, X-Razorpay-Signature, Sandbox-Signature)",
      params: z.object({ provider: z.string().max(32) }),
      response: { 200: z.object({ received: z.boolean(), duplicate: z.boolean() }) },
    },
  }, async (request) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return receiveWebhook(app.commerce, request.params.provider, raw, request.headers, request.ip);
  });
}

const sessionParams = z.object({ sessionId: z.string().min(1).max(100) });

/** The sandbox gateway's hosted page talks to these, as a real gateway's page talks to its own servers. */
export async function sandboxGatewayRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const session = z.object({
    sessionId: z.string(),
    status: z.string().describe('open | submitted | succeeded | failed | expired | refunded | disputed'),
    amount: z.number().int(),
    currency: z.string(),
    orderId: z.string(),
    items: z.array(z.object({ name: z.string(), amount: z.number().int() })),
    discount: z.number().int(),
    expiresAt: z.date().nullable(),
    successUrl: z.string(),
    cancelUrl: z.string(),
  });
  const answer = z.object({ status: z.enum(['processing', 'declined']), redirectUrl: z.string() });
  app.get('/pay/sandbox/:sessionId', {
    config: { access: 'public' },
    preHandler: limitPerIp(120, 60_000, 'sandbox'),
    schema: { tags: ['payments'], summary: 'A sandbox payment session, for its hosted page', params: sessionParams, response: { 200: session } },
  }, async (request) => getSandboxSession(app.commerce, request.params.sessionId));
  for (const verb of ['pay', 'decline'] as const) {
    app.post(`/pay/sandbox/:sessionId/${verb}`, {
      config: { access: 'public' },
      preHandler: limitPerIp(30, 60_000, 'sandbox-answer'),
      schema: { tags: ['payments'], summary: verb === 'pay' ? 'Pay a sandbox session' : 'Decline a sandbox session', params: sessionParams, response: { 200: answer } },
    }, async (request) => answerSandboxSession(app.commerce, request.params.sessionId, verb));
  }

  app.get('/pay/razorpay/:sessionId', {
    config: { access: 'customer' },
    schema: {
      tags: ['payments'],
      summary: "What the buyer's Razorpay Checkout.js page needs for one of their orders",
      params: sessionParams,
      response: {
        200: z.object({
          keyId: z.string(), razorpayOrderId: z.string(), orderId: z.string(), status: z.string(), amount: z.number().int(),
          currency: z.string(), name: z.string(), email: z.string(), expiresAt: z.date().nullable(), successUrl: z.string(), cancelUrl: z.string(),
        }),
      },
    },
  }, async (request) => getRazorpayCheckout(app.commerce, request.actor.user!.id, request.params.sessionId));
}

export async function webhookAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const params = z.object({ id: z.string().min(1).max(64) });
  app.get('/webhook-events', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin: payments'], summary: 'Webhook deliveries, newest first',
      querystring: z.object({ ...pageQuery, provider: z.enum(['sandbox', 'stripe', 'razorpay']).optional(), status: z.enum(webhookStatuses).optional(), orderId: z.string().max(64).optional() }),
      response: { 200: z.object({ data: z.array(webhookEvent), meta: listMeta }) },
    },
  }, async (request) => listWebhookEvents(app.db, request.query));
  app.get('/webhook-events/:id', {
    config: { access: 'admin' },
    schema: { tags: ['admin: payments'], summary: 'A webhook delivery with its raw payload', params, response: { 200: webhookEvent } },
  }, async (request) => getWebhookEvent(app.db, request.params.id));
  app.post('/webhook-events/:id/replay', {
    config: { access: 'admin' },
    schema: { tags: ['admin: payments'], summary: 'Process a stored event again (what it already did is not repeated)', params, response: { 200: webhookEvent } },
  }, async (request) => replayWebhookEvent(app.commerce, request.params.id, request.actor));
}
