import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePayments, type FakePayments } from '../../../test/support/fake-payments.js';
import {
  chargeDisputeCreated,
  chargeRefunded,
  checkoutSessionAsyncPaymentFailed,
  checkoutSessionAsyncPaymentSucceeded,
  checkoutSessionCompleted,
  checkoutSessionExpired,
  paymentIntentCreated,
  stripeIds,
} from './fixtures/stripe-events.js';
import { createStripeProvider, PaymentProviderError, WebhookVerificationError, type CheckoutRequest, type PaymentProvider } from './index.js';

const secretKey = 'sk_test_51Mintreu0000000000000000000000000000000000';
const webhookSecret = 'whsec_test_0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const now = new Date('2030-03-01T09:30:00Z');
const t = Math.floor(now.getTime() / 1000);
// The SDK's own test signer: the header a real Stripe delivery would carry.
const signer = new Stripe('sk_test_signer_only').webhooks;
const sign = (payload: string, timestamp = t, secret = webhookSecret) => signer.generateTestHeaderString({ payload, secret, timestamp });

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('stripe webhooks', () => {
  const stripe = createStripeProvider({ secretKey, webhookSecret });
  const verify = (fixture: object, header?: string, at = now) => {
    const raw = JSON.stringify(fixture, null, 2);
    return stripe.verifyWebhook(Buffer.from(raw), { 'stripe-signature': header ?? sign(raw) }, at);
  };
  const common = { provider: 'stripe', sessionId: stripeIds.session, paymentId: stripeIds.paymentIntent, amount: 4900, currency: 'USD' };

  it('maps checkout.session.completed (paid) to payment.succeeded with the order, session, intent and amount', () => {
    const fixture = checkoutSessionCompleted('ord_paid', t - 5);
    expect(verify(fixture)).toEqual({
      ...common, eventId: fixture.id, type: 'payment.succeeded', providerType: 'checkout.session.completed',
      orderId: 'ord_paid', occurredAt: new Date((t - 5) * 1000),
    });
  });

  it('falls back to client_reference_id when metadata lacks the order id', () => {
    expect(verify(checkoutSessionCompleted('ord_ref', t, { metadata: {} }))).toMatchObject({ orderId: 'ord_ref', type: 'payment.succeeded' });
  });

  it('ignores a completed session whose asynchronous payment is still unpaid; its outcome event decides', () => {
    expect(verify(checkoutSessionCompleted('ord_async', t, { payment_status: 'unpaid' }))).toMatchObject({ type: 'ignored', orderId: null });
    expect(verify(checkoutSessionAsyncPaymentSucceeded('ord_async', t))).toMatchObject({ ...common, type: 'payment.succeeded', orderId: 'ord_async' });
    expect(verify(checkoutSessionAsyncPaymentFailed('ord_async', t))).toMatchObject({ ...common, type: 'payment.failed', orderId: 'ord_async' });
  });

  it('maps checkout.session.expired to payment.expired', () => {
    expect(verify(checkoutSessionExpired('ord_gone', t))).toMatchObject({
      type: 'payment.expired', orderId: 'ord_gone', sessionId: stripeIds.session, paymentId: null, amount: 4900, currency: 'USD',
    });
  });

  it('maps charge.refunded to payment.refunded with the running refunded total, keyed by the payment intent', () => {
    expect(verify(chargeRefunded('ord_r', t))).toMatchObject({
      type: 'payment.refunded', orderId: 'ord_r', sessionId: null, paymentId: stripeIds.paymentIntent, amount: 4900, currency: 'USD',
    });
    expect(verify(chargeRefunded(null, t, 1000))).toMatchObject({ type: 'payment.refunded', orderId: null, paymentId: stripeIds.paymentIntent, amount: 1000 });
  });

  it('maps charge.dispute.created to payment.disputed', () => {
    expect(verify(chargeDisputeCreated(t))).toMatchObject({
      type: 'payment.disputed', orderId: null, paymentId: stripeIds.paymentIntent, amount: 4900, currency: 'USD', providerType: 'charge.dispute.created',
    });
  });

  it('acknowledges any other verified event as ignored', () => {
    const fixture = paymentIntentCreated(t);
    expect(verify(fixture)).toEqual({
      provider: 'stripe', eventId: fixture.id, type: 'ignored', providerType: 'payment_intent.created',
      orderId: null, sessionId: null, paymentId: null, amount: null, currency: null, occurredAt: new Date(t * 1000),
    });
  });

  describe('refuses', () => {
    const raw = JSON.stringify(checkoutSessionCompleted('ord_x', t));
    const refuse = (body: string, headers: Record<string, string | undefined>) => reasonOf(() => stripe.verifyWebhook(Buffer.from(body), headers, now));

    it('a tampered body', () => {
      expect(refuse(raw.replace('"amount_total":4900', '"amount_total":1'), { 'stripe-signature': sign(raw) }))
        .toBe('No signatures found matching the expected signature for payload');
    });
    it('another endpoint\'s secret', () => {
      expect(refuse(raw, { 'stripe-signature': sign(raw, t, 'whsec_someone_else') })).toBe('No signatures found matching the expected signature for payload');
    });
    it('a timestamp older than 300 s, or more than 300 s ahead', () => {
      expect(refuse(raw, { 'stripe-signature': sign(raw, t - 301) })).toBe('Timestamp outside the tolerance zone');
      expect(refuse(raw, { 'stripe-signature': sign(raw, t + 301) })).toBe('timestamp is 301 s in the future');
      expect(stripe.verifyWebhook(Buffer.from(raw), { 'stripe-signature': sign(raw, t - 300) }, now).type).toBe('payment.succeeded');
    });
    it('a missing or malformed header', () => {
      expect(refuse(raw, {})).toBe('missing Stripe-Signature header');
      expect(refuse(raw, { 'stripe-signature': 'nonsense' })).toBe('Unable to extract timestamp and signatures from header');
      expect(refuse(raw, { 'stripe-signature': `t=${t},v0=abc` })).toBe('No signatures found with expected scheme');
    });
  });
});

