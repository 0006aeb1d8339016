import {
  licenseTypes, licenseTypeTerms, type License, type LicenseActivation, type LicenseStatus, type LicenseType,
} from '@mintreu/contracts';
import { and, asc, count, desc, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import { inTransaction, type DbOrTx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { listPlans } from '../catalog/plans.js';
import { getProductById } from '../catalog/products.js';
import { products } from '../catalog/tables.js';
import { LICENSE_ISSUED, notifyLicenseChange } from './events.js';
import type { LicenseKeys } from './keys.js';
import { licenseActivations, licenses } from './tables.js';

export type LicenseRow = typeof licenses.$inferSelect;
/** What a licence shows of its product. */
export interface LicenseProduct {
  id: string;
  slug: string;
  title: string;
}

const dayMs = 24 * 60 * 60 * 1000;

export interface IssueLicenseInput {
  /** The owner; null for a licence granted to an email address only. One of the two is required. */
  userId: string | null;
  email: string | null;
  productId: string;
  planId?: string | null;
  orderId?: string | null;
  orderItemId?: string | null;
  type: LicenseType;
  /** For `free_attribution`: the credit line; defaults to "Made with <product title> by Mintreu". */
  attributionText?: string | null;
  /** Absent: from the type's terms (demo: 30 days). `null`: never expires. */
  expiresAt?: Date | null;
  /** Absent: from the type's terms (commercial_team: 5). `null`: unlimited. */
  maxUsage?: number | null;
  /** The product as the caller already has it (fulfilment's order item): spares looking it up again. */
  product?: { id: string; title: string };
  /** Why (an admin grant); kept on the audit event. */
  reason?: string | null;
  /** `license.grant` for an admin's grant; `license.issue` (default) for fulfilment. */
  auditAction?: 'license.issue' | 'license.grant';
}

export const defaultAttributionText = (productTitle: string) => `Made with ${productTitle} by Mintreu`;

/**
 * Issues one licence with a new key, applying the type's terms, and records `license.issue`.
 * Runs in the caller's transaction when given one (checkout fulfilment); a failure rolls that back with it.
 * Returns the plain key: the only moment it
 * exists outside the encrypted copy. The caller checks the `licensing` kill switch.
 */
export async function issueLicense(
  db: DbOrTx,
  keys: LicenseKeys,
  input: IssueLicenseInput,
  actor: Actor,
): Promise<{ id: string; key: string }> {
  if (!input.userId && !input.email) {
    throw new AppError('VALIDATION_FAILED', 'A licence needs an owner: a user or an email address');
  }
  if (!licenseTypes.includes(input.type)) throw new AppError('VALIDATION_FAILED', `Unknown licence type "${input.type}"`);
  if (input.maxUsage !== undefined && input.maxUsage !== null && (!Number.isInteger(input.maxUsage) || input.maxUsage < 0)) {
    throw new AppError('VALIDATION_FAILED', 'maxUsage is a whole number, 0 or more, or null for unlimited');
  }
  if (input.expiresAt && Number.isNaN(input.expiresAt.getTime())) throw new AppError('VALIDATION_FAILED', 'expiresAt is not a valid date');
  const terms = licenseTypeTerms[input.type];

  return inTransaction(db, async (tx) => {
    const product = input.product?.id === input.productId ? input.product : await getProductById(tx, input.productId);
    if (input.planId) {
      const plans = await listPlans(tx, product.id, { activeOnly: false });
      if (!plans.some((plan) => plan.id === input.planId)) {
        throw new AppError('VALIDATION_FAILED', "The plan is not one of this product's plans");
      }
    }
    const now = new Date();
    const maxUsage = input.maxUsage !== undefined ? input.maxUsage : terms.maxUsage;
    const expiresAt = input.expiresAt !== undefined
      ? input.expiresAt
      : terms.expiresInDays !== null ? new Date(now.getTime() + terms.expiresInDays * dayMs) : null;
    const attributionText = input.attributionText?.trim()
      || (terms.requiresAttribution ? defaultAttributionText(product.title) : null);

    const key = keys.generate();
    const [row] = await tx
      .insert(licenses)
      .values({
        id: newId('license'),
        keyHash: keys.hash(key),
        keyEncrypted: keys.seal(key),
        keyHint: keys.hint(key),
        productId: product.id,
        planId: input.planId ?? null,
        userId: input.userId,
        email: input.email?.trim().toLowerCase() || null,
        orderId: input.orderId ?? null,
        orderItemId: input.orderItemId ?? null,
        type: input.type,
        maxUsage,
        expiresAt,
        meta: attributionText ? { attributionText } : {},
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    // Never the key, nor its hash or ciphertext: the hint is enough to recognise it.
    await recordAudit(tx, actor, {
      action: input.auditAction ?? 'license.issue',
      entityType: 'license',
      entityId: row!.id,
      reason: input.reason ?? null,
      after: {
        id: row!.id, keyHint: row!.keyHint, type: row!.type, productId: row!.productId, planId: row!.planId,
        orderId: row!.orderId, orderItemId: row!.orderItemId, userId: row!.userId, maxUsage: row!.maxUsage,
        expiresAt: row!.expiresAt,
      },
    });
    // A key someone tried before it existed may be remembered as unknown: every instance forgets those.
    await notifyLicenseChange(tx, LICENSE_ISSUED);
    return { id: row!.id, key };
  });
}

/**
 * Revokes every licence an order granted (refund, dispute), one `license.revoke` event each. Idempotent:
 * licences already revoked are skipped, so a replayed refund changes nothing. Returns the ids revoked now.
 */
export async function revokeLicensesOfOrder(db: DbOrTx, orderId: string, reason: string, actor: Actor): Promise<string[]> {
  return db.transaction(async (tx) => {
    // The row locks make a concurrent second revocation wait, then find nothing left to revoke.
    const rows = await tx
      .select({ id: licenses.id, state: licenses.state })
      .from(licenses)
      .where(and(eq(licenses.orderId, orderId), ne(licenses.state, 'revoked')))
      .orderBy(asc(licenses.id))
      .for('update');
    if (rows.length === 0) return [];
    const now = new Date();
    const ids = rows.map((r) => r.id);
    await tx
      .update(licenses)
      .set({ state: 'revoked', revokedAt: now, revokeReason: reason, updatedAt: now })
      .where(inArray(licenses.id, ids));
    for (const row of rows) {
      await recordAudit(tx, actor, {
        action: 'license.revoke', entityType: 'license', entityId: row.id, reason,
        before: { state: row.state }, after: { state: 'revoked', orderId },
      });
      await notifyLicenseChange(tx, row.id);
    }
    return ids;
  });
}

/**
 * Ids of every licence an order granted, whatever their state: a refund revokes the API keys of all of
 * them (`revokeApiKeysOfLicenses`), even of a licence an admin had revoked on its own before.
 */
export async function licenseIdsOfOrder(db: DbOrTx, orderId: string): Promise<string[]> {
  const rows = await db.select({ id: licenses.id }).from(licenses).where(eq(licenses.orderId, orderId)).orderBy(asc(licenses.id));
  return rows.map((r) => r.id);
}

/**
 * What a licence is now: a stored state (revoked, disabled) wins; otherwise expiry, then a used-up
 * seat count; otherwise active.
 */
export function licenseStatus(
  row: Pick<LicenseRow, 'state' | 'expiresAt' | 'maxUsage' | 'usageCount'>,
  now: Date = new Date(),
): LicenseStatus {
  if (row.state === 'revoked') return 'revoked';
  if (row.state === 'disabled') return 'disabled';
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.maxUsage !== null && row.usageCount >= row.maxUsage) return 'usage_limit';
  return 'active';
}

/** How many seats an owner may release from the dashboard, per rolling window (the cooldown). */
export interface ReleasePolicy {
  limit: number;
  windowHours: number;
}

export const defaultReleasePolicy: ReleasePolicy = { limit: 3, windowHours: 24 };

type ActivationRow = typeof licenseActivations.$inferSelect;

export function presentActivation(row: ActivationRow): LicenseActivation {
  return {
    id: row.id,
    name: row.name,
    fingerprint: row.fingerprint,
    domain: row.domain,
    createdAt: row.createdAt.toISOString(),
    lastValidatedAt: row.lastValidatedAt?.toISOString() ?? null,
    usesSeat: row.usesSeat,
  };
}

/** What the owner's release budget looks like now, from the times of their recent releases (oldest first). */
export function releaseBudget(recent: Date[], policy: ReleasePolicy, now = new Date()): License['releases'] {
  const remaining = Math.max(0, policy.limit - recent.length);
  const windowMs = policy.windowHours * 60 * 60 * 1000;
  // When nothing is left, the next release frees up as the oldest one in the window leaves it.
  const nextAt = remaining === 0 && recent.length ? new Date(recent[0]!.getTime() + windowMs) : null;
  return { limit: policy.limit, remaining, windowHours: policy.windowHours, nextAt: nextAt && nextAt > now ? nextAt.toISOString() : null };
}

/** The API's licence shape (API.md "Licences"), with the key decrypted for its owner. */
export function presentLicense(
  row: LicenseRow,
  product: LicenseProduct,
  keys: LicenseKeys,
  extra: { activations?: ActivationRow[]; releases?: License['releases'] } = {},
): License {
  const type = row.type as LicenseType;
  const text = typeof row.meta.attributionText === 'string' ? row.meta.attributionText : null;
  return {
    id: row.id,
    key: keys.open(row.keyEncrypted),
    productId: row.productId,
    productSlug: product.slug,
    productTitle: product.title,
    type,
    status: licenseStatus(row),
    usageCount: row.usageCount,
    maxUsage: row.maxUsage,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    activations: (extra.activations ?? []).map(presentActivation),
    attribution: { required: licenseTypeTerms[type]?.requiresAttribution ?? false, text },
    orderId: row.orderId,
    planId: row.planId,
    createdAt: row.createdAt.toISOString(),
    releases: extra.releases ?? releaseBudget([], defaultReleasePolicy),
  };
}

/** Live activations of many licences, oldest first, in one query. */
export async function liveActivationsOf(db: DbOrTx, licenseIds: string[]): Promise<Map<string, ActivationRow[]>> {
  const byLicense = new Map<string, ActivationRow[]>(licenseIds.map((id) => [id, []]));
  if (licenseIds.length === 0) return byLicense;
  const rows = await db
    .select()
    .from(licenseActivations)
    .where(and(inArray(licenseActivations.licenseId, licenseIds), isNull(licenseActivations.releasedAt)))
    .orderBy(asc(licenseActivations.createdAt), asc(licenseActivations.id));
  for (const row of rows) byLicense.get(row.licenseId)?.push(row);
  return byLicense;
}

/** The owner's recent seat releases of many licences (only those that freed a seat), oldest first. */
export async function recentOwnerReleases(db: DbOrTx, licenseIds: string[], policy: ReleasePolicy): Promise<Map<string, Date[]>> {
  const byLicense = new Map<string, Date[]>(licenseIds.map((id) => [id, []]));
  if (licenseIds.length === 0) return byLicense;
  const since = new Date(Date.now() - policy.windowHours * 60 * 60 * 1000);
  const rows = await db
    .select({ licenseId: licenseActivations.licenseId, releasedAt: licenseActivations.releasedAt })
    .from(licenseActivations)
    .where(and(
      inArray(licenseActivations.licenseId, licenseIds),
      eq(licenseActivations.releasedBy, 'owner'),
      eq(licenseActivations.usesSeat, true),
      gt(licenseActivations.releasedAt, since),
    ))
    .orderBy(asc(licenseActivations.releasedAt));
  for (const row of rows) byLicense.get(row.licenseId)?.push(row.releasedAt!);
  return byLicense;
}

/**
 * Id, slug and title of many products in one query.
 * TODO(catalog): belongs in the catalog module as an exported service function; it reads the catalog's
 * table here only because this change could not touch catalog's files.
 */
async function productSummaries(db: DbOrTx, ids: string[]): Promise<Map<string, LicenseProduct>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: products.id, slug: products.slug, title: products.title })
    .from(products)
    .where(inArray(products.id, unique));
  return new Map(rows.map((r) => [r.id, r]));
}

