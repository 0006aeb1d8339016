import type { ApiKeyUsage, ApiSubscription, ApiUsageOverview } from '@mintreu/contracts';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { plans, products } from '../catalog/tables.js';
import { licenseStatus } from '../licensing/service.js';
import { licenses } from '../licensing/tables.js';
import type { ApiAccess } from './context.js';
import { notFound } from '../../lib/errors.js';
import { apiKeys } from './tables.js';

/**
 * The caller's API subscriptions with their quotas as used now (the licence's billing period) and key counts.
 * Reads the licences table read-only (like the key cache): licensing exports no "API subscriptions of a user".
 */
export async function listOwnSubscriptions(ctx: ApiAccess, userId: string): Promise<ApiSubscription[]> {
  const rows = await ctx.db
    .select({ license: licenses, product: { id: products.id, slug: products.slug, title: products.title, type: products.type }, plan: plans })
    .from(licenses)
    .innerJoin(products, eq(products.id, licenses.productId))
    .leftJoin(plans, eq(plans.id, licenses.planId))
    .where(and(eq(licenses.userId, userId), eq(licenses.type, 'api_subscription')))
    .orderBy(desc(licenses.createdAt));
  const now = Date.now();
  const keyCounts = await ctx.db.select({ licenseId: apiKeys.licenseId, n: sql<number>`count(*)::int` }).from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), sql`${apiKeys.state} <> 'revoked' and (${apiKeys.expiresAt} is null or ${apiKeys.expiresAt} > now())`))
    .groupBy(apiKeys.licenseId);
  const counts = new Map(keyCounts.map((r) => [r.licenseId, r.n]));
  return Promise.all(rows.map(async ({ license, product, plan }) => {
    const used = await ctx.limiter.current({ license: { id: license.id, createdAt: license.createdAt, state: license.state, expiresAt: license.expiresAt, maxUsage: license.maxUsage, usageCount: license.usageCount } }, now);
    return {
      licenseId: license.id,
      licenseStatus: licenseStatus(license),
      productId: product.id, productSlug: product.slug, productTitle: product.title, productType: product.type,
      planId: plan?.id ?? null, planName: plan?.name ?? null,
      gatewayUrl: `${ctx.env.PUBLIC_URL}/api/gateway/${product.slug}`,
      requestsPerMinute: plan?.requestsPerMinute ?? null,
      quota: {
        day: { limit: plan?.requestsPerDay ?? null, used: used.day.used, resetAt: used.day.period.end.toISOString() },
        month: { limit: plan?.requestsPerMonth ?? null, used: used.month.used, resetAt: used.month.period.end.toISOString() },
      },
      keys: { active: counts.get(license.id) ?? 0, limit: plan?.limits.keys ?? ctx.env.API_KEYS_PER_LICENSE },
      maxDomains: plan?.limits.domains ?? null,
    };
  }));
}

