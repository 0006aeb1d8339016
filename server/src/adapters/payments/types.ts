import type { PaymentProviderName } from '@mintreu/contracts';

export type { PaymentProviderName };

/** What checkout asks a provider for: a hosted page where the buyer pays for one order. */
export interface CheckoutRequest {
  orderId: string;
  /** Minor units of `currency`; always > 0 (zero-total orders never reach a provider). */
  amount: number;
  currency: string;
  customerEmail: string;
  /**
   * One line per order item, for the provider's page and receipt. Their sum may exceed `amount` when a coupon
   * applied; providers always charge `amount` (Stripe then shows one line for the whole order).
   */
  lineItems: { name: string; amount: number; quantity: number }[];
  /** Where the provider sends the buyer back: after paying, or on giving up. */
  successUrl: string;
  cancelUrl: string;
  /** When the hosted session should stop accepting payment. */
  expiresAt: Date;
}

export interface CheckoutSession {
  /** The provider's session id (Stripe Checkout Session id, Razorpay order id, sandbox session id). */
  sessionId: string;
  /** The hosted payment page. */
  url: string;
}

/**
 * Every provider's webhook, normalised. `ignored` is a verified event we have no use for (acknowledged
 * and recorded, nothing changes).
 */
export type PaymentEventType =
  | 'payment.succeeded'
  | 'payment.failed'
  | 'payment.expired'
  | 'payment.refunded'
  | 'payment.disputed'
  | 'ignored';

export interface PaymentEvent {
  provider: PaymentProviderName;
  /** The provider's event id: the inbox's uniqueness key. */
  eventId: string;
  type: PaymentEventType;
  /** The provider's own event name (`checkout.session.completed`, `payment.captured`…). */
  providerType: string;
  /** Our order id, when the event carries it (metadata / notes / sandbox data). */
  orderId: string | null;
  /** The provider session id the order's payment was opened with. */
  sessionId: string | null;
  /** The provider's id of the money movement (payment intent, Razorpay payment id), kept for refunds. */
  paymentId: string | null;
  /**
   * Minor units, as the provider reports them; compared with the order before anything is fulfilled. For
   * `payment.refunded` it is the total refunded on the payment so far (less than the order total for a partial
   * refund); for `payment.disputed` the disputed amount.
   */
  amount: number | null;
  /** Upper-case ISO 4217. */
  currency: string | null;
  occurredAt: Date;
}

/** A delivery that failed verification; `reason` is recorded and the caller answers 400. */
export class WebhookVerificationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * The provider refused a request or could not be reached (checkout or refund). `status` is the provider's HTTP
 * status when it answered; the message never includes credentials. Callers answer 502 and may retry.
 */
export class PaymentProviderError extends Error {
  constructor(
    readonly provider: PaymentProviderName,
    message: string,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
  }
}

export interface PaymentProvider {
  readonly name: PaymentProviderName;
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  /**
   * Checks the signature over the raw body exactly as received, and the timestamp's age (at most 300 s where the
   * scheme signs one), then parses the event. Throws WebhookVerificationError; never trusts an unverified body.
   */
  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, now?: Date): PaymentEvent;
  /**
   * Asks the provider to refund a payment (the whole of it unless `amount` is given). The order changes when the
   * provider's refund event arrives, not here.
   */
  refund(input: { paymentId: string; amount?: number; orderId: string }): Promise<void>;
}
