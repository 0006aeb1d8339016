import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../../db/columns.js';

/** The development mailbox: where mail goes when no SMTP_URL is set. Shown in the admin panel. */
export const mailbox = pgTable(
  'mailbox',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    from: text('from').notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('mailbox_created_at_idx').on(t.createdAt)],
);
