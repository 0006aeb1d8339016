import { downloadLogQuerySchema, downloadStatsQuerySchema, initiateDownloadBodySchema } from '@mintreu/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sessionUser } from '../../lib/guard.js';
import { limitPerIp, RateLimiter } from '../../lib/rate-limit.js';
import { AppError } from '../../lib/errors.js';
import { DownloadCounter } from './counters.js';
import { redeemDownload, type DeliveryContext } from './deliver.js';
import { downloadStats, listLogs } from './logs.js';
import {
  downloadAccess, downloadableList, downloadLink, downloadLogList, downloadStats as downloadStatsSchema, productSlugParams, tokenParams,
} from './schema.js';
import * as downloads from './service.js';

const tags = ['downloads'];

/** The signed-in user of a public route, when there is one (cookie or bearer token alike). */
async function identify(request: FastifyRequest) {
  request.actor.user = await sessionUser(request.server.auth, request);
}

/** Customers' downloads: initiate, redeem, access check, own list. Mounted under /api. */
export async function downloadRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const env = app.env;
  const counter = new DownloadCounter(app.db, 1000, (message, error) => app.log.warn({ err: error }, message));
  app.addHook('onReady', async () => {
    await counter.flush(); // whatever a stopped instance left uncounted
  });
  app.addHook('onClose', async () => counter.close());

  const grant: downloads.GrantContext = {
    db: app.db,
    live: app.live,
    publicUrl: env.PUBLIC_URL,
    ttlMinutes: env.DOWNLOAD_TOKEN_TTL_MINUTES,
    maxUses: env.DOWNLOAD_TOKEN_MAX_USES,
    dailyPerLicense: env.DOWNLOAD_DAILY_LIMIT_PER_LICENSE,
    dailyPerIp: env.DOWNLOAD_DAILY_LIMIT_PER_IP,
  };
  const delivery: DeliveryContext = {
    db: app.db,
    live: app.live,
    storage: app.storage,
    keyRing: app.keyRing,
    hostPolicy: { allowPrivate: env.ALLOW_PRIVATE_SOURCE_HOSTS },
    githubApiUrl: env.GITHUB_API_URL,
    gitlabApiUrl: env.GITLAB_API_URL,
    redirectTtlSeconds: env.DOWNLOAD_REDIRECT_TTL_SECONDS,
    bindIp: env.DOWNLOAD_BIND_IP,
    accelPrefix: env.DOWNLOAD_ACCEL_REDIRECT_PREFIX ?? null,
    counter,
  };

  const perIp = limitPerIp(env.DOWNLOAD_RATE_LIMIT_PER_IP, 60_000, 'download-initiate');
  const users = new RateLimiter(env.DOWNLOAD_RATE_LIMIT_PER_USER, 60_000);
  async function perUser(request: FastifyRequest, reply: FastifyReply) {
    const user = request.actor.user;
    if (!user) return;
    const state = users.hit(user.id);
    if (!state.allowed) {
      reply.header('ratelimit-limit', users.limit).header('ratelimit-remaining', 0).header('ratelimit-reset', state.resetSeconds);
      throw new AppError('RATE_LIMITED', 'Too many download requests. Please wait a minute and try again.', {
        headers: { 'retry-after': String(state.resetSeconds) },
      });
    }
  }

  app.post('/products/:slug/download', {
    config: { access: 'public' },
    preHandler: [perIp, identify, perUser],
    schema: {
      tags,
      summary: 'A masked, expiring download link for a product file',
      description: 'Anonymous only for freebies and free products that do not require sign-in; otherwise 401, or 403 ' +
        'PURCHASE_REQUIRED without a valid licence. 404 when the product has no active source (or not the one asked ' +
        'for); 429 over the rate limits or the daily caps; 503 while the downloads switch is engaged.',
      params: productSlugParams,
      body: initiateDownloadBodySchema.optional().default({}),
      response: { 200: downloadLink },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return downloads.initiateDownload(grant, { slug: request.params.slug, sourceId: request.body?.sourceId }, request.actor);
  });

  app.get('/products/:slug/download-access', {
    config: { access: 'public' },
    preHandler: identify,
    schema: {
      tags,
      summary: 'Whether this visitor may download the product, and why (nothing is granted)',
      params: productSlugParams,
      response: { 200: downloadAccess },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'private, no-store');
    return downloads.downloadAccess(app.db, request.params.slug, request.actor);
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/download/:token',
    config: { access: 'public' },
    preHandler: limitPerIp(env.DOWNLOAD_REDEEM_RATE_LIMIT, 60_000, 'download-redeem'),
    schema: {
      tags,
      summary: 'Download the file behind a link',
      description: 'Local files stream with Range/If-Range (206), ETag and Content-Disposition; S3, GitHub, GitLab and ' +
        'direct-URL sources redirect (302) to a short-lived URL. 404 unknown link; 410 expired, revoked or used up; ' +
        '502 when the file cannot be delivered now (the link stays usable).',
      params: tokenParams,
    },
    handler: (request, reply) => redeemDownload(delivery, request, reply, (request.params as { token: string }).token),
  });

  app.get('/downloads', {
    config: { access: 'customer' },
    schema: {
      tags,
      summary: 'Every product I can download, with its files, versions, sizes and SHA-256 checksums',
      response: { 200: downloadableList },
    },
  }, async (request) => ({ data: await downloads.listOwnDownloads(app.db, request.actor.user!.id) }));
}

/** The admin download log and its per-day counts. Mounted under /api/admin. */
export async function downloadAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const admin = { access: 'admin' as const };
  app.get('/download-logs', {
    config: admin,
    schema: { tags: ['admin'], summary: 'Download log, newest first', querystring: downloadLogQuerySchema, response: { 200: downloadLogList } },
  }, async (request) => listLogs(app.db, request.query));
  app.get('/download-stats', {
    config: admin,
    schema: { tags: ['admin'], summary: 'Downloads per day (a link counts once, resumes included)', querystring: downloadStatsQuerySchema, response: { 200: downloadStatsSchema } },
  }, async (request) => downloadStats(app.db, request.query));
}
