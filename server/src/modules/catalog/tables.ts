import { sql, type SQL } from 'drizzle-orm';
import {
  type AnyPgColumn, bigint, boolean, check, customType, index, integer, jsonb, numeric, pgTable, primaryKey, text, uniqueIndex,
} from 'drizzle-orm/pg-core';
import { at, timestamps } from '../../db/columns.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** The weighted search document: title (A), short description (B), description (C). */
const searchDocument: SQL = sql`setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(short_description, '')), 'B') || setweight(to_tsvector('english', coalesce(description, '')), 'C')`;

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    title: text('title').notNull(),
    shortDescription: text('short_description'),
    /** Markdown, sanitised when rendered. */
    description: text('description'),
    /** Markdown: the long page body (features, changelog…). */
    content: text('content'),
    image: text('image'),
    /** Minor units (paise, cents) of `currency`. */
    price: integer('price').notNull().default(0),
    currency: text('currency').notNull().default('INR'),
    /** downloadable | api_service | api_referral | freebie | demo */
    type: text('type').notNull(),
    /** draft | review | published | archived; only published is public, buyable or downloadable. */
    status: text('status').notNull().default('draft'),
    version: text('version'),
    featured: boolean('featured').notNull().default(false),
    downloads: integer('downloads').notNull().default(0),
    rating: numeric('rating', { precision: 2, scale: 1, mode: 'number' }).notNull().default(0),
    demoUrl: text('demo_url'),
    githubUrl: text('github_url'),
    documentationUrl: text('documentation_url'),
    /** Even a free product needs a signed-in customer to download. */
    requiresAuth: boolean('requires_auth').notNull().default(false),
    defaultLicense: text('default_license').notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    /** For API products: `baseUrl` of the upstream the gateway proxies to, auth style, … */
    apiConfig: jsonb('api_config').$type<Record<string, unknown>>().notNull().default({}),
    publishedAt: at('published_at'),
    search: tsvector('search').generatedAlwaysAs(searchDocument),
    ...timestamps,
  },
  (t) => [
    index('products_search_idx').using('gin', t.search),
    index('products_status_created_idx').on(t.status, t.createdAt.desc()),
    // The catalogue's default order (newest published first).
    index('products_status_published_idx').on(t.status, t.publishedAt.desc().nullsLast(), t.createdAt.desc()),
    index('products_status_price_idx').on(t.status, t.price),
    index('products_status_downloads_idx').on(t.status, t.downloads.desc()),
    index('products_status_type_idx').on(t.status, t.type),
    check('products_price_nonnegative', sql`${t.price} >= 0`),
    check('products_type_valid', sql`${t.type} in ('downloadable','api_service','api_referral','freebie','demo')`),
    check('products_status_valid', sql`${t.status} in ('draft','review','published','archived')`),
    check('products_rating_range', sql`${t.rating} between 0 and 5`),
  ],
);

export const categories = pgTable(
  'categories',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull().unique(),
    description: text('description'),
    /** A tree: a category's products are listed under its ancestors too. */
    parentId: text('parent_id').references((): AnyPgColumn => categories.id, { onDelete: 'set null' }),
    sortOrder: integer('sort_order').notNull().default(0),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [index('categories_parent_idx').on(t.parentId)],
);

export const productCategories = pgTable(
  'product_categories',
  {
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    categoryId: text('category_id').notNull().references(() => categories.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.productId, t.categoryId] }), index('product_categories_category_idx').on(t.categoryId)],
);

export const productSources = pgTable(
  'product_sources',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    /** local | s3 | github | gitlab | direct_url */
    provider: text('provider').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    /** Write-only. A storage key for local/s3, a URL or repository for the others. Never in a response. */
    sourceUrl: text('source_url').notNull(),
    /** Write-only provider token, AES-256-GCM under APP_KEYS. */
    encryptedToken: text('encrypted_token'),
    version: text('version'),
    fileName: text('file_name'),
    fileSize: bigint('file_size', { mode: 'number' }),
    sha256: text('sha256'),
    /** Provider details: owner/repo/tag for GitHub, project id for GitLab, content type… */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    isPrimary: boolean('is_primary').notNull().default(false),
    isActive: boolean('is_active').notNull().default(true),
    lastVerifiedAt: at('last_verified_at'),
    /** Why the last verification failed, or null. */
    lastVerifyError: text('last_verify_error'),
    ...timestamps,
  },
  (t) => [
    index('product_sources_product_active_idx').on(t.productId, t.isActive),
    // At most one primary source per product.
    uniqueIndex('product_sources_one_primary_idx').on(t.productId).where(sql`${t.isPrimary}`),
    check('product_sources_provider_valid', sql`${t.provider} in ('local','s3','github','gitlab','direct_url')`),
  ],
);

export const plans = pgTable(
  'plans',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    /** Minor units of `currency`, per billing cycle. */
    price: integer('price').notNull().default(0),
    currency: text('currency').notNull().default('INR'),
    /** monthly | yearly | lifetime | one_time */
    billingCycle: text('billing_cycle').notNull().default('monthly'),
    /** Null means unlimited. */
    requestsPerMinute: integer('requests_per_minute'),
    requestsPerDay: integer('requests_per_day'),
    requestsPerMonth: integer('requests_per_month'),
    features: jsonb('features').$type<string[]>().notNull().default([]),
    /** Other caps, e.g. {"domains": 3}. */
    limits: jsonb('limits').$type<Record<string, number>>().notNull().default({}),
    isPopular: boolean('is_popular').notNull().default(false),
    isActive: boolean('is_active').notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('plans_product_slug_idx').on(t.productId, t.slug),
    index('plans_product_active_idx').on(t.productId, t.isActive, t.sortOrder),
    check('plans_price_nonnegative', sql`${t.price} >= 0`),
    check('plans_billing_cycle_valid', sql`${t.billingCycle} in ('monthly','yearly','lifetime','one_time')`),
  ],
);
