import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, type TestApp } from '../test/helpers.js';

describe('HTTP foundation', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT: '4096' } });
    admin = await asAdmin(t.app);
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  const put = (payload: string, contentType = 'application/json') =>
    t.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switches/payments',
      headers: { ...admin.headers, 'content-type': contentType },
      payload,
    });

  it('answers malformed JSON with VALIDATION_FAILED in the error shape', async () => {
    const response = await put('{"engaged": tru');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'The body is not valid JSON', requestId: response.headers['x-request-id'] },
    });
  });

  it('lists each wrong field', async () => {
    const response = await put(JSON.stringify({ engaged: 'yes', reason: 5 }));
    expect(response.statusCode).toBe(400);
    const paths = response.json().error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['body.engaged', 'body.reason']);
  });

  it('rejects unknown fields instead of storing them', async () => {
    const response = await put(JSON.stringify({ engaged: true, reason: 'valid reason', extra: 'x' }));
    expect(response.statusCode).toBe(400);
    expect(t.app.live.isEngaged('payments')).toBe(false);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await put(JSON.stringify({ engaged: true, reason: 'x'.repeat(10_000) }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body it cannot read with 415', async () => {
    const response = await put('engaged=true', 'application/x-www-form-urlencoded');
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers unknown routes with NOT_FOUND', async () => {
    for (const [method, url] of [['GET', '/api/nothing-here'], ['DELETE', '/api/status'], ['POST', '/somewhere']] as const) {
      const response = await t.app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('puts a request id on every response and keeps a sane one from the caller', async () => {
    const generated = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const given = await t.app.inject({ method: 'GET', url: '/api/status', headers: { 'x-request-id': 'lb-1234' } });
    expect(given.headers['x-request-id']).toBe('lb-1234');
    const hostile = await t.app.inject({ method: 'GET', url: '/api/status', headers: { 'x-request-id': '<script>' } });
    expect(hostile.headers['x-request-id']).not.toBe('<script>');
  });

  it('sends strict security headers on API responses', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/status' });
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['strict-transport-security']).toBeUndefined(); // plain-http PUBLIC_URL
  });

  it('hands pages to the web app with document security headers, and keeps /api for the API', async () => {
    const web = await createTestApp({
      url: t.database.url,
      web: (_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><p>page</p>');
      },
    });
    try {
      const page = await web.app.inject({ method: 'GET', url: '/account/security' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<p>page</p>');
      expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
      expect(page.headers['content-security-policy']).toContain("object-src 'none'");
      expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(page.headers['x-request-id']).toEqual(expect.any(String));
      const missing = await web.app.inject({ method: 'GET', url: '/api/not-a-route' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('NOT_FOUND');
      const post = await web.app.inject({ method: 'POST', url: '/account/security', payload: {} });
      expect(post.statusCode).toBe(404);
    } finally {
      await web.close();
    }
  });

  it('serves the OpenAPI 3.1 document and its reference page', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const spec = doc.json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/status', '/api/admin/kill-switches/{name}', '/api/admin/audit', '/api/admin/flags/{key}']),
    );
    const page = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
  });

  it('reports health, readiness and Prometheus metrics', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('mintreu_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('route="/api/status"');
  });

  it('never leaks internals in a 5xx', async () => {
    // Break the database handle for one request: the failure must come back masked.
    const original = t.app.database.pool.query.bind(t.app.database.pool);
    t.app.database.pool.query = (() => Promise.reject(new Error('secret internal detail: relation "x" does not exist'))) as never;
    try {
      const response = await t.app.inject({ method: 'GET', url: '/api/admin/kill-switches', headers: admin.headers });
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain('secret internal detail');
      expect(response.json().error).toEqual({ code: 'INTERNAL', message: 'Internal server error', requestId: expect.any(String) });
    } finally {
      t.app.database.pool.query = original as never;
    }
  });
});
