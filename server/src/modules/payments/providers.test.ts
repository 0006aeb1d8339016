import { createHmac, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeDisputeCreated, chargeRefunded, checkoutSessionCompleted, checkoutSessionExpired } from '../../adapters/payments/fixtures/stripe-events.js';
import { orderPaid, paymentCaptured } from '../../adapters/payments/fixtures/razorpay-events.js';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import {
  auditCount, deliverSandbox, getOrder, licenseCountOfOrder, sandboxData, startPaidCheckout, waitForEvent, waitForOrder,
} from '../../../test/support/commerce.js';
import { startFakePayments, type FakePayments } from '../../../test/support/fake-payments.js';
import { createProduct } from '../../../test/support/uploads.js';

/**
 * Stripe and Razorpay orders end to end against the fake provider APIs: checkout opens a session there, and the
 * provider's own signed webhook (Stripe-Signature, X-Razorpay-Signature) pays and fulfils the order. Events of
 * one provider never move another provider's order.
 */
const credentials = { stripeSecretKey: 'sk_test_providers_0123456789', razorpayKeyId: 'rzp_test_providers', razorpayKeySecret: 'rzp_secret_providers' };
const stripeWebhookSecret = 'whsec_stripe_providers_test';
const razorpayWebhookSecret = 'razorpay_webhook_providers_test';
const stripeSigner = new Stripe('sk_test_signer_only').webhooks;

let fake: FakePayments;
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  fake = await startFakePayments(credentials);
  t = await createTestApp({
    env: {
      STRIPE_SECRET_KEY: credentials.stripeSecretKey,
      STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
      STRIPE_API_BASE: fake.url,
      RAZORPAY_KEY_ID: credentials.razorpayKeyId,
      RAZORPAY_KEY_SECRET: credentials.razorpayKeySecret,
      RAZORPAY_WEBHOOK_SECRET: razorpayWebhookSecret,
      RAZORPAY_API_BASE: fake.url,
      // Kept beside the real providers so a sandbox event for a Stripe order can be tried.
      PAYMENT_SANDBOX_ENABLED: 'true',
    },
  });
  admin = await asAdmin(t.app);
});
afterAll(async () => {
  await t?.close();
  await t?.dropDatabase();
  await fake?.close();
});

