import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { endpointOf, checkKey } from './check.js';
import type { ApiAccess } from './context.js';
import type { CachedKey } from './key-cache.js';
import { apiKeyPattern, hashApiKey, requestHost } from './keys.js';
import type { Charge, LimitOutcome, RateHeaders } from './limits.js';
import { forwardRequestHeaders, parseUpstream, responseHeaders, safeUpstreamPath, type Upstream } from './proxy.js';

const prefix = '/api/gateway/';
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The caller's key: `Authorization: Bearer …` or `X-API-Key`. */
function presentedKey(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header ? header.trim() : null;
}

function setRateHeaders(reply: FastifyReply, headers: RateHeaders | null) {
  if (!headers) return;
  reply.header('ratelimit-limit', headers.limit).header('ratelimit-remaining', headers.remaining).header('ratelimit-reset', headers.resetSeconds);
}

const refusalStatus = { NOT_FOUND: 401, REVOKED: 401, EXPIRED: 401, FORBIDDEN: 403, ENDPOINT_NOT_FOUND: 404 } as const;

/**
 * `ANY /api/gateway/{productSlug}/{path…}`: checks the key (from memory), its environment, origin and IP rules, the
 * licence, the plan's endpoints and limits, then streams the call to the product's upstream and the answer back.
 * Every call with a known key is metered (in batches, off the request path); refused calls and upstream failures
 * cost nothing.
 */
export async function gatewayRoutes(fastify: FastifyInstance) {
  const ctx: ApiAccess = fastify.apiAccess;
  // Bodies stream through untouched: no parser reads them.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const upstreams = new Map<string, Upstream | null>();
  const upstreamOf = (baseUrl: string) => {
    let upstream = upstreams.get(baseUrl);
    if (upstream === undefined) {
      upstream = parseUpstream(baseUrl, ctx.ownAddress);
      upstreams.set(baseUrl, upstream);
    }
    return upstream;
  };

  // `/api/gateway/{slug}/` too: with ignoreTrailingSlash the wildcard route alone would not match the API's root.
  for (const url of ['/gateway/:productSlug/*', '/gateway/:productSlug']) fastify.route({
    method: [...methods],
    url,
    config: { access: 'public' },
    // Every call is already recorded as usage; two request log lines per call would cost more than the proxying.
    logLevel: 'warn',
    schema: {
      tags: ['gateway'],
      summary: "Calls an API product's upstream with an API key (Authorization: Bearer mk_… or X-API-Key)",
      description: 'Answers 401 for a missing, unknown, revoked or expired key, 403 for an origin, IP or endpoint not allowed, 429 over a limit (RateLimit-* and Retry-After), 502/504 when the upstream fails (not charged).',
    },
    async handler(request, reply) {
      const started = performance.now();
      const plain = presentedKey(request);
      if (!plain) throw new AppError('UNAUTHENTICATED', 'An API key is required: Authorization: Bearer mk_… or X-API-Key', { headers: { 'www-authenticate': 'Bearer' } });
      const raw = request.raw.url ?? '';
      const afterPrefix = raw.slice(prefix.length);
      const slash = afterPrefix.indexOf('/');
      const rest = slash < 0 ? '/' : afterPrefix.slice(slash);
      const queryAt = rest.indexOf('?');
      const path = safeUpstreamPath(queryAt < 0 ? rest : rest.slice(0, queryAt));
      if (path === null) throw new AppError('BAD_REQUEST', 'The path may not contain dot segments or encoded slashes');
      const query = queryAt < 0 ? '' : rest.slice(queryAt);

      const found = apiKeyPattern.test(plain) ? ctx.cache.get(hashApiKey(plain)) : null;
      const key = found instanceof Promise ? await found : found;
      const now = Date.now();
      const refusal = checkKey(key, { productSlug: (request.params as { productSlug: string }).productSlug, ip: request.ip, host: requestHost(request.headers.origin, request.headers.referer), now: new Date(now) });
      if (!key || (refusal && refusal.code !== 'FORBIDDEN')) {
        throw new AppError(refusal!.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'UNAUTHENTICATED', refusal!.message, { details: { reason: refusal!.code } });
      }

      // From here on the call belongs to a key: it is metered however it ends.
      const call = { key, endpoint: `${request.method} ${path}`, charge: null as Charge | null, bytesIn: 0, bytesOut: 0 };
      reply.raw.once('close', () => meter(ctx, request, reply, call, started, now));
      if (refusal) throw new AppError('FORBIDDEN', refusal.message, { details: { reason: refusal.code } });
      const target = endpointOf(key, request.method, path);
      if ('code' in target) {
        throw new AppError(target.code === 'ENDPOINT_NOT_FOUND' ? 'NOT_FOUND' : 'FORBIDDEN', target.message, { status: refusalStatus[target.code], details: { reason: target.code } });
      }
      call.endpoint = target.label;
      const upstream = key.product.upstream ? upstreamOf(key.product.upstream) : null;
      if (!upstream) throw new AppError('UPSTREAM_UNAVAILABLE', 'This API has no upstream configured', { status: 502 });

      const outcome = await ctx.limiter.consume(key, target.cost, now);
      noticeMonth(ctx, key, outcome, target.cost);
      if (!outcome.ok) {
        setRateHeaders(reply, outcome.headers);
        throw new AppError('RATE_LIMITED', outcome.scope === 'minute' ? 'Too many requests: the per-minute limit of your plan is reached' : `The ${outcome.scope === 'day' ? 'daily' : 'monthly'} quota of your plan is used up`, {
          headers: { 'retry-after': String(outcome.retryAfterSeconds) },
          details: { reason: outcome.code, limit: outcome.scope },
        });
      }
      call.charge = outcome.charge;
      setRateHeaders(reply, outcome.headers);

      const headers = forwardRequestHeaders(request.headers, {
        'x-forwarded-for': request.ip, 'x-forwarded-proto': request.protocol, 'x-request-id': request.id,
        'x-mintreu-key-id': key.id, 'x-mintreu-environment': key.environment, ...(key.plan ? { 'x-mintreu-plan': key.plan.slug } : {}),
      });
      if (!headers) {
        await ctx.limiter.refund(outcome.charge);
        throw new AppError('BAD_REQUEST', 'A header value contains a line break or NUL');
      }
      return proxy(ctx, request, reply, upstream, path + query, headers, call);
    },
  });
}

