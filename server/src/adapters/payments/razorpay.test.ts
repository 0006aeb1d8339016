import { createHmac } from 'node:crypto';
import { validateWebhookSignature } from 'razorpay/dist/utils/razorpay-utils.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePayments, type FakePayments } from '../../../test/support/fake-payments.js';
import { closedPort } from '../../../test/support/net.js';
import {
  orderPaid,
  paymentAuthorized,
  paymentCaptured,
  paymentDisputeCreated,
  paymentFailed,
  razorpayIds,
  refundProcessed,
} from './fixtures/razorpay-events.js';
import { createRazorpayProvider, PaymentProviderError, WebhookVerificationError, type PaymentProvider } from './index.js';

const keyId = 'rzp_test_1DP5mmOlF5G5ag';
const keySecret = 'thisisnotarealsecret0';
const webhookSecret = 'mintreu-razorpay-webhook-secret';
const t = 1_900_000_000;
// As Razorpay documents it: hex HMAC-SHA256 of the raw body, keyed with the webhook secret.
const sign = (raw: string, secret = webhookSecret) => createHmac('sha256', secret).update(raw).digest('hex');

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('razorpay webhooks', () => {
  const razorpay = createRazorpayProvider({ keyId, keySecret, webhookSecret, publicUrl: 'https://shop.example' });
  const deliver = (fixture: object, eventId = 'HfYz1a2b3c4d5e') => {
    const raw = JSON.stringify(fixture);
    return razorpay.verifyWebhook(Buffer.from(raw), { 'x-razorpay-signature': sign(raw), 'x-razorpay-event-id': eventId });
  };
  const paymentFields = { provider: 'razorpay', sessionId: razorpayIds.order, paymentId: razorpayIds.payment, amount: 49_900, currency: 'INR' };

  it('signs as the SDK\'s own validator expects', () => {
    const raw = JSON.stringify(paymentCaptured('ord_1', t));
    expect(validateWebhookSignature(raw, sign(raw), webhookSecret)).toBe(true);
    expect(validateWebhookSignature(raw, sign(raw, 'other'), webhookSecret)).toBe(false);
  });

  it('maps payment.captured to payment.succeeded (event id from X-Razorpay-Event-Id)', () => {
    expect(deliver(paymentCaptured('ord_cap', t), 'evt_hdr_1')).toEqual({
      ...paymentFields, eventId: 'evt_hdr_1', type: 'payment.succeeded', providerType: 'payment.captured', orderId: 'ord_cap',
      occurredAt: new Date(t * 1000),
    });
  });

  it('leaves orderId null when the payment has no notes (`notes: []`); the Razorpay order id still names the session', () => {
    expect(deliver(paymentCaptured(null, t))).toMatchObject({ type: 'payment.succeeded', orderId: null, sessionId: razorpayIds.order });
  });

  it('maps order.paid to payment.succeeded, the order id from the order\'s notes', () => {
    expect(deliver(orderPaid('ord_op', t))).toMatchObject({ ...paymentFields, type: 'payment.succeeded', providerType: 'order.paid', orderId: 'ord_op' });
  });

  it('maps payment.failed to payment.failed', () => {
    expect(deliver(paymentFailed('ord_f', t))).toMatchObject({ ...paymentFields, type: 'payment.failed', orderId: 'ord_f' });
  });

  it('maps refund.processed to payment.refunded with the payment\'s running refunded total', () => {
    expect(deliver(refundProcessed('ord_r', t))).toMatchObject({
      type: 'payment.refunded', orderId: 'ord_r', sessionId: razorpayIds.order, paymentId: razorpayIds.payment, amount: 15_000, currency: 'INR',
    });
  });

  it('maps payment.dispute.created to payment.disputed', () => {
    expect(deliver(paymentDisputeCreated('ord_d', t))).toMatchObject({
      type: 'payment.disputed', orderId: 'ord_d', sessionId: razorpayIds.order, paymentId: razorpayIds.payment, amount: 49_900,
    });
  });

  it('acknowledges any other verified event as ignored, however old (Razorpay retries for a day with the original body)', () => {
    expect(deliver(paymentAuthorized(1_600_000_000))).toMatchObject({
      type: 'ignored', providerType: 'payment.authorized', orderId: null, occurredAt: new Date(1_600_000_000_000),
    });
  });

  describe('refuses', () => {
    const raw = JSON.stringify(paymentCaptured('ord_x', t));
    const refuse = (body: string, headers: Record<string, string | undefined>) => reasonOf(() => razorpay.verifyWebhook(Buffer.from(body), headers));

    it('a tampered body', () => {
      expect(refuse(raw.replace('49900', '100'), { 'x-razorpay-signature': sign(raw), 'x-razorpay-event-id': 'e1' })).toBe('signature does not match the body');
    });
    it('another secret', () => {
      expect(refuse(raw, { 'x-razorpay-signature': sign(raw, 'other'), 'x-razorpay-event-id': 'e1' })).toBe('signature does not match the body');
    });
    it('a missing or malformed signature, and a missing event id', () => {
      expect(refuse(raw, { 'x-razorpay-event-id': 'e1' })).toBe('missing X-Razorpay-Signature header');
      expect(refuse(raw, { 'x-razorpay-signature': 'abc', 'x-razorpay-event-id': 'e1' })).toMatch(/^malformed X-Razorpay-Signature header/);
      expect(refuse(raw, { 'x-razorpay-signature': sign(raw) })).toBe('missing X-Razorpay-Event-Id header');
    });
    it('a signed body that is not JSON or not an event, or a mapped event missing its entity', () => {
      expect(refuse('nope', { 'x-razorpay-signature': sign('nope'), 'x-razorpay-event-id': 'e1' })).toBe('body is not JSON');
      const notEvent = JSON.stringify({ entity: 'payment', id: 'pay_1' });
      expect(refuse(notEvent, { 'x-razorpay-signature': sign(notEvent), 'x-razorpay-event-id': 'e1' })).toMatch(/^body has the wrong shape: entity/);
      const empty = JSON.stringify({ ...paymentCaptured('ord_x', t), payload: {} });
      expect(refuse(empty, { 'x-razorpay-signature': sign(empty), 'x-razorpay-event-id': 'e1' }))
        .toMatch(/^payment\.captured payload has the wrong shape: payload\.payment/);
    });
  });
});

