import { timestamp } from 'drizzle-orm/pg-core';

/** Every table's created/updated pair, in UTC. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

export const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