/** The signed-in customer's licences, newest first: one query for the page, one for the count, one for products. */
export async function listOwnLicenses(
  db: DbOrTx,
  keys: LicenseKeys,
  userId: string,
  input: { page: number; perPage: number },
  policy: ReleasePolicy = defaultReleasePolicy,
): Promise<{ data: License[]; meta: { page: number; perPage: number; total: number } }> {
  const where = eq(licenses.userId, userId);
  const [rows, totals] = await Promise.all([
    db.select().from(licenses).where(where)
      .orderBy(desc(licenses.createdAt), desc(licenses.id))
      .limit(input.perPage)
      .offset((input.page - 1) * input.perPage),
    db.select({ total: count() }).from(licenses).where(where),
  ]);
  const ids = rows.map((r) => r.id);
  const [byId, activations, releases] = await Promise.all([
    productSummaries(db, rows.map((r) => r.productId)),
    liveActivationsOf(db, ids),
    recentOwnerReleases(db, ids, policy),
  ]);
  return {
    data: rows.map((row) => presentLicense(row, byId.get(row.productId)!, keys, {
      activations: activations.get(row.id), releases: releaseBudget(releases.get(row.id) ?? [], policy),
    })),
    meta: { page: input.page, perPage: input.perPage, total: totals[0]?.total ?? 0 },
  };
}

