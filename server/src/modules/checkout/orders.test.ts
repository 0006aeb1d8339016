import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import {
  auditCount, deliverSandbox, getOrder, licenseCountOfOrder, sandboxData, startPaidCheckout, waitForEvent, waitForOrder,
} from '../../../test/support/commerce.js';
import { createProduct } from '../../../test/support/uploads.js';
import { expirePendingOrders } from './sweeps.js';
import { coupons, orders } from './tables.js';

/**
 * Orders after checkout: the admin's refund, unpaid orders expiring (and a payment that arrives after all),
 * and who may see which order.
 */
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

type Buyer = Awaited<ReturnType<typeof signUp>>;

async function paidThroughSandbox(price = 12_000) {
  const product = await createProduct(t.app, admin.headers, { price });
  const buyer = await signUp(t.app);
  const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
  await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
  const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
  return { buyer, order: fulfilled, payment, product };
}

const refund = (id: string, headers = admin.headers, reason = 'The buyer asked for it') =>
  t.app.inject({ method: 'POST', url: `/api/admin/orders/${id}/refund`, headers, payload: { reason } });

async function licenseStatus(buyer: Buyer, id: string) {
  return (await t.app.inject({ method: 'GET', url: `/api/licenses/${id}`, headers: buyer.headers })).json().status;
}

