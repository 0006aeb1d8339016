import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { auditCount, setKillSwitch, startPaidCheckout, waitForOrder } from '../../../test/support/commerce.js';
import { createProduct, multipartBody } from '../../../test/support/uploads.js';
import { serializeRequest } from '../../app.js';
import { systemActor } from '../../lib/actor.js';
import { issueLicense } from '../licensing/service.js';
import { licenses } from '../licensing/tables.js';
import { products } from '../catalog/tables.js';
import { rollUpDownloadCounts } from './counters.js';
import { downloadLogs, downloadTokens } from './tables.js';

/**
 * Asking for a download link: who may (the permission order, sessions and bearer tokens alike), which file,
 * the kill switch, rate limits and daily caps, revocation with the licence, the logs and the counters.
 */
let dir: string;
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: Awaited<ReturnType<typeof asAdmin>>;

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
type Headers = Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mintreu-downloads-'));
  t = await createTestApp({
    env: {
      STORAGE_DIR: dir, PUBLIC_URL: 'https://shop.example.com',
      DOWNLOAD_RATE_LIMIT_PER_IP: '1000', DOWNLOAD_RATE_LIMIT_PER_USER: '1000', DOWNLOAD_DAILY_LIMIT_PER_IP: '0',
    },
  });
  admin = await asAdmin(t.app);
  await t.app.listen({ port: 0, host: '127.0.0.1' }); // the sandbox gateway delivers its webhooks to us
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
  rmSync(dir, { recursive: true, force: true });
});

