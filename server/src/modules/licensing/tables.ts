import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
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
    check('licenses_state_valid', sql`${t.state} in ('active','disabled','revoked')`),
    check('licenses_usage_valid', sql`${t.usageCount} >= 0 and (${t.maxUsage} is null or ${t.maxUsage} >= 0)`),
  ],
);
