import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { issueLicense } from '../licensing/service.js';

// The admin's endpoint editor: PATCH /api/admin/api-endpoints/{id} changes method, path, name, weight, plans or
// whether it is active, only the fields sent, and the gateway applies the change within a second.
describe('editing gateway endpoints', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let upstream: http.Server;
  let product: { id: string; slug: string };
  const plans: Record<string, string> = {};

  const add = async (body: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/api-endpoints`, headers: admin.headers, payload: { name: 'Endpoint', ...body } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string };
  };
  const patch = (id: string, body: unknown, headers: Record<string, string> = admin.headers) =>
    t.app.inject({ method: 'PATCH', url: `/api/admin/api-endpoints/${id}`, headers, payload: body as Record<string, unknown> });
  const keyOn = async (plan: string) => {
    const buyer = await signUp(t.app);
    const license = await issueLicense(t.app.db, t.app.licenseKeys, { userId: buyer.userId, email: null, productId: product.id, planId: plans[plan]!, type: 'api_subscription' }, systemActor);
    const created = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: 'k' } });
    return { buyer, key: created.json().key as string };
  };
  const call = (key: string, path: string, method: 'GET' | 'POST' = 'GET') =>
    t.app.inject({ method, url: `/api/gateway/${product.slug}${path}`, headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    upstream = http.createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    t = await createTestApp({ env: { API_USAGE_FLUSH_MS: '60000' } });
    admin = await asAdmin(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Editable API', type: 'api_service', price: 0, apiConfig: { baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` } });
    for (const slug of ['free', 'pro']) {
      const plan = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/plans`, headers: admin.headers, payload: { slug, name: slug, price: 0, requestsPerMonth: 1000 } });
      plans[slug] = plan.json().id;
    }
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    upstream.close();
  });

  it('changes only the fields sent (a PATCH of the name keeps weight, plans and state)', async () => {
    const { id } = await add({ method: 'GET', path: '/reports', weight: 7, planIds: [plans.pro], isActive: false });
    const renamed = await patch(id, { name: 'Reports' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ id, method: 'GET', path: '/reports', name: 'Reports', weight: 7, planIds: [plans.pro], isActive: false });
    const listed = await t.app.inject({ method: 'GET', url: `/api/admin/products/${product.id}/api-endpoints`, headers: admin.headers });
    expect(listed.json().data.find((e: { id: string }) => e.id === id)).toMatchObject({ weight: 7, planIds: [plans.pro], isActive: false });
  });

  it('applies a new method, path, weight and plans at the gateway within a second, audited before and after', async () => {
    const { id } = await add({ method: 'GET', path: '/users/{id}', weight: 2 });
    const free = await keyOn('free');
    const first = await call(free.key, '/users/1');
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-remaining']).toBe('998');

    const changed = await patch(id, { method: 'POST', path: '/people/{id}', weight: 5, planIds: [plans.pro] });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ method: 'POST', path: '/people/{id}', weight: 5, planIds: [plans.pro] });
    // The old route is gone and the free plan may not call the new one.
    expect(await eventually(async () => (await call(free.key, '/users/1')).statusCode === 404, 1000)).toBe(true);
    expect((await call(free.key, '/people/1', 'POST')).statusCode).toBe(403);
    const pro = await keyOn('pro');
    const charged = await call(pro.key, '/people/1', 'POST');
    expect(charged.statusCode).toBe(200);
    expect(charged.headers['ratelimit-remaining']).toBe('995');

    const [audit] = await t.app.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, 'api_endpoint.update')));
    expect(audit!.before).toMatchObject({ method: 'GET', path: '/users/{id}', weight: 2, planIds: [] });
    expect(audit!.after).toMatchObject({ method: 'POST', path: '/people/{id}', weight: 5, planIds: [plans.pro] });

    // Switched off: the gateway no longer lets it through.
    expect((await patch(id, { isActive: false })).statusCode).toBe(200);
    expect(await eventually(async () => (await call(pro.key, '/people/1', 'POST')).statusCode === 404, 1000)).toBe(true);
    // Every endpoint of the product is off now: that closes the API, it does not open every path.
    const listed = await t.app.inject({ method: 'GET', url: `/api/admin/products/${product.id}/api-endpoints`, headers: admin.headers });
    expect(listed.json().data.every((e: { isActive: boolean }) => !e.isActive)).toBe(true);
    expect((await call(pro.key, '/anything')).statusCode).toBe(404);
  });

  it('charges the new weight against the quota', async () => {
    const { id } = await add({ method: 'GET', path: '/weighed', weight: 1 });
    const { key } = await keyOn('free');
    const remaining = async () => Number((await call(key, '/weighed')).headers['ratelimit-remaining']);
    expect(await remaining()).toBe(999);
    expect((await patch(id, { weight: 10 })).statusCode).toBe(200);
    let last = 999;
    expect(await eventually(async () => {
      const now = await remaining();
      const step = last - now;
      last = now;
      return step === 10;
    }, 1000)).toBe(true);
  });

  it('refuses a clash (409), bad input (400), unknown ids (404) and non-admins', async () => {
    const a = await add({ method: 'GET', path: '/a' });
    const b = await add({ method: 'GET', path: '/b' });
    const clash = await patch(b.id, { path: '/a' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error).toMatchObject({ code: 'CONFLICT', requestId: expect.any(String), details: [{ path: 'body.path' }] });
    // Same path, other method: no clash.
    expect((await patch(b.id, { method: 'POST', path: '/a' })).statusCode).toBe(200);
    expect((await patch(a.id, { method: 'POST' })).json().error).toMatchObject({ code: 'CONFLICT', details: [{ path: 'body.method' }] });

    for (const body of [{}, { weight: 0 }, { weight: 101 }, { path: 'no-slash' }, { path: '/a b' }, { method: 'TRACE' }, { name: '' }, { planIds: 'x' }, { weight: null }]) {
      const response = await patch(a.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
    }
    const strangePlan = await patch(a.id, { planIds: ['pln_not_ours'] });
    expect(strangePlan.statusCode).toBe(400);
    expect(strangePlan.json().error.details).toEqual([{ path: 'body.planIds', message: 'Unknown plan' }]);
    expect((await patch('ep_nope', { name: 'x' })).statusCode).toBe(404);

    const customer = await signUp(t.app);
    expect((await patch(a.id, { name: 'x' }, customer.headers)).statusCode).toBe(403);
    expect((await patch(a.id, { name: 'x' }, {})).statusCode).toBe(401);
  });

  it('lets exactly one of two racing edits take a method and path', async () => {
    const x = await add({ method: 'GET', path: '/x' });
    const y = await add({ method: 'GET', path: '/y' });
    const answers = await Promise.all([patch(x.id, { path: '/z' }), patch(y.id, { path: '/z' })]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });
});
