import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, type TestApp } from '../../test/helpers.js';

describe('page cache', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  const renders: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      web: (req: IncomingMessage, res: ServerResponse) => {
        renders.push(req.url!);
        if (req.url === '/products/with-cookie') res.setHeader('set-cookie', 'x=1');
        res.statusCode = req.url === '/products/missing' ? 404 : 200;
        res.setHeader('content-type', 'text/html;charset=utf-8');
        res.write('<!doctype html>'); // streamed in chunks, as Nuxt does
        res.end(`<p>render ${renders.length} of ${req.url}</p>`);
      },
    });
    admin = await asAdmin(t.app);
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  const visit = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const rendersOf = (url: string) => renders.filter((r) => r === url).length;

  it('renders an anonymous catalogue page once and serves it from memory after', async () => {
    const first = await visit('/products?search=vue');
    const second = await visit('/products?search=vue');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(rendersOf('/products?search=vue')).toBe(1);
    expect(second.headers['content-security-policy']).toContain("script-src 'self'");
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
  });

  it('never caches pages for signed-in people, other paths, errors or pages that set cookies', async () => {
    const session = { cookie: 'mintreu.session_token=abc' };
    await visit('/products/a', session);
    await visit('/products/a', session);
    expect(rendersOf('/products/a')).toBe(2);
    await visit('/account');
    await visit('/account');
    expect(rendersOf('/account')).toBe(2);
    await visit('/products/missing');
    expect((await visit('/products/missing')).statusCode).toBe(404);
    expect(rendersOf('/products/missing')).toBe(2);
    await visit('/products/with-cookie');
    await visit('/products/with-cookie');
    expect(rendersOf('/products/with-cookie')).toBe(2);
  });

  it('drops cached pages when the catalogue or a kill switch changes', async () => {
    await visit('/');
    expect((await visit('/')).headers['x-cache']).toBe('HIT');
    const before = t.app.live.generation;
    await t.app.inject({ method: 'POST', url: '/api/admin/products', headers: admin.headers, payload: { title: 'New thing', type: 'freebie', price: 0 } });
    expect(await eventually(() => t.app.live.generation > before)).toBe(true);
    expect((await visit('/')).headers['x-cache']).toBe('MISS');
    expect((await visit('/')).headers['x-cache']).toBe('HIT');
    const again = t.app.live.generation;
    await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/payments', headers: admin.headers, payload: { engaged: true, reason: 'banner must show' } });
    expect(await eventually(() => t.app.live.generation > again)).toBe(true);
    expect((await visit('/')).headers['x-cache']).toBe('MISS');
  });

  it('replays pages with valid framing, compressed when the client accepts it', async () => {
    await visit('/products/framed');
    const plain = await visit('/products/framed');
    expect(plain.headers['transfer-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(plain.body));
    const gz = await t.app.inject({ method: 'GET', url: '/products/framed', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    const br = await t.app.inject({ method: 'GET', url: '/products/framed', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    expect(br.headers.vary).toContain('accept-encoding');
  });
});
