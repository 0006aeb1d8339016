import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import { headerValue, unixSeconds } from './webhook-helpers.js';
import {
  PaymentProviderError,
  WebhookVerificationError,
  type CheckoutRequest,
  type PaymentEvent,
  type PaymentEventType,
  type PaymentProvider,
} from './types.js';

/** Stripe Checkout (hosted page) through the official SDK; webhooks verified with the SDK's `constructEvent`. */

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Tests only (STRIPE_API_BASE): `http://127.0.0.1:port`. The SDK keeps its own `/v1/` path, so no path here. */
  apiBase?: string;
}

export const STRIPE_TOLERANCE_SECONDS = 300;
/** Stripe wants a session's `expires_at` 30 minutes to 24 hours after creation; a minute of margin for the trip. */
const MIN_SESSION_SECONDS = 31 * 60;
const MAX_SESSION_SECONDS = 24 * 60 * 60 - 60;
/** The buyer waits on checkout; the SDK's default is 80 s. */
const REQUEST_TIMEOUT_MS = 20_000;

export function createStripeProvider(settings: StripeSettings): PaymentProvider {
  const stripe = new Stripe(settings.secretKey, {
    ...connection(settings.apiBase),
    timeout: REQUEST_TIMEOUT_MS,
    // Retried POSTs carry our idempotency key, so a retry never opens a second session or refund.
    maxNetworkRetries: 2,
    appInfo: { name: 'Mintreu' },
  });

  return {
    name: 'stripe',
    async createCheckout(request) {
      const params: Stripe.Checkout.SessionCreateParams = {
        mode: 'payment',
        line_items: lineItems(request),
        customer_email: request.customerEmail,
        client_reference_id: request.orderId,
        metadata: { orderId: request.orderId },
        // The payment intent (and so its charges, refunds and disputes) carries the order id too.
        payment_intent_data: { metadata: { orderId: request.orderId } },
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        expires_at: sessionExpiry(request.expiresAt, new Date()),
      };
      const session = await call('creating a Checkout Session', () =>
        stripe.checkout.sessions.create(params, { idempotencyKey: idempotencyKey('checkout', request.orderId, params) }),
      );
      if (!session.url) throw new PaymentProviderError('stripe', `Checkout Session ${session.id} has no url`);
      return { sessionId: session.id, url: session.url };
    },

    verifyWebhook(rawBody, headers, now = new Date()) {
      const header = headerValue(headers, 'Stripe-Signature');
      if (header === undefined) throw new WebhookVerificationError('missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, header, settings.webhookSecret, STRIPE_TOLERANCE_SECONDS, undefined, now.getTime());
      } catch (error) {
        throw new WebhookVerificationError(firstSentence(error));
      }
      // The SDK refuses old timestamps only; a far-future one is as suspect (a clock trick to stretch a replay window).
      const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(header)?.[1]);
      if (signedAt - unixSeconds(now) > STRIPE_TOLERANCE_SECONDS) {
        throw new WebhookVerificationError(`timestamp is ${signedAt - unixSeconds(now)} s in the future`);
      }
      return normaliseStripeEvent(event);
    },

    async refund({ paymentId, amount, orderId }) {
      const params: Stripe.RefundCreateParams = {
        payment_intent: paymentId,
        ...(amount !== undefined ? { amount } : {}),
        metadata: { orderId },
      };
      await call('creating a refund', () =>
        stripe.refunds.create(params, { idempotencyKey: idempotencyKey('refund', orderId, params) }),
      );
    },
  };
}

