import { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createLimitStore, type LimitStore } from './index.js';

/** Redis at REDIS_URL or 127.0.0.1:6379 when reachable (CI has one); the Redis suite skips cleanly otherwise. */
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisReachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(redisUrl);
  const socket = new Socket();
  socket.setTimeout(500);
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('timeout', () => { socket.destroy(); resolve(false); });
  socket.once('error', () => resolve(false));
  socket.connect(Number(port || 6379), hostname);
});

const stores: [string, () => Promise<LimitStore>, boolean][] = [
  ['memory', () => createLimitStore(undefined), false],
  ['redis', () => createLimitStore(redisUrl, `mintreu:test:${process.pid}:${Date.now()}:`), !redisReachable],
];

describe.each(stores)('%s limit store', (_name, create, skip) => {
  let store: LimitStore;
  const opened: LimitStore[] = [];
  const fresh = async () => {
    store = await create();
    opened.push(store);
    return store;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });
  const W = 60_000;
  const t0 = 1_000 * W; // the start of a window

  it.skipIf(skip)('fixed window: allows up to the limit, then refuses until the next window', async () => {
    const s = await fresh();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await s.hitWindow('fixed', 1, 3, W, t0 + 1000, false));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]!.resetMs).toBe(W - 1000);
    expect((await s.hitWindow('fixed', 1, 3, W, t0 + W, false)).allowed).toBe(true);
  });

  it.skipIf(skip)('sliding window: the previous window counts in proportion to its overlap', async () => {
    const s = await fresh();
    for (let i = 0; i < 10; i++) expect((await s.hitWindow('slide', 1, 10, W, t0 + 50_000, true)).allowed).toBe(true);
    // A quarter into the next window, 75% of the previous 10 still count: room for 2 more (7 + 2 ≤ 10… 7 + 3 = 10).
    const next = t0 + W + W / 4;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await s.hitWindow('slide', 1, 10, W, next, true));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3]!.resetMs).toBeGreaterThan(0);
    // Half way, 5 count: 3 used, 2 more fit.
    expect((await s.hitWindow('slide', 1, 10, W, t0 + W + W / 2, true)).allowed).toBe(true);
    expect((await s.hitWindow('slide', 1, 10, W, t0 + W + W / 2, true)).allowed).toBe(true);
    expect((await s.hitWindow('slide', 1, 10, W, t0 + W + W / 2, true)).allowed).toBe(false);
  });

  it.skipIf(skip)('weights: a cost that does not fit is refused without being counted; undo gives it back', async () => {
    const s = await fresh();
    expect((await s.hitWindow('w', 4, 5, W, t0, false)).allowed).toBe(true);
    expect((await s.hitWindow('w', 2, 5, W, t0, false)).allowed).toBe(false);
    expect((await s.hitWindow('w', 1, 5, W, t0, false)).remaining).toBe(0);
    await s.undoWindow('w', 4, W, t0);
    expect((await s.hitWindow('w', 4, 5, W, t0, false)).allowed).toBe(true);
  });

  it.skipIf(skip)('quotas: seeded once from the database, exact under 100 concurrent takes, give returns', async () => {
    const s = await fresh();
    let seeds = 0;
    const seed = async () => { seeds++; return 40; };
    const results = await Promise.all(Array.from({ length: 100 }, () => s.take('q', 1, 50, 60_000, seed)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(await s.peek('q')).toBe(50);
    expect(seeds).toBeGreaterThanOrEqual(1);
    await s.give('q', 3);
    expect(await s.peek('q')).toBe(47);
    expect((await s.take('q', 3, 50, 60_000, seed)).used).toBe(50);
    expect((await s.take('q', 1, null, 60_000, seed)).allowed).toBe(true);
    expect(await s.peek('missing')).toBeNull();
  });
});
