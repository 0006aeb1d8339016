import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { at, timestamps } from '../../db/columns.js';
import { users } from '../auth/tables.js';
import { plans, products } from '../catalog/tables.js';
import { licenses } from '../licensing/tables.js';

/** API keys: stored as SHA-256 hashes with a display prefix; the full key is shown once. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'restrict' }),
    planId: text('plan_id').references(() => plans.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    /** live | test */
    environment: text('environment').notNull().default('live'),
    keyHash: text('key_hash').notNull().unique(),
    /** `mk_live_` plus the first characters of the secret part: enough to recognise a key, not to use it. */
    prefix: text('prefix').notNull(),
    allowedDomains: jsonb('allowed_domains').$type<string[]>().notNull().default([]),
    allowedIps: jsonb('allowed_ips').$type<string[]>().notNull().default([]),
    /** active | revoked */
    state: text('state').notNull().default('active'),
    /**
     * A key issued while its owner was away (fulfilment after a webhook), sealed under APP_KEYS until the owner
     * reveals it once; then cleared for good.
     */
    revealSealed: text('reveal_sealed'),
    /** A hard expiry chosen at creation, or the end of a rotation's grace period: the key works until then. */
    expiresAt: at('expires_at'),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
    revokeReason: text('revoke_reason'),
    ...timestamps,
  },
  (t) => [
    index('api_keys_user_idx').on(t.userId, t.createdAt.desc()),
    index('api_keys_license_idx').on(t.licenseId),
    check('api_keys_environment_valid', sql`${t.environment} in ('live','test')`),
    check('api_keys_state_valid', sql`${t.state} in ('active','revoked')`),
  ],
);

/**
 * The endpoints of an API product the gateway lets through (when a product defines none, every path is allowed
 * at weight 1). `{param}` matches one path segment, a trailing `*` the rest.
 */
export const apiEndpoints = pgTable(
  'api_endpoints',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    /** GET, POST, … or ANY */
    method: text('method').notNull(),
    path: text('path').notNull(),
    name: text('name').notNull(),
    /** What one call costs against the per-minute limit and the quotas. */
    weight: integer('weight').notNull().default(1),
    /** Plans allowed to call it; empty: every plan. */
    planIds: jsonb('plan_ids').$type<string[]>().notNull().default([]),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('api_endpoints_product_method_path_uq').on(t.productId, t.method, t.path),
    check('api_endpoints_weight_valid', sql`${t.weight} between 1 and 100`),
  ],
);

/**
 * One row per call the gateway (or the verify endpoint) answered, written in batches. `cost` is what the call
 * took from the licence's quotas: 0 for test keys, refused calls and upstream failures.
 */
export const apiUsageEvents = pgTable(
  'api_usage_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    keyId: text('key_id').notNull(),
    licenseId: text('license_id').notNull(),
    productId: text('product_id').notNull(),
    environment: text('environment').notNull(),
    method: text('method').notNull(),
    /** The matched endpoint ("GET /users/{id}"), or the path's first segment when the product defines none. */
    endpoint: text('endpoint').notNull(),
    status: integer('status').notNull(),
    cost: integer('cost').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    bytesIn: bigint('bytes_in', { mode: 'number' }).notNull(),
    bytesOut: bigint('bytes_out', { mode: 'number' }).notNull(),
    ip: text('ip'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    // The quota a licence used in a billing period (counters are seeded from it).
    index('api_usage_events_license_idx').on(t.licenseId, t.createdAt),
    // Rows arrive in time order: a BRIN index serves the overview's time ranges for almost nothing per insert,
    // where a B-tree on every row would be the batch's biggest cost. Per-key figures come from the hourly rollups.
    index('api_usage_events_created_brin').using('brin', t.createdAt),
  ],
);

/** Hourly rollups per key and endpoint (days are sums of hours): what the dashboards read. */
export const apiUsageHourly = pgTable(
  'api_usage_hourly',
  {
    keyId: text('key_id').notNull(),
    hour: at('hour').notNull(),
    endpoint: text('endpoint').notNull(),
    licenseId: text('license_id').notNull(),
    productId: text('product_id').notNull(),
    calls: integer('calls').notNull(),
    /** Calls answered with a status of 400 or more. */
    errors: integer('errors').notNull(),
    cost: integer('cost').notNull(),
    latencyMsSum: bigint('latency_ms_sum', { mode: 'number' }).notNull(),
    latencyMsMax: integer('latency_ms_max').notNull(),
    bytesIn: bigint('bytes_in', { mode: 'number' }).notNull(),
    bytesOut: bigint('bytes_out', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.hour, t.endpoint] }),
    index('api_usage_hourly_hour_idx').on(t.hour),
    index('api_usage_hourly_license_idx').on(t.licenseId, t.hour),
  ],
);

/** Tokens sellers' own servers use to call `POST /api/keys/verify`; stored as SHA-256 with a display prefix. */
export const apiServiceTokens = pgTable('api_service_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  /** Limits the token to one product's keys; null: any. */
  productId: text('product_id').references(() => products.id, { onDelete: 'cascade' }),
  createdBy: text('created_by'),
  lastUsedAt: at('last_used_at'),
  revokedAt: at('revoked_at'),
  ...timestamps,
});

/** Quota alert emails sent: one per licence, billing period and threshold, whichever instance gets there first. */
export const apiQuotaAlerts = pgTable(
  'api_quota_alerts',
  {
    licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
    periodStart: at('period_start').notNull(),
    /** 80, 90 or 100 (% of the monthly quota) */
    threshold: integer('threshold').notNull(),
    sentAt: at('sent_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.licenseId, t.periodStart, t.threshold] })],
);

/**
 * Credentials for the third-party API behind an `api_referral` product, per customer licence. The secret part is
 * AES-256-GCM under APP_KEYS; lists show the label and a hint only.
 */
export const apiCredentials = pgTable(
  'api_credentials',
  {
    id: text('id').primaryKey(),
    licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    /** Sealed JSON {apiKey, apiSecret?} */
    sealed: text('sealed').notNull(),
    /** Last 4 characters of the API key, for recognising it. */
    hint: text('hint').notNull(),
    accountUrl: text('account_url'),
    externalUserId: text('external_user_id'),
    ...timestamps,
  },
  (t) => [index('api_credentials_license_idx').on(t.licenseId), index('api_credentials_user_idx').on(t.userId)],
);
