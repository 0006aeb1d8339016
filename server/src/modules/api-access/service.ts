import { apiKeyEnvironments, type ApiKey, type ApiKeyEnvironment } from '@mintreu/contracts';
import { and, asc, desc, eq, inArray, ne } from 'drizzle-orm';
import { inTransaction, type DbOrTx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import type { KeyRing } from '../../lib/crypto.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { API_KEY_CREATED, notifyApiKeyChange } from './events.js';
import { generateApiKey } from './keys.js';
import { apiKeys } from './tables.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const maxNameLength = 200;

export interface IssueApiKeyInput {
  /** Keep the key sealed under this ring for one later reveal by its owner (keys issued by fulfilment). */
  holdForReveal?: KeyRing;
  userId: string | null;
  licenseId: string;
  productId: string;
  planId: string | null;
  name: string;
  environment: ApiKeyEnvironment;
}

/**
 * Creates an API key for a licence and records `api_key.create`. Runs in the caller's transaction when
 * given one (fulfilment). Returns the plain key: the only time it exists.
 */
export async function issueApiKey(
  db: DbOrTx,
  input: IssueApiKeyInput,
  actor: Actor,
): Promise<{ id: string; key: string; prefix: string }> {
  if (!apiKeyEnvironments.includes(input.environment)) {
    throw new AppError('VALIDATION_FAILED', `Unknown environment "${input.environment}"`);
  }
  // Fulfilment names a key after the product and plan, which may be long: shorten rather than fail a paid order.
  // (The key-creation route validates its own body.)
  const name = input.name.trim().slice(0, maxNameLength).trim();
  if (!name) throw new AppError('VALIDATION_FAILED', 'A key needs a name');
  const { key, hash, prefix } = generateApiKey(input.environment);
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        id: newId('apiKey'),
        userId: input.userId,
        licenseId: input.licenseId,
        productId: input.productId,
        planId: input.planId,
        name,
        environment: input.environment,
        keyHash: hash,
        prefix,
        revealSealed: input.holdForReveal ? input.holdForReveal.encrypt(key) : null,
      })
      .returning();
    // The prefix names the key; never the key or its hash.
    await recordAudit(tx, actor, {
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: row!.id,
      after: {
        id: row!.id, prefix, name, environment: row!.environment, licenseId: row!.licenseId,
        productId: row!.productId, planId: row!.planId, userId: row!.userId,
      },
    });
    await notifyApiKeyChange(tx, API_KEY_CREATED);
    return { id: row!.id, key, prefix };
  });
}

/**
 * Revokes every key of the given licences (refund, dispute, licence revoked), one `api_key.revoke` event
 * each. Idempotent: keys already revoked are skipped. Returns the ids revoked now.
 */
export async function revokeApiKeysOfLicenses(db: DbOrTx, licenseIds: string[], reason: string, actor: Actor): Promise<string[]> {
  const unique = [...new Set(licenseIds)];
  if (unique.length === 0) return [];
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: apiKeys.id, licenseId: apiKeys.licenseId })
      .from(apiKeys)
      .where(and(inArray(apiKeys.licenseId, unique), ne(apiKeys.state, 'revoked')))
      .orderBy(asc(apiKeys.id))
      .for('update');
    if (rows.length === 0) return [];
    const now = new Date();
    const ids = rows.map((r) => r.id);
    await tx
      .update(apiKeys)
      .set({ state: 'revoked', revokedAt: now, revokeReason: reason, updatedAt: now })
      .where(inArray(apiKeys.id, ids));
    for (const row of rows) {
      await recordAudit(tx, actor, {
        action: 'api_key.revoke', entityType: 'api_key', entityId: row.id, reason,
        before: { state: 'active' }, after: { state: 'revoked', licenseId: row.licenseId },
      });
      await notifyApiKeyChange(tx, row.id);
    }
    return ids;
  });
}

/**
 * The API's key shape: never the hash, never the key. A key past its expiry (or its rotation grace period) no
 * longer works and reads as expired.
 */
export function presentApiKey(row: ApiKeyRow, now: Date = new Date()): ApiKey {
  const expired = row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime();
  return {
    id: row.id,
    name: row.name,
    environment: row.environment as ApiKeyEnvironment,
    prefix: row.prefix,
    licenseId: row.licenseId,
    productId: row.productId,
    planId: row.planId,
    allowedDomains: row.allowedDomains,
    allowedIps: row.allowedIps,
    status: row.state === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The customer's own keys, newest first. */
export async function listOwnApiKeys(db: DbOrTx, userId: string): Promise<ApiKey[]> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map((row) => presentApiKey(row));
}

/**
 * The owner sees a key that fulfilment issued in their absence, once: the sealed copy is cleared in the same
 * statement that reads it, so two concurrent reveals cannot both get it. Afterwards 410 GONE.
 */
export async function revealApiKey(db: DbOrTx, keyRing: KeyRing, userId: string, id: string, actor: Actor): Promise<{ key: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ id: apiKeys.id, userId: apiKeys.userId, sealed: apiKeys.revealSealed, state: apiKeys.state })
      .from(apiKeys).where(eq(apiKeys.id, id)).for('update');
    if (!row || row.userId !== userId) throw notFound('API key');
    if (!row.sealed || row.state !== 'active') {
      throw new AppError('GONE', 'This key was already shown once. Rotate it to get a new one.');
    }
    await tx.update(apiKeys).set({ revealSealed: null, updatedAt: new Date() }).where(eq(apiKeys.id, id));
    await recordAudit(tx, actor, { action: 'api_key.reveal', entityType: 'api_key', entityId: id });
    return { key: keyRing.decrypt(row.sealed) };
  });
}
