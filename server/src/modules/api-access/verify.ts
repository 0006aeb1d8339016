import type { VerifyKeyResult } from '@mintreu/contracts';
import { checkKey } from './check.js';
import type { ApiAccess } from './context.js';
import { apiKeyPattern, hashApiKey, requestHost } from './keys.js';
import type { ServiceTokenEntry } from './service-tokens.js';

/**
 * `POST /api/keys/verify`: the gateway's checks and limits for sellers' own servers, the outcome as data. A valid
 * call is charged `cost` and metered like a gateway call (endpoint `verify`).
 */
export async function verifyKey(
  ctx: ApiAccess,
  token: ServiceTokenEntry,
  input: { key: string; productSlug?: string; cost: number; ip?: string; origin?: string },
): Promise<VerifyKeyResult> {
  const none = { keyId: null, plan: null, ratelimit: null, quota: null } as const;
  const found = apiKeyPattern.test(input.key) ? ctx.cache.get(hashApiKey(input.key)) : null;
  const key = found instanceof Promise ? await found : found;
  const now = Date.now();
  const refusal = checkKey(key, { productSlug: input.productSlug, ip: input.ip ?? null, host: input.origin ? requestHost(input.origin, undefined) : null, now: new Date(now) });
  if (!key) return { valid: false, code: 'NOT_FOUND', ...none };
  const plan = key.plan ? { id: key.plan.id, slug: key.plan.slug, name: key.plan.name } : null;
  const base = { keyId: key.id, environment: key.environment, plan };
  if (token.productId && token.productId !== key.product.id) return { valid: false, code: 'NOT_FOUND', ...none };
  if (refusal) return { valid: false, code: refusal.code === 'ENDPOINT_NOT_FOUND' ? 'FORBIDDEN' : refusal.code, ...base, ratelimit: null, quota: null };
  const outcome = await ctx.limiter.consume(key, input.cost, now);
  const ratelimit = outcome.headers ? { limit: outcome.headers.limit, remaining: outcome.headers.remaining, reset: outcome.headers.resetSeconds } : null;
  const quota = outcome.month ? { limit: outcome.month.limit, remaining: Math.max(0, outcome.month.limit - outcome.month.used) } : null;
  if (outcome.month) {
    ctx.alerts.observe({ userId: key.userId, licenseId: key.license.id, productTitle: key.product.title, period: outcome.month.period, used: outcome.month.used, limit: outcome.month.limit, cost: input.cost, refused: !outcome.ok });
  }
  ctx.meter.record({
    keyId: key.id, licenseId: key.license.id, productId: key.product.id, environment: key.environment, method: 'POST', endpoint: 'verify',
    status: outcome.ok ? 200 : 429, cost: outcome.ok && key.environment === 'live' ? input.cost : 0, latencyMs: 0, bytesIn: 0, bytesOut: 0, ip: input.ip ?? null, at: now,
  });
  if (!outcome.ok) return { valid: false, code: outcome.code, ...base, ratelimit, quota };
  return { valid: true, code: 'VALID', ...base, ratelimit, quota };
}
