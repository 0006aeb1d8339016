import {
  activateLicenseBodySchema, adminLicenseGrantSchema, adminLicenseListQuerySchema, adminLicenseRevokeSchema,
  adminLicenseUpdateSchema, deactivateLicenseBodySchema, releaseAllConfirmSchema, validateLicenseBodySchema,
} from '@mintreu/contracts';
import type { IncomingMessage } from 'node:http';
import type { LicenseCheckResult } from '@mintreu/contracts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../../lib/actor.js';
import { AppError } from '../../lib/errors.js';
import { readBody, registerHot, validationError, type HotContext } from '../../lib/hot-lane.js';
import { RateLimiter } from '../../lib/rate-limit.js';
import * as admin from './admin.js';
import * as check from './check.js';
import { normaliseLicenseKey } from './keys.js';
import {
  activationParams, adminLicenseDetail, adminLicenseGrantResult, adminLicenseList, adminReleaseBody, leasePublicKey,
  license, licenseCheckResult, licenseList, licenseParams, listLicensesQuery, releaseAllRequested,
} from './schema.js';
import * as selfService from './self-service.js';
import * as licensing from './service.js';

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/** Scripts and old HTTP clients post forms (`key=…&fingerprint=…`); everything else sends JSON. */
function parseCheckBody(contentType: string | undefined, text: string | null): unknown {
  if (text === null) return undefined;
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON (application/json) or a form (application/x-www-form-urlencoded)');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'The body is not valid JSON');
  }
}

/**
 * The public licence API for installed software: no session, rate limited per client address and per key
 * (whether or not the key exists, so probing for keys is limited the same way). JSON or form-encoded bodies.
 * Served by the hot lane (lib/hot-lane.ts): validation answers thousands of times a second.
 */
export async function licensePublicRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const perIp = new RateLimiter(app.env.LICENSE_RATE_LIMIT_PER_IP, 60_000);
  const perKey = new RateLimiter(app.env.LICENSE_RATE_LIMIT_PER_KEY, 60_000);
  const lane = app.hotLane;

  const limit = (ip: string, rawKey: string) => {
    const byIp = perIp.hit(`ip:${ip}`);
    const key = normaliseLicenseKey(rawKey).slice(0, 32);
    const byKey = key ? perKey.hit(`key:${key}`) : null;
    const refused = !byIp.allowed ? { ...byIp, limit: perIp.limit } : byKey && !byKey.allowed ? { ...byKey, limit: perKey.limit } : null;
    // The RateLimit-* headers go with the refusal only: this path answers thousands of times a second, and a
    // client well within its limits has no use for them on every answer.
    if (refused) {
      throw new AppError('RATE_LIMITED', 'Too many licence checks. Slow down and try again shortly.', {
        headers: {
          'retry-after': String(refused.resetSeconds),
          'ratelimit-limit': String(refused.limit),
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(refused.resetSeconds),
        },
      });
    }
  };

  /**
   * One endpoint, in the hot lane and as a route: the body read and checked against its schema, the limits, then
   * the outcome as JSON. A VALID answer that is reused (check.ts) is serialised once: the WeakMap forgets it with
   * the answer.
   */
  const serialised = new WeakMap<object, string>();
  const noStoreHeader = { 'cache-control': 'no-store' };
  const endpoint = <S extends z.ZodType<{ key: string }>>(
    path: string, summary: string, schema: S,
    run: (body: z.infer<S>, ctx: HotContext, req: IncomingMessage) => LicenseCheckResult | Promise<LicenseCheckResult>,
  ) => registerHot(app, {
    method: 'POST', url: `/licenses/${path}`, schema: { tags: ['licenses'], summary, body: schema, response: { 200: licenseCheckResult } },
    handler: async (req, res, ctx) => {
      const parsed = schema.safeParse(parseCheckBody(req.headers['content-type'], await readBody(req, 16 * 1024)));
      if (!parsed.success) throw validationError(parsed.error.issues, 'body');
      limit(ctx.ip, parsed.data.key);
      const answer = run(parsed.data, ctx, req);
      const result = answer instanceof Promise ? await answer : answer;
      let json = serialised.get(result);
      if (json === undefined) {
        json = JSON.stringify(result);
        serialised.set(result, json);
      }
      lane.json(res, ctx, 200, json, noStoreHeader);
    },
  });
  const actorOf = (ctx: HotContext, req: IncomingMessage): Actor => ({ user: null, ip: ctx.ip, userAgent: req.headers['user-agent']?.slice(0, 512) ?? null, requestId: ctx.id });

  await endpoint('validate', 'Validate a licence key, optionally for one activation', validateLicenseBodySchema,
    (body, ctx) => check.validateLicense(app.licensing, body, ctx.ip));
  await endpoint('activate', 'Activate a licence on a machine (fingerprint) or site (domain)', activateLicenseBodySchema,
    (body, ctx, req) => check.activateLicense(app.licensing, body, actorOf(ctx, req)));
  await endpoint('deactivate', 'Deactivate an activation, freeing its seat', deactivateLicenseBodySchema,
    (body, ctx, req) => check.deactivateLicense(app.licensing, body, actorOf(ctx, req)));

  app.get(
    '/licenses/public-key',
    { config: { access: 'public' }, schema: { tags: ['licenses'], summary: 'The Ed25519 public key (JWK) that verifies leases, with every key still in use', response: { 200: leasePublicKey } } },
    async (_request, reply) => {
      const keys = app.licensing.leases.publicKeys();
      reply.header('cache-control', 'public, max-age=300');
      return { ...keys[0]!, keys };
    },
  );
}

