import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { checkout, deliverSandbox, getOrder, sandboxData, startPaidCheckout, waitForEvent, waitForOrder, type Order } from '../../../test/support/commerce.js';
import { createProduct } from '../../../test/support/uploads.js';
import { expirePendingOrders } from './sweeps.js';
import { couponRedemptions, coupons, orders } from './tables.js';

/**
 * Coupons: the discount maths, every reason a code is refused, the race for a coupon's last use, uses given
 * back when an order does not go through, and the admin's coupon routes.
 */
type Buyer = Awaited<ReturnType<typeof signUp>>;
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };
/** Two customers shared by the tests (signing up is the slow part); every test makes its own coupon. */
let alice: Buyer;
let bob: Buyer;

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
  alice = await signUp(t.app, { name: 'Alice' });
  bob = await signUp(t.app, { name: 'Bob' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

let codes = 0;
const uniqueCode = (prefix = 'SAVE') => `${prefix}${Date.now().toString(36).toUpperCase()}${++codes}`;

async function createCoupon(body: Record<string, unknown>) {
  const response = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code: uniqueCode(), ...body } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { id: string; code: string; usedCount: number };
}

async function usedCount(id: string) {
  const [row] = await t.database.db.select({ usedCount: coupons.usedCount }).from(coupons).where(eq(coupons.id, id));
  return row!.usedCount;
}

async function quote(headers: Record<string, string>, items: { productSlug: string }[], couponCode: string) {
  return t.app.inject({ method: 'POST', url: '/api/checkout/quote', headers, payload: { items, couponCode } });
}

describe('discounts', () => {
  it('a percentage rounds down on the lines it applies to; the quote and the order agree', async () => {
    const theme = await createProduct(t.app, admin.headers, { price: 49_999 });
    const plugin = await createProduct(t.app, admin.headers, { price: 10_000 });
    const coupon = await createCoupon({ kind: 'percent', value: 33, productIds: [theme.id] });
    const buyer = alice;
    const items = [{ productSlug: theme.slug }, { productSlug: plugin.slug }];

    const preview = await quote(buyer.headers, items, coupon.code.toLowerCase());
    expect(preview.statusCode, preview.body).toBe(200);
    // 33% of 49,999 is 16,499.67: the discount is 16,499, and the plugin is not discounted.
    expect(preview.json()).toMatchObject({ subtotal: 59_999, discount: 16_499, total: 43_500, couponCode: coupon.code });
    expect(await usedCount(coupon.id)).toBe(0);

    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items, couponCode: coupon.code.toLowerCase() });
    expect(order).toMatchObject({ subtotal: 59_999, discount: 16_499, total: 43_500, couponCode: coupon.code });
    expect(await usedCount(coupon.id)).toBe(1);
    const session = await t.app.inject({ method: 'GET', url: `/api/pay/sandbox/${payment.sessionId}` });
    expect(session.json()).toMatchObject({ amount: 43_500, discount: 16_499 });
  });

  it('a fixed amount is taken off, never more than the eligible lines cost', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 5_000 });
    const buyer = alice;
    const small = await createCoupon({ kind: 'fixed', value: 1_250, currency: 'INR' });
    const preview = await quote(buyer.headers, [{ productSlug: product.slug }], small.code);
    expect(preview.json()).toMatchObject({ subtotal: 5_000, discount: 1_250, total: 3_750 });

    // A discount larger than the price makes the order free: it is fulfilled at once, with no payment page.
    const large = await createCoupon({ kind: 'fixed', value: 9_000, currency: 'INR' });
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: large.code });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().payment).toBeNull();
    expect(response.json().order).toMatchObject({ subtotal: 5_000, discount: 5_000, total: 0, status: 'fulfilled' });
    expect(response.json().order.items[0].licenseId).toMatch(/^lic_/);
    expect(await usedCount(large.id)).toBe(1);
  });
});

