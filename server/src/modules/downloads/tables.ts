import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../../db/columns.js';
import { users } from '../auth/tables.js';
import { productSources, products } from '../catalog/tables.js';
import { licenses } from '../licensing/tables.js';

/**
 * A download link: the grant of one file to one requester. The token itself is never stored: `tokenHash` is its
 * SHA-256. A link serves a few requests (resumes, parallel ranges) until it expires, is revoked or is used up,
 * and counts as one download of its product.
 */
export const downloadTokens = pgTable(
  'download_tokens',
  {
    id: text('id').primaryKey(),
    /** Hex SHA-256 of the 256-bit token. */
    tokenHash: text('token_hash').notNull().unique(),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    sourceId: text('source_id').notNull().references(() => productSources.id, { onDelete: 'cascade' }),
    /** Null for anonymous downloads of free products. */
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** The licence the grant rests on; null for freebies and free products. Checked again at every redemption. */
    licenseId: text('license_id').references(() => licenses.id, { onDelete: 'cascade' }),
    /** The requester's address; enforced at redemption only when DOWNLOAD_BIND_IP is on. */
    ip: text('ip').notNull(),
    expiresAt: at('expires_at').notNull(),
    /** Requests served so far (a resume or a parallel range is one more); used up at `maxUses`. */
    uses: integer('uses').notNull().default(0),
    maxUses: integer('max_uses').notNull(),
    firstUsedAt: at('first_used_at'),
    lastUsedAt: at('last_used_at'),
    /** Whether the product's `downloads` counter has taken this link in (done in batches, see counters.ts). */
    counted: boolean('counted').notNull().default(false),
    revokedAt: at('revoked_at'),
    revokeReason: text('revoke_reason'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    // The daily caps count a licence's and an address's recent links.
    index('download_tokens_license_created_idx').on(t.licenseId, t.createdAt),
    index('download_tokens_ip_created_idx').on(t.ip, t.createdAt),
    // The counter roll-up finds what it has not counted yet without scanning every link.
    index('download_tokens_uncounted_idx').on(t.productId).where(sql`${t.firstUsedAt} is not null and not ${t.counted}`),
    check('download_tokens_uses_valid', sql`${t.uses} >= 0 and ${t.maxUses} >= 1`),
  ],
);

/**
 * What happened to every download request: an initiate (`granted` or `denied`) and each redemption (`started`,
 * then `completed` or `failed` when a streamed one ends). Append-mostly: a streamed row is updated once, at its end.
 */
export const downloadLogs = pgTable(
  'download_logs',
  {
    id: text('id').primaryKey(),
    /** initiate | redeem */
    event: text('event').notNull(),
    /** granted | started | completed | denied | failed */
    status: text('status').notNull(),
    /** Why a request was denied or failed (an error code such as PURCHASE_REQUIRED, EXPIRED, SOURCE_MISSING). */
    reason: text('reason'),
    tokenId: text('token_id').references(() => downloadTokens.id, { onDelete: 'set null' }),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'cascade' }),
    sourceId: text('source_id').references(() => productSources.id, { onDelete: 'set null' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    licenseId: text('license_id').references(() => licenses.id, { onDelete: 'set null' }),
    /** stream (bytes through this process) | redirect (a short-lived provider URL) | accel (the reverse proxy sends the file) */
    delivery: text('delivery'),
    /** First byte of a ranged request; null for a whole file. */
    rangeStart: bigint('range_start', { mode: 'number' }),
    /** Bytes this request was to send, and bytes sent (streamed deliveries only). */
    bytesExpected: bigint('bytes_expected', { mode: 'number' }),
    bytesSent: bigint('bytes_sent', { mode: 'number' }),
    ip: text('ip').notNull(),
    userAgent: text('user_agent'),
    createdAt: at('created_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
  },
  (t) => [
    index('download_logs_created_idx').on(t.createdAt.desc()),
    index('download_logs_product_created_idx').on(t.productId, t.createdAt.desc()),
    index('download_logs_user_created_idx').on(t.userId, t.createdAt.desc()),
    check('download_logs_event_valid', sql`${t.event} in ('initiate','redeem')`),
    check('download_logs_status_valid', sql`${t.status} in ('granted','started','completed','denied','failed')`),
  ],
);
