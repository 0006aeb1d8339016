import { and, asc, eq, lte } from 'drizzle-orm';
import type { Actor } from '../../lib/actor.js';
import { withDeferredAudit } from '../../lib/audit.js';
import type { Commerce } from './context.js';
import { closePaymentSessions } from '../payments/sessions.js';
import { releaseCoupon } from './coupons.js';
import { fulfilOrder } from './fulfil.js';
import { lockOrder, moveOrder } from './orders.js';
import { sendReceiptsSoon } from './receipts.js';
import { orders } from './tables.js';

const jobActor = (job: string): Actor => ({ user: null, ip: null, userAgent: `job:${job}`, requestId: null });

/** Pending orders past their expiry are canceled and give back their coupon use. */
export async function expirePendingOrders(commerce: Commerce): Promise<number> {
  const due = await commerce.db.select({ id: orders.id }).from(orders)
    .where(and(eq(orders.status, 'pending'), lte(orders.expiresAt, new Date()))).orderBy(asc(orders.expiresAt)).limit(500);
  let expired = 0;
  for (const { id } of due) {
    await commerce.db.transaction(async (tx) => {
      const order = await lockOrder(tx, id);
      if (order?.status !== 'pending' || !order.expiresAt || order.expiresAt > new Date()) return;
      // Coupon before audit: see releaseCoupon.
      await releaseCoupon(tx, id);
      await closePaymentSessions(tx, id, 'expired');
      await moveOrder(tx, order, 'canceled', {
        actor: jobActor('orders.expire'), message: 'Expired unpaid', reason: 'The order expired before it was paid.', auditAction: 'order.expire',
      });
      expired++;
    });
  }
  return expired;
}

/** Paid orders that waited (licensing was paused) are fulfilled; a no-op while the switch stays engaged. */
export async function fulfilWaitingOrders(commerce: Commerce): Promise<number> {
  if (commerce.live.isEngaged('licensing')) return 0;
  const waiting = await commerce.db.select({ id: orders.id }).from(orders).where(eq(orders.status, 'paid')).orderBy(asc(orders.paidAt)).limit(500);
  let fulfilled = 0;
  for (const { id } of waiting) {
    const done = await withDeferredAudit(commerce.db, async (tx) => {
      const order = await lockOrder(tx, id);
      return order ? fulfilOrder(tx, commerce, order, jobActor('orders.fulfil-waiting')) : false;
    });
    if (done) {
      fulfilled++;
      sendReceiptsSoon(commerce);
    }
  }
  return fulfilled;
}
