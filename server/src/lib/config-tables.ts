import { boolean, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../db/columns.js';
import { users } from '../modules/auth/tables.js';

/** One row per kill switch; rows exist for all six (seeded by migration). */
export const killSwitches = pgTable('kill_switches', {
  name: text('name').primaryKey(),
  engaged: boolean('engaged').notNull().default(false),
  /** Why it was last engaged or released; required on every change. */
  reason: text('reason'),
  updatedBy: text('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const featureFlags = pgTable('feature_flags', {
  key: text('key').primaryKey(),
  description: text('description').notNull().default(''),
  enabled: boolean('enabled').notNull().default(false),
  /** Percentage (0–100) of users for whom an enabled flag is on; null means everyone. */
  rollout: integer('rollout'),
  updatedBy: text('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: at('updated_at').notNull().defaultNow(),
});
