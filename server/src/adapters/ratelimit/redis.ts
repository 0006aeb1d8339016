import type { Redis } from 'ioredis';
import { windowWaitMs, type LimitStore, type QuotaResult, type WindowResult } from './index.js';

/**
 * A sliding (or fixed) window in two keys, one per fixed window, read and bumped atomically in one script.
 * Returns {allowed, previous, current-after}.
 */
const windowScript = `
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local weight = tonumber(ARGV[3])
local estimate = math.floor(previous * weight) + current
if estimate + cost > limit then return {0, previous, current} end
current = redis.call('INCRBY', KEYS[2], cost)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {1, previous, current}`;

/** A quota counter: -1 when absent (the caller seeds it), else {allowed, value}. */
const takeScript = `
local value = redis.call('GET', KEYS[1])
if not value then return {-1, 0} end
value = tonumber(value)
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and value + cost > limit then return {0, value} end
return {1, redis.call('INCRBY', KEYS[1], cost)}`;

const giveScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local value = redis.call('DECRBY', KEYS[1], ARGV[1])
  if value < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
end
return 1`;

/** Limits shared by every instance through Redis (`REDIS_URL`): the same answers as the memory store. */
export class RedisLimitStore implements LimitStore {
  readonly kind = 'redis' as const;

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async hitWindow(key: string, cost: number, limit: number, windowMs: number, now: number, sliding: boolean): Promise<WindowResult> {
    const index = Math.floor(now / windowMs);
    const elapsed = now - index * windowMs;
    const weight = sliding ? (windowMs - elapsed) / windowMs : 0;
    const [allowed, previous, current] = (await this.redis.eval(
      windowScript, 2, `${this.prefix}w:${key}:${index - 1}`, `${this.prefix}w:${key}:${index}`,
      cost, limit, weight, windowMs * 2,
    )) as [number, number, number];
    const estimate = Math.floor(previous * weight) + current;
    if (allowed !== 1) {
      return { allowed: false, limit, remaining: Math.max(0, limit - estimate), resetMs: windowWaitMs(previous, current, cost, limit, windowMs, elapsed, sliding) };
    }
    return { allowed: true, limit, remaining: Math.max(0, limit - estimate), resetMs: windowMs - elapsed };
  }

  async undoWindow(key: string, cost: number, windowMs: number, now: number): Promise<void> {
    await this.redis.eval(giveScript, 1, `${this.prefix}w:${key}:${Math.floor(now / windowMs)}`, cost);
  }

  async take(key: string, cost: number, limit: number | null, ttlMs: number, seed: () => Promise<number>): Promise<QuotaResult> {
    const name = `${this.prefix}q:${key}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [state, value] = (await this.redis.eval(takeScript, 1, name, cost, limit ?? -1)) as [number, number];
      if (state !== -1) return { allowed: state === 1, used: value };
      // Only one instance's seed wins (NX); everyone then retries against it.
      await this.redis.set(name, await seed(), 'PX', ttlMs, 'NX');
    }
    throw new Error(`quota counter ${key} could not be seeded`);
  }

  async give(key: string, cost: number): Promise<void> {
    await this.redis.eval(giveScript, 1, `${this.prefix}q:${key}`, cost);
  }

  async peek(key: string): Promise<number | null> {
    const value = await this.redis.get(`${this.prefix}q:${key}`);
    return value === null ? null : Number(value);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