async function upload(productId: string, fields: Record<string, string>, content: Buffer, fileName = 'app.zip') {
  const body = multipartBody(fields, { fileName, content });
  const response = await t.app.inject({
    method: 'POST', url: `/api/admin/products/${productId}/sources/upload`, headers: { ...admin.headers, ...body.headers }, payload: body.payload,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { id: string; sha256: string; fileSize: number };
}

/** A published product with one uploaded file. */
async function productWithFile(body: Record<string, unknown> = {}, content = Buffer.from('PK pretend zip')) {
  const product = await createProduct(t.app, admin.headers, body);
  const source = await upload(product.id, { name: 'Main build', version: '1.0.0' }, content);
  return { ...product, source, content };
}

const initiate = (slug: string, headers: Headers = {}, body: Record<string, unknown> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/products/${slug}/download`, headers, payload: body });

const redeem = (url: string, headers: Headers = {}) =>
  t.app.inject({ method: 'GET', url: new URL(url).pathname, headers });

async function grantLicense(userId: string, productId: string, extra: Partial<Parameters<typeof issueLicense>[2]> = {}) {
  return issueLicense(t.app.db, t.app.licenseKeys, { userId, email: null, productId, type: 'commercial_single', ...extra }, systemActor);
}

describe('the permission order', () => {
  it('a freebie: anyone, signed in or not, without a licence', async () => {
    const freebie = await productWithFile({ type: 'freebie', price: 0 });
    const response = await initiate(freebie.slug);
    expect(response.statusCode, response.body).toBe(200);
    const link = response.json();
    expect(link).toEqual({
      downloadUrl: expect.stringMatching(/^https:\/\/shop\.example\.com\/api\/download\/[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      fileName: 'app.zip',
      fileSize: freebie.content.length,
      sha256: sha(freebie.content),
    });
    const minutes = (Date.parse(link.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
    const file = await redeem(link.downloadUrl);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(freebie.content)).toBe(true);
  });

  it('auth required: 401 for anonymous visitors, even on a free product', async () => {
    const free = await productWithFile({ price: 0, requiresAuth: true });
    const response = await initiate(free.slug);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
    const buyer = await signUp(t.app);
    expect((await initiate(free.slug, buyer.headers)).statusCode).toBe(200); // free, auth required, signed in
  });

  it('a free product that does not require auth: anonymous is fine', async () => {
    const free = await productWithFile({ price: 0 });
    expect((await initiate(free.slug)).statusCode).toBe(200);
  });

  it('a paid product: 401 anonymous, 403 PURCHASE_REQUIRED without a licence, 200 with a valid one (bearer and cookie alike)', async () => {
    const paid = await productWithFile({ price: 49_900 });
    expect((await initiate(paid.slug)).statusCode).toBe(401);
    const buyer = await signUp(t.app);
    const refused = await initiate(paid.slug, buyer.headers);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('PURCHASE_REQUIRED');

    await grantLicense(buyer.userId, paid.id);
    expect((await initiate(paid.slug, buyer.headers)).statusCode).toBe(200);
    // The same customer through the session cookie better-auth sets on sign-in (no bearer header).
    const signIn = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: { email: buyer.email, password: buyer.password } });
    const cookie = [signIn.headers['set-cookie']].flat().map((c) => String(c).split(';')[0]).join('; ');
    expect(cookie).toContain('session_token');
    expect((await initiate(paid.slug, { cookie })).statusCode).toBe(200);
  });

  it('a revoked, suspended or expired licence does not count; all activations in use still does', async () => {
    const paid = await productWithFile({ price: 10_000 });
    const buyer = await signUp(t.app);
    const license = await grantLicense(buyer.userId, paid.id);
    for (const [change, status] of [
      [{ state: 'revoked' }, 403], [{ state: 'disabled' }, 403], [{ state: 'active', expiresAt: new Date(Date.now() - 1000) }, 403],
      [{ state: 'active', expiresAt: null, maxUsage: 1, usageCount: 1 }, 200],
    ] as const) {
      await t.app.db.update(licenses).set(change).where(eq(licenses.id, license.id));
      expect((await initiate(paid.slug, buyer.headers)).statusCode, JSON.stringify(change)).toBe(status);
    }
  });

  it('drafts and archived products are never downloadable, not even by admins; unknown products 404', async () => {
    for (const status of ['draft', 'archived']) {
      const hidden = await productWithFile({ type: 'freebie', price: 0 });
      await t.app.db.update(products).set({ status }).where(eq(products.id, hidden.id));
      expect((await initiate(hidden.slug)).statusCode).toBe(404);
      expect((await initiate(hidden.slug, admin.headers)).statusCode).toBe(404);
    }
    expect((await initiate('no-such-product')).statusCode).toBe(404);
  });

  it('download-access tells the product page the same, without granting anything', async () => {
    const paid = await productWithFile({ price: 10_000 });
    const access = (headers: Headers = {}) => t.app.inject({ method: 'GET', url: `/api/products/${paid.slug}/download-access`, headers });
    expect((await access()).json()).toEqual({ allowed: false, reason: 'UNAUTHENTICATED', licenseId: null });
    const buyer = await signUp(t.app);
    expect((await access(buyer.headers)).json()).toEqual({ allowed: false, reason: 'PURCHASE_REQUIRED', licenseId: null });
    const license = await grantLicense(buyer.userId, paid.id);
    expect((await access(buyer.headers)).json()).toEqual({ allowed: true, reason: 'LICENSED', licenseId: license.id });
    const empty = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    expect((await t.app.inject({ method: 'GET', url: `/api/products/${empty.slug}/download-access` })).json())
      .toEqual({ allowed: false, reason: 'NO_SOURCE', licenseId: null });
  });
});

describe('choosing the file', () => {
  it('the primary by default; another active source when asked; inactive, foreign or missing sources 404', async () => {
    const product = await productWithFile({ type: 'freebie', price: 0 });
    const second = await upload(product.id, { name: 'Older build', version: '0.9.0' }, Buffer.from('older'), 'old.zip');
    expect((await initiate(product.slug)).json().fileName).toBe('app.zip');
    expect((await initiate(product.slug, {}, { sourceId: second.id })).json().fileName).toBe('old.zip');

    await t.app.inject({ method: 'PATCH', url: `/api/admin/products/${product.id}/sources/${second.id}`, headers: admin.headers, payload: { isActive: false } });
    expect((await initiate(product.slug, {}, { sourceId: second.id })).statusCode).toBe(404);
    const other = await productWithFile({ type: 'freebie', price: 0 });
    expect((await initiate(product.slug, {}, { sourceId: other.source.id })).statusCode).toBe(404);

    const empty = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const none = await initiate(empty.slug);
    expect(none.statusCode).toBe(404);
    expect(none.json().error.message).toBe('No download is available for this product yet');
  });
});

describe('links', () => {
  it('are 256-bit, URL-safe, stored only as their SHA-256, and tied to the grant', async () => {
    const paid = await productWithFile({ price: 5_000 });
    const buyer = await signUp(t.app);
    const license = await grantLicense(buyer.userId, paid.id);
    const link = (await initiate(paid.slug, { ...buyer.headers, 'user-agent': 'curl/8.5.0' })).json();
    const token = link.downloadUrl.split('/').at(-1)!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const [row] = await t.app.db.select().from(downloadTokens).where(eq(downloadTokens.tokenHash, sha(token)));
    expect(row).toMatchObject({ productId: paid.id, sourceId: paid.source.id, userId: buyer.userId, licenseId: license.id, ip: '127.0.0.1', uses: 0 });
    const stored = JSON.stringify(await t.app.db.select().from(downloadTokens)) + JSON.stringify(await t.app.db.select().from(downloadLogs));
    expect(stored).not.toContain(token);
    const [log] = await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.tokenId, row!.id));
    expect(log).toMatchObject({ event: 'initiate', status: 'granted', reason: 'LICENSED', licenseId: license.id, userAgent: 'curl/8.5.0' });
  });

  it('never appear in request logs', async () => {
    const token = 'Qm9ndXMgdG9rZW4gdGhhdCBpcyA0MyBjaGFyYWN0ZXJzIQ';
    const logged = serializeRequest({ method: 'GET', url: `/api/download/${token}?x=1`, host: 'shop', ip: '127.0.0.1', socket: undefined as never });
    expect(logged.url).toBe('/api/download/[token]?x=1');
    expect(JSON.stringify(logged)).not.toContain(token);
  });

  it('unknown links 404 (malformed or never issued); expired, revoked and used-up ones 410', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/download/not-a-token' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/download/${'A'.repeat(43)}` })).statusCode).toBe(404);

    const product = await productWithFile({ type: 'freebie', price: 0 });
    const mint = async () => {
      const link = (await initiate(product.slug)).json();
      const [row] = await t.app.db.select().from(downloadTokens).where(eq(downloadTokens.tokenHash, sha(link.downloadUrl.split('/').at(-1)!)));
      return { link, id: row!.id };
    };
    for (const [change, reason] of [
      [{ expiresAt: new Date(Date.now() - 1) }, 'EXPIRED'],
      [{ revokedAt: new Date(), revokeReason: 'test' }, 'REVOKED'],
      [{ uses: 20 }, 'USED_UP'],
    ] as const) {
      const { link, id } = await mint();
      await t.app.db.update(downloadTokens).set(change).where(eq(downloadTokens.id, id));
      const response = await redeem(link.downloadUrl);
      expect(response.statusCode, reason).toBe(410);
      expect(response.json().error.code).toBe('GONE');
      const logs = await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.tokenId, id));
      expect(logs.map((l) => [l.event, l.status, l.reason])).toContainEqual(['redeem', 'denied', reason]);
    }
  });

  it('serve resumed requests within their life but count as one download; then they are used up', async () => {
    const env = { STORAGE_DIR: dir, DOWNLOAD_TOKEN_MAX_USES: '3', DOWNLOAD_TOKEN_TTL_MINUTES: '5' };
    const small = await createTestApp({ url: t.database.url, env });
    try {
      const product = await productWithFile({ type: 'freebie', price: 0 }, Buffer.from('0123456789'));
      const link = (await small.app.inject({ method: 'POST', url: `/api/products/${product.slug}/download`, payload: {} })).json();
      expect((Date.parse(link.expiresAt) - Date.now()) / 60_000).toBeLessThanOrEqual(5);
      const path = new URL(link.downloadUrl).pathname;
      const statuses = [];
      for (const range of ['bytes=0-3', 'bytes=4-', 'bytes=8-']) {
        statuses.push((await small.app.inject({ method: 'GET', url: path, headers: { range } })).statusCode);
      }
      expect(statuses).toEqual([206, 206, 206]);
      expect((await small.app.inject({ method: 'GET', url: path })).statusCode).toBe(410);
      await small.close(); // flushes the counter
      const [row] = await t.app.db.select({ downloads: products.downloads }).from(products).where(eq(products.id, product.id));
      expect(row!.downloads).toBe(1);
    } finally {
      await small.close().catch(() => {});
    }
  });

  it('cannot be used more than their uses, however many requests race for the last one', async () => {
    const product = await productWithFile({ type: 'freebie', price: 0 });
    const link = (await initiate(product.slug)).json();
    const [row] = await t.app.db.select().from(downloadTokens).where(eq(downloadTokens.tokenHash, sha(link.downloadUrl.split('/').at(-1)!)));
    await t.app.db.update(downloadTokens).set({ uses: 19 }).where(eq(downloadTokens.id, row!.id));
    const responses = await Promise.all(Array.from({ length: 10 }, () => redeem(link.downloadUrl)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(410)]);
  });

  it('bound to the address that asked for them when DOWNLOAD_BIND_IP is on', async () => {
    const bound = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, DOWNLOAD_BIND_IP: 'true', TRUST_PROXY: 'true' } });
    try {
      const product = await productWithFile({ type: 'freebie', price: 0 });
      const link = (await bound.app.inject({ method: 'POST', url: `/api/products/${product.slug}/download`, headers: { 'x-forwarded-for': '203.0.113.7' }, payload: {} })).json();
      const path = new URL(link.downloadUrl).pathname;
      expect((await bound.app.inject({ method: 'GET', url: path, headers: { 'x-forwarded-for': '198.51.100.9' } })).statusCode).toBe(403);
      expect((await bound.app.inject({ method: 'GET', url: path, headers: { 'x-forwarded-for': '203.0.113.7' } })).statusCode).toBe(200);
    } finally {
      await bound.close();
    }
  });
});

