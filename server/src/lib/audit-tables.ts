import { bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../db/columns.js';

/**
 * Append-only, hash-chained audit log. `hash` = SHA-256 over `prevHash` and the row's canonical
 * content, so editing or deleting any row breaks the chain from that row on. A trigger (migration)
 * refuses UPDATE and DELETE.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    /** Chain order; gaps are impossible inside a transaction-locked append. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique(),
    at: at('at').notNull(),
    /** The user who acted; null for the system (jobs, start-up). No FK: the log outlives users. */
    actorId: text('actor_id'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    reason: text('reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_action_idx').on(t.action, t.seq),
    index('audit_events_entity_idx').on(t.entityType, t.entityId, t.seq),
    index('audit_events_actor_idx').on(t.actorId, t.seq),
    index('audit_events_at_idx').on(t.at),
  ],
);
