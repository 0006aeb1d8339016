import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

/** server/drizzle, found from the source tree (dev, tests) or the bundle (server/dist). */
export const migrationsFolder = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'drizzle'), join(here, '..', '..', 'drizzle')];
  const found = candidates.find((dir) => existsSync(join(dir, 'meta', '_journal.json')));
  if (!found) throw new Error(`Migrations folder not found near ${here}`);
  return found;
})();

const expectedMigrations = (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
  entries: unknown[];
}).entries.length;

const MIGRATION_LOCK = 727_001;

/** Applies pending migrations; an advisory lock lets several instances start at once. */
export async function runMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle({ client }), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}

/** True when every committed migration has been applied to this database. */
export async function migrationsApplied(pool: pg.Pool): Promise<boolean> {
  const result = await pool.query<{ count: number }>(
    `select count(*)::int as count from drizzle.__drizzle_migrations`,
  ).catch(() => ({ rows: [{ count: 0 }] }));
  return (result.rows[0]?.count ?? 0) >= expectedMigrations;
}
