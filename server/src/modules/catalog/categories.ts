import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { notifyCatalogChange } from './events.js';
import { categories, productCategories } from './tables.js';

type CategoryRow = typeof categories.$inferSelect;

/** Each product's categories (ordered), for many products in one query. */
export async function categoriesOf(db: DbOrTx, productIds: string[]) {
  const out = new Map<string, { id: string; slug: string; name: string }[]>();
  if (productIds.length === 0) return out;
  const rows = await db
    .select({ productId: productCategories.productId, id: categories.id, slug: categories.slug, name: categories.name })
    .from(productCategories)
    .innerJoin(categories, eq(categories.id, productCategories.categoryId))
    .where(inArray(productCategories.productId, productIds))
    .orderBy(asc(categories.sortOrder), asc(categories.name));
  for (const { productId, ...category } of rows) {
    if (!out.has(productId)) out.set(productId, []);
    out.get(productId)!.push(category);
  }
  return out;
}

/** A category (by slug) and all below it: filtering by "frontend" includes "frontend/vue". */
export async function descendantIds(db: DbOrTx, slug: string): Promise<string[]> {
  const all = await db.select({ id: categories.id, slug: categories.slug, parentId: categories.parentId }).from(categories);
  const root = all.find((c) => c.slug === slug);
  if (!root) return [];
  const ids = [root.id];
  for (let i = 0; i < ids.length; i++) for (const c of all) if (c.parentId === ids[i] && !ids.includes(c.id)) ids.push(c.id);
  return ids;
}

export async function setProductCategories(tx: Tx, productId: string, categoryIds: string[]) {
  const unique = [...new Set(categoryIds)];
  if (unique.length) {
    const found = await tx.select({ id: categories.id }).from(categories).where(inArray(categories.id, unique));
    const missing = unique.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw new AppError('VALIDATION_FAILED', 'Unknown category', { details: [{ path: 'body.categoryIds', message: `Unknown: ${missing.join(', ')}` }] });
    }
  }
  await tx.delete(productCategories).where(eq(productCategories.productId, productId));
  if (unique.length) await tx.insert(productCategories).values(unique.map((categoryId) => ({ productId, categoryId })));
}

/** Each category's products, counting those of its sub-categories once each (as `?category=` lists them). */
async function withCounts(db: DbOrTx, rows: CategoryRow[], publishedOnly: boolean) {
  const counts = await db.execute<{ id: string; n: number }>(sql`
    with recursive tree(root, id) as (
      select id, id from categories
      union all
      select tree.root, c.id from categories c join tree on c.parent_id = tree.id
    )
    select tree.root as id, count(distinct pc.product_id)::int as n
    from tree
    join product_categories pc on pc.category_id = tree.id
    join products p on p.id = pc.product_id ${publishedOnly ? sql`and p.status = 'published'` : sql``}
    group by tree.root`);
  const byId = new Map(counts.rows.map((c) => [c.id, c.n]));
  return rows.map((row) => ({
    id: row.id, slug: row.slug, name: row.name, description: row.description, parentId: row.parentId,
    sortOrder: row.sortOrder, isActive: row.isActive, productCount: byId.get(row.id) ?? 0,
  }));
}

export async function listCategories(db: Db, viewer: 'public' | 'admin') {
  const rows = await db
    .select()
    .from(categories)
    .where(viewer === 'public' ? eq(categories.isActive, true) : undefined)
    .orderBy(asc(categories.sortOrder), asc(categories.name));
  return withCounts(db, rows, viewer === 'public');
}

const slugify = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'category';

interface CategoryInput {
  name?: string;
  slug?: string;
  description?: string | null;
  parentId?: string | null;
  sortOrder?: number;
  isActive?: boolean;
}

async function assertParent(tx: Tx, id: string | null, parentId: string | null | undefined) {
  if (!parentId) return;
  const all = await tx.select({ id: categories.id, parentId: categories.parentId }).from(categories);
  if (!all.some((c) => c.id === parentId)) {
    throw new AppError('VALIDATION_FAILED', 'Unknown parent', { details: [{ path: 'body.parentId', message: 'No such category' }] });
  }
  // Walking up from the new parent must never reach the category itself.
  for (let at: string | null | undefined = parentId; at; at = all.find((c) => c.id === at)?.parentId) {
    if (at === id) throw new AppError('VALIDATION_FAILED', 'A category cannot sit under itself', { details: [{ path: 'body.parentId', message: 'That would make a loop' }] });
  }
}

async function assertUnique(tx: Tx, id: string | null, values: { name?: string; slug?: string }) {
  const clashes = await tx
    .select({ id: categories.id, name: categories.name, slug: categories.slug })
    .from(categories)
    .where(sql`(${categories.name} = ${values.name ?? ''} or ${categories.slug} = ${values.slug ?? ''})`);
  const other = clashes.find((c) => c.id !== id);
  if (other && other.slug === values.slug) throw conflict(`The slug "${values.slug}" is taken`, 'slug');
  if (other) throw conflict(`A category named "${values.name}" exists`, 'name');
}

export async function createCategory(db: Db, input: CategoryInput & { name: string }, actor: Actor) {
  return db.transaction(async (tx) => {
    const slug = input.slug ?? slugify(input.name);
    await assertUnique(tx, null, { name: input.name, slug });
    await assertParent(tx, null, input.parentId);
    const [row] = await tx.insert(categories).values({ ...input, id: newId('category'), slug }).returning();
    await recordAudit(tx, actor, { action: 'category.create', entityType: 'category', entityId: row!.id, after: row });
    await notifyCatalogChange(tx, '*');
    return (await withCounts(tx, [row!], false))[0]!;
  });
}

export async function updateCategory(db: Db, id: string, input: CategoryInput, actor: Actor) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(categories).where(eq(categories.id, id)).for('update');
    if (!current) throw notFound('Category');
    await assertUnique(tx, id, { name: input.name, slug: input.slug });
    await assertParent(tx, id, input.parentId);
    const [row] = await tx.update(categories).set({ ...input, updatedAt: new Date() }).where(eq(categories.id, id)).returning();
    await recordAudit(tx, actor, { action: 'category.update', entityType: 'category', entityId: id, before: current, after: row });
    await notifyCatalogChange(tx, '*');
    return (await withCounts(tx, [row!], false))[0]!;
  });
}

export async function deleteCategory(db: Db, id: string, actor: Actor) {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(categories).where(eq(categories.id, id)).for('update');
    if (!current) throw notFound('Category');
    // Children move up to this category's parent rather than disappearing.
    await tx.update(categories).set({ parentId: current.parentId }).where(and(eq(categories.parentId, id)));
    await tx.delete(categories).where(eq(categories.id, id));
    await recordAudit(tx, actor, { action: 'category.delete', entityType: 'category', entityId: id, before: current });
    await notifyCatalogChange(tx, '*');
  });
}