describe('codes that cannot be used', () => {
  const refusals: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
    ['unknown', async () => ({ code: 'NO-SUCH-CODE' }), /not valid/],
    ['inactive', async () => createCoupon({ kind: 'percent', value: 10, isActive: false }), /not valid/],
    ['not started', async () => createCoupon({ kind: 'percent', value: 10, startsAt: new Date(Date.now() + 3_600_000).toISOString() }), /not active yet/],
    ['ended', async () => createCoupon({ kind: 'percent', value: 10, startsAt: new Date(Date.now() - 7_200_000).toISOString(), endsAt: new Date(Date.now() - 3_600_000).toISOString() }), /expired/],
    ['for other products', async () => createCoupon({ kind: 'percent', value: 10, productIds: [(await createProduct(t.app, admin.headers, { price: 100 })).id] }), /does not apply/],
    ['in another currency', async () => createCoupon({ kind: 'fixed', value: 100, currency: 'USD' }), /USD/],
  ];
  for (const [name, make, message] of refusals) {
    it(`${name}: 400 COUPON_INVALID on couponCode, for the quote and the checkout, and nothing is reserved`, async () => {
      const coupon = await make();
      const product = await createProduct(t.app, admin.headers, { price: 2_000 });
      const buyer = alice;
      const ordersBefore = (await t.app.inject({ method: 'GET', url: '/api/orders', headers: buyer.headers })).json().meta.total;
      for (const url of ['/api/checkout/quote', '/api/checkout']) {
        const response = await t.app.inject({ method: 'POST', url, headers: buyer.headers, payload: { items: [{ productSlug: product.slug }], couponCode: coupon.code } });
        expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
        const { error } = response.json();
        expect(error.code).toBe('COUPON_INVALID');
        expect(error.message).toMatch(message);
        expect(error.details).toEqual([expect.objectContaining({ path: 'body.couponCode' })]);
      }
      if (typeof coupon.id === 'string') expect(await usedCount(coupon.id)).toBe(0);
      const mine = await t.app.inject({ method: 'GET', url: '/api/orders', headers: buyer.headers });
      expect(mine.json().meta.total).toBe(ordersBefore);
    });
  }

  it('a free product cannot take a coupon', async () => {
    const freebie = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const coupon = await createCoupon({ kind: 'percent', value: 50 });
    const buyer = alice;
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: freebie.slug }], couponCode: coupon.code });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('COUPON_INVALID');
  });

  it('the per-customer limit counts each buyer separately', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 3_000 });
    const coupon = await createCoupon({ kind: 'percent', value: 20, maxUsesPerCustomer: 1 });
    const first = alice;
    await startPaidCheckout(t.app, first.headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code });
    const again = await checkout(t.app, first.headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toMatch(/already used/);
    const second = bob;
    const theirs = await checkout(t.app, second.headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code });
    expect(theirs.statusCode, theirs.body).toBe(201);
    expect(await usedCount(coupon.id)).toBe(2);
  });
});

describe('the last use', () => {
  it('20 checkouts racing for a coupon with one use left: exactly one gets it', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 10_000 });
    const coupon = await createCoupon({ kind: 'percent', value: 50, maxUses: 1 });
    // Two buyers, ten checkouts each, all at once (no per-customer limit: only the last use is contested).
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      checkout(t.app, (i % 2 ? alice : bob).headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code })));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const response of responses.filter((r) => r.statusCode === 400)) {
      expect(response.json().error).toMatchObject({ code: 'COUPON_INVALID', message: 'This code has been used up' });
    }
    const winner = responses.find((r) => r.statusCode === 201)!.json();
    expect(winner.order).toMatchObject({ discount: 5_000, total: 5_000, couponCode: coupon.code });
    expect(await usedCount(coupon.id)).toBe(1);
    const redemptions = await t.database.db.select().from(couponRedemptions).where(eq(couponRedemptions.couponId, coupon.id));
    expect(redemptions.map((r) => r.orderId)).toEqual([winner.order.id]);
  });
});

