import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';

/** Channel on which every instance hears that the catalogue changed (page caches drop what they hold). */
export const CATALOG_CHANNEL = 'mintreu_catalog';

/** Sent when the transaction commits; `productId` or `*` for many. */
export async function notifyCatalogChange(tx: Tx, productId: string) {
  await tx.execute(sql`select pg_notify(${CATALOG_CHANNEL}, ${productId})`);
}
