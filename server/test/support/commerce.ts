import type { FastifyInstance } from 'fastify';
import { and, eq, sql } from 'drizzle-orm';
import { buildSandboxEvent, signSandboxPayload, type SandboxEventBody, type SandboxEventData, type SandboxEventType } from '../../src/adapters/payments/sandbox.js';
import type { Db } from '../../src/db/client.js';
import { auditEvents } from '../../src/lib/audit-tables.js';
import { licenses } from '../../src/modules/licensing/tables.js';
import { webhookEvents } from '../../src/modules/payments/tables.js';
import { eventually, testSecrets } from '../helpers.js';
import { createProduct } from './uploads.js';

/** Shared by the checkout and payments test files: buying, signed sandbox deliveries, and waiting for outcomes. */

type Headers = Record<string, string>;

export interface CheckoutItem {
  productSlug: string;
  planSlug?: string;
  licenseType?: string;
}

export async function checkout(app: FastifyInstance, headers: Headers, body: { items: CheckoutItem[]; couponCode?: string; provider?: string } & Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/api/checkout', headers, payload: body });
}

/** A paid checkout that must succeed: the order and its payment session. */
export async function startPaidCheckout(app: FastifyInstance, headers: Headers, body: { items: CheckoutItem[]; couponCode?: string; provider?: string }) {
  const response = await checkout(app, headers, body);
  if (response.statusCode !== 201) throw new Error(`checkout failed: ${response.statusCode} ${response.body}`);
  const result = response.json() as { order: Order; payment: { provider: string; sessionId: string; url: string } };
  if (!result.payment) throw new Error('expected a payment session');
  return result;
}

export interface Order {
  id: string;
  status: string;
  subtotal: number;
  discount: number;
  total: number;
  currency: string;
  couponCode: string | null;
  provider: string | null;
  paidAt: string | null;
  refundedAt: string | null;
  expiresAt: string | null;
  statusReason: string | null;
  items: { productId: string; productSlug: string; planId: string | null; licenseType: string; price: number; licenseId: string | null; apiKeyId: string | null }[];
}

export async function getOrder(app: FastifyInstance, headers: Headers, id: string): Promise<Order> {
  const response = await app.inject({ method: 'GET', url: `/api/orders/${id}`, headers });
  if (response.statusCode !== 200) throw new Error(`order ${id}: ${response.statusCode} ${response.body}`);
  return response.json() as Order;
}

/** Waits until the buyer's order reaches `status`; returns it (or throws with the status it is stuck in). */
export async function waitForOrder(app: FastifyInstance, headers: Headers, id: string, status: string, timeoutMs = 10_000): Promise<Order> {
  let last: Order | undefined;
  const reached = await eventually(async () => {
    last = await getOrder(app, headers, id);
    return last.status === status;
  }, timeoutMs, 50);
  if (!reached) throw new Error(`order ${id} stayed ${last?.status} (${last?.statusReason ?? 'no reason'}), expected ${status}`);
  return last!;
}

/** The raw body and headers of a sandbox delivery, signed like the gateway signs (or not, as told). */
export function signedSandboxDelivery(body: SandboxEventBody | Record<string, unknown>, options: { t?: number; secret?: string } = {}) {
  const raw = JSON.stringify(body);
  const t = options.t ?? Math.floor(Date.now() / 1000);
  return {
    raw,
    headers: { 'content-type': 'application/json', 'sandbox-signature': signSandboxPayload(options.secret ?? testSecrets.paymentSandboxSecret, raw, t) },
  };
}

export async function postSandboxWebhook(app: FastifyInstance, raw: string, headers: Headers) {
  return app.inject({ method: 'POST', url: '/api/webhooks/sandbox', headers, payload: raw });
}

/** Builds, signs and delivers one sandbox event; returns the response and the event body. */
export async function deliverSandbox(app: FastifyInstance, type: SandboxEventType, data: SandboxEventData, options: { t?: number; secret?: string } = {}) {
  const body = buildSandboxEvent(type, data);
  const { raw, headers } = signedSandboxDelivery(body, options);
  const response = await postSandboxWebhook(app, raw, headers);
  return { response, body };
}

/** The payment data of an order's sandbox session, as the gateway would report it. */
export function sandboxData(order: Pick<Order, 'id' | 'total' | 'currency'>, payment: { sessionId: string }, extra: Partial<SandboxEventData> = {}): SandboxEventData {
  return { sessionId: payment.sessionId, orderId: order.id, amount: order.total, currency: order.currency, ...extra };
}

export type WebhookRow = typeof webhookEvents.$inferSelect;

export async function webhookRow(db: Db, provider: string, providerEventId: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhookEvents)
    .where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.providerEventId, providerEventId)));
  return row;
}

/** Waits until a stored event leaves `received` (processed, deferred, ignored or rejected) and returns it. */
export async function waitForEvent(db: Db, provider: string, providerEventId: string, timeoutMs = 10_000): Promise<WebhookRow> {
  let row: WebhookRow | undefined;
  const done = await eventually(async () => {
    row = await webhookRow(db, provider, providerEventId);
    return Boolean(row && row.status !== 'received');
  }, timeoutMs, 50);
  if (!done) throw new Error(`event ${providerEventId} not processed: ${JSON.stringify(row ?? null)}`);
  return row!;
}

export async function auditCount(db: Db, action: string, entityId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.entityId, entityId)));
  return row?.n ?? 0;
}

export async function licenseCountOfOrder(db: Db, orderId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(licenses).where(eq(licenses.orderId, orderId));
  return row?.n ?? 0;
}

/** Engages or releases a kill switch as an admin and waits until this instance sees it. */
export async function setKillSwitch(app: FastifyInstance, adminHeaders: Headers, name: string, engaged: boolean) {
  const response = await app.inject({
    method: 'PUT', url: `/api/admin/kill-switches/${name}`, headers: adminHeaders,
    payload: { engaged, reason: engaged ? 'test: pausing' : 'test: resuming' },
  });
  if (response.statusCode !== 200) throw new Error(`kill switch ${name}: ${response.statusCode} ${response.body}`);
  if (!(await eventually(() => app.live.isEngaged(name as 'payments') === engaged, 5000))) {
    throw new Error(`kill switch ${name} did not become ${engaged ? 'engaged' : 'released'} on this instance`);
  }
}

/** Creates an API product with one plan through the admin API. */
export async function createApiProduct(app: FastifyInstance, adminHeaders: Headers, plan: { slug?: string; price?: number; currency?: string } = {}) {
  const product = await createProduct(app, adminHeaders, { type: 'api_service', price: 0, apiConfig: { baseUrl: 'https://upstream.test' } });
  const response = await app.inject({
    method: 'POST', url: `/api/admin/products/${product.id}/plans`, headers: adminHeaders,
    payload: { slug: plan.slug ?? 'starter', name: 'Starter', price: plan.price ?? 99900, ...(plan.currency ? { currency: plan.currency } : {}), requestsPerDay: 1000 },
  });
  if (response.statusCode !== 201) throw new Error(`plan create failed: ${response.statusCode} ${response.body}`);
  return { ...product, plan: response.json() as { id: string; slug: string } };
}