describe('uses given back', () => {
  async function reservedOrder(couponCode: string, price = 4_000) {
    const product = await createProduct(t.app, admin.headers, { price });
    const buyer = alice;
    const started = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode });
    return { ...started, buyer, product };
  }

  it('a declined payment releases the use for someone else', async () => {
    const coupon = await createCoupon({ kind: 'percent', value: 10, maxUses: 1 });
    const { order, payment, buyer, product } = await reservedOrder(coupon.code);
    expect(await usedCount(coupon.id)).toBe(1);
    const other = bob;
    const refused = await checkout(t.app, other.headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code });
    expect(refused.statusCode).toBe(400);

    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/decline` });
    await waitForOrder(t.app, buyer.headers, order.id, 'failed');
    expect(await usedCount(coupon.id)).toBe(0);
    const accepted = await checkout(t.app, other.headers, { items: [{ productSlug: product.slug }], couponCode: coupon.code });
    expect(accepted.statusCode, accepted.body).toBe(201);
  });

  it('the buyer canceling the unpaid order releases the use; a paid order cannot be canceled', async () => {
    const coupon = await createCoupon({ kind: 'fixed', value: 500, currency: 'INR', maxUses: 5 });
    const { order, buyer } = await reservedOrder(coupon.code);
    expect(await usedCount(coupon.id)).toBe(1);
    const stranger = bob;
    const notTheirs = await t.app.inject({ method: 'POST', url: `/api/orders/${order.id}/cancel`, headers: stranger.headers });
    expect(notTheirs.statusCode).toBe(404);
    const canceled = await t.app.inject({ method: 'POST', url: `/api/orders/${order.id}/cancel`, headers: buyer.headers });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json().status).toBe('canceled');
    expect(await usedCount(coupon.id)).toBe(0);
    const twice = await t.app.inject({ method: 'POST', url: `/api/orders/${order.id}/cancel`, headers: buyer.headers });
    expect(twice.statusCode).toBe(409);
    expect(await usedCount(coupon.id)).toBe(0);

    const paid = await reservedOrder(coupon.code);
    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${paid.payment.sessionId}/pay` });
    await waitForOrder(t.app, paid.buyer.headers, paid.order.id, 'fulfilled');
    const late = await t.app.inject({ method: 'POST', url: `/api/orders/${paid.order.id}/cancel`, headers: paid.buyer.headers });
    expect(late.statusCode).toBe(409);
    expect(await usedCount(coupon.id)).toBe(1);
  });

  it('an order that expires unpaid releases the use', async () => {
    const coupon = await createCoupon({ kind: 'percent', value: 10, maxUses: 1 });
    const { order, buyer } = await reservedOrder(coupon.code);
    await t.database.db.update(orders).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(orders.id, order.id));
    expect(await expirePendingOrders(t.app.commerce)).toBeGreaterThanOrEqual(1);
    const expired = await waitForOrder(t.app, buyer.headers, order.id, 'canceled');
    expect(expired.statusReason).toMatch(/expired/);
    expect(await usedCount(coupon.id)).toBe(0);
  });

  // Every audited transaction takes one advisory lock (the audit chain's) and holds it to its end. A checkout
  // locks the coupon row before its audit; giving a use back must not take them the other way round (audit
  // first, then the coupon row), or the two deadlock and PostgreSQL kills one. Holding the audit lock here
  // lines both up at that lock so that, were the order wrong, they would meet head-on.
  const releasers: [string, (o: { order: Order; payment: { sessionId: string }; buyer: { headers: Record<string, string> } }) => Promise<() => Promise<void>>][] = [
    ['a declined payment', async ({ order, payment }) => {
      const { body } = await deliverSandbox(t.app, 'payment.failed', sandboxData(order, payment));
      return async () => {
        const event = await waitForEvent(t.database.db, 'sandbox', body.id);
        expect(event).toMatchObject({ status: 'processed', attempts: 1, error: null });
      };
    }],
    ['the buyer canceling', async ({ order, buyer }) => {
      const canceling = t.app.inject({ method: 'POST', url: `/api/orders/${order.id}/cancel`, headers: buyer.headers });
      return async () => {
        const response = await canceling;
        expect(response.statusCode, response.body).toBe(200);
      };
    }],
  ];
  for (const [name, release] of releasers) {
    it(`${name} giving a use back while another checkout takes the same coupon: both go through, first time`, async () => {
      const coupon = await createCoupon({ kind: 'percent', value: 10, maxUses: 10 });
      const reserved = await reservedOrder(coupon.code);
      const other = bob;
      const blocker = new pg.Client({ connectionString: t.database.url });
      await blocker.connect();
      const waiting = async () => {
        const { rows } = await blocker.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        return rows[0]!.n;
      };
      try {
        await blocker.query('select pg_advisory_lock(727002)'); // lib/audit.ts CHAIN_LOCK
        const released = await release(reserved);
        expect(await eventually(async () => (await waiting()) >= 1, 10_000)).toBe(true);
        const racing = checkout(t.app, other.headers, { items: [{ productSlug: reserved.product.slug }], couponCode: coupon.code });
        expect(await eventually(async () => (await waiting()) >= 2, 10_000)).toBe(true);
        await blocker.query('select pg_advisory_unlock(727002)');

        const response = await racing;
        expect(response.statusCode, response.body).toBe(201);
        await released();
        expect((await getOrder(t.app, reserved.buyer.headers, reserved.order.id)).status).toMatch(/^(failed|canceled)$/);
        expect(await usedCount(coupon.id)).toBe(1);
      } finally {
        await blocker.end();
      }
    });
  }
});

