import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { AppError } from '../../lib/errors.js';
import type { HotHandler, HotLane } from '../../lib/hot-lane.js';
import { endpointOf, checkKey } from './check.js';
import type { ApiAccess } from './context.js';
import type { CachedKey } from './key-cache.js';
import { apiKeyPattern, hashApiKey, requestHost } from './keys.js';
import type { Charge, LimitOutcome, RateHeaders } from './limits.js';
import { forwardRequestHeaders, parseUpstream, responseHeaders, safeUpstreamPath, type Upstream } from './proxy.js';

const prefix = '/api/gateway/';
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The caller's key: `Authorization: Bearer …` or `X-API-Key`. */
function presentedKey(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const header = headers['x-api-key'];
  return typeof header === 'string' && header ? header.trim() : null;
}

function rateHeaders(headers: RateHeaders | null): Record<string, string> | undefined {
  if (!headers) return undefined;
  return { 'ratelimit-limit': String(headers.limit), 'ratelimit-remaining': String(headers.remaining), 'ratelimit-reset': String(headers.resetSeconds) };
}

const refusalStatus = { NOT_FOUND: 401, REVOKED: 401, EXPIRED: 401, FORBIDDEN: 403, ENDPOINT_NOT_FOUND: 404 } as const;

/** `/api/gateway/{slug}{rest}` split: the product's slug, the upstream path (checked) and the query as sent. */
function splitUrl(url: string): { slug: string; path: string | null; query: string } {
  const afterPrefix = url.slice(prefix.length);
  const queryAt = afterPrefix.indexOf('?');
  const pathPart = queryAt < 0 ? afterPrefix : afterPrefix.slice(0, queryAt);
  const slash = pathPart.indexOf('/');
  let slug = slash < 0 ? pathPart : pathPart.slice(0, slash);
  try {
    slug = decodeURIComponent(slug);
  } catch {
    slug = '';
  }
  return { slug, path: safeUpstreamPath(slash < 0 ? '/' : pathPart.slice(slash)), query: queryAt < 0 ? '' : afterPrefix.slice(queryAt) };
}

/** A call that belongs to a key: metered however it ends. */
interface Call {
  key: CachedKey; method: string; endpoint: string; charge: Charge | null; bytesIn: number; bytesOut: number; ip: string;
  /** The upstream call under way, to stop if the caller goes away. */
  upstream: Dispatcher.DispatchController | null;
}

/**
 * `ANY /api/gateway/{productSlug}/{path…}`: checks the key (from memory), its environment, origin and IP rules, the
 * licence, the plan's endpoints and limits, then streams the call to the product's upstream and the answer back.
 * Every call with a known key is metered (in batches, off the request path); refused calls and upstream failures
 * cost nothing. Served by the hot lane: a proxy's own work is small, so any fixed cost per request shows.
 */
