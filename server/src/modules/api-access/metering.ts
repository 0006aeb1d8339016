import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';

export interface UsageEvent {
  keyId: string;
  licenseId: string;
  productId: string;
  environment: string;
  method: string;
  endpoint: string;
  status: number;
  cost: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  ip: string | null;
  at: number;
}

/** Events kept while the database is unreachable; past this the oldest are dropped (and logged). */
const maxBacklog = 200_000;
const batchSize = 5_000;

/**
 * Gateway usage without an insert per request: events are buffered in memory and written every `intervalMs` (or
 * sooner when a batch fills) in one transaction per batch — the events, their hourly rollups and the keys'
 * `last_used_at`. A failed write puts the batch back for the next try; a clean stop writes everything left.
 */
export class UsageMeter {
  private buffer: UsageEvent[] = [];
  private inFlight: UsageEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Events written since start (for tests and /metrics). */
  written = 0;

  constructor(private readonly db: Db, private readonly intervalMs: number, private readonly log: (message: string, error?: unknown) => void) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Keep going until the buffer is empty (events may arrive while a batch is written), or the database fails.
    for (let round = 0; round < 100 && (this.buffer.length > 0 || this.flushing); round++) {
      const before = this.buffer.length;
      await this.flush();
      if (this.buffer.length >= before && before > 0) break;
    }
  }

  record(event: UsageEvent): void {
    this.buffer.push(event);
    if (this.buffer.length >= batchSize && !this.flushing) void this.flush();
  }

  get pending(): number {
    return this.buffer.length + this.inFlight.length;
  }

  /** Cost of this licence's events not in the database yet (counted into a quota seeded now). */
  pendingCost(licenseId: string, since: number, until: number): number {
    let sum = 0;
    for (const list of [this.inFlight, this.buffer]) {
      for (const e of list) if (e.licenseId === licenseId && e.at >= since && e.at < until) sum += e.cost;
    }
    return sum;
  }

  /** Writes what is buffered. Concurrent calls share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      this.inFlight = this.buffer.splice(0, batchSize);
      try {
        await writeBatch(this.db, this.inFlight);
        this.written += this.inFlight.length;
        this.inFlight = [];
      } catch (error) {
        this.buffer = [...this.inFlight, ...this.buffer];
        this.inFlight = [];
        if (this.buffer.length > maxBacklog) {
          const dropped = this.buffer.splice(0, this.buffer.length - maxBacklog);
          this.log(`API usage backlog full: ${dropped.length} events dropped`);
        }
        this.log('writing API usage failed; will retry', error);
        return;
      }
    }
  }
}

/**
 * One transaction: the events, merged into the hourly rollups, and the keys' last use. The batch travels as one JSON
 * array of arrays (no repeated field names; `json`, not `jsonb`, which PostgreSQL would convert first): the gateway's
 * busiest write, thousands of rows a second.
 */
export async function writeBatch(db: Db, events: UsageEvent[]): Promise<void> {
  const rows = JSON.stringify(events.map((e) => [
    e.keyId, e.licenseId, e.productId, e.environment, e.method, e.endpoint, e.status, e.cost, e.latencyMs, e.bytesIn, e.bytesOut, e.ip, e.at,
  ]));
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      with batch as (
        select e->>0 as key_id, e->>1 as license_id, e->>2 as product_id, e->>3 as environment, e->>4 as method, e->>5 as endpoint,
          (e->>6)::int as status, (e->>7)::int as cost, (e->>8)::int as latency_ms, (e->>9)::bigint as bytes_in, (e->>10)::bigint as bytes_out,
          e->>11 as ip, to_timestamp((e->>12)::bigint / 1000.0) as created_at
        from json_array_elements(${rows}::json) as e
      ), inserted as (
        insert into api_usage_events (key_id, license_id, product_id, environment, method, endpoint, status, cost, latency_ms, bytes_in, bytes_out, ip, created_at)
        select key_id, license_id, product_id, environment, method, endpoint, status, cost, latency_ms, bytes_in, bytes_out, ip, created_at from batch
        returning 1
      ), rolled as (
        insert into api_usage_hourly (key_id, hour, endpoint, license_id, product_id, calls, errors, cost, latency_ms_sum, latency_ms_max, bytes_in, bytes_out)
        select key_id, date_trunc('hour', created_at), endpoint, min(license_id), min(product_id), count(*), count(*) filter (where status >= 400),
          sum(cost), sum(latency_ms), max(latency_ms), sum(bytes_in), sum(bytes_out)
        from batch group by key_id, date_trunc('hour', created_at), endpoint
        on conflict (key_id, hour, endpoint) do update set
          calls = api_usage_hourly.calls + excluded.calls, errors = api_usage_hourly.errors + excluded.errors,
          cost = api_usage_hourly.cost + excluded.cost, latency_ms_sum = api_usage_hourly.latency_ms_sum + excluded.latency_ms_sum,
          latency_ms_max = greatest(api_usage_hourly.latency_ms_max, excluded.latency_ms_max),
          bytes_in = api_usage_hourly.bytes_in + excluded.bytes_in, bytes_out = api_usage_hourly.bytes_out + excluded.bytes_out
        returning 1
      )
      -- Data-modifying CTEs run whether or not they are referenced.
      update api_keys k set last_used_at = greatest(k.last_used_at, u.at)
      from (select key_id, max(created_at) as at from batch group by key_id) u
      where k.id = u.key_id`);
  });
}
