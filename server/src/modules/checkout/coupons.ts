import type { CouponKind } from '@mintreu/contracts';
import { and, asc, count, desc, eq, ilike, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { couponRedemptions, coupons, orders } from './tables.js';

type CouponRow = typeof coupons.$inferSelect;

export const presentCoupon = (row: CouponRow) => ({
  id: row.id,
  code: row.code,
  description: row.description,
  kind: row.kind as CouponKind,
  value: row.value,
  currency: row.currency,
  productIds: row.productIds,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  maxUses: row.maxUses,
  maxUsesPerCustomer: row.maxUsesPerCustomer,
  usedCount: row.usedCount,
  isActive: row.isActive,
  createdAt: row.createdAt,
});

/** A coupon code the buyer cannot use: 400 on the `couponCode` field, so the checkout form shows it there. */
const invalidCoupon = (message: string) =>
  new AppError('COUPON_INVALID', message, { status: 400, details: [{ path: 'body.couponCode', message }] });

export interface PricedLine {
  productId: string;
  price: number;
}

/** Why `coupon` cannot be used on these lines by this buyer, or the discount it gives. */
async function evaluateCoupon(
  tx: Tx,
  coupon: CouponRow | undefined,
  input: { code: string; userId: string; currency: string; lines: PricedLine[] },
): Promise<{ coupon: CouponRow; discount: number }> {
  const now = new Date();
  if (!coupon || !coupon.isActive) throw invalidCoupon(`The code ${input.code.toUpperCase()} is not valid`);
  if (coupon.startsAt && coupon.startsAt > now) throw invalidCoupon('This code is not active yet');
  if (coupon.endsAt && coupon.endsAt <= now) throw invalidCoupon('This code has expired');
  if (coupon.maxUses !== null && coupon.usedCount >= coupon.maxUses) throw invalidCoupon('This code has been used up');
  if (coupon.maxUsesPerCustomer !== null) {
    const [mine] = await tx.select({ value: count() }).from(couponRedemptions)
      .where(and(eq(couponRedemptions.couponId, coupon.id), eq(couponRedemptions.userId, input.userId)));
    if ((mine?.value ?? 0) >= coupon.maxUsesPerCustomer) throw invalidCoupon('You have already used this code');
  }
  const eligible = coupon.productIds.length === 0 ? input.lines : input.lines.filter((l) => coupon.productIds.includes(l.productId));
  const base = eligible.reduce((sum, line) => sum + line.price, 0);
  if (eligible.length === 0) throw invalidCoupon('This code does not apply to these products');
  if (base === 0) throw invalidCoupon('This code does not apply to free products');
  if (coupon.kind === 'fixed' && coupon.currency !== input.currency) {
    throw invalidCoupon(`This code is for payments in ${coupon.currency}`);
  }
  // Percentages round down: the buyer is never charged less than the stated discount allows.
  const discount = coupon.kind === 'percent' ? Math.floor((base * coupon.value) / 100) : Math.min(coupon.value, base);
  return { coupon, discount };
}

/** The discount `code` would give, without reserving it (the checkout page's preview). */
export async function previewCoupon(db: Db, input: { code: string; userId: string; currency: string; lines: PricedLine[] }) {
  const [coupon] = await db.select().from(coupons).where(eq(coupons.code, input.code.toUpperCase()));
  return db.transaction((tx) => evaluateCoupon(tx, coupon, input));
}

/**
 * Reserves one use of `code` and returns the discount on `lines` (the lines it applies to), plus `redeem`,
 * which records the use against the order. The order's total depends on the discount, so the order row is
 * inserted between the two, and the redemption (which references the order) after it; both in the caller's
 * transaction. The coupon row is locked for the transaction, so concurrent checkouts racing for its last use
 * are served one at a time: exactly one wins, the others get COUPON_INVALID.
 */
export async function reserveCoupon(
  tx: Tx,
  input: { code: string; userId: string; currency: string; lines: PricedLine[] },
): Promise<{ coupon: CouponRow; discount: number; redeem(orderId: string): Promise<void> }> {
  const [locked] = await tx.select().from(coupons).where(eq(coupons.code, input.code.toUpperCase())).for('update');
  const { coupon, discount } = await evaluateCoupon(tx, locked, input);
  await tx.update(coupons).set({ usedCount: sql`${coupons.usedCount} + 1` }).where(eq(coupons.id, coupon.id));
  const redeem = async (orderId: string) => {
    await tx.insert(couponRedemptions).values({ id: newId('redemption'), couponId: coupon.id, userId: input.userId, orderId });
  };
  return { coupon, discount, redeem };
}

/**
 * Gives back the use an order held, when the order fails, is canceled or expires. Idempotent.
 * Call it before anything in the transaction writes an audit event (moveOrder does): every audited
 * transaction holds the audit chain's lock until it ends, and a checkout locks the coupon row before it
 * takes that lock. Taking them the other way round here would deadlock with a concurrent checkout using
 * the same coupon, and PostgreSQL would abort one of the two.
 */
export async function releaseCoupon(tx: Tx, orderId: string): Promise<void> {
  const [released] = await tx.delete(couponRedemptions).where(eq(couponRedemptions.orderId, orderId)).returning();
  if (released) {
    await tx.update(coupons).set({ usedCount: sql`greatest(${coupons.usedCount} - 1, 0)` }).where(eq(coupons.id, released.couponId));
  }
}

/**
 * Takes a use back for an order that was released and then paid after all (a late payment is honoured).
 * Like releaseCoupon, call it before the transaction's first audit event.
 */
export async function reclaimCoupon(tx: Tx, order: { id: string; userId: string; couponId: string | null }): Promise<void> {
  if (!order.couponId) return;
  const inserted = await tx.insert(couponRedemptions)
    .values({ id: newId('redemption'), couponId: order.couponId, userId: order.userId, orderId: order.id })
    .onConflictDoNothing().returning({ id: couponRedemptions.id });
  // Counted while within the limit; past it, the redemption is still recorded against the buyer.
  if (inserted.length) {
    await tx.update(coupons).set({ usedCount: sql`${coupons.usedCount} + 1` })
      .where(and(eq(coupons.id, order.couponId), sql`(${coupons.maxUses} is null or ${coupons.usedCount} < ${coupons.maxUses})`));
  }
}

export interface CouponInput {
  code: string;
  description?: string | null;
  kind: CouponKind;
  value: number;
  currency?: string | null;
  productIds?: string[];
  startsAt?: string | null;
  endsAt?: string | null;
  maxUses?: number | null;
  maxUsesPerCustomer?: number | null;
  isActive?: boolean;
}

const toRow = (input: Partial<CouponInput>) => ({
  ...(input.code !== undefined ? { code: input.code.toUpperCase() } : {}),
  ...(input.description !== undefined ? { description: input.description } : {}),
  ...(input.kind !== undefined ? { kind: input.kind } : {}),
  ...(input.value !== undefined ? { value: input.value } : {}),
  ...(input.currency !== undefined ? { currency: input.currency } : {}),
  ...(input.productIds !== undefined ? { productIds: [...new Set(input.productIds)] } : {}),
  ...(input.startsAt !== undefined ? { startsAt: input.startsAt ? new Date(input.startsAt) : null } : {}),
  ...(input.endsAt !== undefined ? { endsAt: input.endsAt ? new Date(input.endsAt) : null } : {}),
  ...(input.maxUses !== undefined ? { maxUses: input.maxUses } : {}),
  ...(input.maxUsesPerCustomer !== undefined ? { maxUsesPerCustomer: input.maxUsesPerCustomer } : {}),
  ...(input.isActive !== undefined ? { isActive: input.isActive } : {}),
});

export async function listCoupons(db: Db, input: { page: number; perPage: number; search?: string }) {
  const where = input.search ? ilike(coupons.code, `%${input.search.replace(/[%_\\]/g, '\\$&')}%`) : undefined;
  const [rows, [total]] = await Promise.all([
    db.select().from(coupons).where(where).orderBy(desc(coupons.createdAt), asc(coupons.code))
      .limit(input.perPage).offset((input.page - 1) * input.perPage),
    db.select({ value: count() }).from(coupons).where(where),
  ]);
  return { data: rows.map(presentCoupon), meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 } };
}