describe('revocation', () => {
  it('a licence revoked, suspended or expired after the link was issued: 410, and the link is revoked', async () => {
    const paid = await productWithFile({ price: 7_000 });
    const buyer = await signUp(t.app);
    const license = await grantLicense(buyer.userId, paid.id);
    const link = (await initiate(paid.slug, buyer.headers)).json();
    await t.app.db.update(licenses).set({ state: 'disabled' }).where(eq(licenses.id, license.id));
    expect((await redeem(link.downloadUrl)).statusCode).toBe(410);
    await t.app.db.update(licenses).set({ state: 'active' }).where(eq(licenses.id, license.id));
    expect((await redeem(link.downloadUrl)).statusCode).toBe(410); // stays revoked
  });

  it('a refund revokes the order licence and its links (download.revoke audited)', async () => {
    const paid = await productWithFile({ price: 12_000 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: paid.slug }] });
    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const licenseId = fulfilled.items[0]!.licenseId!;
    const link = (await initiate(paid.slug, buyer.headers)).json();
    expect((await redeem(link.downloadUrl)).statusCode).toBe(200);

    const refund = await t.app.inject({ method: 'POST', url: `/api/admin/orders/${order.id}/refund`, headers: admin.headers, payload: { reason: 'Asked for it' } });
    expect(refund.statusCode, refund.body).toBe(200);
    await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    const [row] = await t.app.db.select().from(downloadTokens).where(eq(downloadTokens.tokenHash, sha(link.downloadUrl.split('/').at(-1)!)));
    expect(row!.revokedAt).not.toBeNull();
    expect(await auditCount(t.app.db, 'download.revoke', licenseId)).toBe(1);
    expect((await redeem(link.downloadUrl)).statusCode).toBe(410);
    expect((await initiate(paid.slug, buyer.headers)).statusCode).toBe(403);
  });
});