/** Posts a Stripe event signed with `secret`. The fixtures share ids between event types: each gets its own here. */
async function postStripe(body: { id: string }, secret = stripeWebhookSecret) {
  body.id = `evt_1${randomBytes(12).toString('hex')}`;
  const payload = JSON.stringify(body);
  const signature = stripeSigner.generateTestHeaderString({ payload, secret });
  return t.app.inject({ method: 'POST', url: '/api/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload });
}

async function postRazorpay(body: object, eventId = `evt_${randomBytes(7).toString('hex')}`) {
  const payload = JSON.stringify(body);
  const signature = createHmac('sha256', razorpayWebhookSecret).update(payload).digest('hex');
  const response = await t.app.inject({
    method: 'POST', url: '/api/webhooks/razorpay',
    headers: { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId },
    payload,
  });
  return { response, eventId };
}

const now = () => Math.floor(Date.now() / 1000);
/** An entity inside a Razorpay fixture's payload, to point it at our order. */
const entity = (body: { payload: Record<string, unknown> }, name: string) => (body.payload[name] as { entity: Record<string, unknown> }).entity;

describe('Stripe', () => {
  async function stripeOrder(price = 4_900) {
    const product = await createProduct(t.app, admin.headers, { price, currency: 'USD' });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], provider: 'stripe' });
    return { buyer, order, payment, product };
  }

  it('checkout opens a Checkout Session at Stripe; checkout.session.completed fulfils the order; a refund revokes it', async () => {
    const { buyer, order, payment } = await stripeOrder();
    expect(order).toMatchObject({ provider: 'stripe', total: 4_900, currency: 'USD', status: 'pending' });
    expect(payment.provider).toBe('stripe');
    expect(payment.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const created = fake.requests.find((r) => r.url.startsWith('/v1/checkout/sessions') && r.form.client_reference_id === order.id);
    expect(created?.form).toMatchObject({ 'metadata[orderId]': order.id, 'line_items[0][price_data][unit_amount]': '4900', 'line_items[0][price_data][currency]': 'usd' });

    const paymentIntent = `pi_3${randomBytes(10).toString('hex')}`;
    const event = checkoutSessionCompleted(order.id, now(), { id: payment.sessionId, payment_intent: paymentIntent });
    const response = await postStripe(event);
    expect(response.statusCode, response.body).toBe(200);
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.items[0]!.licenseId).toMatch(/^lic_/);
    expect((await waitForEvent(t.database.db, 'stripe', event.id)).status).toBe('processed');

    // The admin refunds: the request goes to Stripe with the payment intent; Stripe's charge.refunded finishes it.
    const refund = await t.app.inject({ method: 'POST', url: `/api/admin/orders/${order.id}/refund`, headers: admin.headers, payload: { reason: 'customer asked' } });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(refund.json().status).toBe('fulfilled');
    const sent = fake.requests.find((r) => r.url.startsWith('/v1/refunds') && r.form.payment_intent === paymentIntent);
    expect(sent?.form).toMatchObject({ amount: '4900', 'metadata[orderId]': order.id });
    const refunded = chargeRefunded(order.id, now(), 4_900);
    Object.assign(refunded.data.object, { payment_intent: paymentIntent });
    expect((await postStripe(refunded)).statusCode).toBe(200);
    await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    const license = await t.app.inject({ method: 'GET', url: `/api/licenses/${fulfilled.items[0]!.licenseId}`, headers: buyer.headers });
    expect(license.json().status).toBe('revoked');
  });

  it('a wrongly signed Stripe delivery is refused; an expired session cancels the order', async () => {
    const { buyer, order, payment } = await stripeOrder();
    const forged = checkoutSessionCompleted(order.id, now(), { id: payment.sessionId });
    const refused = await postStripe(forged, 'whsec_someone_else');
    expect(refused.statusCode).toBe(400);
    expect((await getOrder(t.app, buyer.headers, order.id)).status).toBe('pending');

    const expired = checkoutSessionExpired(order.id, now());
    Object.assign(expired.data.object, { id: payment.sessionId });
    expect((await postStripe(expired)).statusCode).toBe(200);
    await waitForOrder(t.app, buyer.headers, order.id, 'canceled');
  });

  it('a refund Stripe reports before the payment (matched by the payment intent alone) is deferred; the order ends refunded', async () => {
    const { buyer, order, payment } = await stripeOrder();
    const paymentIntent = `pi_3${randomBytes(10).toString('hex')}`;
    // The charge carries no order id (its metadata is empty): only the payment intent ties it to the order.
    const refunded = chargeRefunded(null, now(), 4_900);
    Object.assign(refunded.data.object, { payment_intent: paymentIntent });
    expect((await postStripe(refunded)).statusCode).toBe(200);
    expect((await waitForEvent(t.database.db, 'stripe', refunded.id)).status).toBe('deferred');

    const completed = checkoutSessionCompleted(order.id, now(), { id: payment.sessionId, payment_intent: paymentIntent });
    expect((await postStripe(completed)).statusCode).toBe(200);
    await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    expect((await waitForEvent(t.database.db, 'stripe', refunded.id)).status).toBe('processed');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
  });

  it('a dispute Stripe reports after fulfilment (matched by the payment intent) revokes the licence', async () => {
    const { buyer, order, payment } = await stripeOrder();
    const paymentIntent = `pi_3${randomBytes(10).toString('hex')}`;
    expect((await postStripe(checkoutSessionCompleted(order.id, now(), { id: payment.sessionId, payment_intent: paymentIntent }))).statusCode).toBe(200);
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const dispute = chargeDisputeCreated(now());
    Object.assign(dispute.data.object, { payment_intent: paymentIntent });
    expect((await postStripe(dispute)).statusCode).toBe(200);
    await waitForOrder(t.app, buyer.headers, order.id, 'disputed');
    const license = await t.app.inject({ method: 'GET', url: `/api/licenses/${fulfilled.items[0]!.licenseId}`, headers: buyer.headers });
    expect(license.json().status).toBe('revoked');
  });

  it('a sandbox event for a Stripe order is rejected: the order is not paid', async () => {
    const { buyer, order, payment } = await stripeOrder();
    const { response, body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_forged' }));
    expect(response.statusCode).toBe(200);
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);
    expect(row.status).toBe('rejected');
    expect(row.error).toMatch(/stripe, not sandbox/);
    const current = await getOrder(t.app, buyer.headers, order.id);
    expect(current.status).toBe('pending');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
  });

  it('Stripe cannot open a session: 502, nothing charged, the order fails', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 4_900, currency: 'USD' });
    const buyer = await signUp(t.app);
    fake.failWith = { status: 500 };
    try {
      const response = await t.app.inject({ method: 'POST', url: '/api/checkout', headers: buyer.headers, payload: { items: [{ productSlug: product.slug }], provider: 'stripe' } });
      expect(response.statusCode).toBe(502);
      expect(response.json().error.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    } finally {
      fake.failWith = null;
    }
    const list = await t.app.inject({ method: 'GET', url: '/api/orders', headers: buyer.headers });
    expect(list.json().data.map((o: { status: string }) => o.status)).toEqual(['failed']);
  });
});