/** The customer's own licences and seats. */
export async function licensingRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const customer = { access: 'customer' as const };
  const policy = () => selfService.releasePolicyOf(app.licensing);

  app.get(
    '/licenses',
    { config: customer, schema: { tags: ['licenses'], summary: 'My licences, newest first', querystring: listLicensesQuery, response: { 200: licenseList } } },
    async (request, reply) => {
      // The answer carries licence keys: no cache may keep it.
      noStore(reply);
      return licensing.listOwnLicenses(app.db, app.licenseKeys, request.actor.user!.id, request.query, policy());
    },
  );

  app.get(
    '/licenses/:id',
    { config: customer, schema: { tags: ['licenses'], summary: 'One of my licences, with its key and activations', params: licenseParams, response: { 200: license } } },
    async (request, reply) => {
      noStore(reply);
      return licensing.getOwnLicense(app.db, app.licenseKeys, request.actor.user!.id, request.params.id, policy());
    },
  );

  app.post(
    '/licenses/:id/activations/:activationId/release',
    {
      config: customer,
      schema: {
        tags: ['licenses'],
        summary: 'Free the seat of one of my activations (limited per rolling window: 429 with details.nextAt past it)',
        params: activationParams,
        response: { 200: license },
      },
    },
    async (request, reply) => {
      noStore(reply);
      return selfService.releaseOwnActivation(app.licensing, request.actor.user!.id, request.params.id, request.params.activationId, request.actor);
    },
  );

  app.post(
    '/licenses/:id/activations/release-all',
    { config: customer, schema: { tags: ['licenses'], summary: 'Email me a link that releases every seat of this licence', params: licenseParams, response: { 202: releaseAllRequested } } },
    async (request, reply) => {
      const user = request.actor.user!;
      reply.code(202);
      return selfService.requestReleaseAll(app.licensing, user, request.params.id);
    },
  );

  app.post(
    '/licenses/:id/activations/release-all/confirm',
    {
      config: customer,
      schema: { tags: ['licenses'], summary: 'Confirm, with the emailed token, releasing every seat', params: licenseParams, body: releaseAllConfirmSchema, response: { 200: license } },
    },
    async (request, reply) => {
      noStore(reply);
      return selfService.confirmReleaseAll(app.licensing, request.actor.user!.id, request.params.id, request.body.token, request.actor);
    },
  );
}

/** The admin panel's licences. */
export async function licensingAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const config = { access: 'admin' as const };
  const tags = ['admin'];

  app.get('/licenses', { config, schema: { tags, summary: 'Find licences', querystring: adminLicenseListQuerySchema, response: { 200: adminLicenseList } } },
    async (request) => admin.listAdminLicenses(app.licensing, request.query));

  app.get('/licenses/:id', { config, schema: { tags, summary: 'A licence with its activations, validations and order', params: licenseParams, response: { 200: adminLicenseDetail } } },
    async (request) => admin.getAdminLicense(app.licensing, request.params.id));

  app.post('/licenses', { config, schema: { tags, summary: 'Grant a licence by hand (the key is shown once)', body: adminLicenseGrantSchema, response: { 201: adminLicenseGrantResult } } },
    async (request, reply) => {
      noStore(reply).code(201);
      return admin.grantLicense(app.licensing, request.body, request.actor);
    });

  app.patch('/licenses/:id', { config, schema: { tags, summary: 'Suspend, reinstate, change seats or expiry, reset usage', params: licenseParams, body: adminLicenseUpdateSchema, response: { 200: adminLicenseDetail } } },
    async (request) => admin.updateLicense(app.licensing, request.params.id, request.body, request.actor));

  app.post('/licenses/:id/revoke', { config, schema: { tags, summary: 'Revoke a licence for good (its API keys too)', params: licenseParams, body: adminLicenseRevokeSchema, response: { 200: adminLicenseDetail } } },
    async (request) => admin.revokeLicense(app.licensing, request.params.id, request.body.reason, request.actor));

  app.post('/licenses/lease-keys/rotate', { config, schema: { tags, summary: 'Sign leases with a new key from now on (old leases keep verifying)', body: adminReleaseBody, response: { 200: z.object({ kid: z.string() }) } } },
    async (request) => admin.rotateLeaseSigningKey(app.licensing, request.body.reason, request.actor));

  app.post('/licenses/:id/activations/:activationId/release', { config, schema: { tags, summary: 'Free the seat of an activation', params: activationParams, body: adminReleaseBody, response: { 200: adminLicenseDetail } } },
    async (request) => admin.adminReleaseActivation(app.licensing, request.params.id, request.params.activationId, request.body.reason, request.actor));
}