/** One of the customer's own licences. Someone else's answers 404 like a missing one: existence is not revealed. */
export async function getOwnLicense(
  db: DbOrTx,
  keys: LicenseKeys,
  userId: string,
  id: string,
  policy: ReleasePolicy = defaultReleasePolicy,
): Promise<License> {
  const [row] = await db.select().from(licenses).where(and(eq(licenses.id, id), eq(licenses.userId, userId)));
  if (!row) throw notFound('Licence');
  const [product, activations, releases] = await Promise.all([
    getProductById(db, row.productId),
    liveActivationsOf(db, [row.id]),
    recentOwnerReleases(db, [row.id], policy),
  ]);
  return presentLicense(row, product, keys, { activations: activations.get(row.id), releases: releaseBudget(releases.get(row.id) ?? [], policy) });
}

/** A licence without its key: for order pages, receipts and admin lists. */
export interface LicenseSummary {
  id: string;
  keyHint: string;
  productId: string;
  planId: string | null;
  orderId: string | null;
  orderItemId: string | null;
  userId: string | null;
  type: LicenseType;
  status: LicenseStatus;
  usageCount: number;
  maxUsage: number | null;
  expiresAt: string | null;
  createdAt: string;
}

export function summariseLicense(row: LicenseRow): LicenseSummary {
  return {
    id: row.id,
    keyHint: row.keyHint,
    productId: row.productId,
    planId: row.planId,
    orderId: row.orderId,
    orderItemId: row.orderItemId,
    userId: row.userId,
    type: row.type as LicenseType,
    status: licenseStatus(row),
    usageCount: row.usageCount,
    maxUsage: row.maxUsage,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Summaries of many licences by id, in one query, keyed by id (unknown ids are simply absent).
 * Never the key: an order view links to `GET /api/licenses/{id}`, which shows it to its owner only.
 */
export async function licensesByIds(db: DbOrTx, ids: string[]): Promise<Map<string, LicenseSummary>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.select().from(licenses).where(inArray(licenses.id, unique));
  return new Map(rows.map((row) => [row.id, summariseLicense(row)]));
}

/** Keys and attribution lines of many licences in one query (receipts); the keys are opened for their owner's mail. */
export async function licenseKeysByIds(db: DbOrTx, keys: LicenseKeys, ids: string[]): Promise<Map<string, { key: string; attribution: string | null }>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.select({ id: licenses.id, keyEncrypted: licenses.keyEncrypted, meta: licenses.meta }).from(licenses).where(inArray(licenses.id, unique));
  return new Map(rows.map((row) => [row.id, {
    key: keys.open(row.keyEncrypted),
    attribution: typeof row.meta.attributionText === 'string' ? row.meta.attributionText : null,
  }]));
}

/**
 * Licences granted to an email address before its owner had an account join that account once the owner has
 * proved the address is theirs (a verified email): signing up with someone else's address claims nothing.
 * Idempotent; returns the ids attached now.
 */
export async function attachLicensesToUser(db: DbOrTx, user: { id: string; email: string; emailVerified: boolean }): Promise<string[]> {
  if (!user.emailVerified) return [];
  const rows = await db
    .update(licenses)
    .set({ userId: user.id, updatedAt: new Date() })
    .where(and(isNull(licenses.userId), eq(licenses.email, user.email.trim().toLowerCase())))
    .returning({ id: licenses.id });
  return rows.map((r) => r.id);
}