describe('razorpay orders and refunds (against a fake Razorpay API)', () => {
  let fake: FakePayments;
  let razorpay: PaymentProvider;

  beforeAll(async () => {
    fake = await startFakePayments({ stripeSecretKey: 'sk_test_x', razorpayKeyId: keyId, razorpayKeySecret: keySecret });
    razorpay = createRazorpayProvider({ keyId, keySecret, webhookSecret, apiBase: fake.url, publicUrl: 'https://shop.example/' });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.failWith = null;
  });

  it('creates an order with Basic auth and a JSON body; the payment page is ours, named by the Razorpay order id', async () => {
    const session = await razorpay.createCheckout({
      orderId: 'ord_0123456789abcdefghij', amount: 49_900, currency: 'inr', customerEmail: 'buyer@example.com',
      lineItems: [{ name: 'Aurora theme', amount: 49_900, quantity: 1 }],
      successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/no', expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent).toMatchObject({ method: 'POST', url: '/v1/orders' });
    expect(sent!.headers.authorization).toBe(`Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`);
    expect(sent!.headers['content-type']).toMatch(/^application\/json/);
    expect(sent!.json).toEqual({ amount: 49_900, currency: 'INR', receipt: 'ord_0123456789abcdefghij', notes: { orderId: 'ord_0123456789abcdefghij' } });
    expect(session.sessionId).toMatch(/^order_/);
    expect(session.url).toBe(`https://shop.example/pay/razorpay/${session.sessionId}`);
  });

  it('refunds a payment, wholly or in part, with the order id in notes', async () => {
    await razorpay.refund({ paymentId: 'pay_PZlzOQs4U9yD7b', orderId: 'ord_r' });
    await razorpay.refund({ paymentId: 'pay_PZlzOQs4U9yD7b', orderId: 'ord_r', amount: 10_000 });
    const [full, part] = fake.requests;
    expect(full).toMatchObject({ method: 'POST', url: '/v1/payments/pay_PZlzOQs4U9yD7b/refund', json: { notes: { orderId: 'ord_r' } } });
    expect(part).toMatchObject({ url: '/v1/payments/pay_PZlzOQs4U9yD7b/refund', json: { amount: 10_000, notes: { orderId: 'ord_r' } } });
  });

  it('reports a refusal as a PaymentProviderError with Razorpay\'s status, description and code', async () => {
    const wrong = createRazorpayProvider({ keyId, keySecret: 'wrong', webhookSecret, apiBase: fake.url, publicUrl: 'https://shop.example' });
    await expect(wrong.refund({ paymentId: 'pay_1', orderId: 'ord_1' })).rejects.toMatchObject({
      provider: 'razorpay', status: 401, message: 'razorpay: creating a refund: Authentication failed (BAD_REQUEST_ERROR)',
    });
    fake.failWith = { status: 400 };
    const error = await razorpay.createCheckout({
      orderId: 'ord_1', amount: 100, currency: 'INR', customerEmail: 'a@example.com', lineItems: [],
      successUrl: 'https://x/ok', cancelUrl: 'https://x/no', expiresAt: new Date(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ status: 400, message: 'razorpay: creating an order: The fake was told to fail. (BAD_REQUEST_ERROR)' });
  });

  it('reports an unreachable API as a PaymentProviderError without a status', async () => {
    const nowhere = createRazorpayProvider({ keyId, keySecret, webhookSecret, apiBase: `http://127.0.0.1:${await closedPort()}`, publicUrl: 'https://x' });
    await expect(nowhere.refund({ paymentId: 'pay_1', orderId: 'ord_1' })).rejects.toMatchObject({
      provider: 'razorpay', status: null, message: 'razorpay: creating a refund: no answer from Razorpay',
    });
  });
});
