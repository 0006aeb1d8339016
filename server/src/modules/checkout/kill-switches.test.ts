import { and, eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import {
  checkout, deliverSandbox, getOrder, licenseCountOfOrder, sandboxData, setKillSwitch, startPaidCheckout, waitForEvent, waitForOrder,
} from '../../../test/support/commerce.js';
import { createProduct } from '../../../test/support/uploads.js';
import { mailbox } from '../mail/tables.js';
import { LICENSING_PAUSED_REASON } from './fulfil.js';

/**
 * The `payments` and `licensing` kill switches (API.md "Kill switches and flags"): new paid checkouts refuse while
 * payments are paused, yet money already on its way is still taken in; paid orders wait while licensing is
 * paused and are fulfilled when it resumes.
 */
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => {
  for (const name of ['payments', 'licensing']) {
    if (t.app.live.isEngaged(name as 'payments')) await setKillSwitch(t.app, admin.headers, name, false);
  }
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

describe('payments paused', () => {
  it('paid checkout answers 503 naming the switch; the quote says so; free products can still be claimed', async () => {
    const paid = await createProduct(t.app, admin.headers, { price: 9_900 });
    const free = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const buyer = await signUp(t.app);
    await setKillSwitch(t.app, admin.headers, 'payments', true);

    const refused = await checkout(t.app, buyer.headers, { items: [{ productSlug: paid.slug }] });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'KILL_SWITCH_ACTIVE', details: { switch: 'payments' } });
    const orders = await t.app.inject({ method: 'GET', url: '/api/orders', headers: buyer.headers });
    expect(orders.json().data).toEqual([]);

    const quote = await t.app.inject({ method: 'POST', url: '/api/checkout/quote', headers: buyer.headers, payload: { items: [{ productSlug: paid.slug }] } });
    expect(quote.statusCode).toBe(200);
    expect(quote.json().paymentsPaused).toBe(true);

    const claimed = await checkout(t.app, buyer.headers, { items: [{ productSlug: free.slug }] });
    expect(claimed.statusCode, claimed.body).toBe(201);
    expect(claimed.json().order.status).toBe('fulfilled');

    await setKillSwitch(t.app, admin.headers, 'payments', false);
    const again = await checkout(t.app, buyer.headers, { items: [{ productSlug: paid.slug }] });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('an order a coupon makes free moves no money and goes through; one that still costs something is refused', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 9_900 });
    const buyer = await signUp(t.app);
    const code = (suffix: string) => `PAUSE${suffix}${Date.now().toString(36).toUpperCase()}`;
    const all = code('ALL');
    const half = code('HALF');
    for (const [c, value] of [[all, 100], [half, 50]] as const) {
      const created = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code: c, kind: 'percent', value } });
      expect(created.statusCode, created.body).toBe(201);
    }
    await setKillSwitch(t.app, admin.headers, 'payments', true);

    const free = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: all });
    expect(free.statusCode, free.body).toBe(201);
    expect(free.json().payment).toBeNull();
    expect(free.json().order).toMatchObject({ subtotal: 9_900, discount: 9_900, total: 0, status: 'fulfilled' });

    const paid = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: half });
    expect(paid.statusCode).toBe(503);
    expect(paid.json().error.details).toEqual({ switch: 'payments' });
    // The refused checkout kept no use of the coupon.
    const coupons = await t.app.inject({ method: 'GET', url: `/api/admin/coupons?search=${half}`, headers: admin.headers });
    expect(coupons.json().data[0].usedCount).toBe(0);
  });

  it('webhooks for orders already placed are still verified, stored and processed: the order is fulfilled', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 9_900 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await setKillSwitch(t.app, admin.headers, 'payments', true);

    // A forged delivery is still refused...
    const forged = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment), { secret: 'whsec_wrong_secret_value' });
    expect(forged.response.statusCode).toBe(400);
    // ...and the gateway's real one is taken in and acted on.
    const { response, body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_paused' }));
    expect(response.statusCode, response.body).toBe(200);
    expect((await waitForEvent(t.database.db, 'sandbox', body.id)).status).toBe('processed');
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.items[0]!.licenseId).toMatch(/^lic_/);
  });
});

describe('licensing paused', () => {
  it('a paid order stays paid with the reason and no licence; released, it is fulfilled', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 9_900 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await setKillSwitch(t.app, admin.headers, 'licensing', true);

    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    const waiting = await waitForOrder(t.app, buyer.headers, order.id, 'paid');
    expect(waiting.statusReason).toBe(LICENSING_PAUSED_REASON);
    expect(waiting.paidAt).not.toBeNull();
    expect(waiting.items[0]!.licenseId).toBeNull();
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);

    // A free claim waits the same way.
    const free = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const claimed = await checkout(t.app, buyer.headers, { items: [{ productSlug: free.slug }] });
    expect(claimed.statusCode, claimed.body).toBe(201);
    expect(claimed.json().order).toMatchObject({ status: 'paid', statusReason: LICENSING_PAUSED_REASON });

    await setKillSwitch(t.app, admin.headers, 'licensing', false);
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.statusReason).toBeNull();
    expect(fulfilled.items[0]!.licenseId).toMatch(/^lic_/);
    await waitForOrder(t.app, buyer.headers, claimed.json().order.id, 'fulfilled');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
    // The receipts, held back while nothing was issued, go out now: one per order, with the key.
    const receipts = async () => t.database.db.select().from(mailbox).where(and(eq(mailbox.to, buyer.email), like(mailbox.subject, '%receipt%')));
    expect(await eventually(async () => (await receipts()).length === 2, 10_000)).toBe(true);
    const key = (await t.app.inject({ method: 'GET', url: `/api/licenses/${fulfilled.items[0]!.licenseId}`, headers: buyer.headers })).json().key;
    expect((await receipts()).find((m) => m.subject.includes(order.id))!.text).toContain(key);
  });

  it('an order refunded while it waited is not fulfilled when licensing resumes', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 9_900 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await setKillSwitch(t.app, admin.headers, 'licensing', true);
    await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_waited' }));
    await waitForOrder(t.app, buyer.headers, order.id, 'paid');
    await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { paymentId: 'pay_waited' }));
    await waitForOrder(t.app, buyer.headers, order.id, 'refunded');

    const released = new Date();
    await setKillSwitch(t.app, admin.headers, 'licensing', false);
    // The release queues the fulfil-waiting sweep; once it has run, the refunded order is still refunded.
    expect(await eventually(async () => {
      const { rows } = await t.database.pool.query<{ n: number }>(
        `select count(*)::int as n from pgboss.job where name = 'orders.fulfil-waiting' and state = 'completed' and created_on >= $1`, [released],
      );
      return rows[0]!.n > 0;
    }, 10_000)).toBe(true);
    expect((await getOrder(t.app, buyer.headers, order.id)).status).toBe('refunded');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
  });
});
