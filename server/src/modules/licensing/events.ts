import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { LICENSE_CHANNEL } from '../../lib/live-config.js';

/** Payloads on LICENSE_CHANNEL besides a licence id. */
export const LICENSE_ISSUED = '+issued';
export const LEASE_KEYS_ROTATED = '+keys';

/**
 * Tells every instance (this one included, through its own LISTEN) that a licence changed, so its cached copy is
 * dropped. Sent with the transaction's commit; inside a transaction that rolls back, nothing is sent.
 */
export async function notifyLicenseChange(db: DbOrTx, payload: string): Promise<void> {
  await db.execute(sql`select pg_notify(${LICENSE_CHANNEL}, ${payload})`);
}