describe('admin refund', () => {
  it('refunds a sandbox order through the gateway: its refund event arrives, the order is refunded and the licence revoked', async () => {
    const { buyer, order } = await paidThroughSandbox();
    const response = await refund(order.id);
    expect(response.statusCode, response.body).toBe(200);
    // The order changes when the provider says the money went back, not before.
    const requested = response.json();
    expect(requested.events.map((e: { type: string }) => e.type)).toContain('refund_requested');
    expect(await auditCount(t.database.db, 'order.refund_request', order.id)).toBe(1);

    const refunded = await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    expect(refunded.refundedAt).not.toBeNull();
    expect(await licenseStatus(buyer, order.items[0]!.licenseId!)).toBe('revoked');
    expect(await auditCount(t.database.db, 'order.refund', order.id)).toBe(1);
    const events = await t.app.inject({ method: 'GET', url: `/api/admin/webhook-events?orderId=${order.id}`, headers: admin.headers });
    expect(events.json().data.map((e: { type: string; status: string }) => [e.type, e.status]))
      .toEqual(expect.arrayContaining([['payment.refunded', 'processed'], ['payment.succeeded', 'processed']]));

    const again = await refund(order.id);
    expect(again.statusCode).toBe(409);
  });

  it('a free order is refunded at once and what it granted is revoked', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const buyer = await signUp(t.app);
    const claimed = (await t.app.inject({ method: 'POST', url: '/api/checkout', headers: buyer.headers, payload: { items: [{ productSlug: product.slug }] } })).json();
    const response = await refund(claimed.order.id);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().status).toBe('refunded');
    expect(await licenseStatus(buyer, claimed.order.items[0].licenseId)).toBe('revoked');
  });

  it('orders that are not paid answer 409; unknown orders 404; a reason is required; customers get 403', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 3_000 });
    const buyer = await signUp(t.app);
    const pending = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    const declined = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${declined.payment.sessionId}/decline` });
    await waitForOrder(t.app, buyer.headers, declined.order.id, 'failed');
    const canceled = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await t.app.inject({ method: 'POST', url: `/api/orders/${canceled.order.id}/cancel`, headers: buyer.headers });

    for (const id of [pending.order.id, declined.order.id, canceled.order.id]) {
      const response = await refund(id);
      expect(response.statusCode, id).toBe(409);
      expect(response.json().error.code).toBe('CONFLICT');
    }
    expect((await refund('ord_doesnotexist')).statusCode).toBe(404);
    expect((await refund(pending.order.id, admin.headers, '')).statusCode).toBe(400);
    const { order: paid } = await paidThroughSandbox();
    expect((await refund(paid.id, buyer.headers)).statusCode).toBe(403);
    expect((await refund(paid.id, {})).statusCode).toBe(401);
    expect((await getOrder(t.app, buyer.headers, pending.order.id)).status).toBe('pending');
  });
});

describe('order expiry', () => {
  async function expire(orderId: string) {
    await t.database.db.update(orders).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(orders.id, orderId));
    return expirePendingOrders(t.app.commerce);
  }

  it('a pending order past its expiry is canceled and its coupon use released; one not yet due is left alone', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 8_000 });
    const code = `EXPIRE${Date.now().toString(36).toUpperCase()}`;
    const created = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code, kind: 'percent', value: 25, maxUses: 1 } });
    expect(created.statusCode, created.body).toBe(201);
    const buyer = await signUp(t.app);
    const { order } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: code });
    const other = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(order.expiresAt).not.toBeNull();

    expect(await expire(order.id)).toBe(1);
    const expired = await getOrder(t.app, buyer.headers, order.id);
    expect(expired).toMatchObject({ status: 'canceled', expiresAt: null });
    expect(expired.statusReason).toMatch(/expired/);
    expect(await auditCount(t.database.db, 'order.expire', order.id)).toBe(1);
    const [coupon] = await t.database.db.select().from(coupons).where(eq(coupons.code, code));
    expect(coupon!.usedCount).toBe(0);
    expect((await getOrder(t.app, buyer.headers, other.order.id)).status).toBe('pending');
    // Running the sweep again does nothing more.
    expect(await expirePendingOrders(t.app.commerce)).toBe(0);
  });

  it('the hosted page of an expired order refuses to pay (410)', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 8_000 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await expire(order.id);
    const page = await t.app.inject({ method: 'GET', url: `/api/pay/sandbox/${payment.sessionId}` });
    expect(page.statusCode).toBe(200);
    const pay = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    expect(pay.statusCode).toBe(410);
  });

  it('a payment that arrives after the order expired is honoured: paid, fulfilled, the coupon use taken again', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 8_000 });
    const code = `LATE${Date.now().toString(36).toUpperCase()}`;
    await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code, kind: 'fixed', value: 1_000, currency: 'INR', maxUses: 3 } });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: code });
    expect(order.total).toBe(7_000);
    await expire(order.id);
    const usedCount = async () => (await t.database.db.select().from(coupons).where(eq(coupons.code, code)))[0]!.usedCount;
    expect(await usedCount()).toBe(0);

    const { body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_late' }));
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect((await waitForEvent(t.database.db, 'sandbox', body.id)).status).toBe('processed');
    expect(fulfilled.items[0]!.licenseId).toMatch(/^lic_/);
    expect(fulfilled.total).toBe(7_000);
    expect(await usedCount()).toBe(1);
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
  });

  it("a late payment is honoured even when the coupon's last use has gone to someone else meanwhile", async () => {
    const product = await createProduct(t.app, admin.headers, { price: 8_000 });
    const code = `LAST${Date.now().toString(36).toUpperCase()}`;
    await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code, kind: 'percent', value: 50, maxUses: 1 } });
    const late = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, late.headers, { items: [{ productSlug: product.slug }], couponCode: code });
    await expire(order.id);
    const other = await signUp(t.app);
    await startPaidCheckout(t.app, other.headers, { items: [{ productSlug: product.slug }], couponCode: code });

    await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_last_use' }));
    const fulfilled = await waitForOrder(t.app, late.headers, order.id, 'fulfilled');
    expect(fulfilled.total).toBe(4_000);
    const [coupon] = await t.database.db.select().from(coupons).where(eq(coupons.code, code));
    expect(coupon!.usedCount).toBe(1);
  });

  it('a payment after a decline (the buyer tried again at the gateway) is honoured', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 8_000 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    await deliverSandbox(t.app, 'payment.failed', sandboxData(order, payment));
    await waitForOrder(t.app, buyer.headers, order.id, 'failed');
    await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_second_try' }));
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.statusReason).toBeNull();
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
  });
});

describe('closing an unpaid order', () => {
  it("the buyer's cancel closes the payment page too: Pay is refused and nothing is charged or granted", async () => {
    const product = await createProduct(t.app, admin.headers, { price: 6_000 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    const cancel = await t.app.inject({ method: 'POST', url: `/api/orders/${order.id}/cancel`, headers: buyer.headers });
    expect(cancel.json().status).toBe('canceled');
    const page = await t.app.inject({ method: 'GET', url: `/api/pay/sandbox/${payment.sessionId}` });
    expect(page.json().status).toBe('canceled');
    const pay = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    expect(pay.statusCode).toBe(409);
    expect((await getOrder(t.app, buyer.headers, order.id)).status).toBe('canceled');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
  });

  it('a product that has been sold cannot be deleted (409: archive it); the order keeps it', async () => {
    const { product, order, buyer } = await paidThroughSandbox(4_000);
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/admin/products/${product.id}`, headers: admin.headers });
    expect(removed.statusCode, removed.body).toBe(409);
    expect(removed.json().error.message).toMatch(/Archive it/);
    expect((await getOrder(t.app, buyer.headers, order.id)).items[0]!.productSlug).toBe(product.slug);
  });
});

