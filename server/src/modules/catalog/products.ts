import { isFreeProduct, productTypeRules, type LicenseType, type ProductStatus, type ProductType } from '@mintreu/contracts';
import { and, asc, count, desc, eq, getTableColumns, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { categoriesOf, descendantIds, setProductCategories } from './categories.js';
import { notifyCatalogChange } from './events.js';
import type { CreateProductInput, UpdateProductInput } from './schema.js';
import { ownedFileKeys } from './sources.js';
import { plans, productSources, products } from './tables.js';

type ProductRow = typeof products.$inferSelect;
export type Viewer = 'public' | 'admin';

/** The API's product shape. Public viewers never see an upstream `baseUrl` nor a non-freebie GitHub link. */
export function presentProduct(row: ProductRow, categories: { id: string; slug: string; name: string }[], viewer: Viewer) {
  const type = row.type as ProductType;
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    shortDescription: row.shortDescription,
    description: row.description,
    content: row.content,
    image: row.image,
    price: row.price,
    currency: row.currency,
    category: categories[0]?.slug ?? null,
    categories,
    type,
    version: row.version,
    status: row.status as ProductStatus,
    featured: row.featured,
    downloads: row.downloads,
    rating: Number(row.rating),
    demoUrl: row.demoUrl,
    githubUrl: viewer === 'admin' || productTypeRules[type].showsPublicSource ? row.githubUrl : null,
    documentationUrl: row.documentationUrl,
    requiresAuth: row.requiresAuth,
    defaultLicense: row.defaultLicense as LicenseType,
    meta: row.meta,
    apiConfig: viewer === 'admin' ? row.apiConfig : publicApiConfig(row.apiConfig),
    isFree: isFreeProduct({ price: row.price, type }),
    publishedAt: row.publishedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The gateway proxies to `baseUrl`; revealing it would let callers skip the gateway's keys and limits. */
function publicApiConfig(config: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !/url|secret|token|key|password/i.test(key)));
}

async function withCategories(db: DbOrTx, rows: ProductRow[], viewer: Viewer) {
  const byProduct = await categoriesOf(db, rows.map((r) => r.id));
  return rows.map((row) => presentProduct(row, byProduct.get(row.id) ?? [], viewer));
}

/** `dash boa` → `dash:* & boa:*`: every word must match, the last ones as prefixes (instant search). */
export function toPrefixQuery(search: string): string | null {
  const words = search.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 8) ?? [];
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
}

const publicSorts: Record<string, SQL[]> = {
  newest: [sql`${products.publishedAt} desc nulls last`, desc(products.createdAt)],
  price_asc: [asc(products.price), desc(products.downloads)],
  price_desc: [desc(products.price), desc(products.downloads)],
  popular: [desc(products.downloads), desc(products.rating)],
  rating: [desc(products.rating), desc(products.downloads)],
  updated: [desc(products.updatedAt)],
  created: [desc(products.createdAt)],
  title: [asc(products.title)],
};

export interface ListProductsInput {
  search?: string;
  category?: string;
  type?: ProductType;
  free?: boolean;
  featured?: boolean;
  status?: ProductStatus;
  sort?: keyof typeof publicSorts;
  page: number;
  perPage: number;
}

/** List columns: everything but the search vector (heavy, and never shown). */
const { search: _search, ...listColumns } = getTableColumns(products);

/** The product's categories as JSON, in the same query (no second round trip). */
const categoriesJson = sql<{ id: string; slug: string; name: string }[]>`coalesce((
  select json_agg(json_build_object('id', c.id, 'slug', c.slug, 'name', c.name) order by c.sort_order, c.name)
  from product_categories pc join categories c on c.id = pc.category_id where pc.product_id = ${products.id}), '[]'::json)`;