/** `GET /api/api-keys/{id}/usage`: calls per hour or day (UTC) and per endpoint, from the hourly rollups. */
export async function keyUsage(db: Db, userId: string | null, id: string, input: { from?: string; to?: string; interval: 'hour' | 'day' }): Promise<ApiKeyUsage> {
  const [key] = await db.select({ id: apiKeys.id, userId: apiKeys.userId }).from(apiKeys).where(eq(apiKeys.id, id));
  if (!key || (userId !== null && key.userId !== userId)) throw notFound('API key');
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - (input.interval === 'hour' ? 48 * 3600_000 : 30 * 86_400_000));
  const unit = input.interval === 'hour' ? 'hour' : 'day';
  const series = await db.execute<{ at: Date; calls: number; errors: number; cost: number }>(sql`
    select date_trunc(${unit}, hour) as at, sum(calls)::int as calls, sum(errors)::int as errors, sum(cost)::int as cost
    from api_usage_hourly where key_id = ${id} and hour >= date_trunc('hour', ${from.toISOString()}::timestamptz) and hour < ${to.toISOString()}::timestamptz
    group by 1 order by 1`);
  const endpoints = await db.execute<{ endpoint: string; calls: number; errors: number; avg: number }>(sql`
    select endpoint, sum(calls)::int as calls, sum(errors)::int as errors, round(sum(latency_ms_sum)::numeric / greatest(sum(calls), 1))::int as avg
    from api_usage_hourly where key_id = ${id} and hour >= date_trunc('hour', ${from.toISOString()}::timestamptz) and hour < ${to.toISOString()}::timestamptz
    group by endpoint order by 2 desc limit 50`);
  const [totals] = (await db.execute<{ calls: number; errors: number; cost: number; bytes_in: number; bytes_out: number }>(sql`
    select coalesce(sum(calls), 0)::int as calls, coalesce(sum(errors), 0)::int as errors, coalesce(sum(cost), 0)::int as cost,
      coalesce(sum(bytes_in), 0)::bigint as bytes_in, coalesce(sum(bytes_out), 0)::bigint as bytes_out
    from api_usage_hourly where key_id = ${id} and hour >= date_trunc('hour', ${from.toISOString()}::timestamptz) and hour < ${to.toISOString()}::timestamptz`)).rows;
  return {
    keyId: id, from: from.toISOString(), to: to.toISOString(), interval: input.interval,
    series: series.rows.map((r) => ({ at: new Date(r.at).toISOString(), calls: r.calls, errors: r.errors, cost: r.cost })),
    endpoints: endpoints.rows.map((r) => ({ endpoint: r.endpoint, calls: r.calls, errors: r.errors, avgLatencyMs: r.avg })),
    totals: { calls: totals?.calls ?? 0, errors: totals?.errors ?? 0, cost: totals?.cost ?? 0, bytesIn: Number(totals?.bytes_in ?? 0), bytesOut: Number(totals?.bytes_out ?? 0) },
  };
}

/** The admin overview of the last `hours`: totals and latency percentiles, top keys, errors by status, endpoints. */
export async function usageOverview(db: Db, hours: number): Promise<ApiUsageOverview> {
  const from = new Date(Date.now() - hours * 3600_000).toISOString();
  const [totals] = (await db.execute<{ calls: number; errors: number; p50: number | null; p95: number | null }>(sql`
    select count(*)::int as calls, count(*) filter (where status >= 400)::int as errors,
      percentile_cont(0.5) within group (order by latency_ms) as p50, percentile_cont(0.95) within group (order by latency_ms) as p95
    from api_usage_events where created_at >= ${from}::timestamptz`)).rows;
  const topKeys = await db.execute<{ key_id: string; prefix: string; name: string; title: string; calls: number; errors: number }>(sql`
    select u.key_id, k.prefix, k.name, p.title, sum(u.calls)::int as calls, sum(u.errors)::int as errors
    from api_usage_hourly u join api_keys k on k.id = u.key_id join products p on p.id = u.product_id
    where u.hour >= date_trunc('hour', ${from}::timestamptz) group by 1, 2, 3, 4 order by calls desc limit 10`);
  const errors = await db.execute<{ status: number; calls: number }>(sql`
    select status, count(*)::int as calls from api_usage_events where created_at >= ${from}::timestamptz and status >= 400 group by 1 order by 2 desc limit 20`);
  const endpoints = await db.execute<{ endpoint: string; calls: number; errors: number; avg: number }>(sql`
    select endpoint, sum(calls)::int as calls, sum(errors)::int as errors, round(sum(latency_ms_sum)::numeric / greatest(sum(calls), 1))::int as avg
    from api_usage_hourly where hour >= date_trunc('hour', ${from}::timestamptz) group by 1 order by 2 desc limit 20`);
  return {
    from,
    totals: { calls: totals?.calls ?? 0, errors: totals?.errors ?? 0, p50LatencyMs: Math.round(Number(totals?.p50 ?? 0)), p95LatencyMs: Math.round(Number(totals?.p95 ?? 0)) },
    topKeys: topKeys.rows.map((r) => ({ keyId: r.key_id, prefix: r.prefix, name: r.name, productTitle: r.title, calls: r.calls, errors: r.errors })),
    errors: errors.rows.map((r) => ({ status: r.status, calls: r.calls })),
    endpoints: endpoints.rows.map((r) => ({ endpoint: r.endpoint, calls: r.calls, errors: r.errors, avgLatencyMs: r.avg })),
  };
}
