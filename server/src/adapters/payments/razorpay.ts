import { createHmac, timingSafeEqual } from 'node:crypto';
import Razorpay from 'razorpay';
import { z } from 'zod';
import { describeIssues, headerValue } from './webhook-helpers.js';
import {
  PaymentProviderError,
  WebhookVerificationError,
  type PaymentEvent,
  type PaymentEventType,
  type PaymentProvider,
} from './types.js';

/**
 * Razorpay Orders through the official SDK. Razorpay has no hosted page for an order: the buyer pays on our own
 * page, `/pay/razorpay/{razorpayOrderId}`, which opens Razorpay Checkout.js with our key id, that order id and
 * `prefill.email` (and should pass `notes: { orderId }` so the payment carries our order id as well). Razorpay
 * orders do not expire; our order's expiry governs, and a payment that arrives after it is the payments
 * module's to refund.
 */

export interface RazorpaySettings {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** Tests only (RAZORPAY_API_BASE); default https://api.razorpay.com. */
  apiBase?: string;
  /** Where the public reaches us (env.PUBLIC_URL). */
  publicUrl: string;
}

/** The SDK sets no timeout at all (axios waits forever); the buyer waits on checkout. */
const REQUEST_TIMEOUT_MS = 20_000;

export function createRazorpayProvider(settings: RazorpaySettings): PaymentProvider {
  const razorpay = new Razorpay({ key_id: settings.keyId, key_secret: settings.keySecret });
  configureHttp(razorpay, settings.apiBase);
  const base = settings.publicUrl.replace(/\/+$/, '');

  return {
    name: 'razorpay',
    async createCheckout(request) {
      // Razorpay takes no buyer e-mail, line items or expiry on an order; the payment page prefills the e-mail.
      const order = await call('creating an order', () =>
        razorpay.orders.create({
          amount: request.amount,
          currency: request.currency.toUpperCase(),
          receipt: request.orderId,
          notes: { orderId: request.orderId },
        }),
      );
      return { sessionId: order.id, url: `${base}/pay/razorpay/${encodeURIComponent(order.id)}` };
    },

    verifyWebhook(rawBody, headers) {
      return verifyRazorpayWebhook(settings.webhookSecret, rawBody, headers);
    },

    async refund({ paymentId, amount, orderId }) {
      await call('creating a refund', () =>
        razorpay.payments.refund(paymentId, { ...(amount !== undefined ? { amount } : {}), notes: { orderId } }),
      );
    },
  };
}

/**
 * The SDK hard-codes `https://api.razorpay.com` in its constructor and has no option for another base URL or a
 * timeout. Its requests all go through one axios instance (`api.rq`), whose `defaults` axios documents as
 * mutable; we set them there. Should an SDK upgrade move that instance, start-up fails here rather than tests
 * reaching the real API or a request hanging forever.
 */
function configureHttp(razorpay: Razorpay, apiBase: string | undefined): void {
  const client = (razorpay.api as unknown as { rq?: { defaults?: { baseURL?: string; timeout?: number } } }).rq;
  if (!client?.defaults) throw new Error('razorpay SDK internals changed: api.rq (its axios instance) not found');
  client.defaults.timeout = REQUEST_TIMEOUT_MS;
  if (apiBase) client.defaults.baseURL = apiBase.replace(/\/+$/, '');
}

/** The SDK rejects with a plain `{statusCode, error: {code, description}}`, or a TypeError when nothing answered. */
async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const failure = error as { statusCode?: unknown; error?: { description?: unknown; code?: unknown } } | null;
    const status = typeof failure?.statusCode === 'number' ? failure.statusCode : null;
    const description = typeof failure?.error?.description === 'string'
      ? `${failure.error.description}${typeof failure.error.code === 'string' ? ` (${failure.error.code})` : ''}`
      : status === null ? 'no answer from Razorpay' : `HTTP ${status}`;
    throw new PaymentProviderError('razorpay', `${what}: ${description}`, status, { cause: error });
  }
}

// Razorpay sends `notes: []` (an empty list) when there are none, and an object otherwise.
const notes = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional();
const money = { amount: z.number().int().min(0), currency: z.string().min(3) };
const paymentEntity = z.object({ id: z.string(), order_id: z.string().nullish(), amount_refunded: z.number().int().optional(), notes, ...money });
const orderEntity = z.object({ id: z.string(), notes, ...money });
const refundEntity = z.object({ id: z.string(), payment_id: z.string(), notes, ...money });
const disputeEntity = z.object({ id: z.string(), payment_id: z.string(), ...money });
const wrap = <T extends z.ZodType>(entity: T) => z.object({ entity });

const envelope = z.object({
  entity: z.literal('event'),
  event: z.string().min(1),
  created_at: z.number().int().positive(),
  payload: z.record(z.string(), z.unknown()),
});

