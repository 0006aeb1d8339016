import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { checkout, createApiProduct, getOrder, startPaidCheckout, waitForOrder } from '../../../test/support/commerce.js';
import { createProduct } from '../../../test/support/uploads.js';
import { mailbox } from '../mail/tables.js';
import { orders } from './tables.js';

/**
 * Checkout as a buyer sees it (API.md "Checkout, payments, orders"): paid orders through the sandbox gateway's
 * hosted page and its signed webhook, free orders at once, what fulfilment grants for each product type, and
 * what checkout refuses.
 */
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
  // The sandbox gateway delivers its webhooks to this instance's own address.
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

const keyPattern = /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/;
const dayMs = 24 * 60 * 60 * 1000;

async function orderRows(buyerId: string) {
  return t.database.db.select({ id: orders.id }).from(orders).where(eq(orders.userId, buyerId));
}

/** The receipt mail sent to `email` (the mailbox also holds the sign-up confirmation). */
async function receiptFor(email: string) {
  let receipt: typeof mailbox.$inferSelect | undefined;
  const arrived = await eventually(async () => {
    [receipt] = await t.database.db.select().from(mailbox).where(and(eq(mailbox.to, email), like(mailbox.subject, '%receipt%')));
    return Boolean(receipt);
  }, 10_000);
  if (!arrived) throw new Error(`no receipt for ${email}`);
  return receipt!;
}

async function license(headers: Record<string, string>, id: string) {
  const response = await t.app.inject({ method: 'GET', url: `/api/licenses/${id}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

describe('paid checkout through the sandbox', () => {
  it('quotes, opens the hosted page, pays, and fulfils with a licence and a receipt', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'downloadable', price: 49900, title: 'Aurora Theme' });
    const buyer = await signUp(t.app);

    const quote = await t.app.inject({ method: 'POST', url: '/api/checkout/quote', headers: buyer.headers, payload: { items: [{ productSlug: product.slug }] } });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(quote.json()).toMatchObject({ subtotal: 49900, discount: 0, total: 49900, currency: 'INR', providers: ['sandbox'], paymentsPaused: false });
    // A quote creates nothing.
    expect(await orderRows(buyer.userId)).toHaveLength(0);

    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(response.statusCode, response.body).toBe(201);
    const { order, payment } = response.json();
    expect(order).toMatchObject({ status: 'pending', subtotal: 49900, total: 49900, currency: 'INR', provider: 'sandbox', paidAt: null });
    expect(order.id).toMatch(/^ord_/);
    expect(order.items).toEqual([expect.objectContaining({ productId: product.id, productSlug: product.slug, licenseType: 'commercial_single', price: 49900, licenseId: null })]);
    expect(payment).toMatchObject({ provider: 'sandbox', sessionId: expect.any(String) });
    expect(payment.url).toContain(`/pay/sandbox/${payment.sessionId}`);

    const session = await t.app.inject({ method: 'GET', url: `/api/pay/sandbox/${payment.sessionId}` });
    expect(session.statusCode, session.body).toBe(200);
    expect(session.json()).toMatchObject({ status: 'open', amount: 49900, currency: 'INR', orderId: order.id, items: [{ name: 'Aurora Theme', amount: 49900 }] });

    const paid = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json().status).toBe('processing');
    // One answer per session.
    const again = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    expect(again.statusCode).toBe(409);

    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.paidAt).not.toBeNull();
    const licenseId = fulfilled.items[0]!.licenseId;
    expect(licenseId).toMatch(/^lic_/);
    expect(fulfilled.items[0]!.apiKeyId).toBeNull();

    const list = await t.app.inject({ method: 'GET', url: '/api/licenses', headers: buyer.headers });
    expect(list.statusCode).toBe(200);
    const licenses = list.json().data;
    expect(licenses).toHaveLength(1);
    expect(licenses[0]).toMatchObject({ id: licenseId, productId: product.id, productSlug: product.slug, type: 'commercial_single', status: 'active', maxUsage: 1, expiresAt: null });
    expect(licenses[0].key).toMatch(keyPattern);

    // The receipt goes out after the fulfilment commits, with the licence key in it.
    const receipt = await receiptFor(buyer.email);
    expect(receipt.subject).toContain(order.id);
    expect(receipt.text).toContain(licenses[0].key);
    expect(receipt.text).toContain('Aurora Theme');
  });

  it('a declined payment fails the order and grants nothing', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 1500 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    const declined = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/decline` });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json().status).toBe('declined');
    const failed = await waitForOrder(t.app, buyer.headers, order.id, 'failed');
    expect(failed.statusReason).toMatch(/declined/i);
    expect(failed.items[0]!.licenseId).toBeNull();
    const list = await t.app.inject({ method: 'GET', url: '/api/licenses', headers: buyer.headers });
    expect(list.json().data).toEqual([]);
  });

  it('a second purchase of the same product is allowed and grants a second licence', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 2500 });
    const buyer = await signUp(t.app);
    for (let i = 0; i < 2; i++) {
      const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
      await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
      await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    }
    const list = await t.app.inject({ method: 'GET', url: '/api/licenses', headers: buyer.headers });
    const keys = list.json().data.map((l: { key: string }) => l.key);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });
});

