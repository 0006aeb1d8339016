import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../test/helpers.js';
import { registerErrorHandling } from './http-errors.js';
import { registerGuard, requireSwitch } from './guard.js';

describe('route guard', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('refuses to start when a route declares no access rule', async () => {
    const app = Fastify();
    registerGuard(app, t.app.auth);
    expect(() => app.get('/api/forgotten', async () => 'oops')).toThrow(/declares no access rule/);
  });

  it('gives every route an access rule, and only the expected ones are public', () => {
    const publicRoutes = t.app.accessRules.filter((r) => r.access === 'public' && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    const allowed = [
      /^GET \/(healthz|readyz|metrics|sitemap\.xml|robots\.txt)$/,
      /^GET \/media\/\*$/,
      /^GET \/api\/(status|flags|openapi\.json|categories)$/,
      /^GET \/api\/products(\/:slug(\/(plans|sources))?)?$/,
      /^(GET|POST) \/api\/auth\/\*$/,
      /^GET \/api\/docs/,
      // Payment providers call these, and the sandbox gateway's hosted page (anyone holding the session id).
      /^POST \/api\/webhooks\/:provider$/,
      /^(GET \/api\/pay\/sandbox\/:sessionId|POST \/api\/pay\/sandbox\/:sessionId\/(pay|decline))$/,
      // Downloads: asking for a link decides who may (freebies need no account); the link itself is the capability.
      /^(POST \/api\/products\/:slug\/download|GET \/api\/products\/:slug\/download-access|GET \/api\/download\/:token)$/,
      // Installed software checks its licence with the key alone; the lease key is public by nature.
      /^(POST \/api\/licenses\/(validate|activate|deactivate)|GET \/api\/licenses\/public-key)$/,
      // The gateway and the verify endpoint authenticate with an API key or a service token, not a session.
      /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/api\/gateway\/:productSlug(\/\*)?$/,
      /^POST \/api\/keys\/verify$/,
      // The demo upstream the seeded API products point at (demo mode only).
      /^(GET|POST) \/api\/demo-upstream\/:api\/[a-z/:]+$/,
    ];
    for (const route of publicRoutes) expect(allowed.some((re) => re.test(route)), route).toBe(true);
  });

  it('answers 401 to anonymous and 403 to customers on every admin route', async () => {
    const adminRoutes = t.app.accessRules.filter((r) => r.url.startsWith('/api/admin'));
    expect(adminRoutes.every((r) => r.access === 'admin')).toBe(true);
    expect(adminRoutes.length).toBeGreaterThanOrEqual(8);
    const customer = await signUp(t.app);
    for (const route of adminRoutes) {
      const url = route.url.replace(/:(\w+)/g, 'x');
      const method = route.method as 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      const anonymous = await t.app.inject({ method, url, payload: method === 'GET' || method === 'HEAD' ? undefined : {} });
      expect(anonymous.statusCode, `${route.method} ${url} anonymous`).toBe(401);
      if (method !== 'HEAD') expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
      const asCustomer = await t.app.inject({
        method,
        url,
        headers: customer.headers,
        payload: method === 'GET' || method === 'HEAD' ? undefined : {},
      });
      expect(asCustomer.statusCode, `${route.method} ${url} as customer`).toBe(403);
    }
  });

  it('lets an admin through, and a support agent only where support is allowed', async () => {
    const admin = await asAdmin(t.app);
    const ok = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: admin.headers });
    expect(ok.statusCode).toBe(200);
    const agent = await signUp(t.app);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/admin/users/${agent.userId}`,
      headers: admin.headers,
      payload: { role: 'support', reason: 'joins the support team' },
    });
    const denied = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: agent.headers });
    expect(denied.statusCode).toBe(403);
  });

  it('treats a garbage or revoked token as signed out', async () => {
    const garbage = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: { authorization: 'Bearer not-a-token' } });
    expect(garbage.statusCode).toBe(401);
    const user = await signUp(t.app);
    await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: user.headers, payload: {} });
    const after = await t.app.inject({ method: 'GET', url: '/api/auth/get-session', headers: user.headers });
    expect(after.json()).toBeNull();
  });

  it('requireSwitch refuses new work with 503 KILL_SWITCH_ACTIVE while the switch is engaged', async () => {
    const admin = await asAdmin(t.app);
    const app = Fastify();
    app.decorate('live', t.app.live);
    registerErrorHandling(app);
    registerGuard(app, t.app.auth);
    app.post('/api/things', { config: { access: 'public' }, preHandler: requireSwitch('downloads') }, async () => ({ made: true }));
    await app.ready();
    expect((await app.inject({ method: 'POST', url: '/api/things', payload: {} })).json()).toEqual({ made: true });

    await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/downloads', headers: admin.headers, payload: { engaged: true, reason: 'drill' } });
    expect(await eventually(() => t.app.live.isEngaged('downloads'))).toBe(true);
    const refused = await app.inject({ method: 'POST', url: '/api/things', payload: {} });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'KILL_SWITCH_ACTIVE', details: { switch: 'downloads' } });

    await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/downloads', headers: admin.headers, payload: { engaged: false, reason: 'drill over' } });
    expect(await eventually(() => !t.app.live.isEngaged('downloads'))).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/things', payload: {} })).statusCode).toBe(200);
    await app.close();
  });
});