export function gatewayHandler(ctx: ApiAccess, lane: HotLane): HotHandler {
  const upstreams = new Map<string, Upstream | null>();
  const upstreamOf = (baseUrl: string) => {
    let upstream = upstreams.get(baseUrl);
    if (upstream === undefined) {
      upstream = parseUpstream(baseUrl, ctx.ownAddress);
      upstreams.set(baseUrl, upstream);
    }
    return upstream;
  };

  return async (req, res, hc) => {
    const started = performance.now();
    const plain = presentedKey(req.headers);
    if (!plain) throw new AppError('UNAUTHENTICATED', 'An API key is required: Authorization: Bearer mk_… or X-API-Key', { headers: { 'www-authenticate': 'Bearer' } });
    const { slug, path, query } = splitUrl(req.url!);
    if (path === null) throw new AppError('BAD_REQUEST', 'The path may not contain dot segments or encoded slashes');

    const found = apiKeyPattern.test(plain) ? ctx.cache.get(hashApiKey(plain)) : null;
    const key = found instanceof Promise ? await found : found;
    const now = Date.now();
    const refusal = checkKey(key, { productSlug: slug, ip: hc.ip, host: requestHost(req.headers.origin, req.headers.referer), now: new Date(now) });
    if (!key || (refusal && refusal.code !== 'FORBIDDEN')) {
      throw new AppError(refusal!.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'UNAUTHENTICATED', refusal!.message, { details: { reason: refusal!.code } });
    }

    const method = req.method!;
    const call: Call = { key, method, endpoint: `${method} ${path}`, charge: null, bytesIn: 0, bytesOut: 0, ip: hc.ip, upstream: null };
    // One listener for how the call ended: a caller gone before the answer stops the upstream call too.
    res.once('close', () => {
      if (!res.writableFinished) call.upstream?.abort(new Error('The caller went away'));
      meter(ctx, call, res.statusCode, started, now);
    });
    if (refusal) throw new AppError('FORBIDDEN', refusal.message, { details: { reason: refusal.code } });
    const target = endpointOf(key, method, path);
    if ('code' in target) {
      throw new AppError(target.code === 'ENDPOINT_NOT_FOUND' ? 'NOT_FOUND' : 'FORBIDDEN', target.message, { status: refusalStatus[target.code], details: { reason: target.code } });
    }
    call.endpoint = target.label;
    const upstream = key.product.upstream ? upstreamOf(key.product.upstream) : null;
    if (!upstream) throw new AppError('UPSTREAM_UNAVAILABLE', 'This API has no upstream configured', { status: 502 });

    const outcome = await ctx.limiter.consume(key, target.cost, now);
    noticeMonth(ctx, key, outcome, target.cost);
    if (!outcome.ok) {
      throw new AppError('RATE_LIMITED', outcome.scope === 'minute' ? 'Too many requests: the per-minute limit of your plan is reached' : `The ${outcome.scope === 'day' ? 'daily' : 'monthly'} quota of your plan is used up`, {
        headers: { ...rateHeaders(outcome.headers), 'retry-after': String(outcome.retryAfterSeconds) },
        details: { reason: outcome.code, limit: outcome.scope },
      });
    }
    call.charge = outcome.charge;

    const headers = forwardRequestHeaders(req.headers, [
      'x-forwarded-for', hc.ip, 'x-forwarded-proto', hc.protocol, 'x-request-id', hc.id,
      'x-mintreu-key-id', key.id, 'x-mintreu-environment', key.environment, ...(key.plan ? ['x-mintreu-plan', key.plan.slug] : []),
      'host', upstream.host,
    ]);
    if (!headers) {
      await ctx.limiter.refund(outcome.charge);
      throw new AppError('BAD_REQUEST', 'A header value contains a line break or NUL');
    }
    try {
      const own = lane.headersFor(hc);
      if (outcome.headers) own.push('ratelimit-limit', String(outcome.headers.limit), 'ratelimit-remaining', String(outcome.headers.remaining), 'ratelimit-reset', String(outcome.headers.resetSeconds));
      await proxy(ctx.upstreams.get(upstream), req, res, upstream.basePath + path + query, headers, call, own);
    } catch (error) {
      // Not served: the call costs nothing.
      if (call.charge) await ctx.limiter.refund(call.charge);
      call.charge = null;
      ctx.log('upstream call failed', error);
      const code = (error as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') throw new AppError('UPSTREAM_TIMEOUT', 'The API did not answer in time', { status: 504 });
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The API is unreachable right now', { status: 502 });
    }
  };
}

/** The gateway's routes: in the hot lane, and as Fastify routes (app.inject, the API document). */
export async function gatewayRoutes(fastify: FastifyInstance) {
  const handler = gatewayHandler(fastify.apiAccess, fastify.hotLane);
  fastify.hotLane.addPrefix(methods, prefix, handler, '/api/gateway/:productSlug/*');
  // Bodies stream through untouched: no parser reads them.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
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
    handler: fastify.hotLane.route(handler),
  });
}

/**
 * One upstream call: the request (and its body, streamed and counted) to the pool, the answer streamed back with
 * back-pressure. Settles when the answer is complete; rejects, with nothing sent, when the upstream fails before it
 * answers. `own` are the platform's headers for the answer; the upstream's may override them.
 */
function proxy(pool: Dispatcher, req: IncomingMessage, res: ServerResponse, path: string, headers: string[], call: Call, own: string[]): Promise<void> {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  return new Promise((resolve, reject) => {
    let answered = false;
    pool.dispatch({
      path, method: req.method as Dispatcher.HttpMethod, headers,
      body: hasBody ? Readable.from(counted(req, call), { objectMode: false }) : null,
    }, {
      onRequestStart(c) {
        call.upstream = c;
      },
      onResponseStart(_c, statusCode, upstreamHeaders) {
        answered = true;
        res.writeHead(statusCode, responseHeaders(own, upstreamHeaders as Record<string, string | string[] | undefined>));
      },
      onResponseData(c, chunk) {
        call.bytesOut += chunk.length;
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        res.end();
        resolve();
      },
      onResponseError(_c, error) {
        if (!answered) return reject(error);
        // Part of the answer is out: all we can do is cut the connection, so the caller sees it was incomplete.
        res.destroy();
        resolve();
      },
    });
  });
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

function meter(ctx: ApiAccess, call: Call, status: number, started: number, at: number) {
  ctx.meter.record({
    keyId: call.key.id, licenseId: call.key.license.id, productId: call.key.product.id, environment: call.key.environment,
    method: call.method, endpoint: call.endpoint, status,
    // Test keys never count against paid quotas.
    cost: call.key.environment === 'live' ? call.charge?.cost ?? 0 : 0,
    latencyMs: Math.round(performance.now() - started), bytesIn: call.bytesIn, bytesOut: call.bytesOut, ip: call.ip, at,
  });
}
