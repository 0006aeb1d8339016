import { orderTransitions, type LicenseType, type OrderStatus, type PaymentProviderName } from '@mintreu/contracts';
import { and, asc, count, desc, eq, gte, ilike, inArray, lte, or, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, type AuditAction } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { users } from '../auth/tables.js';
import { payments } from '../payments/tables.js';
import { orderEvents, orderItems, orders } from './tables.js';

export type OrderRow = typeof orders.$inferSelect;
type ItemRow = typeof orderItems.$inferSelect;

export function presentOrder(row: OrderRow, items: ItemRow[]) {
  return {
    id: row.id,
    status: row.status as OrderStatus,
    items: items.map((item) => ({
      id: item.id,
      productId: item.productId,
      productSlug: item.productSlug,
      productTitle: item.productTitle,
      planId: item.planId,
      planSlug: item.planSlug,
      planName: item.planName,
      licenseType: item.licenseType as LicenseType,
      price: item.price,
      licenseId: item.licenseId,
      apiKeyId: item.apiKeyId,
    })),
    subtotal: row.subtotal,
    discount: row.discount,
    total: row.total,
    currency: row.currency,
    couponCode: row.couponCode,
    provider: row.provider as PaymentProviderName | null,
    createdAt: row.createdAt,
    paidAt: row.paidAt,
    fulfilledAt: row.fulfilledAt,
    refundedAt: row.refundedAt,
    expiresAt: row.status === 'pending' ? row.expiresAt : null,
    statusReason: row.statusReason,
  };
}

/** Items of many orders in one query. */
export async function itemsOf(db: DbOrTx, orderIds: string[]): Promise<Map<string, ItemRow[]>> {
  const byOrder = new Map<string, ItemRow[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = await db.select().from(orderItems).where(inArray(orderItems.orderId, orderIds)).orderBy(asc(orderItems.position));
  for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
  return byOrder;
}

export async function presentOrders(db: DbOrTx, rows: OrderRow[]) {
  const items = await itemsOf(db, rows.map((r) => r.id));
  return rows.map((row) => presentOrder(row, items.get(row.id) ?? []));
}

/** A customer's own order; someone else's answers 404, as if it did not exist. A pending one says where to pay. */
export async function getOwnOrder(db: DbOrTx, userId: string, id: string) {
  const [row] = await db.select().from(orders).where(and(eq(orders.id, id), eq(orders.userId, userId)));
  if (!row) throw notFound('Order');
  const [open] = row.status === 'pending'
    ? await db.select({ url: payments.url }).from(payments).where(and(eq(payments.orderId, id), eq(payments.status, 'open'))).orderBy(desc(payments.createdAt)).limit(1)
    : [];
  return { ...(await presentOrders(db, [row]))[0]!, paymentUrl: open?.url ?? null };
}

export async function listOwnOrders(db: Db, userId: string, input: { page: number; perPage: number; status?: OrderStatus }) {
  const where = and(eq(orders.userId, userId), input.status ? eq(orders.status, input.status) : undefined);
  const [rows, [total]] = await Promise.all([
    db.select().from(orders).where(where).orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(input.perPage).offset((input.page - 1) * input.perPage),
    db.select({ value: count() }).from(orders).where(where),
  ]);
  return { data: await presentOrders(db, rows), meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 } };
}

export interface AdminOrderFilters {
  page: number;
  perPage: number;
  status?: OrderStatus;
  userId?: string;
  provider?: PaymentProviderName;
  flagged?: boolean;
  /** An order id or part of the buyer's email. */
  search?: string;
  from?: string;
  to?: string;
}

export async function listAdminOrders(db: Db, input: AdminOrderFilters) {
  const conditions: (SQL | undefined)[] = [
    input.status ? eq(orders.status, input.status) : undefined,
    input.userId ? eq(orders.userId, input.userId) : undefined,
    input.provider ? eq(orders.provider, input.provider) : undefined,
    input.flagged === undefined ? undefined : eq(orders.flagged, input.flagged),
    input.from ? gte(orders.createdAt, new Date(input.from)) : undefined,
    input.to ? lte(orders.createdAt, new Date(input.to)) : undefined,
    input.search
      ? or(eq(orders.id, input.search.trim()), ilike(users.email, `%${input.search.trim().replace(/[%_\\]/g, '\\$&')}%`))
      : undefined,
  ];
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db.select({ order: orders, user: { id: users.id, name: users.name, email: users.email } }).from(orders)
      .innerJoin(users, eq(users.id, orders.userId)).where(where)
      .orderBy(desc(orders.createdAt), desc(orders.id)).limit(input.perPage).offset((input.page - 1) * input.perPage),
    db.select({ value: count() }).from(orders).innerJoin(users, eq(users.id, orders.userId)).where(where),
  ]);
  const items = await itemsOf(db, rows.map((r) => r.order.id));
  return {
    data: rows.map(({ order, user }) => ({ ...presentOrder(order, items.get(order.id) ?? []), user, flagged: order.flagged })),
    meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 },
  };
}