export async function createCoupon(db: Db, input: CouponInput, actor: Actor) {
  return db.transaction(async (tx) => {
    const [clash] = await tx.select({ id: coupons.id }).from(coupons).where(eq(coupons.code, input.code.toUpperCase()));
    if (clash) throw conflict(`A coupon ${input.code.toUpperCase()} already exists`, 'code');
    const [row] = await tx.insert(coupons).values({ id: newId('coupon'), ...toRow(input) } as typeof coupons.$inferInsert).returning();
    await recordAudit(tx, actor, { action: 'coupon.create', entityType: 'coupon', entityId: row!.id, after: presentCoupon(row!) });
    return presentCoupon(row!);
  });
}

const invalidField = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', message, { status: 400, details: [{ path: `body.${field}`, message }] });

export async function updateCoupon(db: Db, id: string, input: Partial<CouponInput>, actor: Actor) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(coupons).where(eq(coupons.id, id)).for('update');
    if (!before) throw notFound('Coupon');
    if (input.code && input.code.toUpperCase() !== before.code) {
      const [clash] = await tx.select({ id: coupons.id }).from(coupons).where(eq(coupons.code, input.code.toUpperCase()));
      if (clash) throw conflict(`A coupon ${input.code.toUpperCase()} already exists`, 'code');
    }
    // The coupon as it would be, checked as a whole like a new one (couponBodySchema): these are faults of the
    // request, 400 on the field, as creating the same coupon would answer.
    const merged = { ...before, ...toRow(input) };
    if (merged.kind === 'percent' && merged.value > 100) throw invalidField('value', 'A percentage is at most 100');
    if (merged.kind === 'fixed' && !merged.currency) throw invalidField('currency', 'A fixed discount needs its currency');
    if (merged.startsAt && merged.endsAt && merged.endsAt <= merged.startsAt) throw invalidField('endsAt', 'The end must be after the start');
    // A clash with what already happened (uses taken) is a conflict.
    if (merged.maxUses !== null && merged.maxUses < before.usedCount) {
      throw conflict(`This coupon has already been used ${before.usedCount} times`, 'maxUses');
    }
    const [row] = await tx.update(coupons).set({ ...toRow(input), updatedAt: new Date() }).where(eq(coupons.id, id)).returning();
    await recordAudit(tx, actor, { action: 'coupon.update', entityType: 'coupon', entityId: id, before: presentCoupon(before), after: presentCoupon(row!) });
    return presentCoupon(row!);
  });
}

/** A coupon that orders used is kept for their records and deactivated instead. */
export async function deleteCoupon(db: Db, id: string, actor: Actor): Promise<{ deleted: boolean }> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(coupons).where(eq(coupons.id, id)).for('update');
    if (!before) throw notFound('Coupon');
    const [used] = await tx.select({ value: count() }).from(orders).where(eq(orders.couponId, id));
    if ((used?.value ?? 0) > 0) {
      await tx.update(coupons).set({ isActive: false, updatedAt: new Date() }).where(eq(coupons.id, id));
      await recordAudit(tx, actor, { action: 'coupon.update', entityType: 'coupon', entityId: id, before: { isActive: before.isActive }, after: { isActive: false }, reason: 'deleted while in use: deactivated' });
      return { deleted: false };
    }
    await tx.delete(coupons).where(eq(coupons.id, id));
    await recordAudit(tx, actor, { action: 'coupon.delete', entityType: 'coupon', entityId: id, before: presentCoupon(before) });
    return { deleted: true };
  });
}

