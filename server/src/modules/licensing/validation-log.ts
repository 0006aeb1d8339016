import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';

interface Tally {
  licenseId: string;
  activationId: string;
  code: string;
  ip: string;
  /** Epoch milliseconds: record() runs on every validation, and allocates no Date. */
  hour: number;
  count: number;
  firstAt: number;
  lastAt: number;
}

const hourMs = 60 * 60 * 1000;
/** Validation history older than this is deleted (checked at most once an hour per instance). */
const keepDays = 90;

/**
 * The validation history without a write per validation: validations are tallied in memory per licence,
 * activation, outcome, address and hour, and merged into `license_validations` in one statement per flush, with
 * the activations' `last_validated_at` and the licences' `last_used_at` in the same round trip. A clean stop flushes
 * what is left; a crash loses at most one interval of counts, never a licence change.
 */
export class ValidationLog {
  private tallies = new Map<string, Tally>();
  private seen = new Map<string, number>();
  private used = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  start(): void {
    // A tick that finds a write still under way leaves the rest to the next tick, so ticks never queue up.
    this.timer ??= setInterval(() => {
      if (!this.flushing) void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  record(licenseId: string, activationId: string | null, code: string, ip: string, now = Date.now()): void {
    const hour = Math.floor(now / hourMs) * hourMs;
    const key = `${licenseId}\u0000${activationId ?? ''}\u0000${code}\u0000${ip}\u0000${hour}`;
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count++;
      tally.lastAt = now;
    } else {
      this.tallies.set(key, { licenseId, activationId: activationId ?? '', code, ip, hour, count: 1, firstAt: now, lastAt: now });
    }
    if (code === 'VALID') {
      if (activationId) this.seen.set(activationId, now);
      this.used.set(licenseId, now);
    }
  }

  /**
   * Writes what has been tallied up to now. A flush already under way took only what was tallied before it began:
   * wait for it, then write the rest (flushes never overlap).
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.tallies.size === 0 && this.seen.size === 0) return this.prune();
    const tallies = [...this.tallies.values()];
    const seen = [...this.seen];
    const used = [...this.used];
    this.tallies = new Map();
    this.seen = new Map();
    this.used = new Map();
    try {
      await this.db.transaction(async (tx) => {
        if (tallies.length) {
          // One statement: the rows as JSON, merged with what earlier flushes (or other instances) wrote.
          await tx.execute(sql`
            insert into license_validations (license_id, activation_id, code, ip, hour, count, first_at, last_at)
            select t.license_id, t.activation_id, t.code, t.ip, t.hour, t.count, t.first_at, t.last_at
            from jsonb_to_recordset(${JSON.stringify(tallies.map(toRow))}::jsonb)
              as t(license_id text, activation_id text, code text, ip text, hour timestamptz, count int, first_at timestamptz, last_at timestamptz)
            where exists (select 1 from licenses l where l.id = t.license_id)
            on conflict (license_id, hour, activation_id, code, ip) do update
              set count = license_validations.count + excluded.count,
                  first_at = least(license_validations.first_at, excluded.first_at),
                  last_at = greatest(license_validations.last_at, excluded.last_at)`);
        }
        if (seen.length) {
          await tx.execute(sql`
            update license_activations a set last_validated_at = greatest(a.last_validated_at, v.at)
            from jsonb_to_recordset(${JSON.stringify(seen.map(([id, at]) => ({ id, at: new Date(at).toISOString() })))}::jsonb) as v(id text, at timestamptz)
            where a.id = v.id`);
        }
        if (used.length) {
          await tx.execute(sql`
            update licenses l set last_used_at = greatest(l.last_used_at, v.at), first_used_at = coalesce(l.first_used_at, v.at)
            from jsonb_to_recordset(${JSON.stringify(used.map(([id, at]) => ({ id, at: new Date(at).toISOString() })))}::jsonb) as v(id text, at timestamptz)
            where l.id = v.id`);
        }
      });
    } catch (error) {
      this.log('writing the licence validation history failed; these counts are lost', error);
    }
    await this.prune();
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < hourMs) return;
    this.lastPrune = Date.now();
    try {
      await this.db.execute(sql`delete from license_validations where hour < now() - make_interval(days => ${keepDays})`);
    } catch (error) {
      this.log('pruning the licence validation history failed', error);
    }
  }
}

const toRow = (t: Tally) => ({
  license_id: t.licenseId, activation_id: t.activationId, code: t.code, ip: t.ip,
  hour: new Date(t.hour).toISOString(), count: t.count, first_at: new Date(t.firstAt).toISOString(), last_at: new Date(t.lastAt).toISOString(),
});
