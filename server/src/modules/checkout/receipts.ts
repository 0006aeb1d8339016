import { eq } from 'drizzle-orm';
import { formatMoney } from '@mintreu/contracts';
import { users } from '../auth/tables.js';
import { getOwnLicense } from '../licensing/service.js';
import { renderMail } from '../mail/templates.js';
import type { Commerce } from './context.js';
import { RECEIPT_JOB } from './fulfil.js';
import { getOwnOrder } from './orders.js';
import { orders } from './tables.js';

/**
 * The receipt email of a fulfilled order: what was bought, what was paid, and each licence key (with its
 * attribution line when the licence requires one). Sent by a job after the fulfilment commits.
 */
export async function sendOrderReceipt(commerce: Commerce, orderId: string): Promise<void> {
  const [row] = await commerce.db.select({ userId: orders.userId, email: users.email, name: users.name })
    .from(orders).innerJoin(users, eq(users.id, orders.userId)).where(eq(orders.id, orderId));
  if (!row) return;
  const order = await getOwnOrder(commerce.db, row.userId, orderId);
  if (order.status !== 'fulfilled') return;
  const lines: string[] = [];
  for (const item of order.items) {
    lines.push(`${item.productTitle}${item.planName ? ` — ${item.planName}` : ''}: ${formatMoney(item.price, order.currency)}`);
    if (item.licenseId) {
      const license = await getOwnLicense(commerce.db, commerce.licenseKeys, row.userId, item.licenseId);
      lines.push(`Licence key: ${license.key}`);
      if (license.attribution.required && license.attribution.text) lines.push(`Attribution required: “${license.attribution.text}”`);
    }
    if (item.apiKeyId) lines.push('Your API key is shown once in your account, under API keys.');
  }
  const totals = [
    `Subtotal: ${formatMoney(order.subtotal, order.currency)}`,
    ...(order.discount ? [`Discount${order.couponCode ? ` (${order.couponCode})` : ''}: −${formatMoney(order.discount, order.currency)}`] : []),
    `Total paid: ${formatMoney(order.total, order.currency)}`,
  ];
  await commerce.mailer.send(renderMail({
    to: row.email,
    subject: `Your Mintreu receipt — order ${order.id}`,
    heading: `Thank you, ${row.name}`,
    paragraphs: [`Order ${order.id} is complete.`, ...lines, ...totals, 'Keep your licence keys safe: anyone holding a key can use it.'],
    action: { label: 'View your order', url: `${commerce.env.PUBLIC_URL}/account/orders/${order.id}` },
  }));
}

/** The receipt goes out at once from this process; the job queue retries it if that fails. */
export async function sendReceipt(commerce: Commerce, orderId: string) {
  const toQueue = () => commerce.jobs.send(RECEIPT_JOB, { orderId }, { singletonKey: orderId }).catch((error: unknown) => commerce.log(`receipt for ${orderId} not queued`, error));
  const started = commerce.local.tryRun(() => sendOrderReceipt(commerce, orderId), (error) => {
    commerce.log(`receipt for ${orderId} failed; queued for retry`, error);
    void toQueue();
  });
  if (!started) await toQueue();
}
