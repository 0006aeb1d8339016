import { and, eq, gte, lt, sum } from 'drizzle-orm';
import type { LimitStore } from '../../adapters/ratelimit/index.js';
import type { Db } from '../../db/client.js';
import { dayPeriod, monthPeriod, type Period } from './billing.js';
import type { CachedKey } from './key-cache.js';
import type { UsageMeter } from './metering.js';
import { apiUsageEvents } from './tables.js';

const minuteMs = 60_000;
/** Counters outlive their period a little, for clock skew between instances. */
const slackMs = 60 * 60_000;

/** What a call took, so an upstream failure can give it back. */
export interface Charge {
  cost: number;
  windowKey: string | null;
  dayKey: string | null;
  monthKey: string | null;
  at: number;
}

export interface RateHeaders { limit: number; remaining: number; resetSeconds: number }

export type LimitOutcome =
  | { ok: true; charge: Charge; headers: RateHeaders | null; month: { used: number; limit: number; period: Period } | null }
  | { ok: false; code: 'RATE_LIMITED' | 'USAGE_EXCEEDED'; scope: 'minute' | 'day' | 'month'; headers: RateHeaders; retryAfterSeconds: number;
      month: { used: number; limit: number; period: Period } | null };

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The plan's limits for one licence: per minute (sliding or fixed window), per day and per month (periods of the
 * licence's billing, not the calendar). Each limit is taken atomically in the store; when a later one refuses,
 * the earlier ones are given back, so a refused call costs nothing. Test keys have their own per-minute window
 * and never touch the paid quotas.
 */
export class Limiter {
  constructor(
    private readonly store: LimitStore,
    private readonly db: Db,
    private readonly meter: UsageMeter,
    private readonly sliding: boolean,
  ) {}

  get storeKind() {
    return this.store.kind;
  }

  async consume(key: CachedKey, cost: number, now: number): Promise<LimitOutcome> {
    const plan = key.plan;
    const charge: Charge = { cost, windowKey: null, dayKey: null, monthKey: null, at: now };
    let headers: RateHeaders | null = null;
    if (plan?.perMinute != null) {
      const windowKey = `${key.license.id}:${key.environment}`;
      const hit = await this.store.hitWindow(windowKey, cost, plan.perMinute, minuteMs, now, this.sliding);
      headers = { limit: plan.perMinute, remaining: hit.remaining, resetSeconds: seconds(hit.resetMs) };
      if (!hit.allowed) return { ok: false, code: 'RATE_LIMITED', scope: 'minute', headers, retryAfterSeconds: seconds(hit.resetMs), month: null };
      charge.windowKey = windowKey;
    }
    if (key.environment !== 'live' || !plan || cost === 0) return { ok: true, charge, headers, month: null };

    const anchor = key.license.createdAt;
    if (plan.perDay != null) {
      const period = dayPeriod(anchor, new Date(now));
      const dayKey = `d:${key.license.id}:${period.start.getTime()}`;
      const taken = await this.store.take(dayKey, cost, plan.perDay, period.end.getTime() - now + slackMs, () => this.used(key.license.id, period));
      if (!taken.allowed) {
        await this.refund(charge);
        const reset = seconds(period.end.getTime() - now);
        return { ok: false, code: 'USAGE_EXCEEDED', scope: 'day', headers: { limit: plan.perDay, remaining: Math.max(0, plan.perDay - taken.used), resetSeconds: reset }, retryAfterSeconds: reset, month: null };
      }
      charge.dayKey = dayKey;
      headers ??= { limit: plan.perDay, remaining: Math.max(0, plan.perDay - taken.used), resetSeconds: seconds(period.end.getTime() - now) };
    }
    if (plan.perMonth != null) {
      const period = monthPeriod(anchor, new Date(now));
      const monthKey = `m:${key.license.id}:${period.start.getTime()}`;
      const taken = await this.store.take(monthKey, cost, plan.perMonth, period.end.getTime() - now + slackMs, () => this.used(key.license.id, period));
      const month = { used: taken.used, limit: plan.perMonth, period };
      if (!taken.allowed) {
        await this.refund(charge);
        const reset = seconds(period.end.getTime() - now);
        return { ok: false, code: 'USAGE_EXCEEDED', scope: 'month', headers: { limit: plan.perMonth, remaining: Math.max(0, plan.perMonth - taken.used), resetSeconds: reset }, retryAfterSeconds: reset, month };
      }
      charge.monthKey = monthKey;
      headers ??= { limit: plan.perMonth, remaining: Math.max(0, plan.perMonth - taken.used), resetSeconds: seconds(period.end.getTime() - now) };
      return { ok: true, charge, headers, month };
    }
    return { ok: true, charge, headers, month: null };
  }

  /** Gives back what a call took (the upstream failed, or a later limit refused). */
  async refund(charge: Charge): Promise<void> {
    if (charge.windowKey) await this.store.undoWindow(charge.windowKey, charge.cost, minuteMs, charge.at);
    if (charge.dayKey) await this.store.give(charge.dayKey, charge.cost);
    if (charge.monthKey) await this.store.give(charge.monthKey, charge.cost);
    charge.windowKey = charge.dayKey = charge.monthKey = null;
  }

  /** What a licence used in a period: the database plus what this instance has not written yet. */
  async used(licenseId: string, period: Period): Promise<number> {
    const [row] = await this.db.select({ total: sum(apiUsageEvents.cost) }).from(apiUsageEvents)
      .where(and(eq(apiUsageEvents.licenseId, licenseId), gte(apiUsageEvents.createdAt, period.start), lt(apiUsageEvents.createdAt, period.end)));
    return Number(row?.total ?? 0) + this.meter.pendingCost(licenseId, period.start.getTime(), period.end.getTime());
  }

  /** Current counters of a licence for the dashboard (the database when this store holds none). */
  async current(key: Pick<CachedKey, 'license'>, now: number): Promise<{ day: { used: number; period: Period }; month: { used: number; period: Period } }> {
    const anchor = key.license.createdAt;
    const day = dayPeriod(anchor, new Date(now));
    const month = monthPeriod(anchor, new Date(now));
    const [dayUsed, monthUsed] = await Promise.all([
      this.store.peek(`d:${key.license.id}:${day.start.getTime()}`).then((v) => v ?? this.used(key.license.id, day)),
      this.store.peek(`m:${key.license.id}:${month.start.getTime()}`).then((v) => v ?? this.used(key.license.id, month)),
    ]);
    return { day: { used: dayUsed, period: day }, month: { used: monthUsed, period: month } };
  }
}