describe('the downloads kill switch', () => {
  it('refuses new links and the use of issued ones (503), and both work again once released', async () => {
    const product = await productWithFile({ type: 'freebie', price: 0 });
    const link = (await initiate(product.slug)).json();
    await setKillSwitch(t.app, admin.headers, 'downloads', true);
    try {
      const refused = await initiate(product.slug);
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('KILL_SWITCH_ACTIVE');
      expect((await redeem(link.downloadUrl)).statusCode).toBe(503);
    } finally {
      await setKillSwitch(t.app, admin.headers, 'downloads', false);
    }
    expect((await redeem(link.downloadUrl)).statusCode).toBe(200);
    expect((await initiate(product.slug)).statusCode).toBe(200);
  });
});

describe('limits', () => {
  it('per-IP and per-user rate limits answer 429 with Retry-After', async () => {
    const limited = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, DOWNLOAD_RATE_LIMIT_PER_IP: '2', DOWNLOAD_RATE_LIMIT_PER_USER: '1' } });
    try {
      const product = await productWithFile({ type: 'freebie', price: 0 });
      const buyer = await signUp(limited.app);
      const ask = (headers: Headers = {}) => limited.app.inject({ method: 'POST', url: `/api/products/${product.slug}/download`, headers, payload: {} });
      expect((await ask(buyer.headers)).statusCode).toBe(200);
      const perUser = await ask(buyer.headers);
      expect(perUser.statusCode).toBe(429);
      expect(perUser.headers['retry-after']).toBeDefined();
      const perIp = await ask();
      expect(perIp.statusCode).toBe(429); // the third from this address
    } finally {
      await limited.close();
    }
  });

  it('daily caps per licence and per address, with a clear message, enforced under concurrency', async () => {
    const capped = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, DOWNLOAD_DAILY_LIMIT_PER_LICENSE: '3', DOWNLOAD_DAILY_LIMIT_PER_IP: '0' } });
    try {
      const paid = await productWithFile({ price: 3_000 });
      const buyer = await signUp(capped.app);
      await grantLicense(buyer.userId, paid.id);
      const ask = () => capped.app.inject({ method: 'POST', url: `/api/products/${paid.slug}/download`, headers: buyer.headers, payload: {} });
      const responses = await Promise.all(Array.from({ length: 8 }, ask));
      expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(3);
      const refused = responses.find((r) => r.statusCode === 429)!;
      expect(refused.json().error).toMatchObject({ code: 'DOWNLOAD_LIMIT_REACHED', message: expect.stringContaining('limit of 3 downloads in 24 hours') });
    } finally {
      await capped.close();
    }
    const perIp = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, DOWNLOAD_DAILY_LIMIT_PER_IP: '2', TRUST_PROXY: 'true' } });
    try {
      const product = await productWithFile({ type: 'freebie', price: 0 });
      const ask = () => perIp.app.inject({ method: 'POST', url: `/api/products/${product.slug}/download`, headers: { 'x-forwarded-for': '192.0.2.44' }, payload: {} });
      expect([(await ask()).statusCode, (await ask()).statusCode, (await ask()).statusCode]).toEqual([200, 200, 429]);
    } finally {
      await perIp.close();
    }
  });
});

