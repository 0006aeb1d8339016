import { formatMoney } from '@mintreu/contracts';
import { and, eq, or, sql } from 'drizzle-orm';
import type { PaymentEvent } from '../../adapters/payments/types.js';
import type { Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import type { Commerce } from '../checkout/context.js';
import { reclaimCoupon, releaseCoupon } from '../checkout/coupons.js';
import { fulfilOrder, revokeOrderGrants } from '../checkout/fulfil.js';
import { addOrderEvent, lockOrder, moveOrder, type OrderRow } from '../checkout/orders.js';
import { orders } from '../checkout/tables.js';
import { payments, webhookEvents } from './tables.js';

export interface EventOutcome {
  status: 'processed' | 'ignored' | 'deferred' | 'rejected';
  orderId: string | null;
  /** Why nothing happened, or what was refused; shown to the admin. */
  note?: string;
  fulfilled?: boolean;
}

const money = (amount: number | null, currency: string | null) => {
  if (amount === null || !currency) return `${amount ?? 'no amount'} ${currency ?? ''}`.trim();
  try {
    return formatMoney(amount, currency);
  } catch {
    return `${amount} ${currency}`; // a currency code Intl does not know: shown as received
  }
};

/** The order an event is about, locked: by our order id, else the session it was paid through, else the payment id. */
async function orderOf(tx: Tx, event: PaymentEvent): Promise<OrderRow | undefined> {
  let orderId = event.orderId;
  if (!orderId && event.sessionId) {
    const [payment] = await tx.select({ orderId: payments.orderId }).from(payments)
      .where(and(eq(payments.provider, event.provider), eq(payments.sessionId, event.sessionId)));
    orderId = payment?.orderId ?? null;
  }
  if (!orderId && event.paymentId) {
    const [order] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.providerPaymentId, event.paymentId));
    orderId = order?.id ?? null;
  }
  return orderId ? lockOrder(tx, orderId) : undefined;
}

async function markPayment(tx: Tx, event: PaymentEvent, orderId: string, status: string) {
  await tx.update(payments).set({ status, ...(event.paymentId ? { providerPaymentId: event.paymentId } : {}), updatedAt: new Date() })
    .where(and(eq(payments.orderId, orderId), eq(payments.provider, event.provider), event.sessionId ? eq(payments.sessionId, event.sessionId) : undefined));
}

/**
 * What a verified payment event does to its order, inside the caller's transaction. Every branch first asks
 * what state the order is in, so the same event applied twice (a replay) changes nothing the second time.
 */
export async function applyPaymentEvent(tx: Tx, commerce: Pick<Commerce, 'live' | 'licenseKeys' | 'keyRing'>, event: PaymentEvent, actor: Actor): Promise<EventOutcome> {
  if (event.type === 'ignored') return { status: 'ignored', orderId: event.orderId, note: `Not an event we act on (${event.providerType})` };
  const order = await orderOf(tx, event);
  if (!order) {
    // A reversal can outrun the payment it reverses; keep it until the payment arrives.
    if (event.type === 'payment.refunded' || event.type === 'payment.disputed') {
      return { status: 'deferred', orderId: event.orderId, note: 'No paid order matches yet; kept until its payment arrives' };
    }
    return { status: 'ignored', orderId: event.orderId, note: 'No order matches this event' };
  }
  if (order.provider !== event.provider) {
    return { status: 'rejected', orderId: order.id, note: `The order is paid through ${order.provider ?? 'no provider'}, not ${event.provider}` };
  }
  const status = order.status;
  switch (event.type) {
    case 'payment.succeeded':
      return succeed(tx, commerce, order, event, actor);
    case 'payment.failed':
      if (status !== 'pending') return { status: 'ignored', orderId: order.id, note: `The order is already ${status}` };
      await markPayment(tx, event, order.id, 'failed');
      // Coupon before audit (moveOrder): see releaseCoupon.
      await releaseCoupon(tx, order.id);
      await moveOrder(tx, order, 'failed', { actor, message: 'The payment was declined', reason: 'The payment was declined. Nothing was charged.' });
      return { status: 'processed', orderId: order.id };
    case 'payment.expired':
      if (status !== 'pending') return { status: 'ignored', orderId: order.id, note: `The order is already ${status}` };
      await markPayment(tx, event, order.id, 'expired');
      await releaseCoupon(tx, order.id);
      await moveOrder(tx, order, 'canceled', { actor, message: 'The payment page expired', reason: 'The payment page expired before payment.', auditAction: 'order.expire' });
      return { status: 'processed', orderId: order.id };
    case 'payment.refunded':
    case 'payment.disputed':
      return reverse(tx, order, event, actor);
  }
}

