import { eq, sql } from 'drizzle-orm';
import type { Mailer } from '../../adapters/email/index.js';
import type { Db } from '../../db/client.js';
import { users } from '../auth/tables.js';
import { renderMail } from '../mail/templates.js';
import type { Period } from './billing.js';

export const alertThresholds = [80, 90, 100] as const;

/** Thresholds (% of the monthly quota) a call crossed, going from `before` to `after` units used. */
export function crossedThresholds(before: number, after: number, limit: number): number[] {
  if (limit <= 0) return [];
  return alertThresholds.filter((t) => before * 100 < t * limit && after * 100 >= t * limit);
}

/**
 * Emails the owner when their monthly quota reaches 80%, 90% and 100%: once each per billing period, whichever
 * instance gets there first (a row per licence, period and threshold decides). Runs off the request path.
 */
export class QuotaAlerts {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
    private readonly publicUrl: string,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  private inFlight = new Set<Promise<void>>();

  /** Called after a charge, and with `refused` when a call was turned away for the monthly quota. */
  observe(input: { userId: string | null; licenseId: string; productTitle: string; period: Period; used: number; limit: number; cost: number; refused: boolean }): void {
    const thresholds = input.refused ? [100] : crossedThresholds(input.used - input.cost, input.used, input.limit);
    for (const threshold of thresholds) {
      const work = this.send(input, threshold).catch((error) => this.log('sending a quota alert failed', error));
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  /** Waits for alerts being sent (a clean stop, tests). */
  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private async send(input: { userId: string | null; licenseId: string; productTitle: string; period: Period; limit: number }, threshold: number) {
    const claimed = await this.db.execute(sql`
      insert into api_quota_alerts (license_id, period_start, threshold) values (${input.licenseId}, ${input.period.start.toISOString()}, ${threshold})
      on conflict do nothing returning threshold`);
    if (claimed.rows.length === 0 || !input.userId) return;
    const [owner] = await this.db.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, input.userId));
    if (!owner) return;
    const reset = input.period.end.toISOString().slice(0, 10);
    const heading = threshold >= 100 ? `You have used your ${input.productTitle} quota` : `You have used ${threshold}% of your ${input.productTitle} quota`;
    await this.mailer.send(renderMail({
      to: owner.email,
      subject: heading,
      heading,
      paragraphs: [
        `Your plan includes ${input.limit.toLocaleString('en-US')} requests a month; ${threshold}% of them are used.`,
        threshold >= 100
          ? `Calls are refused with 429 until the quota resets on ${reset}. Upgrade your plan to keep going.`
          : `The quota resets on ${reset}. Upgrade your plan if you need more.`,
      ],
      action: { label: 'See your API usage', url: `${this.publicUrl}/account/api` },
    }));
  }
}