/** The catalogue: published only for the public; ranked full-text search, filters, sorting, pages — one query. */
export async function listProducts(db: Db, input: ListProductsInput, viewer: Viewer) {
  const filters: SQL[] = [];
  if (viewer === 'public') filters.push(eq(products.status, 'published'));
  else if (input.status) filters.push(eq(products.status, input.status));
  const query = input.search ? toPrefixQuery(input.search) : null;
  const tsquery = query ? sql`to_tsquery('english', ${query})` : null;
  if (tsquery) filters.push(sql`${products.search} @@ ${tsquery}`);
  if (input.type) filters.push(eq(products.type, input.type));
  if (input.featured !== undefined) filters.push(eq(products.featured, input.featured));
  // As isFreeProduct: freebies, and price 0 outside the plan-priced API types.
  const freeSql = sql`(${products.type} = 'freebie' or (${products.price} = 0 and ${products.type} not in ('api_service', 'api_referral')))`;
  if (input.free === true) filters.push(freeSql);
  if (input.free === false) filters.push(sql`not ${freeSql}`);
  if (input.category) {
    const ids = await descendantIds(db, input.category);
    if (ids.length === 0) return { data: [], meta: { page: input.page, perPage: input.perPage, total: 0 } };
    filters.push(sql`exists (select 1 from product_categories pc where pc.product_id = ${products.id} and pc.category_id in ${ids})`);
  }
  const where = and(...filters);
  const order = input.sort ? publicSorts[input.sort]! : tsquery ? [sql`ts_rank_cd(${products.search}, ${tsquery}) desc`, desc(products.downloads)] : publicSorts.newest!;
  const rows = await db
    .select({ ...listColumns, categories: categoriesJson, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(products)
    .where(where)
    .orderBy(...order, asc(products.id))
    .limit(input.perPage)
    .offset((input.page - 1) * input.perPage);
  // Past the last page there is no row to carry the total: count separately (rare).
  const total = rows[0]?.total ?? (input.page > 1 ? ((await db.select({ value: count() }).from(products).where(where))[0]?.value ?? 0) : 0);
  const data = rows.map(({ categories, total: _t, ...row }) => presentProduct({ ...row, search: null }, categories, viewer));
  return { data, meta: { page: input.page, perPage: input.perPage, total } };
}

export async function listAdminProducts(db: Db, input: ListProductsInput) {
  // For the seller "newest" means newest created (drafts included), not newest published.
  const result = await listProducts(db, { ...input, sort: input.sort === 'newest' ? 'created' : input.sort }, 'admin');
  const counts = await childCounts(db, result.data.map((p) => p.id));
  return { ...result, data: result.data.map((p) => ({ ...p, ...(counts.get(p.id) ?? { sourceCount: 0, planCount: 0 }) })) };
}

async function childCounts(db: DbOrTx, ids: string[]) {
  const out = new Map<string, { sourceCount: number; planCount: number }>();
  if (ids.length === 0) return out;
  const [sourceRows, planRows] = await Promise.all([
    db.select({ id: productSources.productId, n: count() }).from(productSources).where(inArray(productSources.productId, ids)).groupBy(productSources.productId),
    db.select({ id: plans.productId, n: count() }).from(plans).where(inArray(plans.productId, ids)).groupBy(plans.productId),
  ]);
  for (const id of ids) out.set(id, { sourceCount: 0, planCount: 0 });
  for (const r of sourceRows) out.get(r.id)!.sourceCount = r.n;
  for (const r of planRows) out.get(r.id)!.planCount = r.n;
  return out;
}

export async function getProductById(db: DbOrTx, id: string): Promise<ProductRow> {
  const [row] = await db.select().from(products).where(eq(products.id, id));
  if (!row) throw notFound('Product');
  return row;
}

/** A product by slug as the public may see it: published only, unless the viewer is an admin. */
export async function getPublicProductBySlug(db: DbOrTx, slug: string, viewer: Viewer = 'public'): Promise<ProductRow> {
  const [row] = await db.select().from(products).where(eq(products.slug, slug));
  if (!row || (viewer !== 'admin' && row.status !== 'published')) throw notFound('Product');
  return row;
}

export async function getAdminProduct(db: Db, id: string) {
  const row = await getProductById(db, id);
  const [presented] = await withCategories(db, [row], 'admin');
  return { ...presented!, ...(await childCounts(db, [id])).get(id)! };
}

export async function presentOne(db: DbOrTx, row: ProductRow, viewer: Viewer) {
  const [presented] = await withCategories(db, [row], viewer);
  return presented!;
}

/** Up to four published products sharing a category, most downloaded first. */
export async function relatedProducts(db: Db, row: ProductRow) {
  const rows = await db
    .select()
    .from(products)
    .where(
      and(
        eq(products.status, 'published'),
        ne(products.id, row.id),
        sql`exists (select 1 from product_categories a join product_categories b on a.category_id = b.category_id
                    where a.product_id = ${products.id} and b.product_id = ${row.id})`,
      ),
    )
    .orderBy(desc(products.featured), desc(products.downloads))
    .limit(4);
  return withCategories(db, rows, 'public');
}

const slugify = (title: string) =>
  title.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'product';

async function availableSlug(tx: Tx, base: string): Promise<string> {
  const taken = new Set(
    (await tx.select({ slug: products.slug }).from(products).where(sql`${products.slug} = ${base} or ${products.slug} like ${`${base}-%`}`)).map((r) => r.slug),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function assertConsistent(values: { type: ProductType; status?: string; price?: number }) {
  if (values.type === 'freebie' && values.price !== undefined && values.price !== 0) {
    throw new AppError('VALIDATION_FAILED', 'A freebie is free', { details: [{ path: 'body.price', message: 'A freebie must have price 0' }] });
  }
}

export async function createProduct(db: Db, input: CreateProductInput, actor: Actor) {
  assertConsistent(input);
  return db.transaction(async (tx) => {
    const slug = input.slug ?? (await availableSlug(tx, slugify(input.title)));
    const [clash] = await tx.select({ id: products.id }).from(products).where(eq(products.slug, slug));
    if (clash) throw conflict(`The slug "${slug}" is taken`, 'slug');
    const { categoryIds, ...fields } = input;
    const status = fields.status ?? 'draft';
    const [row] = await tx
      .insert(products)
      .values({
        ...fields,
        id: newId('product'),
        slug,
        status,
        defaultLicense: fields.defaultLicense ?? productTypeRules[input.type].defaultLicense,
        publishedAt: status === 'published' ? new Date() : null,
      })
      .returning();
    if (categoryIds) await setProductCategories(tx, row!.id, categoryIds);
    const presented = await presentOne(tx, row!, 'admin');
    await recordAudit(tx, actor, { action: 'product.create', entityType: 'product', entityId: row!.id, after: auditView(presented) });
    await notifyCatalogChange(tx, row!.id);
    return { ...presented, sourceCount: 0, planCount: 0 };
  });
}

export async function updateProduct(db: Db, id: string, input: UpdateProductInput, actor: Actor) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(products).where(eq(products.id, id)).for('update');
    if (!current) throw notFound('Product');
    const type = (input.type ?? current.type) as ProductType;
    assertConsistent({ type, price: input.price ?? current.price });
    if (input.slug && input.slug !== current.slug) {
      const [clash] = await tx.select({ id: products.id }).from(products).where(eq(products.slug, input.slug));
      if (clash) throw conflict(`The slug "${input.slug}" is taken`, 'slug');
    }
    const before = await presentOne(tx, current, 'admin');
    const { categoryIds, ...fields } = input;
    const publishedAt = fields.status === 'published' && !current.publishedAt ? new Date() : undefined;
    const [row] = await tx
      .update(products)
      .set({ ...fields, ...(publishedAt ? { publishedAt } : {}), updatedAt: new Date() })
      .where(eq(products.id, id))
      .returning();
    if (categoryIds) await setProductCategories(tx, id, categoryIds);
    const after = await presentOne(tx, row!, 'admin');
    const changed = changedKeys(auditView(before), auditView(after));
    if (changed.length) {
      await recordAudit(tx, actor, {
        action: 'product.update',
        entityType: 'product',
        entityId: id,
        before: pick(auditView(before), changed),
        after: pick(auditView(after), changed),
      });
      await notifyCatalogChange(tx, id);
    }
    return { ...after, ...(await childCounts(tx, [id])).get(id)! };
  });
}

export async function setStatusInBulk(db: Db, input: { ids: string[]; status: ProductStatus }, actor: Actor) {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ id: products.id, status: products.status }).from(products).where(inArray(products.id, input.ids)).for('update');
    const changing = rows.filter((r) => r.status !== input.status);
    if (changing.length === 0) return { updated: 0 };
    await tx
      .update(products)
      .set({
        status: input.status,
        updatedAt: new Date(),
        ...(input.status === 'published' ? { publishedAt: sql`coalesce(${products.publishedAt}, now())` } : {}),
      })
      .where(inArray(products.id, changing.map((r) => r.id)));
    for (const row of changing) {
      await recordAudit(tx, actor, {
        action: 'product.update', entityType: 'product', entityId: row.id,
        before: { status: row.status }, after: { status: input.status }, reason: 'bulk status change',
      });
    }
    await notifyCatalogChange(tx, '*');
    return { updated: changing.length };
  });
}