async function proxy(
  ctx: ApiAccess, request: FastifyRequest, reply: FastifyReply, upstream: Upstream, pathAndQuery: string,
  headers: Record<string, string | string[]>, call: { charge: Charge | null; bytesIn: number; bytesOut: number },
): Promise<FastifyReply> {
  const { headers: incoming } = request.raw;
  const hasBody = incoming['content-length'] !== undefined || incoming['transfer-encoding'] !== undefined;
  // The caller went away: stop the upstream call too.
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  let response;
  try {
    response = await ctx.upstreams.get(upstream).request({
      path: upstream.basePath + pathAndQuery, method: request.method as 'GET',
      headers: { ...headers, host: upstream.host }, body: hasBody ? Readable.from(counted(request.raw, call), { objectMode: false }) : null, signal: abort.signal,
    });
  } catch (error) {
    // Not served: the call costs nothing.
    if (call.charge) await ctx.limiter.refund(call.charge);
    call.charge = null;
    request.log.warn({ err: error }, 'upstream call failed');
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new AppError('UPSTREAM_TIMEOUT', 'The API did not answer in time', { status: 504 });
    throw new AppError('UPSTREAM_UNAVAILABLE', 'The API is unreachable right now', { status: 502 });
  }
  const body = response.body;
  body.on('data', (chunk: Buffer) => (call.bytesOut += chunk.length));
  body.on('error', () => reply.raw.destroy());
  return reply.code(response.statusCode).headers(responseHeaders(response.headers)).send(body);
}

/** The request body as it streams upstream, counted (a 'data' listener would start it flowing before undici reads). */
async function* counted(body: AsyncIterable<Buffer>, call: { bytesIn: number }) {
  for await (const chunk of body) {
    call.bytesIn += chunk.length;
    yield chunk;
  }
}

/** Alerts at 80/90/100% of the monthly quota, off the request path. */
function noticeMonth(ctx: ApiAccess, key: CachedKey, outcome: LimitOutcome, cost: number) {
  if (!outcome.month) return;
  ctx.alerts.observe({
    userId: key.userId, licenseId: key.license.id, productTitle: key.product.title, period: outcome.month.period,
    used: outcome.month.used, limit: outcome.month.limit, cost, refused: !outcome.ok,
  });
}

function meter(
  ctx: ApiAccess, request: FastifyRequest, reply: FastifyReply,
  call: { key: CachedKey; endpoint: string; charge: Charge | null; bytesIn: number; bytesOut: number }, started: number, at: number,
) {
  ctx.meter.record({
    keyId: call.key.id, licenseId: call.key.license.id, productId: call.key.product.id, environment: call.key.environment,
    method: request.method, endpoint: call.endpoint, status: reply.raw.statusCode,
    // Test keys never count against paid quotas.
    cost: call.key.environment === 'live' ? call.charge?.cost ?? 0 : 0,
    latencyMs: Math.round(performance.now() - started), bytesIn: call.bytesIn, bytesOut: call.bytesOut, ip: request.ip, at,
  });
}