describe('stripe checkout and refunds (against a fake Stripe API)', () => {
  let fake: FakePayments;
  let stripe: PaymentProvider;
  const request = (overrides: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
    orderId: 'ord_0123456789abcdefghij',
    amount: 64_800,
    currency: 'INR',
    customerEmail: 'buyer@example.com',
    lineItems: [{ name: 'Aurora theme', amount: 49_900, quantity: 1 }, { name: 'Icon pack', amount: 7_450, quantity: 2 }],
    successUrl: 'https://shop.example/checkout/success?order=ord_0123456789abcdefghij',
    cancelUrl: 'https://shop.example/checkout/canceled?order=ord_0123456789abcdefghij',
    expiresAt: new Date(Date.now() + 60 * 60_000),
    ...overrides,
  });

  beforeAll(async () => {
    fake = await startFakePayments({ stripeSecretKey: secretKey, razorpayKeyId: 'rzp_test_x', razorpayKeySecret: 'x' });
    stripe = createStripeProvider({ secretKey, webhookSecret, apiBase: fake.url });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.failWith = null;
  });

  it('creates a Checkout Session with form-encoded line items, order id, buyer, urls and expiry; returns its url', async () => {
    const input = request();
    const session = await stripe.createCheckout(input);
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent).toMatchObject({ method: 'POST', url: '/v1/checkout/sessions' });
    expect(sent!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(sent!.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(sent!.headers['idempotency-key']).toMatch(/^mintreu-checkout-ord_0123456789abcdefghij-[0-9a-f]{24}$/);
    expect(sent!.headers['stripe-version']).toBeTruthy();
    expect(sent!.form).toMatchObject({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'inr',
      'line_items[0][price_data][unit_amount]': '49900',
      'line_items[0][price_data][product_data][name]': 'Aurora theme',
      'line_items[1][quantity]': '2',
      'line_items[1][price_data][unit_amount]': '7450',
      'line_items[1][price_data][product_data][name]': 'Icon pack',
      customer_email: 'buyer@example.com',
      client_reference_id: 'ord_0123456789abcdefghij',
      'metadata[orderId]': 'ord_0123456789abcdefghij',
      'payment_intent_data[metadata][orderId]': 'ord_0123456789abcdefghij',
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      expires_at: String(Math.floor(input.expiresAt.getTime() / 1000)),
    });
    expect(session.sessionId).toMatch(/^cs_test_/);
    expect(session.url).toBe(`https://checkout.stripe.com/c/pay/${session.sessionId}#fidkdWxOYHwnPyd1blpxYHZxWjA0`);
  });

  it('charges exactly the order total: one line for the whole order when a discount makes the items add up to more', async () => {
    await stripe.createCheckout(request({ amount: 50_000 }));
    const form = fake.requests[0]!.form;
    expect(form['line_items[0][price_data][unit_amount]']).toBe('50000');
    expect(form['line_items[0][quantity]']).toBe('1');
    expect(form['line_items[0][price_data][product_data][name]']).toBe('Order ord_0123456789abcdefghij');
    expect(form['line_items[0][price_data][product_data][description]']).toBe('Aurora theme, Icon pack × 2');
    expect(form['line_items[1][quantity]']).toBeUndefined();
  });

  it('moves the expiry into Stripe\'s 30 min – 24 h window', async () => {
    const before = Math.floor(Date.now() / 1000);
    await stripe.createCheckout(request({ expiresAt: new Date(Date.now() + 5 * 60_000) }));
    await stripe.createCheckout(request({ expiresAt: new Date(Date.now() + 3 * 86_400_000) }));
    const after = Math.floor(Date.now() / 1000);
    const [soon, late] = fake.requests.map((r) => Number(r.form.expires_at));
    expect(soon).toBeGreaterThanOrEqual(before + 31 * 60);
    expect(soon).toBeLessThanOrEqual(after + 31 * 60);
    expect(late).toBeLessThanOrEqual(after + 86_400 - 60);
    expect(late).toBeGreaterThan(before + 86_400 - 120);
  });

  it('sends the same idempotency key for the same request and a different one when the request changes', async () => {
    const input = request();
    await stripe.createCheckout(input);
    await stripe.createCheckout(input);
    await stripe.createCheckout({ ...input, expiresAt: new Date(input.expiresAt.getTime() + 60_000) });
    const keys = fake.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('refunds a payment intent, wholly or in part, with the order id and an idempotency key', async () => {
    await stripe.refund({ paymentId: 'pi_3QxYz', orderId: 'ord_r' });
    await stripe.refund({ paymentId: 'pi_3QxYz', orderId: 'ord_r', amount: 1000 });
    const [full, part] = fake.requests;
    expect(full).toMatchObject({ method: 'POST', url: '/v1/refunds' });
    expect(full!.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(full!.form).toEqual({ payment_intent: 'pi_3QxYz', 'metadata[orderId]': 'ord_r' });
    expect(part!.form).toEqual({ payment_intent: 'pi_3QxYz', amount: '1000', 'metadata[orderId]': 'ord_r' });
    expect(full!.headers['idempotency-key']).toMatch(/^mintreu-refund-ord_r-[0-9a-f]{24}$/);
    expect(part!.headers['idempotency-key']).not.toBe(full!.headers['idempotency-key']);
  });

  it('reports Stripe\'s refusal as a PaymentProviderError with its status and message (keys masked as Stripe masks them)', async () => {
    const wrongKey = createStripeProvider({ secretKey: 'sk_test_wrong_key_00000000000000', webhookSecret, apiBase: fake.url });
    const error = await wrongKey.createCheckout(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ provider: 'stripe', status: 401 });
    expect((error as Error).message).toMatch(/^stripe: creating a Checkout Session: Invalid API Key provided/);
    expect((error as Error).message).not.toContain('sk_test_wrong_key_00000000000000');

    fake.failWith = { status: 400 };
    await expect(stripe.refund({ paymentId: 'pi_1', orderId: 'ord_1' })).rejects.toMatchObject({ provider: 'stripe', status: 400 });
  });
});
