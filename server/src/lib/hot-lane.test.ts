import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../test/helpers.js';
import { createProduct } from '../../test/support/uploads.js';
import { issueLicense } from '../modules/licensing/service.js';
import { systemActor } from './actor.js';

/**
 * The hot lane answers its endpoints from Node's request event, ahead of Fastify; the same handlers also stand as
 * Fastify routes (app.inject, a trailing slash). These tests send the same requests both ways, over a real socket
 * and through the router, and expect the same answers, headers and metrics.
 */
describe('hot lane', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let base: string;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { LICENSE_RATE_LIMIT_PER_IP: '100000', LICENSE_RATE_LIMIT_PER_KEY: '3' } });
    const admin = await asAdmin(t.app);
    const buyer = await signUp(t.app);
    const product = await createProduct(t.app, admin.headers, { title: 'Lane App', type: 'downloadable', price: 1000 });
    ({ key } = await issueLicense(t.app.db, t.app.licenseKeys, { userId: buyer.userId, email: buyer.email, productId: product.id, type: 'commercial_team' }, systemActor));
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  type Answer = { status: number; headers: Record<string, string>; body: unknown };
  const overSocket = async (path: string, init: { body?: string; headers?: Record<string, string>; method?: string }): Promise<Answer> => {
    const response = await fetch(base + path, { method: init.method ?? 'POST', body: init.body, headers: init.headers });
    const text = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), body: text ? JSON.parse(text) : null };
  };
  const throughRouter = async (path: string, init: { body?: string; headers?: Record<string, string>; method?: string }): Promise<Answer> => {
    const response = await t.app.inject({ method: (init.method ?? 'POST') as 'POST', url: path, payload: init.body, headers: init.headers });
    return { status: response.statusCode, headers: response.headers as Record<string, string>, body: response.body ? response.json() : null };
  };
  /** The parts of an answer that must agree: the request id differs per request, the lease's times per second. */
  const comparable = (answer: Answer) => {
    const body = JSON.parse(JSON.stringify(answer.body), (name, value) => (['requestId', 'lease', 'leaseExpiresAt'].includes(name) ? '…' : value));
    const headers = Object.fromEntries(['content-type', 'cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cross-origin-resource-policy', 'retry-after']
      .map((name) => [name, answer.headers[name]]));
    return { status: answer.status, body, headers };
  };

  const json = { 'content-type': 'application/json' };
  const cases: [string, { body?: string; headers?: Record<string, string> }][] = [
    ['an unknown key', { body: JSON.stringify({ key: 'ABCD-EFGH-JKMN-PQRS' }), headers: json }],
    ['a form', { body: 'key=WXYZ-WXYZ-WXYZ-WXYZ', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['broken JSON', { body: '{"key":', headers: json }],
    ['no body', { headers: json }],
    ['a body that is not an object', { body: '[1,2]', headers: json }],
    ['fields of the wrong type', { body: JSON.stringify({ key: 7, fingerprint: '' }), headers: json }],
    ['an unsupported media type', { body: 'key', headers: { 'content-type': 'text/plain' } }],
  ];
  it.each(cases)('answers %s the same way over a socket and through the router', async (_name, init) => {
    const socket = await overSocket('/api/licenses/validate', init);
    const router = await throughRouter('/api/licenses/validate', init);
    expect(comparable(socket)).toEqual(comparable(router));
    expect(socket.status).toBeLessThan(500);
  });

  const queries = ['', '?search=lane', '?search=lane&sort=price_asc&page=1', '?page=0', '?type=bogus', '?search=a&search=b', '?__proto__=x'];
  it.each(queries)('lists products for %j the same way over a socket and through the router', async (query) => {
    const socket = await overSocket(`/api/products${query}`, { method: 'GET' });
    const router = await throughRouter(`/api/products${query}`, { method: 'GET' });
    expect(comparable(socket)).toEqual(comparable(router));
    expect(socket.status).toBeLessThan(500);
  });

  it('answers a valid key with the security headers and the caller’s request id', async () => {
    const socket = await overSocket('/api/licenses/validate', { body: JSON.stringify({ key }), headers: { ...json, 'x-request-id': 'trace-123' } });
    expect(socket.status).toBe(200);
    expect(socket.body).toMatchObject({ valid: true, code: 'VALID' });
    expect(socket.headers['x-request-id']).toBe('trace-123');
    expect(socket.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(comparable(socket)).toEqual(comparable(await throughRouter('/api/licenses/validate', { body: JSON.stringify({ key }), headers: json })));
    // A trailing slash is not the lane's exact path: the router serves it with the same handler.
    expect((await overSocket('/api/licenses/validate/', { body: JSON.stringify({ key }), headers: json })).body).toMatchObject({ code: 'VALID' });
  });

  it('refuses a body past its limit with 413 and stops reading', async () => {
    const socket = await overSocket('/api/licenses/validate', { body: JSON.stringify({ key, pad: 'x'.repeat(64 * 1024) }), headers: json });
    expect(socket.status).toBe(413);
    expect(socket.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('limits per key with the RateLimit headers, and counts its answers in the metrics', async () => {
    const body = JSON.stringify({ key: 'LIMT-LIMT-LIMT-LIMT' });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await overSocket('/api/licenses/validate', { body, headers: json }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '0' });
    expect(Number(answers[3]!.headers['retry-after'])).toBeGreaterThan(0);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('mintreu_http_request_duration_seconds_count{') && l.includes('route="/api/licenses/validate"') && l.includes('status="429"'));
    expect(line).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
  });

  it('answers the status the same way over a socket and through the router', async () => {
    const socket = await overSocket('/api/status', { method: 'GET' });
    expect(socket.status).toBe(200);
    expect(comparable(socket)).toEqual(comparable(await throughRouter('/api/status', { method: 'GET' })));
    expect(socket.body).toMatchObject({ killSwitches: expect.any(Object) });
  });

  it('leaves every other request to Fastify', async () => {
    // GET is not the lane's: the router matches the signed-in `GET /api/licenses/:id`.
    expect((await overSocket('/api/licenses/validate', { method: 'GET' })).status).toBe(401);
    expect((await overSocket('/api/status', { method: 'GET' })).status).toBe(200);
  });
});
