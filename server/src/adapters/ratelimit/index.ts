import type { Redis } from 'ioredis';
import { MemoryLimitStore } from './memory.js';
import { RedisLimitStore } from './redis.js';

/** What a sliding-window hit answers: enough for the RateLimit-* and Retry-After headers. */
export interface WindowResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window frees enough room for this cost (when refused) or until it rolls over. */
  resetMs: number;
}

export interface QuotaResult {
  allowed: boolean;
  /** The counter after this call (unchanged when refused). */
  used: number;
}

/**
 * Counters the gateway's limits live in: this process's memory for one instance, Redis for several. Both answer
 * the same for the same sequence of calls (the tests run one suite against each); time is passed in, never read.
 */
export interface LimitStore {
  readonly kind: 'memory' | 'redis';
  /**
   * A per-minute style limit. `sliding`: the previous fixed window counts in proportion to how much of it still
   * overlaps the last `windowMs` (Cloudflare's approximation); `fixed`: only the current window counts.
   * Adds `cost` only when the result stays within `limit`.
   */
  hitWindow(key: string, cost: number, limit: number, windowMs: number, now: number, sliding: boolean): Promise<WindowResult>;
  /** Takes back a window hit (the upstream failed: not charged). */
  undoWindow(key: string, cost: number, windowMs: number, now: number): Promise<void>;
  /**
   * A quota counter for one period (`key` names it), alive for `ttlMs`. Adds `cost` only when the total stays within
   * `limit` (null: unlimited, always adds). A counter this store does not hold yet starts from `seed()` — what the
   * database says was used — so a restart or an evicted key does not hand out a fresh quota.
   */
  take(key: string, cost: number, limit: number | null, ttlMs: number, seed: () => Promise<number>): Promise<QuotaResult>;
  /** Takes back what `take` added. */
  give(key: string, cost: number): Promise<void>;
  /** The current value, or null when this store holds none. */
  peek(key: string): Promise<number | null>;
  close(): Promise<void>;
}

export { MemoryLimitStore, RedisLimitStore };

/** `REDIS_URL` set: Redis (shared by every instance); otherwise memory. */
export async function createLimitStore(redisUrl: string | undefined, prefix = 'mintreu:rl:'): Promise<LimitStore> {
  if (!redisUrl) return new MemoryLimitStore();
  const { Redis: IORedis } = await import('ioredis');
  const client: Redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  await client.connect();
  return new RedisLimitStore(client, prefix);
}

/**
 * When a sliding window has room for `cost` again. `previous` counts for the part of the last window still inside
 * the sliding minute, `current` in full.
 */
export function windowWaitMs(previous: number, current: number, cost: number, limit: number, windowMs: number, elapsed: number, sliding: boolean): number {
  const toNext = windowMs - elapsed;
  if (!sliding) return toNext;
  const room = limit - cost;
  if (current <= room && previous > 0) {
    // Wait in this window until previous × (1 − t/W) ≤ room − current.
    const t = windowMs * (1 - (room - current) / previous);
    if (t <= windowMs) return Math.max(1, t - elapsed);
  }
  // Next window: the current count becomes the previous one and must fade to `room`.
  const fade = current > 0 ? Math.max(0, windowMs * (1 - room / current)) : 0;
  return toNext + fade;
}
