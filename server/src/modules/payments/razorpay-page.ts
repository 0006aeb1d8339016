import { and, eq } from 'drizzle-orm';
import { notFound } from '../../lib/errors.js';
import { users } from '../auth/tables.js';
import type { Commerce } from '../checkout/context.js';
import { orders } from '../checkout/tables.js';
import { payments } from './tables.js';

/**
 * What our /pay/razorpay/{id} page hands to Razorpay's Checkout.js: Razorpay Orders have no hosted page of
 * their own. Only the buyer may open it. The key id is public by Razorpay's design; the payment is confirmed
 * by the signed `payment.captured` webhook, never by the browser.
 */
export async function getRazorpayCheckout(commerce: Commerce, userId: string, razorpayOrderId: string) {
  const [row] = await commerce.db
    .select({ payment: payments, orderId: orders.id, status: orders.status, expiresAt: orders.expiresAt, name: users.name, email: users.email })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .innerJoin(users, eq(users.id, orders.userId))
    .where(and(eq(payments.provider, 'razorpay'), eq(payments.sessionId, razorpayOrderId), eq(orders.userId, userId)));
  if (!row || !commerce.env.RAZORPAY_KEY_ID) throw notFound('Payment session');
  const base = commerce.env.PUBLIC_URL;
  return {
    keyId: commerce.env.RAZORPAY_KEY_ID,
    razorpayOrderId,
    orderId: row.orderId,
    status: row.status,
    amount: row.payment.amount,
    currency: row.payment.currency,
    name: row.name,
    email: row.email,
    expiresAt: row.expiresAt,
    successUrl: `${base}/checkout/success?order=${row.orderId}`,
    cancelUrl: `${base}/checkout/canceled?order=${row.orderId}`,
  };
}