const handled: Record<string, { type: PaymentEventType; payload: z.ZodType }> = {
  'payment.captured': { type: 'payment.succeeded', payload: z.object({ payment: wrap(paymentEntity) }) },
  'payment.failed': { type: 'payment.failed', payload: z.object({ payment: wrap(paymentEntity) }) },
  // Often delivered with payment.captured for the same order; the order's state makes the second one a no-op.
  'order.paid': { type: 'payment.succeeded', payload: z.object({ payment: wrap(paymentEntity), order: wrap(orderEntity) }) },
  'refund.processed': { type: 'payment.refunded', payload: z.object({ refund: wrap(refundEntity), payment: wrap(paymentEntity).optional() }) },
  'payment.dispute.created': { type: 'payment.disputed', payload: z.object({ dispute: wrap(disputeEntity), payment: wrap(paymentEntity).optional() }) },
};

type Payment = z.infer<typeof paymentEntity>;
interface Payload {
  payment?: { entity: Payment };
  order?: { entity: z.infer<typeof orderEntity> };
  refund?: { entity: z.infer<typeof refundEntity> };
  dispute?: { entity: z.infer<typeof disputeEntity> };
}

/**
 * `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body under the webhook secret (what the SDK's
 * `validateWebhookSignature` computes; we compare in constant time, which it does not). Razorpay signs no
 * timestamp and retries a failed delivery with the same body for up to 24 hours, so an age check would refuse
 * honest retries: duplicates are stopped by the inbox, keyed by `X-Razorpay-Event-Id`. That header is not
 * signed; a captured delivery resent under a new id is stopped only by the order's state machine.
 */
export function verifyRazorpayWebhook(
  secret: string,
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
): PaymentEvent {
  const signature = headerValue(headers, 'X-Razorpay-Signature');
  if (signature === undefined) throw new WebhookVerificationError('missing X-Razorpay-Signature header');
  if (!/^[0-9a-f]{64}$/i.test(signature)) throw new WebhookVerificationError('malformed X-Razorpay-Signature header (expected 64 hex digits)');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  if (!timingSafeEqual(Buffer.from(signature, 'hex'), expected)) throw new WebhookVerificationError('signature does not match the body');
  const eventId = headerValue(headers, 'X-Razorpay-Event-Id');
  if (eventId === undefined) throw new WebhookVerificationError('missing X-Razorpay-Event-Id header');

  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('body is not JSON');
  }
  const event = envelope.safeParse(json);
  if (!event.success) throw new WebhookVerificationError(`body has the wrong shape: ${describeIssues(event.error)}`);
  const base = { provider: 'razorpay' as const, eventId, providerType: event.data.event, occurredAt: new Date(event.data.created_at * 1000) };
  const mapping = Object.hasOwn(handled, event.data.event) ? handled[event.data.event] : undefined;
  if (!mapping) return { ...base, type: 'ignored', orderId: null, sessionId: null, paymentId: null, amount: null, currency: null };
  const parsed = mapping.payload.safeParse(event.data.payload);
  if (!parsed.success) throw new WebhookVerificationError(`${event.data.event} payload has the wrong shape: ${describeIssues(parsed.error, 'payload')}`);
  const payload = parsed.data as Payload;
  const payment = payload.payment?.entity;

  if (payload.refund) {
    const refund = payload.refund.entity;
    return {
      ...base,
      type: mapping.type,
      orderId: orderIdIn(refund.notes) ?? orderIdIn(payment?.notes),
      sessionId: payment?.order_id ?? null,
      paymentId: refund.payment_id,
      // The payment's running total when present, as Stripe reports; this refund's own amount otherwise.
      amount: payment?.amount_refunded ?? refund.amount,
      currency: refund.currency.toUpperCase(),
    };
  }
  if (payload.dispute) {
    const dispute = payload.dispute.entity;
    return {
      ...base,
      type: mapping.type,
      orderId: orderIdIn(payment?.notes),
      sessionId: payment?.order_id ?? null,
      paymentId: dispute.payment_id,
      amount: dispute.amount,
      currency: dispute.currency.toUpperCase(),
    };
  }
  const order = payload.order?.entity;
  return {
    ...base,
    type: mapping.type,
    orderId: orderIdIn(order?.notes) ?? orderIdIn(payment!.notes),
    sessionId: order?.id ?? payment!.order_id ?? null,
    paymentId: payment!.id,
    amount: payment!.amount,
    currency: payment!.currency.toUpperCase(),
  };
}

function orderIdIn(value: z.infer<typeof notes>): string | null {
  if (!value || Array.isArray(value)) return null;
  return typeof value.orderId === 'string' && value.orderId ? value.orderId : null;
}
