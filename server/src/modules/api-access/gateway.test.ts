import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { mailbox } from '../mail/tables.js';
import { issueLicense } from '../licensing/service.js';
import { forwardRequestHeaders, safeUpstreamPath } from './proxy.js';
import { writeBatch, type UsageEvent } from './metering.js';
import { apiKeys, apiUsageEvents } from './tables.js';

/**
 * An upstream that echoes what reached it; `/fail` closes the socket, `/hang` never answers, `/status/:n` answers n,
 * `/big/:n` streams n bytes, `/cut` sends part of an answer and hangs up.
 */
function startUpstream() {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.includes('/fail')) return req.socket.destroy();
      if (req.url!.includes('/hang')) return;
      const big = /\/big\/(\d+)/.exec(req.url!)?.[1];
      if (big) return streamBytes(res, Number(big));
      if (req.url!.includes('/cut')) {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('x'.repeat(100));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const status = /\/status\/(\d{3})/.exec(req.url!)?.[1];
      res.writeHead(status ? Number(status) : 200, { 'content-type': 'application/json', connection: 'keep-alive', 'set-cookie': 'upstream=1', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  return new Promise<{ url: string; seen: typeof seen; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}

/** `size` bytes in 64 KiB writes, waiting for the socket to drain as a real server does. */
function streamBytes(res: http.ServerResponse, size: number) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let left = size;
  const more = () => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) return res.once('drain', more);
    }
    res.end();
  };
  more();
}

