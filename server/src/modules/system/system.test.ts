import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';

describe('kill switches and flags', () => {
  let a: TestApp & { dropDatabase(): Promise<void> };
  let b: TestApp;
  let admin: Awaited<ReturnType<typeof asAdmin>>;

  beforeAll(async () => {
    a = await createTestApp();
    // A second instance on the same database, as behind a load balancer.
    b = await createTestApp({ url: a.database.url });
    admin = await asAdmin(a.app);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await a.dropDatabase();
  });

  it('reports every switch released on a fresh database', async () => {
    const response = await a.app.inject({ method: 'GET', url: '/api/status' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      killSwitches: { payments: false, downloads: false, licensing: false, referrals: false, ai: false, support: false },
      version: expect.any(String),
    });
  });

  it('answers /api/status from memory, without a query', async () => {
    const pool = a.database.pool;
    let queries = 0;
    const query = pool.query.bind(pool);
    const connect = pool.connect.bind(pool);
    pool.query = ((...args: Parameters<typeof pool.query>) => (queries++, query(...args))) as typeof pool.query;
    pool.connect = ((...args: Parameters<typeof pool.connect>) => (queries++, connect(...args))) as typeof pool.connect;
    try {
      for (let i = 0; i < 20; i++) expect((await a.app.inject({ method: 'GET', url: '/api/status' })).statusCode).toBe(200);
    } finally {
      pool.query = query;
      pool.connect = connect;
    }
    expect(queries).toBe(0);
  });

  it('requires a reason to engage a switch', async () => {
    const response = await a.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switches/payments',
      headers: admin.headers,
      payload: { engaged: true },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.details).toEqual([expect.objectContaining({ path: 'body.reason' })]);
    expect(a.app.live.isEngaged('payments')).toBe(false);
  });

  it('propagates an engaged switch to another instance within a second, with an audit event', async () => {
    const response = await a.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switches/downloads',
      headers: admin.headers,
      payload: { engaged: true, reason: 'storage outage' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'downloads', engaged: true, reason: 'storage outage', updatedBy: { id: admin.userId } });

    expect(await eventually(() => b.app.live.isEngaged('downloads'), 1000)).toBe(true);
    const status = await b.app.inject({ method: 'GET', url: '/api/status' });
    expect(status.json().killSwitches.downloads).toBe(true);

    const audit = await a.app.inject({
      method: 'GET',
      url: '/api/admin/audit?entityType=kill_switch&entityId=downloads',
      headers: admin.headers,
    });
    expect(audit.json().data[0]).toMatchObject({
      action: 'kill_switch.engage',
      actor: { id: admin.userId },
      before: { engaged: false },
      after: { engaged: true },
      reason: 'storage outage',
    });

    await a.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switches/downloads',
      headers: admin.headers,
      payload: { engaged: false, reason: 'storage back' },
    });
    expect(await eventually(() => !b.app.live.isEngaged('downloads'), 1000)).toBe(true);
  });

  it('does not write a second audit event when nothing changes', async () => {
    const put = () =>
      a.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/ai', headers: admin.headers, payload: { engaged: true, reason: 'model drift' } });
    await put();
    await put();
    const audit = await a.app.inject({ method: 'GET', url: '/api/admin/audit?entityId=ai', headers: admin.headers });
    expect(audit.json().data).toHaveLength(1);
  });

  it('lets only admins change switches and flags', async () => {
    const customer = await signUp(a.app);
    for (const headers of [{}, customer.headers]) {
      const response = await a.app.inject({
        method: 'PUT',
        url: '/api/admin/kill-switches/payments',
        headers,
        payload: { engaged: true, reason: 'not allowed' },
      });
      expect(response.statusCode).toBe(headers === customer.headers ? 403 : 401);
    }
    expect(a.app.live.isEngaged('payments')).toBe(false);
  });

  it('creates and rolls out a flag to a stable share of users', async () => {
    const response = await a.app.inject({
      method: 'PUT',
      url: '/api/admin/flags/new-dashboard',
      headers: admin.headers,
      payload: { enabled: true, rollout: 30, description: 'The new dashboard', reason: 'beta' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ key: 'new-dashboard', enabled: true, rollout: 30 });
    // Both instances hear of the new flag through NOTIFY, not only the one that wrote it.
    for (const instance of [a, b]) {
      expect(await eventually(() => instance.app.live.flagKeys().includes('new-dashboard'), 1000)).toBe(true);
    }

    const ids = Array.from({ length: 2000 }, (_, i) => `usr_${i}`);
    const on = ids.filter((id) => b.app.live.isFlagEnabled('new-dashboard', id)).length;
    expect(on / ids.length).toBeGreaterThan(0.25);
    expect(on / ids.length).toBeLessThan(0.35);
    // Stable: the same user gets the same answer every time.
    expect(ids.map((id) => b.app.live.isFlagEnabled('new-dashboard', id))).toEqual(
      ids.map((id) => a.app.live.isFlagEnabled('new-dashboard', id)),
    );
    expect(a.app.live.isFlagEnabled('new-dashboard', null)).toBe(false);

    const flags = await a.app.inject({ method: 'GET', url: '/api/admin/flags', headers: admin.headers });
    expect(flags.json().data).toEqual([expect.objectContaining({ key: 'new-dashboard', description: 'The new dashboard' })]);

    const bad = await a.app.inject({
      method: 'PUT',
      url: '/api/admin/flags/Bad Key!',
      headers: admin.headers,
      payload: { enabled: true, rollout: 150, reason: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