describe('who sees which order', () => {
  it("a customer never sees another's order: 404 for it, and only their own in the list", async () => {
    const mine = await paidThroughSandbox(1_000);
    const theirs = await paidThroughSandbox(1_000);
    const peek = await t.app.inject({ method: 'GET', url: `/api/orders/${theirs.order.id}`, headers: mine.buyer.headers });
    expect(peek.statusCode).toBe(404);
    expect(peek.json().error.code).toBe('NOT_FOUND');
    const cancel = await t.app.inject({ method: 'POST', url: `/api/orders/${theirs.order.id}/cancel`, headers: mine.buyer.headers });
    expect(cancel.statusCode).toBe(404);
    const list = await t.app.inject({ method: 'GET', url: '/api/orders', headers: mine.buyer.headers });
    expect(list.json().data.map((o: { id: string }) => o.id)).toEqual([mine.order.id]);
    expect(list.json().meta).toMatchObject({ page: 1, total: 1 });
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/orders/${mine.order.id}` });
    expect(anonymous.statusCode).toBe(401);
    // Nor their licences.
    const licence = await t.app.inject({ method: 'GET', url: `/api/licenses/${theirs.order.items[0]!.licenseId}`, headers: mine.buyer.headers });
    expect(licence.statusCode).toBe(404);
  });

  it('the admin list filters by status, flagged and buyer email (or order id); customers get 403', async () => {
    const fulfilled = await paidThroughSandbox(1_000);
    const product = await createProduct(t.app, admin.headers, { price: 2_000 });
    const flaggedBuyer = await signUp(t.app);
    const flagged = await startPaidCheckout(t.app, flaggedBuyer.headers, { items: [{ productSlug: product.slug }] });
    const { body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(flagged.order, flagged.payment, { amount: 1 }));
    expect((await waitForEvent(t.database.db, 'sandbox', body.id)).status).toBe('rejected');

    const list = async (query: string) => {
      const response = await t.app.inject({ method: 'GET', url: `/api/admin/orders?perPage=100&${query}`, headers: admin.headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { data: { id: string; status: string; flagged: boolean; user: { email: string } }[]; meta: { total: number } };
    };
    const byEmail = await list(`search=${encodeURIComponent(fulfilled.buyer.email.toUpperCase())}`);
    expect(byEmail.data.map((o) => o.id)).toEqual([fulfilled.order.id]);
    expect(byEmail.data[0]!.user.email).toBe(fulfilled.buyer.email);
    expect((await list(`search=${flagged.order.id}`)).data.map((o) => o.id)).toEqual([flagged.order.id]);

    const onlyFlagged = await list('flagged=true');
    expect(onlyFlagged.data.map((o) => o.id)).toContain(flagged.order.id);
    expect(onlyFlagged.data.every((o) => o.flagged)).toBe(true);
    expect((await list('flagged=false')).data.map((o) => o.id)).not.toContain(flagged.order.id);

    const pending = await list('status=pending');
    expect(pending.data.map((o) => o.id)).toContain(flagged.order.id);
    expect(pending.data.every((o) => o.status === 'pending')).toBe(true);
    const done = await list(`status=fulfilled&search=${encodeURIComponent(fulfilled.buyer.email)}`);
    expect(done.meta.total).toBe(1);
    expect((await list(`status=refunded&search=${encodeURIComponent(fulfilled.buyer.email)}`)).data).toEqual([]);
    // A search with LIKE wildcards matches them literally.
    expect((await list('search=%25')).data).toEqual([]);

    const asCustomer = await t.app.inject({ method: 'GET', url: '/api/admin/orders', headers: fulfilled.buyer.headers });
    expect(asCustomer.statusCode).toBe(403);
    const detail = await t.app.inject({ method: 'GET', url: `/api/admin/orders/${fulfilled.order.id}`, headers: fulfilled.buyer.headers });
    expect(detail.statusCode).toBe(403);
  });
});
