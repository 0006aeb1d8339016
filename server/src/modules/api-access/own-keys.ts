import type { ApiKeyWithSecret, CreateApiKeyBody, UpdateApiKeyBody } from '@mintreu/contracts';
import { and, count, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { plans } from '../catalog/tables.js';
import { licensesByIds } from '../licensing/service.js';
import { notifyApiKeyChange, API_KEY_CREATED } from './events.js';
import { generateApiKey, normaliseIpRules } from './keys.js';
import { presentApiKey, type ApiKeyRow } from './service.js';
import { apiKeys } from './tables.js';

/** A key that still works (or will until its expiry): what counts against the plan's key limit. */
const liveKey = (now: Date) => and(ne(apiKeys.state, 'revoked'), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));

/** The plan's caps: `limits.keys` (else API_KEYS_PER_LICENSE) and `limits.domains`. */
async function planCaps(tx: Tx, planId: string | null, defaultKeys: number) {
  const [plan] = planId ? await tx.select({ limits: plans.limits }).from(plans).where(eq(plans.id, planId)) : [];
  return { keys: plan?.limits.keys ?? defaultKeys, domains: plan?.limits.domains ?? null };
}

function checkDomains(domains: string[], cap: number | null) {
  if (cap !== null && domains.length > cap) {
    throw new AppError('VALIDATION_FAILED', `Your plan allows ${cap} domain${cap === 1 ? '' : 's'} per key`, {
      details: [{ path: 'body.allowedDomains', message: 'Domain limit exceeded for this plan' }],
    });
  }
}

/** The caller's own, usable API subscription licence. */
async function ownApiLicense(db: Db | Tx, userId: string, licenseId: string) {
  const license = (await licensesByIds(db, [licenseId])).get(licenseId);
  if (!license || license.userId !== userId) throw notFound('Subscription');
  if (license.type !== 'api_subscription') throw new AppError('CONFLICT', 'API keys belong to API subscriptions');
  if (license.status !== 'active') throw new AppError('CONFLICT', `This subscription is ${license.status}; it cannot have new keys`);
  return license;
}

/**
 * `POST /api/api-keys`: a new key on one of the caller's API subscriptions, shown this once. The plan's key limit
 * holds under concurrency: creations for one licence queue on an advisory lock.
 */
