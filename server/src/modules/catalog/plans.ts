import { productTypeRules, type BillingCycle, type ProductType } from '@mintreu/contracts';
import { and, asc, eq, inArray, max } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { notifyCatalogChange } from './events.js';
import { getProductById } from './products.js';
import { plans } from './tables.js';

type PlanRow = typeof plans.$inferSelect;
export const presentPlan = (row: PlanRow) => ({ ...row, billingCycle: row.billingCycle as BillingCycle });

export async function listPlans(db: DbOrTx, productId: string, options: { activeOnly: boolean }) {
  const rows = await db
    .select()
    .from(plans)
    .where(and(eq(plans.productId, productId), options.activeOnly ? eq(plans.isActive, true) : undefined))
    .orderBy(asc(plans.sortOrder), asc(plans.price), asc(plans.id));
  return rows.map(presentPlan);
}

/** Plans for many products in one query (the product page, the checkout). */
export async function plansOfProducts(db: DbOrTx, productIds: string[]) {
  if (productIds.length === 0) return [];
  return (await db.select().from(plans).where(and(inArray(plans.productId, productIds), eq(plans.isActive, true)))
    .orderBy(asc(plans.sortOrder), asc(plans.price))).map(presentPlan);
}

interface PlanInput {
  slug?: string;
  name?: string;
  description?: string | null;
  price?: number;
  currency?: string;
  billingCycle?: BillingCycle;
  requestsPerMinute?: number | null;
  requestsPerDay?: number | null;
  requestsPerMonth?: number | null;
  features?: string[];
  limits?: Record<string, number>;
  isPopular?: boolean;
  isActive?: boolean;
  sortOrder?: number;
}

export async function createPlan(db: Db, productId: string, input: PlanInput & { slug: string; name: string; price: number }, actor: Actor) {
  return db.transaction(async (tx) => {
    const product = await getProductById(tx, productId);
    if (!productTypeRules[product.type as ProductType].hasPlans) {
      throw new AppError('CONFLICT', 'Plans can only be assigned to API products');
    }
    const [clash] = await tx.select({ id: plans.id }).from(plans).where(and(eq(plans.productId, productId), eq(plans.slug, input.slug)));
    if (clash) throw conflict(`This product already has a plan "${input.slug}"`, 'slug');
    // A new plan goes last unless told otherwise.
    const [last] = await tx.select({ value: max(plans.sortOrder) }).from(plans).where(eq(plans.productId, productId));
    const sortOrder = input.sortOrder ?? (last?.value === null || last?.value === undefined ? 0 : last.value + 1);
    const [row] = await tx
      .insert(plans)
      .values({ ...input, sortOrder, id: newId('plan'), productId, currency: input.currency ?? product.currency })
      .returning();
    await recordAudit(tx, actor, { action: 'plan.create', entityType: 'plan', entityId: row!.id, after: presentPlan(row!) });
    await notifyCatalogChange(tx, productId);
    return presentPlan(row!);
  });
}

export async function updatePlan(db: Db, planId: string, input: PlanInput, actor: Actor) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(plans).where(eq(plans.id, planId)).for('update');
    if (!current) throw notFound('Plan');
    if (input.slug && input.slug !== current.slug) {
      const [clash] = await tx.select({ id: plans.id }).from(plans).where(and(eq(plans.productId, current.productId), eq(plans.slug, input.slug)));
      if (clash) throw conflict(`This product already has a plan "${input.slug}"`, 'slug');
    }
    const [row] = await tx.update(plans).set({ ...input, updatedAt: new Date() }).where(eq(plans.id, planId)).returning();
    await recordAudit(tx, actor, { action: 'plan.update', entityType: 'plan', entityId: planId, before: presentPlan(current), after: presentPlan(row!) });
    await notifyCatalogChange(tx, current.productId);
    return presentPlan(row!);
  });
}

export async function deletePlan(db: Db, planId: string, actor: Actor) {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(plans).where(eq(plans.id, planId)).for('update');
    if (!current) throw notFound('Plan');
    await tx.delete(plans).where(eq(plans.id, planId));
    await recordAudit(tx, actor, { action: 'plan.delete', entityType: 'plan', entityId: planId, before: presentPlan(current) });
    await notifyCatalogChange(tx, current.productId);
  });
}

/** Puts the product's plans in the given order; the list must name every plan exactly once. */
export async function reorderPlans(db: Db, productId: string, planIds: string[], actor: Actor) {
  return db.transaction(async (tx) => {
    await getProductById(tx, productId);
    const current = await tx.select({ id: plans.id, sortOrder: plans.sortOrder }).from(plans).where(eq(plans.productId, productId)).for('update');
    const same = current.length === planIds.length && new Set(planIds).size === planIds.length && planIds.every((id) => current.some((p) => p.id === id));
    if (!same) {
      throw new AppError('VALIDATION_FAILED', "Name each of the product's plans once", { details: [{ path: 'body.planIds', message: 'Must list every plan of this product exactly once' }] });
    }
    for (const [index, id] of planIds.entries()) await tx.update(plans).set({ sortOrder: index }).where(eq(plans.id, id));
    await recordAudit(tx, actor, {
      action: 'plan.reorder', entityType: 'product', entityId: productId,
      before: [...current].sort((a, b) => a.sortOrder - b.sortOrder).map((p) => p.id), after: planIds,
    });
    await notifyCatalogChange(tx, productId);
    return listPlans(tx, productId, { activeOnly: false });
  });
}