describe('logs and counters', () => {
  it('log denials with their reason, and count each link once in the product counter', async () => {
    const paid = await productWithFile({ price: 4_000 });
    const buyer = await signUp(t.app);
    await initiate(paid.slug, buyer.headers);
    const [denied] = await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.productId, paid.id));
    expect(denied).toMatchObject({ event: 'initiate', status: 'denied', reason: 'PURCHASE_REQUIRED', userId: buyer.userId });

    await grantLicense(buyer.userId, paid.id);
    for (let i = 0; i < 3; i++) {
      const link = (await initiate(paid.slug, buyer.headers)).json();
      await redeem(link.downloadUrl);
      await redeem(link.downloadUrl, { range: 'bytes=0-1' });
    }
    await rollUpDownloadCounts(t.app.db);
    const [row] = await t.app.db.select({ downloads: products.downloads }).from(products).where(eq(products.id, paid.id));
    expect(row!.downloads).toBe(3);
    expect(await rollUpDownloadCounts(t.app.db)).toBe(0); // nothing counted twice
    const completedLogs = () => t.app.db.select().from(downloadLogs)
      .where(sql`${downloadLogs.productId} = ${paid.id} and ${downloadLogs.status} = 'completed'`);
    expect(await eventually(async () => (await completedLogs()).length === 6)).toBe(true);
    const completed = await completedLogs();
    expect(completed.map((l) => l.bytesSent).sort((a, b) => a! - b!)).toEqual([2, 2, 2, 14, 14, 14]);
  });

  it('roll-ups running at once never count a link twice', async () => {
    const product = await productWithFile({ type: 'freebie', price: 0 });
    for (let i = 0; i < 12; i++) await redeem((await initiate(product.slug)).json().downloadUrl);
    await Promise.all([rollUpDownloadCounts(t.app.db), rollUpDownloadCounts(t.app.db), rollUpDownloadCounts(t.app.db)]);
    await eventually(async () => (await rollUpDownloadCounts(t.app.db)) === 0);
    const [row] = await t.app.db.select({ downloads: products.downloads }).from(products).where(eq(products.id, product.id));
    expect(row!.downloads).toBe(12);
  });

  it('admin: the log with filters, and downloads per day; customers get 403', async () => {
    const product = await productWithFile({ type: 'freebie', price: 0 });
    await redeem((await initiate(product.slug)).json().downloadUrl);
    const logs = () => t.app.inject({ method: 'GET', url: `/api/admin/download-logs?productId=${product.id}`, headers: admin.headers });
    expect(await eventually(async () => (await logs()).json().data[0]?.status === 'completed')).toBe(true);
    const list = await logs();
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data.map((l: { event: string; status: string }) => `${l.event}:${l.status}`)).toEqual(['redeem:completed', 'initiate:granted']);
    expect(list.json().data[0]).toMatchObject({ product: { id: product.id, slug: product.slug }, delivery: 'stream', ip: '127.0.0.1' });
    const onlyDenied = await t.app.inject({ method: 'GET', url: `/api/admin/download-logs?productId=${product.id}&status=denied`, headers: admin.headers });
    expect(onlyDenied.json().meta.total).toBe(0);
    const future = await t.app.inject({ method: 'GET', url: `/api/admin/download-logs?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`, headers: admin.headers });
    expect(future.json().data).toEqual([]);

    const stats = await t.app.inject({ method: 'GET', url: `/api/admin/download-stats?productId=${product.id}&days=7`, headers: admin.headers });
    expect(stats.statusCode, stats.body).toBe(200);
    const body = stats.json();
    expect(body.days).toHaveLength(7);
    expect(body.days.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), downloads: 1, failed: 0 });
    expect(body.total).toBe(1);
    expect(body.topProducts[0]).toMatchObject({ id: product.id, downloads: 1 });

    const customer = await signUp(t.app);
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/download-logs', headers: customer.headers })).statusCode).toBe(403);
  });
});