describe('Razorpay', () => {
  it('checkout creates a Razorpay order; payment.captured fulfils ours (found by the Razorpay order id); order.paid after it changes nothing', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 49_900, currency: 'INR' });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], provider: 'razorpay' });
    expect(order).toMatchObject({ provider: 'razorpay', total: 49_900, currency: 'INR' });
    expect(payment.sessionId).toMatch(/^order_/);
    expect(payment.url).toContain(`/pay/razorpay/${payment.sessionId}`);
    const created = fake.requests.find((r) => r.url === '/v1/orders' && (r.json as { receipt?: string }).receipt === order.id);
    expect(created?.json).toMatchObject({ amount: 49_900, currency: 'INR', notes: { orderId: order.id } });

    // The payment carries no notes of ours: only its Razorpay order id ties it to our order.
    const captured = paymentCaptured(null, now());
    Object.assign(entity(captured, 'payment'), { order_id: payment.sessionId });
    const { response, eventId } = await postRazorpay(captured);
    expect(response.statusCode, response.body).toBe(200);
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    expect(fulfilled.items[0]!.licenseId).toMatch(/^lic_/);
    expect((await waitForEvent(t.database.db, 'razorpay', eventId)).status).toBe('processed');

    const paid = orderPaid(order.id, now());
    Object.assign(entity(paid, 'order'), { id: payment.sessionId });
    Object.assign(entity(paid, 'payment'), { order_id: payment.sessionId });
    const second = await postRazorpay(paid);
    expect(second.response.statusCode).toBe(200);
    expect((await waitForEvent(t.database.db, 'razorpay', second.eventId)).status).toBe('ignored');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'order.fulfil', order.id)).toBe(1);

    // The same delivery again (Razorpay retries with the same event id) is a duplicate.
    const retry = await postRazorpay(captured, eventId);
    expect(retry.response.json()).toEqual({ received: true, duplicate: true });
  });

  it('payment.captured and order.paid for the same order arriving together fulfil it once', async () => {
    const product = await createProduct(t.app, admin.headers, { price: 49_900, currency: 'INR' });
    const buyer = await signUp(t.app);
    const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: [{ productSlug: product.slug }], provider: 'razorpay' });
    const captured = paymentCaptured(order.id, now());
    Object.assign(entity(captured, 'payment'), { order_id: payment.sessionId });
    const paid = orderPaid(order.id, now());
    Object.assign(entity(paid, 'order'), { id: payment.sessionId });
    Object.assign(entity(paid, 'payment'), { order_id: payment.sessionId });
    const [a, b] = await Promise.all([postRazorpay(captured), postRazorpay(paid)]);
    expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
    await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const statuses = [(await waitForEvent(t.database.db, 'razorpay', a.eventId)).status, (await waitForEvent(t.database.db, 'razorpay', b.eventId)).status];
    expect(statuses.sort()).toEqual(['ignored', 'processed']);
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'order.fulfil', order.id)).toBe(1);
  });

  it('a Razorpay delivery with a bad signature is refused', async () => {
    const payload = JSON.stringify(paymentCaptured(null, now()));
    const response = await t.app.inject({
      method: 'POST', url: '/api/webhooks/razorpay',
      headers: { 'content-type': 'application/json', 'x-razorpay-signature': 'ab'.repeat(32), 'x-razorpay-event-id': 'evt_bad' },
      payload,
    });
    expect(response.statusCode).toBe(400);
  });
});