export async function createOwnApiKey(db: Db, defaultKeys: number, userId: string, input: CreateApiKeyBody & { environment: 'live' | 'test' }, actor: Actor): Promise<ApiKeyWithSecret> {
  const allowedIps = normaliseIpRules(input.allowedIps ?? []);
  const allowedDomains = [...new Set(input.allowedDomains ?? [])];
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('VALIDATION_FAILED', 'The expiry must be in the future', { details: [{ path: 'body.expiresAt', message: 'Must be in the future' }] });
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`api_keys:${input.licenseId}`}))`);
    const license = await ownApiLicense(tx, userId, input.licenseId);
    const caps = await planCaps(tx, license.planId, defaultKeys);
    checkDomains(allowedDomains, caps.domains);
    const [held] = await tx.select({ n: count() }).from(apiKeys).where(and(eq(apiKeys.licenseId, license.id), liveKey(new Date())));
    if ((held?.n ?? 0) >= caps.keys) {
      throw new AppError('CONFLICT', `Your plan allows ${caps.keys} active key${caps.keys === 1 ? '' : 's'} per subscription; revoke one first`, { details: { reason: 'KEY_LIMIT', limit: caps.keys } });
    }
    const { key, hash, prefix } = generateApiKey(input.environment);
    const [row] = await tx.insert(apiKeys).values({
      id: newId('apiKey'), userId, licenseId: license.id, productId: license.productId, planId: license.planId, name: input.name,
      environment: input.environment, keyHash: hash, prefix, allowedDomains, allowedIps, expiresAt,
    }).returning();
    await recordAudit(tx, actor, {
      action: 'api_key.create', entityType: 'api_key', entityId: row!.id,
      after: { id: row!.id, prefix, name: row!.name, environment: row!.environment, licenseId: license.id, allowedDomains, allowedIps, expiresAt },
    });
    await notifyApiKeyChange(tx, API_KEY_CREATED);
    return { ...presentApiKey(row!), key };
  });
}

async function lockOwnKey(tx: Tx, userId: string, id: string): Promise<ApiKeyRow> {
  const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
  if (!row || row.userId !== userId) throw notFound('API key');
  return row;
}

/** `PATCH /api/api-keys/{id}`: name, allowed domains, allowed IPs. */
export async function updateOwnApiKey(db: Db, userId: string, id: string, input: UpdateApiKeyBody, actor: Actor) {
  const allowedIps = input.allowedIps ? normaliseIpRules(input.allowedIps) : undefined;
  const allowedDomains = input.allowedDomains ? [...new Set(input.allowedDomains)] : undefined;
  return db.transaction(async (tx) => {
    const row = await lockOwnKey(tx, userId, id);
    if (row.state === 'revoked') throw new AppError('CONFLICT', 'This key is revoked');
    if (allowedDomains) checkDomains(allowedDomains, (await planCaps(tx, row.planId, 0)).domains);
    const [updated] = await tx.update(apiKeys).set({
      ...(input.name ? { name: input.name } : {}), ...(allowedDomains ? { allowedDomains } : {}), ...(allowedIps ? { allowedIps } : {}), updatedAt: new Date(),
    }).where(eq(apiKeys.id, id)).returning();
    await recordAudit(tx, actor, {
      action: 'api_key.update', entityType: 'api_key', entityId: id,
      before: { name: row.name, allowedDomains: row.allowedDomains, allowedIps: row.allowedIps },
      after: { name: updated!.name, allowedDomains: updated!.allowedDomains, allowedIps: updated!.allowedIps },
    });
    await notifyApiKeyChange(tx, id);
    return presentApiKey(updated!);
  });
}

/**
 * `POST /api/api-keys/{id}/rotate`: a new key with the same name, environment and rules; the old one keeps working
 * for `graceSeconds` (0: stops now), so deployments can switch without downtime. The new key is shown this once.
 */
export async function rotateOwnApiKey(db: Db, userId: string, id: string, graceSeconds: number, actor: Actor): Promise<ApiKeyWithSecret> {
  return db.transaction(async (tx) => {
    const row = await lockOwnKey(tx, userId, id);
    const now = new Date();
    if (row.state === 'revoked' || (row.expiresAt && row.expiresAt <= now)) throw new AppError('CONFLICT', 'Only a working key can be rotated');
    await ownApiLicense(tx, userId, row.licenseId);
    const graceEnd = new Date(now.getTime() + graceSeconds * 1000);
    // A chosen expiry earlier than the grace end stays.
    const oldExpiry = row.expiresAt && row.expiresAt < graceEnd ? row.expiresAt : graceEnd;
    await tx.update(apiKeys).set({ expiresAt: oldExpiry, updatedAt: now }).where(eq(apiKeys.id, id));
    const { key, hash, prefix } = generateApiKey(row.environment as 'live' | 'test');
    const [fresh] = await tx.insert(apiKeys).values({
      id: newId('apiKey'), userId, licenseId: row.licenseId, productId: row.productId, planId: row.planId, name: row.name,
      environment: row.environment, keyHash: hash, prefix, allowedDomains: row.allowedDomains, allowedIps: row.allowedIps,
    }).returning();
    await recordAudit(tx, actor, {
      action: 'api_key.rotate', entityType: 'api_key', entityId: id,
      before: { prefix: row.prefix, expiresAt: row.expiresAt }, after: { expiresAt: oldExpiry, replacedBy: fresh!.id, newPrefix: prefix, graceSeconds },
    });
    await notifyApiKeyChange(tx, id);
    await notifyApiKeyChange(tx, API_KEY_CREATED);
    return { ...presentApiKey(fresh!), key };
  });
}

/** `DELETE /api/api-keys/{id}`: stops the key now, on every instance within a second. Idempotent. */
export async function revokeOwnApiKey(db: Db, userId: string, id: string, actor: Actor) {
  return db.transaction(async (tx) => {
    const row = await lockOwnKey(tx, userId, id);
    if (row.state === 'revoked') return presentApiKey(row);
    const now = new Date();
    const [updated] = await tx.update(apiKeys).set({ state: 'revoked', revokedAt: now, revokeReason: 'owner', revealSealed: null, updatedAt: now }).where(eq(apiKeys.id, id)).returning();
    await recordAudit(tx, actor, { action: 'api_key.revoke', entityType: 'api_key', entityId: id, reason: 'owner', before: { state: row.state }, after: { state: 'revoked' } });
    await notifyApiKeyChange(tx, id);
    return presentApiKey(updated!);
  });
}