/** Deletes the product (its sources and plans go with it); returns the storage keys of its files to remove after commit. */
export async function deleteProduct(db: Db, id: string, actor: Actor): Promise<string[]> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(products).where(eq(products.id, id)).for('update');
    if (!current) throw notFound('Product');
    const before = auditView(await presentOne(tx, current, 'admin'));
    const fileKeys = await ownedFileKeys(tx, id);
    try {
      await tx.delete(products).where(eq(products.id, id));
    } catch (error) {
      // Orders, licences and API keys keep pointing at what was sold: such a product is archived, not deleted.
      if (isForeignKeyViolation(error)) throw conflict('This product has been sold (orders or licences refer to it). Archive it instead.');
      throw error;
    }
    await recordAudit(tx, actor, { action: 'product.delete', entityType: 'product', entityId: id, before });
    await notifyCatalogChange(tx, id);
    return fileKeys;
  });
}

/** What the audit log keeps of a product: everything but the long texts (their change is still noted). */
function auditView(p: ReturnType<typeof presentProduct>) {
  const { description, content, categories, createdAt: _c, updatedAt: _u, isFree: _f, category: _cat, ...rest } = p;
  return {
    ...rest,
    categories: categories.map((c) => c.slug),
    descriptionLength: description?.length ?? 0,
    contentLength: content?.length ?? 0,
  };
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>) {
  return Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

/** Every published product's slug and last change, for the sitemap (50,000 is the format's limit). */
export async function publishedSlugs(db: Db) {
  return db
    .select({ slug: products.slug, updatedAt: products.updatedAt })
    .from(products)
    .where(eq(products.status, 'published'))
    .orderBy(desc(products.updatedAt))
    .limit(50_000);
}

/** PostgreSQL's foreign_key_violation (23503) or restrict_violation (23001), wrapped by drizzle or not. */
function isForeignKeyViolation(error: unknown): boolean {
  const code = (e: unknown) => (e as { code?: string } | null)?.code;
  return ['23503', '23001'].some((c) => code(error) === c || code((error as { cause?: unknown } | null)?.cause) === c);
}

/**
 * Adds to products' `downloads` counters in one statement (the downloads module rolls its counts up in batches,
 * so no request waits on a product's row).
 */
export async function addDownloads(tx: DbOrTx, counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const ids = [...counts.keys()];
  const increments = sql.join(ids.map((id) => sql`(${id}::text, ${counts.get(id)!}::int)`), sql`, `);
  await tx.execute(sql`
    update products set downloads = products.downloads + v.n
    from (values ${increments}) as v(id, n)
    where products.id = v.id`);
}

/** Id, slug, title, type and image of many products in one query, keyed by id. */
export async function productSummaries(db: DbOrTx, ids: string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map<string, Pick<ProductRow, 'id' | 'slug' | 'title' | 'type' | 'image' | 'status'>>();
  const rows = await db
    .select({ id: products.id, slug: products.slug, title: products.title, type: products.type, image: products.image, status: products.status })
    .from(products)
    .where(inArray(products.id, unique));
  return new Map(rows.map((row) => [row.id, row]));
}
