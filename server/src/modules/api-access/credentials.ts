import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import type { KeyRing } from '../../lib/crypto.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { products } from '../catalog/tables.js';
import { licensesByIds } from '../licensing/service.js';
import { apiCredentials } from './tables.js';

/** A credential as lists show it: label and hint, never the key or secret. */
export interface ApiCredentialSummary {
  id: string; licenseId: string; productId: string; label: string; hint: string; accountUrl: string | null; externalUserId: string | null; createdAt: string;
}

type Row = typeof apiCredentials.$inferSelect;
const present = (row: Row): ApiCredentialSummary => ({
  id: row.id, licenseId: row.licenseId, productId: row.productId, label: row.label, hint: row.hint,
  accountUrl: row.accountUrl, externalUserId: row.externalUserId, createdAt: row.createdAt.toISOString(),
});

export interface AttachCredentialInput {
  licenseId: string; label: string; apiKey: string; apiSecret?: string | null; accountUrl?: string | null; externalUserId?: string | null;
}

/**
 * Admin, at fulfilment of an `api_referral` subscription: the third-party API's credentials for this customer,
 * sealed under APP_KEYS. The audit event names the credential by label and hint only.
 */
export async function attachCredential(db: Db, keyRing: KeyRing, input: AttachCredentialInput, actor: Actor): Promise<ApiCredentialSummary> {
  const license = (await licensesByIds(db, [input.licenseId])).get(input.licenseId);
  if (!license) throw notFound('Licence');
  const [product] = await db.select({ type: products.type }).from(products).where(eq(products.id, license.productId));
  if (product?.type !== 'api_referral') throw new AppError('CONFLICT', 'External credentials belong to api_referral subscriptions');
  const sealed = keyRing.encrypt(JSON.stringify({ apiKey: input.apiKey, apiSecret: input.apiSecret ?? null }));
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(apiCredentials).values({
      id: newId('credential'), licenseId: license.id, userId: license.userId, productId: license.productId, label: input.label,
      sealed, hint: input.apiKey.slice(-4), accountUrl: input.accountUrl ?? null, externalUserId: input.externalUserId ?? null,
    }).returning();
    await recordAudit(tx, actor, { action: 'api_credential.attach', entityType: 'api_credential', entityId: row!.id, after: present(row!) });
    return present(row!);
  });
}

export async function listOwnCredentials(db: Db, userId: string): Promise<ApiCredentialSummary[]> {
  return (await db.select().from(apiCredentials).where(eq(apiCredentials.userId, userId)).orderBy(desc(apiCredentials.createdAt))).map(present);
}

/** The owner sees the key and secret on demand; each reveal is audited (without them). */
export async function revealOwnCredential(db: Db, keyRing: KeyRing, userId: string, id: string, actor: Actor): Promise<{ apiKey: string; apiSecret: string | null }> {
  const [row] = await db.select().from(apiCredentials).where(and(eq(apiCredentials.id, id), eq(apiCredentials.userId, userId)));
  if (!row) throw notFound('Credential');
  const opened = JSON.parse(keyRing.decrypt(row.sealed)) as { apiKey: string; apiSecret: string | null };
  await db.transaction((tx) => recordAudit(tx, actor, { action: 'api_credential.reveal', entityType: 'api_credential', entityId: id }));
  return opened;
}
