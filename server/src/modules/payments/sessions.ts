import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { payments } from './tables.js';

/**
 * An order that closes unpaid closes its open payment pages too: the sandbox gateway then refuses Pay. (A real
 * provider's page may still take money until its own expiry; such a late payment is honoured, see apply.ts.)
 */
export async function closePaymentSessions(tx: Tx, orderId: string, status: 'canceled' | 'expired') {
  await tx.update(payments).set({ status, updatedAt: new Date() }).where(and(eq(payments.orderId, orderId), eq(payments.status, 'open')));
}