function connection(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * One line per item when they add up to the order total; otherwise (a coupon applied) one line for the whole
 * order, naming the items, because Stripe charges the sum of the lines and we must charge exactly `amount`.
 */
function lineItems(request: CheckoutRequest): Stripe.Checkout.SessionCreateParams.LineItem[] {
  const currency = request.currency.toLowerCase();
  const sum = request.lineItems.reduce((total, item) => total + item.amount * item.quantity, 0);
  if (request.lineItems.length > 0 && sum === request.amount) {
    return request.lineItems.map((item) => ({
      quantity: item.quantity,
      price_data: { currency, unit_amount: item.amount, product_data: { name: item.name } },
    }));
  }
  const names = request.lineItems.map((item) => (item.quantity > 1 ? `${item.name} × ${item.quantity}` : item.name)).join(', ');
  return [{
    quantity: 1,
    price_data: {
      currency,
      unit_amount: request.amount,
      product_data: { name: `Order ${request.orderId}`, ...(names ? { description: names.slice(0, 500) } : {}) },
    },
  }];
}

/** The order's expiry, moved into the window Stripe accepts. A clamped-up session may outlive the order. */
export function sessionExpiry(expiresAt: Date, now: Date): number {
  const nowSeconds = unixSeconds(now);
  return Math.min(Math.max(unixSeconds(expiresAt), nowSeconds + MIN_SESSION_SECONDS), nowSeconds + MAX_SESSION_SECONDS);
}

/**
 * Named after the order, plus a digest of the exact parameters: the SDK's own retries and a repeated identical
 * request return the first result, while a changed request (say, a new expiry) gets a new object instead of
 * Stripe's "same key, different parameters" error.
 */
function idempotencyKey(purpose: string, orderId: string, params: object): string {
  const digest = createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 24);
  return `mintreu-${purpose}-${orderId}-${digest}`;
}

async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    // Stripe's messages name the problem and mask keys (`sk_test_****1234`).
    const status = error instanceof Stripe.errors.StripeError ? (error.statusCode ?? null) : null;
    throw new PaymentProviderError('stripe', `${what}: ${error instanceof Error ? error.message : String(error)}`, status, { cause: error });
  }
}

/** Stripe's errors go on with advice ("Are you passing the raw request body…"); the record keeps the finding. */
function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/(?<=\.)\s|\n/)[0]!.replace(/\.$/, '').trim() || 'signature verification failed';
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

export function normaliseStripeEvent(event: Stripe.Event): PaymentEvent {
  const base = { provider: 'stripe' as const, eventId: event.id, providerType: event.type, occurredAt: new Date(event.created * 1000) };
  const fromSession = (type: PaymentEventType, session: Stripe.Checkout.Session): PaymentEvent => ({
    ...base,
    type,
    orderId: session.metadata?.orderId ?? session.client_reference_id ?? null,
    sessionId: session.id,
    paymentId: idOf(session.payment_intent),
    amount: session.amount_total,
    currency: session.currency?.toUpperCase() ?? null,
  });

  switch (event.type) {
    case 'checkout.session.completed':
      // `unpaid` means an asynchronous method (bank debit…) is still settling: its own event follows.
      if (event.data.object.payment_status === 'paid') return fromSession('payment.succeeded', event.data.object);
      break;
    case 'checkout.session.async_payment_succeeded':
      return fromSession('payment.succeeded', event.data.object);
    case 'checkout.session.async_payment_failed':
      return fromSession('payment.failed', event.data.object);
    case 'checkout.session.expired':
      return fromSession('payment.expired', event.data.object);
    case 'charge.refunded': {
      // Fires for partial refunds too; `amount_refunded` is the running total. The charge has no session id, and
      // its metadata holds the order id only when the payment intent's was copied onto it, so the payment intent
      // id is the dependable key.
      const charge = event.data.object;
      return {
        ...base,
        type: 'payment.refunded',
        orderId: charge.metadata?.orderId ?? null,
        sessionId: null,
        paymentId: idOf(charge.payment_intent),
        amount: charge.amount_refunded,
        currency: charge.currency.toUpperCase(),
      };
    }
    case 'charge.dispute.created': {
      const dispute = event.data.object;
      return {
        ...base,
        type: 'payment.disputed',
        orderId: dispute.metadata?.orderId ?? null,
        sessionId: null,
        paymentId: idOf(dispute.payment_intent),
        amount: dispute.amount,
        currency: dispute.currency.toUpperCase(),
      };
    }
  }
  return { ...base, type: 'ignored', orderId: null, sessionId: null, paymentId: null, amount: null, currency: null };
}
