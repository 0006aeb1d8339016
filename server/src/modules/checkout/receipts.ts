import { formatMoney } from '@mintreu/contracts';
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { users } from '../auth/tables.js';
import { licenseKeysByIds } from '../licensing/service.js';
import { renderMail } from '../mail/templates.js';
import type { Commerce } from './context.js';
import { itemsOf, type OrderRow } from './orders.js';
import { orders } from './tables.js';

export const RECEIPTS_JOB = 'orders.receipts';
const BATCH = 50;

/**
 * Receipts of fulfilled orders that are still owed one, a batch at a time: what was bought, what was paid, and each
 * licence key (with its attribution line when the licence requires one). The rows are claimed with SKIP LOCKED, so
 * instances share the work; an order is marked only once its mail went out, so a failure is retried later and
 * nothing is sent twice. Returns how many were sent.
 */
export async function sendDueReceipts(commerce: Commerce): Promise<number> {
  return commerce.db.transaction(async (tx) => {
    const due = await tx.select({ order: orders, email: users.email, name: users.name }).from(orders)
      .innerJoin(users, eq(users.id, orders.userId))
      .where(and(eq(orders.status, 'fulfilled'), isNull(orders.receiptSentAt)))
      .orderBy(asc(orders.fulfilledAt)).limit(BATCH).for('update', { of: orders, skipLocked: true });
    if (due.length === 0) return 0;
    const items = await itemsOf(tx, due.map((d) => d.order.id));
    const licenseIds = [...items.values()].flat().map((i) => i.licenseId).filter((id): id is string => Boolean(id));
    const keys = await licenseKeysByIds(tx, commerce.licenseKeys, licenseIds);
    const sent: string[] = [];
    for (const { order, email, name } of due) {
      try {
        await commerce.mailer.send(receiptMail(commerce, order, items.get(order.id) ?? [], keys, { email, name }));
        sent.push(order.id);
      } catch (error) {
        commerce.log(`receipt for ${order.id} could not be sent; retried later`, error);
      }
    }
    if (sent.length) await tx.update(orders).set({ receiptSentAt: new Date() }).where(inArray(orders.id, sent));
    return sent.length;
  });
}

function receiptMail(
  commerce: Commerce,
  order: OrderRow,
  items: Awaited<ReturnType<typeof itemsOf>> extends Map<string, infer I> ? I : never,
  keys: Map<string, { key: string; attribution: string | null }>,
  buyer: { email: string; name: string },
) {
  const lines: string[] = [];
  for (const item of items) {
    lines.push(`${item.productTitle}${item.planName ? ` — ${item.planName}` : ''}: ${formatMoney(item.price, order.currency)}`);
    const license = item.licenseId ? keys.get(item.licenseId) : undefined;
    if (license) {
      lines.push(`Licence key: ${license.key}`);
      if (license.attribution) lines.push(`Attribution required: “${license.attribution}”`);
    }
    if (item.apiKeyId) lines.push('Your API key is shown once in your account, under API keys.');
  }
  const totals = [
    `Subtotal: ${formatMoney(order.subtotal, order.currency)}`,
    ...(order.discount ? [`Discount${order.couponCode ? ` (${order.couponCode})` : ''}: −${formatMoney(order.discount, order.currency)}`] : []),
    `Total paid: ${formatMoney(order.total, order.currency)}`,
  ];
  return renderMail({
    to: buyer.email,
    subject: `Your Mintreu receipt — order ${order.id}`,
    heading: `Thank you, ${buyer.name}`,
    paragraphs: [`Order ${order.id} is complete.`, ...lines, ...totals, 'Keep your licence keys safe: anyone holding a key can use it.'],
    action: { label: 'View your order', url: `${commerce.env.PUBLIC_URL}/account/orders/${order.id}` },
  });
}

/** One scheduled batch per platform instance (tests run several in one process). */
const scheduled = new WeakSet<Commerce>();

/**
 * A fulfilment committed: receipts go out shortly, together with any others due, from this process. If that
 * fails, the receipts job (and the minutely sweep) sends them. Never on the fulfilment's own path.
 */
export function sendReceiptsSoon(commerce: Commerce, delayMs = 200): void {
  if (scheduled.has(commerce)) return;
  scheduled.add(commerce);
  setTimeout(() => {
    scheduled.delete(commerce);
    // Outside the webhook work's slots: receipts must never delay a fulfilment.
    void (async () => {
      // A full batch means more may be due: keep going until the backlog is empty.
      while ((await sendDueReceipts(commerce)) === BATCH);
    })().catch((error: unknown) => {
      commerce.log('receipts failed; queued for retry', error);
      void commerce.jobs.send(RECEIPTS_JOB, {}, { singletonKey: 'receipts' }).catch(() => {});
    });
  }, delayMs).unref();
}
