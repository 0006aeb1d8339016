import { and, eq } from 'drizzle-orm';
import {
  buildSandboxEvent, SANDBOX_SIGNATURE_HEADER, signSandboxPayload, type SandboxEventBody, type SandboxRefundRequest,
} from '../../adapters/payments/sandbox.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Commerce } from '../checkout/context.js';
import { itemsOf } from '../checkout/orders.js';
import { orders } from '../checkout/tables.js';
import { payments } from './tables.js';

/**
 * The sandbox gateway: the offline stand-in for a real payment provider. Its hosted page (/pay/sandbox/{id})
 * shows what is being paid for and offers Pay and Decline; either answer is delivered back to us later as a
 * signed webhook from a job that retries, exactly the way Stripe or Razorpay call back.
 */
export const SANDBOX_DELIVERY_JOB = 'sandbox.deliver';

async function sessionRow(commerce: Commerce, sessionId: string) {
  const [row] = await commerce.db.select({ payment: payments, order: orders }).from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.sessionId, sessionId));
  if (!row || row.payment.provider !== 'sandbox') throw notFound('Payment session');
  return row;
}

/** What the hosted page shows. Anyone holding the session id may see it, as with a real gateway's page. */
export async function getSandboxSession(commerce: Commerce, sessionId: string) {
  const { payment, order } = await sessionRow(commerce, sessionId);
  const items = (await itemsOf(commerce.db, [order.id])).get(order.id) ?? [];
  const expired = order.expiresAt !== null && order.expiresAt <= new Date() && payment.status === 'open';
  return {
    sessionId,
    status: expired ? 'expired' : payment.status,
    amount: payment.amount,
    currency: payment.currency,
    orderId: order.id,
    items: items.map((i) => ({ name: i.planName ? `${i.productTitle} — ${i.planName}` : i.productTitle, amount: i.price })),
    discount: order.discount,
    expiresAt: order.expiresAt,
    successUrl: `${commerce.env.PUBLIC_URL}/checkout/success?order=${order.id}`,
    cancelUrl: `${commerce.env.PUBLIC_URL}/checkout/canceled?order=${order.id}`,
  };
}

/**
 * The buyer pressed Pay or Decline. The session accepts one answer (a double click is refused), and the
 * outcome reaches the platform only through the signed webhook, never directly.
 */
export async function answerSandboxSession(commerce: Commerce, sessionId: string, answer: 'pay' | 'decline') {
  const { payment } = await sessionRow(commerce, sessionId);
  const session = await getSandboxSession(commerce, sessionId);
  if (session.status === 'expired') throw new AppError('GONE', 'This payment session has expired');
  // One answer per session: the conditional update lets exactly one click through.
  const claimed = await commerce.db.update(payments).set({ status: 'submitted', updatedAt: new Date() })
    .where(and(eq(payments.id, payment.id), eq(payments.status, 'open'))).returning({ id: payments.id });
  if (claimed.length === 0) throw new AppError('CONFLICT', `This payment session is already ${session.status}`);
  const body = buildSandboxEvent(answer === 'pay' ? 'payment.succeeded' : 'payment.failed', {
    sessionId, orderId: payment.orderId, amount: payment.amount, currency: payment.currency,
    ...(answer === 'pay' ? { paymentId: `pay_sandbox_${payment.id.slice(4)}` } : {}),
  });
  await commerce.jobs.send(SANDBOX_DELIVERY_JOB, { body });
  return { status: answer === 'pay' ? ('processing' as const) : ('declined' as const), redirectUrl: answer === 'pay' ? session.successUrl : session.cancelUrl };
}

/** The sandbox provider's refund: build the refund event and deliver it like any other. */
export async function deliverSandboxRefund(commerce: Commerce, request: SandboxRefundRequest) {
  const [payment] = await commerce.db.select().from(payments).where(eq(payments.orderId, request.orderId));
  if (!payment) throw notFound('Payment');
  const body = buildSandboxEvent('payment.refunded', {
    sessionId: payment.sessionId, orderId: request.orderId, amount: request.amount ?? payment.amount,
    currency: payment.currency, paymentId: request.paymentId,
  });
  await commerce.jobs.send(SANDBOX_DELIVERY_JOB, { body });
}

/** One delivery attempt: signed now, posted to our webhook; anything but 2xx throws, and the queue retries with backoff. */
export async function deliverSandboxEvent(commerce: Commerce, body: SandboxEventBody) {
  const raw = JSON.stringify(body);
  const signature = signSandboxPayload(commerce.sandboxSecret, raw, Math.floor(Date.now() / 1000));
  const response = await fetch(`${commerce.webhookBaseUrl()}/api/webhooks/sandbox`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signature, 'user-agent': 'Mintreu-Sandbox/1' },
    body: raw,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}