export async function getAdminOrder(db: Db, id: string) {
  const [found] = await db.select({ order: orders, user: { id: users.id, name: users.name, email: users.email } })
    .from(orders).innerJoin(users, eq(users.id, orders.userId)).where(eq(orders.id, id));
  if (!found) throw notFound('Order');
  const [items, events] = await Promise.all([
    itemsOf(db, [id]),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, id)).orderBy(asc(orderEvents.at), asc(orderEvents.id)),
  ]);
  return {
    ...presentOrder(found.order, items.get(id) ?? []),
    user: found.user,
    flagged: found.order.flagged,
    events: events.map((e) => ({ id: e.id, type: e.type, message: e.message, data: e.data, at: e.at })),
  };
}

/** The order, locked for the rest of the transaction: every state change goes through here. */
export async function lockOrder(tx: Tx, id: string): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, id)).for('update');
  return row;
}

/** One line on the order's timeline. */
export async function addOrderEvent(tx: Tx, orderId: string, type: string, message: string, data?: Record<string, unknown>) {
  await tx.insert(orderEvents).values({ id: newId('orderEvent'), orderId, type, message, data: data ?? null });
}

const auditActionOf: Partial<Record<OrderStatus, AuditAction>> = {
  paid: 'order.pay',
  fulfilled: 'order.fulfil',
  failed: 'order.fail',
  canceled: 'order.cancel',
  refunded: 'order.refund',
  disputed: 'order.dispute',
};

/**
 * Moves a locked order to `to` if the state machine allows it (contracts: orderTransitions), with its
 * timeline entry and audit event. An illegal move throws: callers decide beforehand what an event means.
 */
export async function moveOrder(
  tx: Tx,
  order: OrderRow,
  to: OrderStatus,
  change: { actor: Actor; message: string; reason?: string | null; set?: Partial<OrderRow>; auditAction?: AuditAction; data?: Record<string, unknown> },
): Promise<OrderRow> {
  const from = order.status as OrderStatus;
  if (!orderTransitions[from].includes(to)) {
    throw new AppError('CONFLICT', `An order that is ${from} cannot become ${to}`);
  }
  const now = new Date();
  const stamps: Partial<OrderRow> = {
    ...(to === 'paid' ? { paidAt: now } : {}),
    ...(to === 'fulfilled' ? { fulfilledAt: now } : {}),
    ...(to === 'refunded' ? { refundedAt: now } : {}),
    ...(to === 'canceled' ? { canceledAt: now } : {}),
  };
  const [updated] = await tx.update(orders)
    .set({ status: to, statusReason: change.reason ?? null, ...stamps, ...change.set, updatedAt: now })
    .where(eq(orders.id, order.id)).returning();
  await addOrderEvent(tx, order.id, to, change.message, change.data);
  await recordAudit(tx, change.actor, {
    action: change.auditAction ?? auditActionOf[to] ?? 'order.create',
    entityType: 'order',
    entityId: order.id,
    before: { status: from },
    after: { status: to, ...(change.reason ? { reason: change.reason } : {}) },
    reason: change.reason ?? null,
  });
  return updated!;
}

/** Id, status, total and date of many orders in one query: for pages that link to an order (licences). */
export async function orderSummaries(db: DbOrTx, ids: string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map<string, { id: string; status: OrderStatus; total: number; currency: string; createdAt: string }>();
  const rows = await db
    .select({ id: orders.id, status: orders.status, total: orders.total, currency: orders.currency, createdAt: orders.createdAt })
    .from(orders)
    .where(inArray(orders.id, unique));
  return new Map(rows.map((r) => [r.id, { ...r, status: r.status as OrderStatus, createdAt: r.createdAt.toISOString() }]));
}
