import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
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
    /** Set on rotation: the old key keeps working until then. */
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
