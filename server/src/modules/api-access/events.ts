import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { API_KEY_CHANNEL } from '../../lib/live-config.js';

/** Payload on API_KEY_CHANNEL when a key was created: a hash remembered as unknown may exist now. */
export const API_KEY_CREATED = '+created';

/** Payload prefix on API_KEY_CHANNEL when a service token was revoked: `+service_token:<id>`. */
export const SERVICE_TOKEN_REVOKED = '+service_token:';

/**
 * Tells every instance (this one included, through its own LISTEN) that a key changed, so the gateway's cached
 * copy is dropped. Sent with the transaction's commit; nothing is sent if it rolls back.
 */
export async function notifyApiKeyChange(db: DbOrTx, payload: string): Promise<void> {
  await db.execute(sql`select pg_notify(${API_KEY_CHANNEL}, ${payload})`);
}

/** Tells every instance that a service token was revoked, so `POST /api/keys/verify` stops accepting it within a second. */
export async function notifyServiceTokenRevoked(db: DbOrTx, id: string): Promise<void> {
  await notifyApiKeyChange(db, `${SERVICE_TOKEN_REVOKED}${id}`);
}
