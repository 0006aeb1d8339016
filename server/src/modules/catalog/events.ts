import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { CATALOG_CHANNEL } from '../../lib/live-config.js';

/**
 * Every instance hears that the catalogue changed (page caches drop what they hold).
 * Sent when the transaction commits; `productId`, or `*` for many.
 */
export async function notifyCatalogChange(tx: Tx, productId: string) {
  await tx.execute(sql`select pg_notify(${CATALOG_CHANNEL}, ${productId})`);
}
