import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, type TestApp } from '../../../test/helpers.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { ServiceTokenCache } from './service-tokens.js';
import { apiServiceTokens } from './tables.js';

// Service tokens for POST /api/keys/verify are cached per instance; a revoke reaches every instance through
// LISTEN/NOTIFY, so a revoked token stops everywhere within about a second (no Redis involved).
describe('service tokens on two instances', () => {
  let a: TestApp & { dropDatabase(): Promise<void> };
  let b: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  const unknownKey = `mk_live_${'Z'.repeat(43)}`;

  beforeAll(async () => {
    a = await createTestApp({ env: { API_USAGE_FLUSH_MS: '60000' } });
    b = await createTestApp({ url: a.database.url, env: { API_USAGE_FLUSH_MS: '60000' } });
    admin = await asAdmin(a.app);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await a.dropDatabase();
  });

  const createToken = async (name: string) => {
    const response = await a.app.inject({ method: 'POST', url: '/api/admin/service-tokens', headers: admin.headers, payload: { name } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; token: string };
  };
  /** A verify call: 200 (an unknown key is an outcome) while the token works, 401 once it does not. */
  const verify = (t: TestApp, token: string) =>
    t.app.inject({ method: 'POST', url: '/api/keys/verify', headers: { authorization: `Bearer ${token}` }, payload: { key: unknownKey } });

  it('stops a token revoked on one instance on the other within a second', async () => {
    const { id, token } = await createToken('Backend');
    const ok = await verify(b, token);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    expect((await verify(a, token)).statusCode).toBe(200);
    expect(b.app.apiAccess.serviceTokens.size).toBeGreaterThan(0);

    const revoked = await a.app.inject({ method: 'DELETE', url: `/api/admin/service-tokens/${id}`, headers: admin.headers });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    // The instance that revoked it refuses it at once.
    const here = await verify(a, token);
    expect(here.statusCode).toBe(401);
    expect(here.json().error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
    // The other one within a second (its cache would otherwise keep the token for 30 s).
    const started = Date.now();
    expect(await eventually(async () => (await verify(b, token)).statusCode === 401, 1000, 10)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);

    const audit = await a.app.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
    expect(audit.map((e) => e.action).sort()).toEqual(['service_token.create', 'service_token.revoke']);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('keeps the other tokens cached and working', async () => {
    const first = await createToken('One');
    const second = await createToken('Two');
    expect((await verify(b, first.token)).statusCode).toBe(200);
    expect((await verify(b, second.token)).statusCode).toBe(200);
    await a.app.inject({ method: 'DELETE', url: `/api/admin/service-tokens/${first.id}`, headers: admin.headers });
    expect(await eventually(async () => (await verify(b, first.token)).statusCode === 401, 1000, 10)).toBe(true);
    // Revoked straight in the database, without a NOTIFY: the cached copy still answers, so the NOTIFY is what
    // stopped the first one (and the cache really holds tokens).
    await a.app.db.update(apiServiceTokens).set({ revokedAt: new Date() }).where(eq(apiServiceTokens.id, second.id));
    expect((await verify(b, second.token)).statusCode).toBe(200);
    b.app.apiAccess.serviceTokens.clear();
    expect((await verify(b, second.token)).statusCode).toBe(401);
  });

  it('does not keep a load that was in flight when the token was revoked', async () => {
    const { id, token } = await createToken('Race');
    const cache = new ServiceTokenCache(a.app.db, { ttlMs: 30_000, negativeTtlMs: 10_000, maxEntries: 100 });
    const loading = cache.authenticate(`Bearer ${token}`);
    cache.forget(id);
    await expect(loading).resolves.toMatchObject({ id });
    expect(cache.size).toBe(0);
    await a.app.db.update(apiServiceTokens).set({ revokedAt: new Date() }).where(eq(apiServiceTokens.id, id));
    await expect(cache.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses missing, malformed and unknown tokens with 401 in the error shape; only admins manage tokens', async () => {
    for (const authorization of [undefined, 'Bearer nope', `Bearer mst_${'x'.repeat(43)}`, `Basic mst_${'x'.repeat(43)}`]) {
      const response = await a.app.inject({ method: 'POST', url: '/api/keys/verify', headers: authorization ? { authorization } : {}, payload: { key: unknownKey } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
    }
    const { token } = await createToken('Shape');
    const bad = await a.app.inject({ method: 'POST', url: '/api/keys/verify', headers: { authorization: `Bearer ${token}` }, payload: { key: unknownKey, cost: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect((await a.app.inject({ method: 'GET', url: '/api/admin/service-tokens' })).statusCode).toBe(401);
    const list = await a.app.inject({ method: 'GET', url: '/api/admin/service-tokens', headers: admin.headers });
    expect(list.body).not.toContain(token);
  });
});
