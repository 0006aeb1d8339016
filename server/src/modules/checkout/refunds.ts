import type { PaymentProviderName } from '@mintreu/contracts';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Commerce } from './context.js';
import { releaseCoupon } from './coupons.js';
import { revokeOrderGrants } from './fulfil.js';
import { closePaymentSessions } from '../payments/sessions.js';
import { addOrderEvent, getAdminOrder, getOwnOrder, lockOrder, moveOrder } from './orders.js';

/**
 * Admin: refund an order. Money that went through a provider is refunded there, and the order changes when the
 * provider's refund event arrives (the one path every refund takes, whoever started it). A free order moved no
 * money: it is refunded here and now.
 */
export async function refundOrder(commerce: Commerce, orderId: string, reason: string, actor: Actor) {
  const order = await commerce.db.transaction(async (tx) => {
    const row = await lockOrder(tx, orderId);
    if (!row) throw notFound('Order');
    if (!['paid', 'fulfilled', 'disputed'].includes(row.status)) {
      throw new AppError('CONFLICT', `An order that is ${row.status} cannot be refunded`);
    }
    if (row.total === 0 || !row.provider) {
      await revokeOrderGrants(tx, row, reason, actor);
      await moveOrder(tx, row, 'refunded', { actor, message: `Refunded by ${actor.user?.name ?? 'an admin'}`, reason });
      return null;
    }
    if (!row.providerPaymentId) throw new AppError('CONFLICT', 'The provider has not reported a payment id for this order yet');
    return row;
  });
  if (!order) return getAdminOrder(commerce.db, orderId);

  const provider = commerce.providers.get(order.provider as PaymentProviderName);
  if (!provider) throw new AppError('SERVICE_UNAVAILABLE', `The ${order.provider} provider is not configured on this instance`);
  const who = actor.user?.name ?? 'an admin';
  try {
    await provider.refund({ paymentId: order.providerPaymentId!, orderId, amount: order.total });
  } catch (error) {
    commerce.log(`refund of ${orderId} failed at ${order.provider}`, error);
    await commerce.db.transaction((tx) => addOrderEvent(tx, orderId, 'refund_failed', `${order.provider} refused the refund requested by ${who}; nothing changed`));
    throw new AppError('PAYMENT_PROVIDER_UNAVAILABLE', `${order.provider} could not take the refund request; nothing changed. Try again.`, { status: 502 });
  }
  // Recorded once the provider has accepted it; the order itself changes when the provider's refund event arrives.
  await commerce.db.transaction(async (tx) => {
    await addOrderEvent(tx, orderId, 'refund_requested', `Refund requested by ${who}: ${reason}`);
    await recordAudit(tx, actor, { action: 'order.refund_request', entityType: 'order', entityId: orderId, reason });
  });
  return getAdminOrder(commerce.db, orderId);
}

/** The buyer gives up on an unpaid order: it closes and its coupon use is released. */
export async function cancelOwnOrder(commerce: Commerce, userId: string, orderId: string, actor: Actor) {
  await commerce.db.transaction(async (tx) => {
    const row = await lockOrder(tx, orderId);
    if (!row || row.userId !== userId) throw notFound('Order');
    if (row.status !== 'pending') throw new AppError('CONFLICT', `An order that is ${row.status} cannot be canceled`);
    // Coupon before audit: see releaseCoupon.
    await releaseCoupon(tx, orderId);
    await closePaymentSessions(tx, orderId, 'canceled');
    await moveOrder(tx, row, 'canceled', { actor, message: 'Canceled by the buyer', reason: 'Canceled before payment.' });
  });
  return getOwnOrder(commerce.db, userId, orderId);
}