async function succeed(tx: Tx, commerce: Pick<Commerce, 'live' | 'licenseKeys' | 'keyRing'>, order: OrderRow, event: PaymentEvent, actor: Actor): Promise<EventOutcome> {
  if (!['pending', 'failed', 'canceled'].includes(order.status)) {
    return { status: 'ignored', orderId: order.id, note: `The order is already ${order.status}` };
  }
  if (event.amount !== order.total || event.currency?.toUpperCase() !== order.currency) {
    const note = `Amount mismatch: the order is ${money(order.total, order.currency)}, the payment ${money(event.amount, event.currency)}`;
    await tx.update(orders).set({ flagged: true, updatedAt: new Date() }).where(eq(orders.id, order.id));
    await addOrderEvent(tx, order.id, 'flagged', note, { eventId: event.eventId });
    await recordAudit(tx, actor, { action: 'order.flag', entityType: 'order', entityId: order.id, after: { flagged: true }, reason: note });
    return { status: 'rejected', orderId: order.id, note };
  }
  const late = order.status !== 'pending';
  await markPayment(tx, event, order.id, 'succeeded');
  // The use an expired or failed order gave back is taken again, before any audit (see releaseCoupon).
  if (late) await reclaimCoupon(tx, order);
  let paid = await moveOrder(tx, order, 'paid', {
    actor,
    message: `Payment received through ${event.provider}${late ? ' (after the order had closed; honoured)' : ''}`,
    set: { providerPaymentId: event.paymentId },
    data: { eventId: event.eventId, amount: event.amount, currency: event.currency },
  });

  // A refund or dispute that arrived before this payment applies now, and nothing is granted.
  const waiting = await tx.select().from(webhookEvents)
    .where(and(eq(webhookEvents.status, 'deferred'), eq(webhookEvents.provider, event.provider),
      or(eq(webhookEvents.orderId, order.id), event.paymentId ? sql`${webhookEvents.event}->>'paymentId' = ${event.paymentId}` : undefined)))
    .orderBy(webhookEvents.receivedAt).for('update');
  for (const row of waiting) {
    const reversal = { ...(row.event as unknown as PaymentEvent), occurredAt: new Date() };
    const outcome = await reverse(tx, paid, reversal, actor);
    await tx.update(webhookEvents).set({ status: outcome.status, orderId: order.id, error: outcome.note ?? null, processedAt: new Date() })
      .where(eq(webhookEvents.id, row.id));
    paid = (await lockOrder(tx, order.id))!;
  }
  if (paid.status !== 'paid') return { status: 'processed', orderId: order.id };
  const fulfilled = await fulfilOrder(tx, commerce, paid, actor);
  return { status: 'processed', orderId: order.id, fulfilled };
}

/** Refund or dispute: revoke what the order granted, exactly once. A partial refund is recorded and grants stay. */
async function reverse(tx: Tx, order: OrderRow, event: PaymentEvent, actor: Actor): Promise<EventOutcome> {
  const refund = event.type === 'payment.refunded';
  if (['pending', 'failed', 'canceled'].includes(order.status)) {
    return { status: 'deferred', orderId: order.id, note: `Kept until the payment arrives (the order is ${order.status})` };
  }
  if (order.status === 'refunded' || (order.status === 'disputed' && !refund)) {
    return { status: 'ignored', orderId: order.id, note: `The order is already ${order.status}` };
  }
  if (refund && event.amount !== null && event.amount < order.total) {
    await addOrderEvent(tx, order.id, 'partial_refund', `Partial refund of ${money(event.amount, event.currency)}; licences stay active`, { eventId: event.eventId });
    return { status: 'processed', orderId: order.id, note: 'Partial refund: recorded, nothing revoked' };
  }
  const reason = refund ? 'Payment refunded' : 'Payment disputed';
  await markPayment(tx, event, order.id, refund ? 'refunded' : 'disputed');
  await revokeOrderGrants(tx, order, reason, actor);
  await moveOrder(tx, order, refund ? 'refunded' : 'disputed', { actor, message: reason, reason, data: { eventId: event.eventId, amount: event.amount } });
  return { status: 'processed', orderId: order.id };
}
