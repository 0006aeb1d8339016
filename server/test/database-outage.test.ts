import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { asAdmin, createTestApp, createTestDatabase, eventually, signUp, type TestApp } from './helpers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The database goes away while the server runs (network cut, failover, restart) and comes back.
 * The app reaches its database through a TCP proxy that the test cuts and restores; a second
 * instance, connected directly, plays the part of the rest of the cluster.
 */
describe('database lost while running', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let proxied: TestApp;
  let direct: TestApp;
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let customer: Awaited<ReturnType<typeof signUp>>;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);
  // Failures are for the app's logger (structured, redacted), not raw console output.
  let consoleError: MockInstance<typeof console.error>;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    consoleError = vi.spyOn(console, 'error');
    created = await createTestDatabase();
    const target = new URL(created.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    const viaProxy = new URL(created.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    proxied = await createTestApp({ url: viaProxy.toString() });
    direct = await createTestApp({ url: created.url });
    admin = await asAdmin(proxied.app);
    customer = await signUp(proxied.app);
  });

  afterAll(async () => {
    await proxy?.restore();
    await proxied?.close();
    await direct?.close();
    await proxy?.close();
    await created?.drop();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    consoleError?.mockRestore();
  });

  const get = (url: string, headers: Record<string, string> = {}) => proxied.app.inject({ method: 'GET', url, headers });

  function expectUnavailable(response: LightMyRequestResponse) {
    expect(response.statusCode, response.body).toBe(503);
    const body = response.json() as { error: { code: string; message: string; requestId: string } };
    expect(body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), requestId: expect.any(String) } });
    // Nothing about the internals reaches the client.
    expect(body.error.message).not.toMatch(/ECONN|127\.0\.0\.1|postgres|select|terminated|pg_|stack/i);
    expect(body.error.requestId).toBe(response.headers['x-request-id']);
  }

  it('works normally through the proxy', async () => {
    expect((await get('/readyz')).statusCode).toBe(200);
    expect((await get('/api/admin/users', admin.headers)).statusCode).toBe(200);
    expect((await get('/api/flags', customer.headers)).statusCode).toBe(200);
    expect(proxy.connections).toBeGreaterThan(0);
  });

  describe('while the database is unreachable', () => {
    beforeAll(async () => {
      await proxy.cut();
    });

    it('reports not ready with 503 SERVICE_UNAVAILABLE', async () => {
      const response = await get('/readyz');
      expectUnavailable(response);
      expect(response.json().error.message).toBe('The database is not reachable');
    });

    it('stays alive: liveness and the in-memory status still answer', async () => {
      expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
      const status = await get('/api/status');
      expect(status.statusCode).toBe(200);
      expect(status.json().killSwitches.payments).toBe(false);
    });

    it('answers an authenticated admin request with 503, not 401 or 500', async () => {
      const response = await get('/api/admin/users', admin.headers);
      expectUnavailable(response);
      expect(response.headers['retry-after']).toBe('5');
    });

    it('answers an authenticated customer request with 503, not a silently anonymous answer', async () => {
      expectUnavailable(await get('/api/flags', customer.headers));
    });

    it('answers a sign-in with 503, not 500', async () => {
      const response = await proxied.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        payload: { email: customer.email, password: customer.password },
      });
      expectUnavailable(response);
    });

    it('did not crash the process or leave unhandled errors', () => {
      expect(unhandled).toEqual([]);
    });

    it('wrote nothing to the console (no stack traces or query parameters outside the logger)', () => {
      expect(consoleError.mock.calls.map((args) => String(args[0]))).toEqual([]);
    });
  });

  describe('after the database comes back', () => {
    beforeAll(async () => {
      // A change made elsewhere while this instance could not hear about it.
      const directAdmin = await asAdmin(direct.app);
      const engaged = await direct.app.inject({
        method: 'PUT',
        url: '/api/admin/kill-switches/downloads',
        headers: directAdmin.headers,
        payload: { engaged: true, reason: 'changed during the outage' },
      });
      expect(engaged.statusCode).toBe(200);
      expect(proxied.app.live.isEngaged('downloads')).toBe(false);
      await proxy.restore();
    });

    it('becomes ready again within a few seconds', async () => {
      expect(await eventually(async () => (await get('/readyz')).statusCode === 200, 5000, 100)).toBe(true);
      expect((await get('/readyz')).json()).toEqual({ status: 'ready' });
    });

    it('serves authenticated requests again with the same sessions', async () => {
      expect(await eventually(async () => (await get('/api/admin/users', admin.headers)).statusCode === 200, 5000, 100)).toBe(true);
      const users = await get('/api/admin/users', admin.headers);
      expect(JSON.stringify(users.json())).toContain(customer.email);
      const flags = await get('/api/flags', customer.headers);
      expect(flags.statusCode).toBe(200);
      const again = await proxied.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        payload: { email: customer.email, password: customer.password },
      });
      expect(again.statusCode).toBe(200);
    });

    it('catches up on a kill switch changed while it was cut off', async () => {
      expect(await eventually(() => proxied.app.live.isEngaged('downloads'), 5000, 50)).toBe(true);
      expect((await get('/api/status')).json().killSwitches.downloads).toBe(true);
    });

    it('listens for changes again: a switch engaged on another instance arrives', async () => {
      // Wait until the listener is back (it reloads on reconnect, which the previous test observed).
      const directAdmin = await asAdmin(direct.app);
      const response = await direct.app.inject({
        method: 'PUT',
        url: '/api/admin/kill-switches/payments',
        headers: directAdmin.headers,
        payload: { engaged: true, reason: 'provider outage' },
      });
      expect(response.statusCode).toBe(200);
      expect(await eventually(() => proxied.app.live.isEngaged('payments'), 3000, 25)).toBe(true);
      expect((await get('/api/status')).json().killSwitches.payments).toBe(true);
    });

    it('left no unhandled errors behind', () => {
      expect(unhandled).toEqual([]);
    });
  });
});