describe('free checkout', () => {
  it('fulfils a free product at once: no payment session, a licence', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const buyer = await signUp(t.app);
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.payment).toBeNull();
    expect(body.order).toMatchObject({ status: 'fulfilled', total: 0, provider: null, expiresAt: null });
    expect(body.order.paidAt).not.toBeNull();
    const lic = await license(buyer.headers, body.order.items[0].licenseId);
    expect(lic).toMatchObject({ type: 'free_unlimited', status: 'active', productSlug: product.slug });
    expect(lic.key).toMatch(keyPattern);
  });

  it('a demo licence expires in 30 days', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'demo', price: 0, defaultLicense: 'demo' });
    const buyer = await signUp(t.app);
    const before = Date.now();
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(response.statusCode, response.body).toBe(201);
    const lic = await license(buyer.headers, response.json().order.items[0].licenseId);
    expect(lic.type).toBe('demo');
    const expires = new Date(lic.expiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 30 * dayMs - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * dayMs + 1000);
  });

  it('a free_attribution licence carries its attribution text, also in the receipt', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0, defaultLicense: 'free_attribution', title: 'Nimbus Icons' });
    const buyer = await signUp(t.app);
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(response.statusCode, response.body).toBe(201);
    const lic = await license(buyer.headers, response.json().order.items[0].licenseId);
    expect(lic.type).toBe('free_attribution');
    expect(lic.attribution).toEqual({ required: true, text: 'Made with Nimbus Icons by Mintreu' });
    const { text } = await receiptFor(buyer.email);
    expect(text).toContain('Made with Nimbus Icons by Mintreu');
    expect(text).toContain(lic.key);
  });
});

describe('API products', () => {
  it('a plan bought through the sandbox grants an api_subscription licence and one API key, revealed once', async () => {
    const product = await createApiProduct(t.app, admin.headers, { price: 99900 });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug, planSlug: product.plan.slug }] });
    expect(order.items[0]).toMatchObject({ planId: product.plan.id, licenseType: 'api_subscription', price: 99900 });
    await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const item = fulfilled.items[0]!;
    expect(item.licenseId).toMatch(/^lic_/);
    expect(item.apiKeyId).toMatch(/^key_/);
    const lic = await license(buyer.headers, item.licenseId!);
    expect(lic).toMatchObject({ type: 'api_subscription', status: 'active', planId: product.plan.id });

    const keys = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: buyer.headers });
    expect(keys.json().data).toEqual([expect.objectContaining({ id: item.apiKeyId, licenseId: item.licenseId, status: 'active', environment: 'live' })]);

    const reveal = await t.app.inject({ method: 'POST', url: `/api/api-keys/${item.apiKeyId}/reveal`, headers: buyer.headers });
    expect(reveal.statusCode, reveal.body).toBe(200);
    expect(reveal.json().key).toMatch(/^mk_live_/);
    const second = await t.app.inject({ method: 'POST', url: `/api/api-keys/${item.apiKeyId}/reveal`, headers: buyer.headers });
    expect(second.statusCode).toBe(410);
    expect(second.json().error.code).toBe('GONE');
    // Nobody else can reveal it either.
    const other = await signUp(t.app);
    const stranger = await t.app.inject({ method: 'POST', url: `/api/api-keys/${item.apiKeyId}/reveal`, headers: other.headers });
    expect(stranger.statusCode).toBe(404);
  });

  it('needs a plan (400) that exists and is active (404)', async () => {
    const product = await createApiProduct(t.app, admin.headers);
    const buyer = await signUp(t.app);
    const missing = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toEqual([expect.objectContaining({ path: 'body.items.0.planSlug' })]);
    const unknown = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug, planSlug: 'no-such-plan' }] });
    expect(unknown.statusCode).toBe(404);
    const inactive = await t.app.inject({ method: 'PATCH', url: `/api/admin/plans/${product.plan.id}`, headers: admin.headers, payload: { isActive: false } });
    expect(inactive.statusCode, inactive.body).toBe(200);
    const retired = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug, planSlug: product.plan.slug }] });
    expect(retired.statusCode).toBe(404);
    // A plan on a product that has none is refused too.
    const plain = await createProduct(t.app, admin.headers, { price: 100 });
    const stray = await checkout(t.app, buyer.headers, { items: [{ productSlug: plain.slug, planSlug: 'starter' }] });
    expect(stray.statusCode).toBe(400);
    expect(await orderRows(buyer.userId)).toHaveLength(0);
  });
});

