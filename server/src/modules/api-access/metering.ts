import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

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

  constructor(private readonly pool: pg.Pool, private readonly intervalMs: number, private readonly log: (message: string, error?: unknown) => void) {}

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
        await writeBatch(this.pool, this.inFlight);
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

/** The event columns, in the order of the COPY rows `writeBatch` sends. */
const eventColumns = 'key_id, license_id, product_id, environment, method, endpoint, status, cost, latency_ms, bytes_in, bytes_out, ip, created_at';

const copyEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const needsEscape = /[\\\t\n\r]/;

/**
 * The batch as COPY text rows, in chunks of `rowsPerChunk` (what PostgreSQL loads far more cheaply than an INSERT
 * of the same rows). Made as the connection takes them, so a big batch does not hold the event loop in one go.
 */
export function* copyRows(events: UsageEvent[], rowsPerChunk = 1000): Generator<string> {
  // A batch repeats a few keys, endpoints and addresses many times: each is escaped once.
  const escaped = new Map<string, string>();
  const text = (value: string | null): string => {
    if (value === null) return '\\N';
    let out = escaped.get(value);
    if (out === undefined) {
      out = needsEscape.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => copyEscapes[c]!) : value;
      escaped.set(value, out);
    }
    return out;
  };
  // Timestamps as ISO 8601 in UTC, the second's part made once per second.
  let second = Number.NaN;
  let secondText = '';
  const timestamp = (at: number): string => {
    const ms = at % 1000;
    if (at - ms !== second) {
      second = at - ms;
      secondText = new Date(second).toISOString().slice(0, 20);
    }
    return `${secondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  };
  for (let start = 0; start < events.length; start += rowsPerChunk) {
    let chunk = '';
    for (const e of events.slice(start, start + rowsPerChunk)) {
      chunk += `${text(e.keyId)}\t${text(e.licenseId)}\t${text(e.productId)}\t${text(e.environment)}\t${text(e.method)}\t${text(e.endpoint)}\t`
        + `${e.status}\t${e.cost}\t${e.latencyMs}\t${e.bytesIn}\t${e.bytesOut}\t${text(e.ip)}\t${timestamp(e.at)}\n`;
    }
    yield chunk;
  }
}

const hourMs = 3_600_000;

/**
 * The batch summed per key, UTC hour and endpoint (the rows of `api_usage_hourly` it adds to), and each key's
 * latest call, as the JSON arrays the rollup statement reads.
 */
export function rollUp(events: UsageEvent[]): { hours: unknown[][]; lastUsed: [string, number][] } {
  const hours = new Map<string, [string, number, string, string, string, number, number, number, number, number, number, number]>();
  const lastUsed = new Map<string, number>();
  for (const e of events) {
    const hour = e.at - (e.at % hourMs);
    // Neither a key id nor an hour holds a NUL, so the first two delimit them whatever the endpoint label holds.
    const id = `${e.keyId}\0${hour}\0${e.endpoint}`;
    const row = hours.get(id);
    const error = e.status >= 400 ? 1 : 0;
    if (row) {
      row[5] += 1;
      row[6] += error;
      row[7] += e.cost;
      row[8] += e.latencyMs;
      row[9] = Math.max(row[9], e.latencyMs);
      row[10] += e.bytesIn;
      row[11] += e.bytesOut;
    } else {
      hours.set(id, [e.keyId, hour, e.endpoint, e.licenseId, e.productId, 1, error, e.cost, e.latencyMs, e.latencyMs, e.bytesIn, e.bytesOut]);
    }
    if ((lastUsed.get(e.keyId) ?? 0) < e.at) lastUsed.set(e.keyId, e.at);
  }
  return { hours: [...hours.values()], lastUsed: [...lastUsed] };
}

/** Adds a batch's rollups to the hourly rows and moves the keys' last use forward, in one statement. */
const rollupStatement = `
  with hours as (
    select e->>0 as key_id, to_timestamp((e->>1)::bigint / 1000.0) as hour, e->>2 as endpoint, e->>3 as license_id, e->>4 as product_id,
      (e->>5)::int as calls, (e->>6)::int as errors, (e->>7)::int as cost, (e->>8)::bigint as latency_ms_sum, (e->>9)::int as latency_ms_max,
      (e->>10)::bigint as bytes_in, (e->>11)::bigint as bytes_out
    from json_array_elements($1::json) as e
  ), rolled as (
    insert into api_usage_hourly (key_id, hour, endpoint, license_id, product_id, calls, errors, cost, latency_ms_sum, latency_ms_max, bytes_in, bytes_out)
    select key_id, hour, endpoint, license_id, product_id, calls, errors, cost, latency_ms_sum, latency_ms_max, bytes_in, bytes_out from hours
    on conflict (key_id, hour, endpoint) do update set
      calls = api_usage_hourly.calls + excluded.calls, errors = api_usage_hourly.errors + excluded.errors,
      cost = api_usage_hourly.cost + excluded.cost, latency_ms_sum = api_usage_hourly.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_max = greatest(api_usage_hourly.latency_ms_max, excluded.latency_ms_max),
      bytes_in = api_usage_hourly.bytes_in + excluded.bytes_in, bytes_out = api_usage_hourly.bytes_out + excluded.bytes_out
    returning 1
  )
  -- Data-modifying CTEs run whether or not they are referenced.
  update api_keys k set last_used_at = greatest(k.last_used_at, to_timestamp((u->>1)::bigint / 1000.0))
  from json_array_elements($2::json) as u
  where k.id = u->>0`;

/**
 * One transaction: the events loaded with COPY, their sums added to the hourly rollups and the keys' last use
 * moved forward — the gateway's busiest write, thousands of rows a second. COPY and sums made here cost the
 * database a fraction of an INSERT … SELECT that groups the rows itself (see docs/decisions/0010).
 */
export async function writeBatch(pool: pg.Pool, events: UsageEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await pipeline(Readable.from(copyRows(events)), client.query(copyFrom(`copy api_usage_events (${eventColumns}) from stdin`)));
    const { hours, lastUsed } = rollUp(events);
    await client.query(rollupStatement, [JSON.stringify(hours), JSON.stringify(lastUsed)]);
    await client.query('commit');
    client.release();
  } catch (error) {
    // Roll back; a connection that cannot is dropped rather than returned to the pool.
    await client.query('rollback').then(() => client.release(), (rollbackError: Error) => client.release(rollbackError));
    throw error;
  }
}
