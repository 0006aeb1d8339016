import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

interface Window {
  count: number;
  resetAt: number;
}

/**
 * A fixed-window counter per key, in this process's memory (one instance; several instances would share a
 * Redis counter instead). Old windows are dropped as the map is swept, so memory stays bounded by active keys.
 */
export class RateLimiter {
  private windows = new Map<string, Window>();
  private lastSweep = Date.now();

  constructor(readonly limit: number, readonly windowMs: number) {}

  /** Counts one hit; returns what the RateLimit-* headers say and whether the hit is allowed. */
  hit(key: string, now = Date.now()): { allowed: boolean; remaining: number; resetSeconds: number } {
    if (now - this.lastSweep > this.windowMs) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      allowed: window.count <= this.limit,
      remaining: Math.max(0, this.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    };
  }

  private sweep(now: number) {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    this.lastSweep = now;
  }
}

/** A preHandler limiting each client IP on a route: 429 RATE_LIMITED with Retry-After and RateLimit-* headers. */
export function limitPerIp(limit: number, windowMs: number, scope: string) {
  const limiter = new RateLimiter(limit, windowMs);
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply) {
    const state = limiter.hit(`${scope}:${request.ip}`);
    reply.header('ratelimit-limit', limit).header('ratelimit-remaining', state.remaining).header('ratelimit-reset', state.resetSeconds);
    if (!state.allowed) {
      throw new AppError('RATE_LIMITED', 'Too many requests. Please slow down and try again shortly.', {
        headers: { 'retry-after': String(state.resetSeconds) },
      });
    }
  };
}
