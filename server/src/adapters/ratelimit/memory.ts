import { windowWaitMs, type LimitStore, type QuotaResult, type WindowResult } from './index.js';

interface Slot { index: number; current: number; previous: number; expiresAt: number }
interface Quota { value: number; expiresAt: number }

/**
 * Limits in this process's memory: one instance. Everything is synchronous once a quota is seeded, so there are no
 * races between check and increment. Swept as it grows, so memory stays bounded by the keys in use.
 */
export class MemoryLimitStore implements LimitStore {
  readonly kind = 'memory' as const;
  private slots = new Map<string, Slot>();
  private quotas = new Map<string, Quota>();
  private seeding = new Map<string, Promise<void>>();
  private lastSweep = 0;

  async hitWindow(key: string, cost: number, limit: number, windowMs: number, now: number, sliding: boolean): Promise<WindowResult> {
    this.sweep(now);
    const slot = this.slot(key, windowMs, now);
    const elapsed = now - slot.index * windowMs;
    const weight = sliding ? (windowMs - elapsed) / windowMs : 0;
    const estimate = Math.floor(slot.previous * weight) + slot.current;
    if (estimate + cost > limit) {
      return { allowed: false, limit, remaining: Math.max(0, limit - estimate), resetMs: windowWaitMs(slot.previous, slot.current, cost, limit, windowMs, elapsed, sliding) };
    }
    slot.current += cost;
    return { allowed: true, limit, remaining: Math.max(0, limit - estimate - cost), resetMs: windowMs - elapsed };
  }

  async undoWindow(key: string, cost: number, windowMs: number, now: number): Promise<void> {
    const slot = this.slots.get(key);
    if (slot && slot.index === Math.floor(now / windowMs)) slot.current = Math.max(0, slot.current - cost);
  }

  async take(key: string, cost: number, limit: number | null, ttlMs: number, seed: () => Promise<number>): Promise<QuotaResult> {
    let quota = this.liveQuota(key);
    if (!quota) {
      let pending = this.seeding.get(key);
      if (!pending) {
        pending = seed().then((value) => {
          if (!this.liveQuota(key)) this.quotas.set(key, { value, expiresAt: Date.now() + ttlMs });
        }).finally(() => this.seeding.delete(key));
        this.seeding.set(key, pending);
      }
      await pending;
      quota = this.liveQuota(key)!;
    }
    if (limit !== null && quota.value + cost > limit) return { allowed: false, used: quota.value };
    quota.value += cost;
    return { allowed: true, used: quota.value };
  }

  async give(key: string, cost: number): Promise<void> {
    const quota = this.liveQuota(key);
    if (quota) quota.value = Math.max(0, quota.value - cost);
  }

  async peek(key: string): Promise<number | null> {
    return this.liveQuota(key)?.value ?? null;
  }

  async close(): Promise<void> {
    this.slots.clear();
    this.quotas.clear();
  }

  private liveQuota(key: string): Quota | undefined {
    const quota = this.quotas.get(key);
    if (quota && quota.expiresAt <= Date.now()) {
      this.quotas.delete(key);
      return undefined;
    }
    return quota;
  }

  private slot(key: string, windowMs: number, now: number): Slot {
    const index = Math.floor(now / windowMs);
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { index, current: 0, previous: 0, expiresAt: 0 };
      this.slots.set(key, slot);
    } else if (slot.index !== index) {
      slot.previous = slot.index === index - 1 ? slot.current : 0;
      slot.current = 0;
      slot.index = index;
    }
    slot.expiresAt = (index + 2) * windowMs;
    return slot;
  }

  private sweep(now: number) {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, slot] of this.slots) if (slot.expiresAt <= now) this.slots.delete(key);
    for (const key of this.quotas.keys()) this.liveQuota(key);
  }
}