describe('API gateway', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let product: { id: string; slug: string };
  let deadProduct: { id: string; slug: string };
  const planIds: Record<string, string> = {};

  const makePlan = async (productId: string, slug: string, body: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/admin/products/${productId}/plans`, headers: admin.headers, payload: { slug, name: slug, price: 0, ...body } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  /** A buyer with an API subscription on `plan` (what fulfilment grants) and a way to make keys. */
  const subscriber = async (plan: string, forProduct = product) => {
    const buyer = await signUp(t.app);
    const license = await issueLicense(t.app.db, t.app.licenseKeys, { userId: buyer.userId, email: null, productId: forProduct.id, planId: planIds[plan]!, type: 'api_subscription' }, systemActor);
    const createKey = async (body: Record<string, unknown> = {}) => {
      const response = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: 'Key', ...body } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { id: string; key: string; prefix: string };
    };
    return { buyer, license, createKey };
  };
  const call = (key: string | null, path = '/hello', options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; payload?: string; remoteAddress?: string; slug?: string } = {}) =>
    t.app.inject({
      method: options.method ?? 'GET', url: `/api/gateway/${options.slug ?? product.slug}${path}`, payload: options.payload, remoteAddress: options.remoteAddress,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
    });
  const flush = () => t.app.apiAccess.meter.flush();
  /** The app on a real socket (the hot lane serves the gateway there), listening once for the file. */
  let listening: Promise<string> | null = null;
  const address = () => (listening ??= t.app.listen({ port: 0, host: '127.0.0.1' }));
  const eventsOf = async (keyId: string) => { await flush(); return t.app.db.select().from(apiUsageEvents).where(eq(apiUsageEvents.keyId, keyId)); };

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await createTestApp({ env: { API_USAGE_FLUSH_MS: '60000' } });
    admin = await asAdmin(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Echo API', type: 'api_service', price: 0, apiConfig: { baseUrl: `${upstream.url}/v1` } });
    deadProduct = await createProduct(t.app, admin.headers, { title: 'Dead API', type: 'api_service', price: 0, apiConfig: { baseUrl: 'http://127.0.0.1:1' } });
    planIds.basic = await makePlan(product.id, 'basic', { requestsPerMinute: 1000, requestsPerDay: 100000, requestsPerMonth: 100000, limits: { keys: 3, domains: 2 } });
    planIds.tiny = await makePlan(product.id, 'tiny', { requestsPerMinute: 3 });
    planIds.month = await makePlan(product.id, 'month', { requestsPerMonth: 10 });
    planIds.dead = await makePlan(deadProduct.id, 'dead', { requestsPerMonth: 5 });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    await upstream.close();
  });

  describe('keys', () => {
    it('creates mk_live_/mk_test_ keys of 256 bits, stored as a SHA-256 hash, shown once', async () => {
      const { buyer, createKey } = await subscriber('basic');
      const live = await createKey();
      expect(live.key).toMatch(/^mk_live_[0-9A-Za-z]{43}$/);
      expect(43 * Math.log2(62)).toBeGreaterThan(256);
      const test = await createKey({ environment: 'test' });
      expect(test.key).toMatch(/^mk_test_/);
      const [row] = await t.app.db.select().from(apiKeys).where(eq(apiKeys.id, live.id));
      expect(row!.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(live.key.slice(8));
      const list = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: buyer.headers });
      expect(list.body).not.toContain(live.key);
      expect(list.json().data.map((k: { prefix: string }) => k.prefix)).toContain(live.prefix);
    });

    it('holds the plan key limit under 10 concurrent creations', async () => {
      const { buyer, license } = await subscriber('basic');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: `k${i}` } })));
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
      expect(results.filter((r) => r.statusCode === 409)).toHaveLength(7);
    });

    it('caps domains by plan, refuses bad IP rules and other people\'s licences', async () => {
      const { buyer, license } = await subscriber('basic');
      const tooMany = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: 'k', allowedDomains: ['a.com', 'b.com', 'c.com'] } });
      expect(tooMany.statusCode).toBe(400);
      const badIp = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: buyer.headers, payload: { licenseId: license.id, name: 'k', allowedIps: ['300.1.1.1/8'] } });
      expect(badIp.statusCode).toBe(400);
      const stranger = await signUp(t.app);
      const theirs = await t.app.inject({ method: 'POST', url: '/api/api-keys', headers: stranger.headers, payload: { licenseId: license.id, name: 'k' } });
      expect(theirs.statusCode).toBe(404);
    });
  });

  describe('proxying', () => {
    it('forwards method, path, query and body; strips the key, cookies and hop-by-hop headers', async () => {
      const { createKey } = await subscriber('basic');
      const { key, id } = await createKey();
      const response = await call(key, '/items/7?q=1', { method: 'POST', payload: '{"a":1}', headers: { 'content-type': 'application/json', cookie: 'mintreu.session_token=x', 'x-api-key': key, connection: 'x-secret', 'x-secret': 's', 'x-custom': 'ok' } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ method: 'POST', url: '/v1/items/7?q=1', body: '{"a":1}' });
      const seen = upstream.seen.at(-1)!;
      expect(seen.headers.authorization).toBeUndefined();
      expect(seen.headers['x-api-key']).toBeUndefined();
      expect(seen.headers.cookie).toBeUndefined();
      expect(seen.headers['x-secret']).toBeUndefined();
      expect(seen.headers['x-custom']).toBe('ok');
      expect(seen.headers['x-mintreu-key-id']).toBe(id);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(response.headers['x-upstream']).toBe('yes');
      expect(response.headers['ratelimit-limit']).toBe('1000');
      const xKey = await call(null, '/hello', { headers: { 'x-api-key': key } });
      expect(xKey.statusCode).toBe(200);
    });

    it('streams large answers and bodies both ways over a real socket, metering their bytes', async () => {
      const { createKey } = await subscriber('basic');
      const { key, id } = await createKey();
      const base = `${await address()}/api/gateway/${product.slug}`;
      const headers = { authorization: `Bearer ${key}` };
      const big = await fetch(`${base}/big/5000000`, { headers });
      expect(big.status).toBe(200);
      expect(big.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(big.headers.get('x-request-id')).toBeTruthy();
      expect((await big.arrayBuffer()).byteLength).toBe(5_000_000);

      const upload = 'b'.repeat(3_000_000);
      const echoed = await fetch(`${base}/echo`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: upload });
      expect(echoed.status).toBe(200);
      expect(((await echoed.json()) as { body: string }).body.length).toBe(3_000_000);

      // The upstream hangs up mid-answer: the caller's connection is cut, not given a short answer as complete.
      await expect(fetch(`${base}/cut`, { headers }).then((r) => r.text())).rejects.toThrow();

      const events = await eventsOf(id);
      const byEndpoint = (path: string) => events.find((e) => e.endpoint.includes(path))!;
      expect(byEndpoint('big').bytesOut).toBe(5_000_000);
      expect(byEndpoint('echo').bytesIn).toBe(3_000_000);
      expect(events).toHaveLength(3);
    });

    it('answers 401 for a missing or unknown key and a key of another product', async () => {
      expect((await call(null)).statusCode).toBe(401);
      const unknown = await call(`mk_live_${'A'.repeat(43)}`);
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'NOT_FOUND' } });
      expect((await call('not-a-key')).statusCode).toBe(401);
      const { createKey } = await subscriber('basic');
      const { key } = await createKey();
      expect((await call(key, '/hello', { slug: deadProduct.slug })).statusCode).toBe(403);
    });

    it('refuses path traversal and header injection', async () => {
      const { createKey } = await subscriber('basic');
      const { key } = await createKey();
      // Over a real socket: an injected request's URL would be normalised before it reached the router.
      const { hostname, port } = new URL(await address());
      const raw = (path: string) => new Promise<number>((resolve, reject) => {
        http.get({ hostname, port, path: `/api/gateway/${product.slug}${path}`, headers: { authorization: `Bearer ${key}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject);
      });
      for (const path of ['/%2e%2e/admin', '/a/%2E%2E/b', '/a/%2e/b', '/a%2fb', '/a%5cb', '/a/%00', '/a/%0d%0ax']) {
        expect(await raw(path), path).toBe(400);
      }
      expect(await raw('/a/b')).toBe(200);
      expect(upstream.seen.some((s) => s.url.includes('admin'))).toBe(false);
      // The API's root, with a query straight after the slug.
      expect(await raw('?q=2')).toBe(200);
      expect(upstream.seen.at(-1)!.url).toBe('/v1/?q=2');
      expect(safeUpstreamPath('/a/b%20c')).toBe('/a/b%20c');
      expect(safeUpstreamPath('/../x')).toBeNull();
      expect(forwardRequestHeaders({ 'x-a': 'ok\r\nx-injected: 1' }, [])).toBeNull();
      expect(forwardRequestHeaders({ 'x-a': 'ok', connection: 'keep-alive, x-b', 'transfer-encoding': 'chunked', 'x-b': 'hop', 'x-c': 'end-to-end' }, ['host', 'upstream'])).toEqual(['x-a', 'ok', 'x-c', 'end-to-end', 'host', 'upstream']);
    });
  });

  describe('rules', () => {
    it('revokes at once and everywhere: 401 after DELETE', async () => {
      const { buyer, createKey } = await subscriber('basic');
      const { key, id } = await createKey();
      expect((await call(key)).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'DELETE', url: `/api/api-keys/${id}`, headers: buyer.headers })).statusCode).toBe(200);
      expect(await eventually(async () => (await call(key)).statusCode === 401)).toBe(true);
      expect((await call(key)).json().error.details.reason).toBe('REVOKED');
    });

    it('rotates with a grace period in which both keys work; grace 0 stops the old one', async () => {
      const { buyer, createKey } = await subscriber('basic');
      const old = await createKey();
      const rotated = await t.app.inject({ method: 'POST', url: `/api/api-keys/${old.id}/rotate`, headers: buyer.headers, payload: { graceSeconds: 3600 } });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const fresh = rotated.json();
      expect(fresh.key).not.toBe(old.key);
      expect((await call(old.key)).statusCode).toBe(200);
      expect((await call(fresh.key)).statusCode).toBe(200);
      const again = await t.app.inject({ method: 'POST', url: `/api/api-keys/${fresh.id}/rotate`, headers: buyer.headers, payload: { graceSeconds: 0 } });
      expect(await eventually(async () => (await call(fresh.key)).statusCode === 401)).toBe(true);
      expect((await call(fresh.key)).json().error.details.reason).toBe('EXPIRED');
      expect((await call(again.json().key)).statusCode).toBe(200);
    });

    it('stops an expired key', async () => {
      const { createKey } = await subscriber('basic');
      const { key, id } = await createKey({ expiresAt: new Date(Date.now() + 3600_000).toISOString() });
      expect((await call(key)).statusCode).toBe(200);
      await t.app.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, id));
      t.app.apiAccess.cache.invalidateKey(id);
      expect((await call(key)).statusCode).toBe(401);
    });

    it('checks allowed domains against Origin/Referer; test keys may call from localhost', async () => {
      const { createKey } = await subscriber('basic');
      const { key } = await createKey({ allowedDomains: ['example.com'] });
      expect((await call(key, '/hello', { headers: { origin: 'https://evil.com' } })).statusCode).toBe(403);
      expect((await call(key)).statusCode).toBe(403);
      expect((await call(key, '/hello', { headers: { origin: 'https://app.example.com' } })).statusCode).toBe(200);
      expect((await call(key, '/hello', { headers: { referer: 'https://example.com/page' } })).statusCode).toBe(200);
      expect((await call(key, '/hello', { headers: { origin: 'http://localhost:3000' } })).statusCode).toBe(403);
      const test = await createKey({ environment: 'test', allowedDomains: ['example.com'] });
      expect((await call(test.key, '/hello', { headers: { origin: 'http://localhost:3000' } })).statusCode).toBe(200);
    });

    it('checks IP allow-lists with CIDR blocks', async () => {
      const { createKey } = await subscriber('basic');
      const { key } = await createKey({ allowedIps: ['10.0.0.0/8', '2001:db8::/32'] });
      expect((await call(key, '/hello', { remoteAddress: '192.168.1.1' })).statusCode).toBe(403);
      expect((await call(key, '/hello', { remoteAddress: '10.20.30.40' })).statusCode).toBe(200);
      expect((await call(key, '/hello', { remoteAddress: '2001:db8::1' })).statusCode).toBe(200);
    });

    it('stops keys of a revoked licence', async () => {
      const { license, createKey } = await subscriber('basic');
      const { key } = await createKey();
      expect((await call(key)).statusCode).toBe(200);
      await t.app.db.execute(sql`update licenses set state = 'revoked' where id = ${license.id}`);
      await t.app.db.execute(sql`select pg_notify('mintreu_licenses', ${license.id})`);
      expect(await eventually(async () => (await call(key)).statusCode === 401)).toBe(true);
    });

    it('applies endpoint allow-lists per plan and endpoint weights', async () => {
      const other = await createProduct(t.app, admin.headers, { title: 'Weighted API', type: 'api_service', price: 0, apiConfig: { baseUrl: upstream.url } });
      planIds.w = await makePlan(other.id, 'ww', { requestsPerMonth: 100 });
      planIds.w2 = await makePlan(other.id, 'ww2', { requestsPerMonth: 100 });
      const add = (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `/api/admin/products/${other.id}/api-endpoints`, headers: admin.headers, payload: body });
      expect((await add({ method: 'GET', path: '/users/{id}', name: 'User', weight: 5 })).statusCode).toBe(201);
      expect((await add({ method: 'POST', path: '/bulk', name: 'Bulk', planIds: [planIds.w2] })).statusCode).toBe(201);
      const { createKey, license } = await subscriber('w', other);
      const { key, id } = await createKey();
      const ok = await call(key, '/users/42', { slug: other.slug });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-remaining']).toBe('95');
      expect((await call(key, '/bulk', { slug: other.slug, method: 'POST' })).statusCode).toBe(403);
      expect((await call(key, '/nothing', { slug: other.slug })).statusCode).toBe(404);
      const events = await eventsOf(id);
      expect(events.map((e) => [e.endpoint, e.status, e.cost]).sort()).toEqual([['GET /nothing', 404, 0], ['GET /users/{id}', 200, 5], ['POST /bulk', 403, 0]].sort());
      expect(license.id).toBeTruthy();
    });
  });

  describe('limits', () => {
    it('answers 429 past the per-minute limit, with RateLimit-* and Retry-After', async () => {
      const { createKey } = await subscriber('tiny');
      const { key } = await createKey();
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await call(key));
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 429, 429]);
      expect(answers[2]!.headers['ratelimit-remaining']).toBe('0');
      const refused = answers[3]!;
      expect(refused.headers['ratelimit-limit']).toBe('3');
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'RATE_LIMITED', limit: 'minute' } });
    });

    it('enforces the monthly quota exactly under concurrency, alerts at 80/90/100% once each, and test keys cost nothing', async () => {
      const { buyer, createKey } = await subscriber('month');
      const { key, id } = await createKey();
      const test = await createKey({ environment: 'test' });
      for (let i = 0; i < 5; i++) expect((await call(test.key)).statusCode).toBe(200);
      const answers = await Promise.all(Array.from({ length: 25 }, () => call(key)));
      expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(10);
      const refused = answers.filter((a) => a.statusCode === 429);
      expect(refused).toHaveLength(15);
      expect(refused[0]!.json().error.details).toMatchObject({ reason: 'USAGE_EXCEEDED', limit: 'month' });
      await t.app.apiAccess.alerts.settle();
      const mails = await t.app.db.select().from(mailbox).where(eq(mailbox.to, buyer.email));
      expect(mails.map((m) => m.subject).filter((s) => s.includes('quota')).sort()).toEqual([
        'You have used 80% of your Echo API quota', 'You have used 90% of your Echo API quota', 'You have used your Echo API quota',
      ].sort());
      const events = await eventsOf(id);
      expect(events.reduce((s, e) => s + e.cost, 0)).toBe(10);
      const testEvents = await eventsOf(test.id);
      expect(testEvents.every((e) => e.cost === 0)).toBe(true);
    });

    it('answers 502 when the upstream is down, metered as an error and not charged', async () => {
      const { createKey, license } = await subscriber('dead', deadProduct);
      const { key, id } = await createKey();
      for (let i = 0; i < 7; i++) {
        const response = await call(key, '/x', { slug: deadProduct.slug });
        expect(response.statusCode).toBe(502);
        expect(response.json().error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', requestId: expect.any(String) });
      }
      const events = await eventsOf(id);
      expect(events).toHaveLength(7);
      expect(events.every((e) => e.status === 502 && e.cost === 0)).toBe(true);
      const period = { start: new Date(Date.now() - 86_400_000), end: new Date(Date.now() + 86_400_000) };
      expect(await t.app.apiAccess.limiter.used(license.id, period)).toBe(0);
    });
    it('answers 504 when the upstream does not answer within API_UPSTREAM_TIMEOUT_MS, metered as an error and not charged', async () => {
      // A second instance on the same database whose upstream timeout is short.
      const impatient = await createTestApp({ url: t.database.url, env: { API_USAGE_FLUSH_MS: '60000', API_UPSTREAM_TIMEOUT_MS: '300' } });
      try {
        const { createKey, license } = await subscriber('month');
        const { key, id } = await createKey();
        const hang = () => impatient.app.inject({ method: 'GET', url: `/api/gateway/${product.slug}/hang`, headers: { authorization: `Bearer ${key}` } });
        const started = Date.now();
        const answers = await Promise.all(Array.from({ length: 3 }, hang));
        // Ended by the timeout, not by anything else.
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        expect(Date.now() - started).toBeLessThan(5000);
        for (const response of answers) {
          expect(response.statusCode, response.body).toBe(504);
          expect(response.headers['content-type']).toMatch(/^application\/json/);
          expect(response.json()).toEqual({ error: { code: 'UPSTREAM_TIMEOUT', message: expect.any(String), requestId: expect.any(String) } });
        }
        await impatient.app.apiAccess.meter.flush();
        const events = await t.app.db.select().from(apiUsageEvents).where(eq(apiUsageEvents.keyId, id));
        expect(events).toHaveLength(3);
        expect(events.every((e) => e.status === 504 && e.cost === 0 && e.endpoint === 'GET /hang')).toBe(true);
        const rolled = await t.app.db.execute<{ calls: number; errors: number; cost: number }>(sql`select sum(calls)::int as calls, sum(errors)::int as errors, sum(cost)::int as cost from api_usage_hourly where key_id = ${id}`);
        expect(rolled.rows[0]).toEqual({ calls: 3, errors: 3, cost: 0 });
        const period = { start: new Date(Date.now() - 86_400_000), end: new Date(Date.now() + 86_400_000) };
        expect(await impatient.app.apiAccess.limiter.used(license.id, period)).toBe(0);
        // The whole monthly quota (10) is still there.
        const served = await Promise.all(Array.from({ length: 10 }, () => impatient.app.inject({ method: 'GET', url: `/api/gateway/${product.slug}/ok`, headers: { authorization: `Bearer ${key}` } })));
        expect(served.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
      } finally {
        await impatient.close();
      }
    });
  });

  describe('metering', () => {
    it('records every call served, exactly, under 300 concurrent calls', async () => {
      const { createKey } = await subscriber('basic');
      const { key, id } = await createKey();
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => call(key, `/m/${i % 7}`)));
      expect(answers.every((a) => a.statusCode === 200)).toBe(true);
      const events = await eventsOf(id);
      expect(events).toHaveLength(300);
      const rolled = await t.app.db.execute<{ calls: number }>(sql`select sum(calls)::int as calls from api_usage_hourly where key_id = ${id}`);
      expect(rolled.rows[0]!.calls).toBe(300);
      const usage = await t.app.inject({ method: 'GET', url: `/api/admin/api-keys/${id}/usage?interval=day`, headers: admin.headers });
      expect(usage.json().totals.calls).toBe(300);
    });

    it('writes a batch with COPY field for field, adds it to the hourly rollups, and rolls a bad batch back whole', async () => {
      const { createKey } = await subscriber('basic');
      const { id } = await createKey();
      const [license] = await t.app.db.select({ licenseId: apiKeys.licenseId }).from(apiKeys).where(eq(apiKeys.id, id));
      const hour = Date.UTC(2026, 10, 26, 9);
      // An endpoint label as an admin may write it: COPY's separators and escape character must survive the trip.
      const awkward = 'GET /a\tb\\c\nd\re';
      const event = (at: number, fields: Partial<UsageEvent> = {}): UsageEvent => ({
        keyId: id, licenseId: license!.licenseId, productId: product.id, environment: 'live', method: 'GET', endpoint: awkward,
        status: 200, cost: 2, latencyMs: 5, bytesIn: 10, bytesOut: 100, ip: null, at, ...fields,
      });
      await writeBatch(t.app.database.pool, [event(hour + 1), event(hour + 2, { status: 502, cost: 0, latencyMs: 40, ip: '203.0.113.9' }), event(hour + 3_600_000 + 7)]);
      await writeBatch(t.app.database.pool, [event(hour + 3, { latencyMs: 9, bytesOut: 1 })]);

      const events = await t.app.db.select().from(apiUsageEvents).where(eq(apiUsageEvents.keyId, id)).orderBy(apiUsageEvents.createdAt);
      expect(events.map((e) => [e.endpoint, e.status, e.ip, e.createdAt.getTime()])).toEqual([
        [awkward, 200, null, hour + 1], [awkward, 502, '203.0.113.9', hour + 2], [awkward, 200, null, hour + 3], [awkward, 200, null, hour + 3_600_000 + 7],
      ]);
      const hours = await t.app.db.execute<{ hour: Date; endpoint: string; calls: number; errors: number; cost: number; latency_ms_sum: number; latency_ms_max: number; bytes_in: number; bytes_out: number }>(
        sql`select hour, endpoint, calls, errors, cost, latency_ms_sum, latency_ms_max, bytes_in, bytes_out from api_usage_hourly where key_id = ${id} order by hour`);
      expect(hours.rows.map((r) => ({ ...r, hour: new Date(r.hour).getTime() }))).toEqual([
        { hour, endpoint: awkward, calls: 3, errors: 1, cost: 4, latency_ms_sum: 54, latency_ms_max: 40, bytes_in: 30, bytes_out: 201 },
        { hour: hour + 3_600_000, endpoint: awkward, calls: 1, errors: 0, cost: 2, latency_ms_sum: 5, latency_ms_max: 5, bytes_in: 10, bytes_out: 100 },
      ]);
      const [used] = await t.app.db.select({ lastUsedAt: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, id));
      expect(used!.lastUsedAt!.getTime()).toBe(hour + 3_600_000 + 7);

      // One unloadable row (a status that is not a number): nothing of the batch is kept, and the pool still works.
      await expect(writeBatch(t.app.database.pool, [event(hour + 20), event(hour + 21, { status: Number.NaN })])).rejects.toThrow();
      const after = await t.app.db.select().from(apiUsageEvents).where(eq(apiUsageEvents.keyId, id));
      expect(after).toHaveLength(4);
      const again = await t.app.db.execute<{ calls: number }>(sql`select sum(calls)::int as calls from api_usage_hourly where key_id = ${id}`);
      expect(again.rows[0]!.calls).toBe(4);
    });

    it('writes what is buffered on a clean stop', async () => {
      const other = await createTestApp({ url: t.database.url, env: { API_USAGE_FLUSH_MS: '60000' } });
      const { createKey } = await subscriber('basic');
      const { key, id } = await createKey();
      for (let i = 0; i < 20; i++) {
        const response = await other.app.inject({ method: 'GET', url: `/api/gateway/${product.slug}/x`, headers: { authorization: `Bearer ${key}` } });
        expect(response.statusCode).toBe(200);
      }
      expect(other.app.apiAccess.meter.pending).toBe(20);
      await other.close();
      const rows = await t.app.db.select().from(apiUsageEvents).where(and(eq(apiUsageEvents.keyId, id)));
      expect(rows).toHaveLength(20);
    });
  });

  describe('POST /api/keys/verify', () => {
    it('verifies with a service token, outcome as data', async () => {
      const created = await t.app.inject({ method: 'POST', url: '/api/admin/service-tokens', headers: admin.headers, payload: { name: 'Backend' } });
      expect(created.statusCode).toBe(201);
      const token = created.json().token as string;
      expect(token).toMatch(/^mst_/);
      const verify = (body: Record<string, unknown>, auth = `Bearer ${token}`) => t.app.inject({ method: 'POST', url: '/api/keys/verify', headers: { authorization: auth }, payload: body });
      const { buyer, createKey } = await subscriber('tiny');
      const { key, id } = await createKey();
      const valid = await verify({ key, productSlug: product.slug });
      expect(valid.statusCode).toBe(200);
      expect(valid.json()).toMatchObject({ valid: true, code: 'VALID', keyId: id, plan: { slug: 'tiny' }, ratelimit: { limit: 3, remaining: 2 } });
      expect((await verify({ key: `mk_live_${'B'.repeat(43)}` })).json()).toMatchObject({ valid: false, code: 'NOT_FOUND' });
      expect((await verify({ key, productSlug: deadProduct.slug })).json()).toMatchObject({ valid: false, code: 'FORBIDDEN' });
      await verify({ key });
      await verify({ key });
      expect((await verify({ key })).json()).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
      await t.app.inject({ method: 'DELETE', url: `/api/api-keys/${id}`, headers: buyer.headers });
      expect(await eventually(async () => (await verify({ key })).json().code === 'REVOKED')).toBe(true);
      expect((await verify({ key }, 'Bearer nope')).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key } })).statusCode).toBe(401);
    });
  });

  describe('external API credentials', () => {
    it('are sealed at rest, attached by an admin, shown to their owner on demand, never in lists or the audit log', async () => {
      const referral = await createProduct(t.app, admin.headers, { title: 'Partner Geo API', type: 'api_referral', price: 0, apiConfig: { baseUrl: upstream.url } });
      planIds.geo = await makePlan(referral.id, 'geo', { requestsPerMonth: 100 });
      const { buyer, license } = await subscriber('geo', referral);
      const secret = 'sk_partner_0123456789abcdef';
      const attach = (licenseId: string) => t.app.inject({ method: 'POST', url: '/api/admin/api-credentials', headers: admin.headers, payload: { licenseId, label: 'Geo account', apiKey: secret, apiSecret: 'shh-secret-part' } });
      const attached = await attach(license.id);
      expect(attached.statusCode, attached.body).toBe(201);
      expect(attached.body).not.toContain(secret);
      const { id } = attached.json();
      const other = await subscriber('basic');
      expect((await attach(other.license.id)).statusCode).toBe(409);

      const list = await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: buyer.headers });
      expect(list.json().data).toEqual([expect.objectContaining({ id, label: 'Geo account', hint: 'cdef' })]);
      expect(list.body).not.toContain(secret);
      const stored = await t.app.db.execute<{ sealed: string }>(sql`select sealed from api_credentials where id = ${id}`);
      expect(stored.rows[0]!.sealed).not.toContain(secret);
      const audit = await t.app.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
      expect(JSON.stringify(audit)).not.toContain(secret);

      const revealed = await t.app.inject({ method: 'POST', url: `/api/api-credentials/${id}/reveal`, headers: buyer.headers });
      expect(revealed.json()).toEqual({ apiKey: secret, apiSecret: 'shh-secret-part' });
      expect(revealed.headers['cache-control']).toBe('no-store');
      const stranger = await signUp(t.app);
      expect((await t.app.inject({ method: 'POST', url: `/api/api-credentials/${id}/reveal`, headers: stranger.headers })).statusCode).toBe(404);
    });
  });
});