describe('admin coupon routes', () => {
  it('create, list, change, and a duplicate code (any case) is 409', async () => {
    const code = uniqueCode('LAUNCH');
    const created = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code: code.toLowerCase(), kind: 'percent', value: 15, description: 'Launch week' } });
    expect(created.statusCode, created.body).toBe(201);
    const coupon = created.json();
    expect(coupon).toMatchObject({ code, kind: 'percent', value: 15, usedCount: 0, isActive: true, productIds: [], maxUses: null });
    expect(coupon.id).toMatch(/^[a-z]+_/);

    const duplicate = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code, kind: 'fixed', value: 100, currency: 'INR' } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.details).toEqual([expect.objectContaining({ path: 'body.code' })]);

    const list = await t.app.inject({ method: 'GET', url: `/api/admin/coupons?search=${code.slice(0, 8)}`, headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((c: { code: string }) => c.code)).toContain(code);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/admin/coupons/${coupon.id}`, headers: admin.headers, payload: { value: 25, maxUses: 3 } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ value: 25, maxUses: 3 });

    const other = await createCoupon({ kind: 'percent', value: 5 });
    const clash = await t.app.inject({ method: 'PATCH', url: `/api/admin/coupons/${other.id}`, headers: admin.headers, payload: { code } });
    expect(clash.statusCode).toBe(409);

    const invalid = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code: uniqueCode(), kind: 'percent', value: 150 } });
    expect(invalid.statusCode).toBe(400);
    const noCurrency = await t.app.inject({ method: 'POST', url: '/api/admin/coupons', headers: admin.headers, payload: { code: uniqueCode(), kind: 'fixed', value: 150 } });
    expect(noCurrency.statusCode).toBe(400);
  });

  it('a change that makes the coupon invalid as a whole is a 400 on the field; a limit below its uses is a 409', async () => {
    const percent = await createCoupon({ kind: 'percent', value: 20, startsAt: new Date(Date.now() - 3_600_000).toISOString() });
    const patch = (id: string, payload: Record<string, unknown>) =>
      t.app.inject({ method: 'PATCH', url: `/api/admin/coupons/${id}`, headers: admin.headers, payload });
    const cases: [Record<string, unknown>, string][] = [
      [{ value: 150 }, 'body.value'],
      [{ kind: 'fixed' }, 'body.currency'],
      [{ endsAt: new Date(Date.now() - 7_200_000).toISOString() }, 'body.endsAt'],
    ];
    for (const [payload, path] of cases) {
      const response = await patch(percent.id, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
      expect(response.json().error.details).toEqual([expect.objectContaining({ path })]);
    }
    const [unchanged] = await t.database.db.select().from(coupons).where(eq(coupons.id, percent.id));
    expect(unchanged).toMatchObject({ kind: 'percent', value: 20, endsAt: null });

    const limited = await createCoupon({ kind: 'percent', value: 10, maxUses: 5 });
    const product = await createProduct(t.app, admin.headers, { price: 1_000 });
    for (const buyer of [alice, bob]) await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: limited.code });
    const below = await patch(limited.id, { maxUses: 1 });
    expect(below.statusCode).toBe(409);
    expect(below.json().error.details).toEqual([expect.objectContaining({ path: 'body.maxUses' })]);
    expect((await patch(limited.id, { maxUses: 2 })).statusCode).toBe(200);
  });

  it('deleting an unused coupon removes it; one an order used is deactivated instead', async () => {
    const unused = await createCoupon({ kind: 'percent', value: 5 });
    const gone = await t.app.inject({ method: 'DELETE', url: `/api/admin/coupons/${unused.id}`, headers: admin.headers });
    expect(gone.statusCode, gone.body).toBe(200);
    expect(gone.json()).toEqual({ deleted: true });
    expect(await t.database.db.select().from(coupons).where(eq(coupons.id, unused.id))).toEqual([]);

    const used = await createCoupon({ kind: 'percent', value: 5 });
    const product = await createProduct(t.app, admin.headers, { price: 1_000 });
    const buyer = alice;
    const { order } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: used.code });
    const kept = await t.app.inject({ method: 'DELETE', url: `/api/admin/coupons/${used.id}`, headers: admin.headers });
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toEqual({ deleted: false });
    const [row] = await t.database.db.select().from(coupons).where(eq(coupons.id, used.id));
    expect(row!.isActive).toBe(false);
    const adminOrder = await t.app.inject({ method: 'GET', url: `/api/admin/orders/${order.id}`, headers: admin.headers });
    expect(adminOrder.json().couponCode).toBe(used.code);
    const refused = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], couponCode: used.code });
    expect(refused.statusCode).toBe(400);
  });

  it('customers get 403 and anonymous callers 401 on every coupon route', async () => {
    const customer = alice;
    const coupon = await createCoupon({ kind: 'percent', value: 5 });
    const routes = [
      { method: 'GET' as const, url: '/api/admin/coupons' },
      { method: 'POST' as const, url: '/api/admin/coupons', payload: { code: uniqueCode(), kind: 'percent', value: 5 } },
      { method: 'PATCH' as const, url: `/api/admin/coupons/${coupon.id}`, payload: { value: 90 } },
      { method: 'DELETE' as const, url: `/api/admin/coupons/${coupon.id}` },
    ];
    for (const route of routes) {
      const asCustomer = await t.app.inject({ ...route, headers: customer.headers });
      expect(asCustomer.statusCode, `${route.method} ${route.url}`).toBe(403);
      const anonymous = await t.app.inject(route);
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBe(401);
    }
    const [row] = await t.database.db.select().from(coupons).where(eq(coupons.id, coupon.id));
    expect(row!.value).toBe(5);
  });
});