describe('the customer downloads list', () => {
  it('lists every product with a valid licence and files, with versions, sizes and checksums; never a URL', async () => {
    const buyer = await signUp(t.app);
    const owned = await productWithFile({ price: 9_000 });
    const revoked = await productWithFile({ price: 9_000 });
    const noFiles = await createProduct(t.app, admin.headers, { price: 9_000 });
    await grantLicense(buyer.userId, owned.id);
    const gone = await grantLicense(buyer.userId, revoked.id);
    await t.app.db.update(licenses).set({ state: 'revoked' }).where(eq(licenses.id, gone.id));
    await grantLicense(buyer.userId, noFiles.id);

    const response = await t.app.inject({ method: 'GET', url: '/api/downloads', headers: buyer.headers });
    expect(response.statusCode, response.body).toBe(200);
    const { data } = response.json();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      product: { id: owned.id, slug: owned.slug },
      license: { status: 'active', type: 'commercial_single' },
      sources: [{ id: owned.source.id, version: '1.0.0', fileName: 'app.zip', fileSize: owned.content.length, sha256: sha(owned.content), isPrimary: true }],
    });
    expect(response.body).not.toMatch(/sourceUrl|products\/prd_/);
    expect((await t.app.inject({ method: 'GET', url: '/api/downloads' })).statusCode).toBe(401);
  });
});
