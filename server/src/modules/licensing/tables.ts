import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { at, timestamps } from '../../db/columns.js';
import { users } from '../auth/tables.js';
import { plans, products } from '../catalog/tables.js';

/**
 * A licence: the right to use a product. The key is never stored in the clear: `keyHash` (HMAC-SHA256 under
 * the licence-hash secret) finds it, `keyEncrypted` (AES-256-GCM under APP_KEYS) shows it to its owner.
 */
export const licenses = pgTable(
  'licenses',
  {
    id: text('id').primaryKey(),
    keyHash: text('key_hash').notNull().unique(),
    keyEncrypted: text('key_encrypted').notNull(),
    /** Last group of the key, so lists and logs can name a licence without revealing it. */
    keyHint: text('key_hint').notNull(),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'restrict' }),
    planId: text('plan_id').references(() => plans.id, { onDelete: 'set null' }),
    /** Null for a licence granted to an email address with no account yet. */
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    email: text('email'),
    /** The order (and item) that granted it; null for an admin grant. */
    orderId: text('order_id'),
    orderItemId: text('order_item_id'),
    /** LicenseType */
    type: text('type').notNull(),
    /** active | disabled | revoked. `expired` and `usage_limit` are derived from the columns below when read. */
    state: text('state').notNull().default('active'),
    usageCount: integer('usage_count').notNull().default(0),
    /** Null is unlimited. */
    maxUsage: integer('max_usage'),
    expiresAt: at('expires_at'),
    /** {attributionText?: string, …} */
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    revokedAt: at('revoked_at'),
    revokeReason: text('revoke_reason'),
    firstUsedAt: at('first_used_at'),
    lastUsedAt: at('last_used_at'),
    ...timestamps,
  },
  (t) => [
    index('licenses_user_created_idx').on(t.userId, t.createdAt.desc()),
    index('licenses_product_idx').on(t.productId, t.state),
    index('licenses_order_idx').on(t.orderId),
    // Admin search by the key's last group or the holder's email.
    index('licenses_key_hint_idx').on(t.keyHint),
    index('licenses_email_idx').on(t.email),
    check('licenses_state_valid', sql`${t.state} in ('active','disabled','revoked')`),
    check('licenses_usage_valid', sql`${t.usageCount} >= 0 and (${t.maxUsage} is null or ${t.maxUsage} >= 0)`),
  ],
);

/**
 * One machine or site a licence is activated on. Released activations stay (with `releasedAt`) as the history
 * of where the licence ran and as the count that the self-service release cooldown reads.
 */
export const licenseActivations = pgTable(
  'license_activations',
  {
    id: text('id').primaryKey(),
    licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    fingerprint: text('fingerprint'),
    /** Lower-case ASCII host name (IDNA), without scheme, port or path. */
    domain: text('domain'),
    /** What makes an activation the same one again: the fingerprint if sent, else `domain:<host>`. */
    identity: text('identity').notNull(),
    /** False for development domains (localhost, *.test, …): they never take a seat. */
    usesSeat: boolean('uses_seat').notNull(),
    ip: text('ip'),
    createdAt: at('created_at').notNull().defaultNow(),
    lastValidatedAt: at('last_validated_at'),
    releasedAt: at('released_at'),
    /** owner (one seat from the dashboard) | owner_all (emailed release-all) | admin | software | reset */
    releasedBy: text('released_by'),
  },
  (t) => [
    // Activating the same machine twice finds the live row instead of taking a second seat.
    uniqueIndex('license_activations_live_identity_uq').on(t.licenseId, t.identity).where(sql`${t.releasedAt} is null`),
    index('license_activations_license_idx').on(t.licenseId, t.createdAt.desc()),
    // The cooldown counts a licence's recent self-service releases.
    index('license_activations_released_idx').on(t.licenseId, t.releasedAt).where(sql`${t.releasedAt} is not null`),
    check('license_activations_released_by_valid', sql`${t.releasedBy} is null or ${t.releasedBy} in ('owner','owner_all','admin','software','reset')`),
  ],
);

/**
 * Validations, counted per licence, activation, outcome, address and hour: the history an admin reads, without a
 * row (or a write) per validation. Buffered in memory and merged in batches (validation-log.ts).
 */
export const licenseValidations = pgTable(
  'license_validations',
  {
    licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
    /** '' for a validation of the licence as a whole. */
    activationId: text('activation_id').notNull().default(''),
    code: text('code').notNull(),
    ip: text('ip').notNull().default(''),
    hour: at('hour').notNull(),
    count: integer('count').notNull(),
    firstAt: at('first_at').notNull(),
    lastAt: at('last_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.licenseId, t.hour, t.activationId, t.code, t.ip] }),
    index('license_validations_hour_idx').on(t.hour),
  ],
);

/**
 * The Ed25519 keys leases are signed with. The newest unretired key signs; retired keys stay published until
 * every lease they signed has expired. The private key is sealed under the key ring.
 */
export const leaseSigningKeys = pgTable(
  'lease_signing_keys',
  {
    kid: text('kid').primaryKey(),
    publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
    privateKeySealed: text('private_key_sealed').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    retiredAt: at('retired_at'),
  },
  // At most one signing key at a time, even when two instances start together.
  (t) => [uniqueIndex('lease_signing_keys_one_current_uq').on(sql`(true)`).where(sql`${t.retiredAt} is null`)],
);

/** "Release all seats" waits for the owner to confirm from an emailed link; the token is stored as SHA-256. */
export const licenseReleaseRequests = pgTable('license_release_requests', {
  id: text('id').primaryKey(),
  licenseId: text('license_id').notNull().references(() => licenses.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
  createdAt: at('created_at').notNull().defaultNow(),
});