describe('what checkout refuses', () => {
  it('unpublished, archived and unknown products answer 404 and create no order', async () => {
    const buyer = await signUp(t.app);
    const draft = await createProduct(t.app, admin.headers, { price: 100, status: 'draft' });
    const archived = await createProduct(t.app, admin.headers, { price: 100, status: 'archived' });
    const inReview = await createProduct(t.app, admin.headers, { price: 0, type: 'freebie', status: 'review' });
    const published = await createProduct(t.app, admin.headers, { price: 100 });
    for (const slug of [draft.slug, archived.slug, inReview.slug, 'no-such-product']) {
      const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: slug }] });
      expect(response.statusCode, slug).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
    // One bad item spoils the whole order.
    const mixed = await checkout(t.app, buyer.headers, { items: [{ productSlug: published.slug }, { productSlug: draft.slug }] });
    expect(mixed.statusCode).toBe(404);
    expect(await orderRows(buyer.userId)).toHaveLength(0);
  });

  it('items in different currencies answer 400', async () => {
    const buyer = await signUp(t.app);
    const inr = await createProduct(t.app, admin.headers, { price: 100, currency: 'INR' });
    const usd = await createProduct(t.app, admin.headers, { price: 100, currency: 'USD' });
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: inr.slug }, { productSlug: usd.slug }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(await orderRows(buyer.userId)).toHaveLength(0);
  });

  it('unknown fields, a wrong licence type and malformed bodies answer 400', async () => {
    const buyer = await signUp(t.app);
    const product = await createProduct(t.app, admin.headers, { price: 100 });
    const bodies = [
      { items: [{ productSlug: product.slug }], price: 1 },
      { items: [{ productSlug: product.slug, price: 1 }] },
      { items: [] },
      { items: [{ productSlug: product.slug }], provider: 'paypal' },
      { items: [{ productSlug: product.slug, licenseType: 'commercial_enterprise' }] },
      {},
    ];
    for (const payload of bodies) {
      const response = await checkout(t.app, buyer.headers, payload as never);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect(await orderRows(buyer.userId)).toHaveLength(0);
  });

  it('a provider this instance does not offer answers 400', async () => {
    const buyer = await signUp(t.app);
    const product = await createProduct(t.app, admin.headers, { price: 100 });
    const response = await checkout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], provider: 'stripe' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([expect.objectContaining({ path: 'body.provider' })]);
  });

  it('anonymous callers get 401', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 100 });
    const response = await checkout(t.app, {}, { items: [{ productSlug: product.slug }] });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
    const quote = await t.app.inject({ method: 'POST', url: '/api/checkout/quote', payload: { items: [{ productSlug: product.slug }] } });
    expect(quote.statusCode).toBe(401);
  });

  it('the order shows what was bought at the price paid, even after the product changes', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 700, title: 'Old Title' });
    const buyer = await signUp(t.app);
    const { order } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }] });
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/admin/products/${product.id}`, headers: admin.headers, payload: { price: 900, title: 'New Title' } });
    expect(patched.statusCode, patched.body).toBe(200);
    const current = await getOrder(t.app, buyer.headers, order.id);
    expect(current.items[0]).toMatchObject({ price: 700, productTitle: 'Old Title' });
    expect(current.total).toBe(700);
  });
});
