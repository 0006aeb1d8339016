import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { at, timestamps } from '../../db/columns.js';
import { orders } from '../checkout/tables.js';

/** One hosted payment session per checkout attempt. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** The provider's checkout session / order id. */
    sessionId: text('session_id').notNull(),
    url: text('url').notNull(),
    /** open | succeeded | failed | expired | refunded | disputed */
    status: text('status').notNull().default('open'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    providerPaymentId: text('provider_payment_id'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('payments_provider_session_idx').on(t.provider, t.sessionId),
    index('payments_order_idx').on(t.orderId),
  ],
);

/**
 * The webhook inbox: every delivery that reached us, verified or not. A verified event is stored once per
 * (provider, provider event id) and processed exactly once; a refused delivery keeps its reason.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    /** Null when the delivery could not be verified (we do not trust its id). */
    providerEventId: text('provider_event_id'),
    type: text('type'),
    /** received | processed | deferred | ignored | rejected | failed */
    status: text('status').notNull(),
    orderId: text('order_id'),
    /** The normalised event (type, amounts, references) the processor acts on. */
    event: jsonb('event').$type<Record<string, unknown>>(),
    /** The raw body as received (capped), for the admin's eye and replays. */
    payload: text('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    receivedAt: at('received_at').notNull().defaultNow(),
    processedAt: at('processed_at'),
    /** The last admin replay: when, the status it replayed from, and what the replay found. */
    replayedAt: at('replayed_at'),
    replayedFrom: text('replayed_from'),
    replayNote: text('replay_note'),
  },
  (t) => [
    uniqueIndex('webhook_events_provider_event_idx').on(t.provider, t.providerEventId).where(sql`${t.providerEventId} is not null`),
    index('webhook_events_received_idx').on(t.receivedAt.desc()),
    index('webhook_events_order_idx').on(t.orderId),
    index('webhook_events_open_idx').on(t.receivedAt).where(sql`${t.status} in ('received','deferred')`),
    // Every payment looks for reversals kept for it: a tiny index, as deferred events are rare.
    index('webhook_events_deferred_idx').on(t.provider, t.orderId).where(sql`${t.status} = 'deferred'`),
    check('webhook_events_status_valid', sql`${t.status} in ('received','processed','deferred','ignored','rejected','failed')`),
  ],
);
