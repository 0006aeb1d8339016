import http from 'node:http';
import { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { issueLicense } from '../licensing/service.js';

/** Redis at REDIS_URL or 127.0.0.1:6379 when reachable (CI has one); skipped cleanly otherwise. */
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

// Two instances on one database and one Redis: limits and quotas are shared, a revoke on one stops the key on the other.
describe.skipIf(!redisReachable)('two gateway instances sharing Redis', () => {
  let a: TestApp & { dropDatabase(): Promise<void> };
  let b: TestApp & { dropDatabase(): Promise<void> };
  let upstream: http.Server;
  let product: { id: string; slug: string };
  let planId: string;
  let monthPlanId: string;

  beforeAll(async () => {
    upstream = http.createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const env = { REDIS_URL: redisUrl, API_USAGE_FLUSH_MS: '60000' };
    a = await createTestApp({ env });
    b = await createTestApp({ url: a.database.url, env });
    const admin = await asAdmin(a.app);
    product = await createProduct(a.app, admin.headers, { title: `Shared API ${Date.now()}`, type: 'api_service', price: 0, apiConfig: { baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` } });
    const plan = await a.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/plans`, headers: admin.headers, payload: { slug: 'shared', name: 'Shared', price: 0, requestsPerMinute: 4 } });
    planId = plan.json().id;
    const month = await a.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/plans`, headers: admin.headers, payload: { slug: 'month', name: 'Month', price: 0, requestsPerMonth: 6 } });
    monthPlanId = month.json().id;
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await a.dropDatabase();
    upstream.close();
  });

  const keyOn = async (plan: string) => {
    const buyer = await signUp(a.app);
    const license = await issueLicense(a.app.db, a.app.licenseKeys, { userId: buyer.userId, email: null, productId: product.id, planId: plan, type: 'api_subscription' }, systemActor);
    const created = await a.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: 'k' } });
    return { buyer, ...(created.json() as { id: string; key: string }) };
  };
  const call = (t: TestApp, key: string) => t.app.inject({ method: 'GET', url: `/api/gateway/${product.slug}/x`, headers: { authorization: `Bearer ${key}` } });

  it('share the per-minute limit', async () => {
    const { key } = await keyOn(planId);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, key)));
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(4);
    expect(answers.filter((r) => r.statusCode === 429)).toHaveLength(6);
  });

  it('share the monthly quota exactly', async () => {
    const { key } = await keyOn(monthPlanId);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 ? a : b, key)));
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(6);
  });

  it('stop a key revoked on the other instance within a second', async () => {
    const { key, id, buyer } = await keyOn(planId);
    expect((await call(b, key)).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: `/api/api-keys/${id}`, headers: buyer.headers })).statusCode).toBe(200);
    expect(await eventually(async () => (await call(b, key)).statusCode === 401, 1000)).toBe(true);
  });
});
