import {
  licenseTypeTerms,
  type AdminLicense, type AdminLicenseDetail, type AdminLicenseGrant, type AdminLicenseListFilters, type AdminLicenseUpdate,
  type LicenseStatus, type LicenseType,
} from '@mintreu/contracts';
import { and, asc, count, desc, eq, ilike, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, withDeferredAudit, type AuditAction } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { renderMail } from '../mail/templates.js';
import { revokeApiKeysOfLicenses } from '../api-access/service.js';
import { users } from '../auth/tables.js';
import { products } from '../catalog/tables.js';
import { orderSummaries } from '../checkout/orders.js';
import { releaseActivation } from './check.js';
import type { Licensing } from './context.js';
import { LEASE_KEYS_ROTATED, notifyLicenseChange } from './events.js';
import { rotateLeaseKey } from './leases.js';
import { looksLikeLicenseKey } from './keys.js';
import { releaseAllIn } from './self-service.js';
import { issueLicense, licenseStatus, presentActivation, type LicenseRow } from './service.js';
import { licenseActivations, licenses, licenseValidations } from './tables.js';

/** The admin panel's licences: find, inspect, grant, suspend, change, revoke. Every change is audited. */


/** The derived status as SQL, so the list can filter on it (the same order as `licenseStatus`). */
function statusFilter(status: LicenseStatus): SQL {
  const live = sql`(${licenses.expiresAt} is null or ${licenses.expiresAt} > now())`;
  const full = sql`(${licenses.maxUsage} is not null and ${licenses.usageCount} >= ${licenses.maxUsage})`;
  switch (status) {
    case 'revoked': return eq(licenses.state, 'revoked');
    case 'disabled': return eq(licenses.state, 'disabled');
    case 'expired': return and(eq(licenses.state, 'active'), isNotNull(licenses.expiresAt), lte(licenses.expiresAt, sql`now()`))!;
    case 'usage_limit': return sql`${licenses.state} = 'active' and ${live} and ${full}`;
    case 'active': return sql`${licenses.state} = 'active' and ${live} and not ${full}`;
  }
}

/** One search box: a whole key, its last group, a licence id, an email, or a product title. */
function searchFilter(l: Licensing, search: string): SQL {
  const term = search.trim();
  const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const anyOf: SQL[] = [ilike(products.title, like), ilike(licenses.email, like), ilike(users.email, like)];
  if (looksLikeLicenseKey(term)) anyOf.push(eq(licenses.keyHash, l.keys.hash(term)));
  if (/^[0-9a-z]{4}$/i.test(term)) anyOf.push(eq(licenses.keyHint, term.toUpperCase()));
  if (term.startsWith('lic_')) anyOf.push(eq(licenses.id, term));
  return or(...anyOf)!;
}

const listColumns = {
  license: licenses,
  product: { id: products.id, slug: products.slug, title: products.title },
  userId: users.id,
  userName: users.name,
  userEmail: users.email,
};

type ListRow = { license: LicenseRow; product: { id: string; slug: string; title: string }; userId: string | null; userName: string | null; userEmail: string | null };

function presentAdminLicense(row: ListRow): AdminLicense {
  const l = row.license;
  return {
    id: l.id,
    keyHint: l.keyHint,
    product: row.product,
    type: l.type as LicenseType,
    status: licenseStatus(l),
    state: l.state as AdminLicense['state'],
    user: row.userId ? { id: row.userId, name: row.userName ?? '', email: row.userEmail ?? '' } : null,
    email: l.email,
    usageCount: l.usageCount,
    maxUsage: l.maxUsage,
    expiresAt: l.expiresAt?.toISOString() ?? null,
    orderId: l.orderId,
    planId: l.planId,
    revokedAt: l.revokedAt?.toISOString() ?? null,
    revokeReason: l.revokeReason,
    createdAt: l.createdAt.toISOString(),
  };
}

export async function listAdminLicenses(l: Licensing, query: AdminLicenseListFilters): Promise<{ data: AdminLicense[]; meta: { page: number; perPage: number; total: number } }> {
  const filters: SQL[] = [];
  if (query.search) filters.push(searchFilter(l, query.search));
  if (query.status) filters.push(statusFilter(query.status));
  if (query.type) filters.push(eq(licenses.type, query.type));
  if (query.productId) filters.push(eq(licenses.productId, query.productId));
  if (query.userId) filters.push(eq(licenses.userId, query.userId));
  const where = filters.length ? and(...filters) : undefined;
  const base = () => l.db.select(listColumns).from(licenses)
    .innerJoin(products, eq(products.id, licenses.productId))
    .leftJoin(users, eq(users.id, licenses.userId));
  const [rows, totals] = await Promise.all([
    base().where(where).orderBy(desc(licenses.createdAt), desc(licenses.id)).limit(query.perPage).offset((query.page - 1) * query.perPage),
    l.db.select({ total: count() }).from(licenses)
      .innerJoin(products, eq(products.id, licenses.productId))
      .leftJoin(users, eq(users.id, licenses.userId))
      .where(where),
  ]);
  return { data: rows.map(presentAdminLicense), meta: { page: query.page, perPage: query.perPage, total: totals[0]?.total ?? 0 } };
}

export async function getAdminLicense(l: Licensing, id: string): Promise<AdminLicenseDetail> {
  const [row] = await l.db.select(listColumns).from(licenses)
    .innerJoin(products, eq(products.id, licenses.productId))
    .leftJoin(users, eq(users.id, licenses.userId))
    .where(eq(licenses.id, id));
  if (!row) throw notFound('Licence');
  const [activations, validations, orders] = await Promise.all([
    l.db.select().from(licenseActivations).where(eq(licenseActivations.licenseId, id))
      .orderBy(sql`${licenseActivations.releasedAt} is not null`, desc(licenseActivations.createdAt)).limit(200),
    l.db.select().from(licenseValidations).where(eq(licenseValidations.licenseId, id))
      .orderBy(desc(licenseValidations.hour), asc(licenseValidations.activationId)).limit(200),
    orderSummaries(l.db, row.license.orderId ? [row.license.orderId] : []),
  ]);
  const type = row.license.type as LicenseType;
  const text = typeof row.license.meta.attributionText === 'string' ? row.license.meta.attributionText : null;
  return {
    ...presentAdminLicense(row),
    activations: activations.map((a) => ({
      ...presentActivation(a), ip: a.ip, releasedAt: a.releasedAt?.toISOString() ?? null,
      releasedBy: a.releasedBy as AdminLicenseDetail['activations'][number]['releasedBy'],
    })),
    validations: validations.map((v) => ({
      activationId: v.activationId || null, code: v.code, ip: v.ip || null, count: v.count,
      firstAt: v.firstAt.toISOString(), lastAt: v.lastAt.toISOString(),
    })),
    order: row.license.orderId ? orders.get(row.license.orderId) ?? null : null,
    attribution: { required: licenseTypeTerms[type]?.requiresAttribution ?? false, text },
  };
}

/**
 * A licence granted by hand. The holder is the account with that email when there is one; otherwise the licence
 * waits for that email address. Refused while the `licensing` kill switch is engaged (no new licences).
 */
export async function grantLicense(l: Licensing, input: AdminLicenseGrant, actor: Actor): Promise<{ license: AdminLicenseDetail; key: string }> {
  l.live.assertReleased('licensing');
  const email = input.email.trim().toLowerCase();
  const [holder] = await l.db.select({ id: users.id, name: users.name }).from(users).where(eq(sql`lower(${users.email})`, email));
  const [product] = await l.db.select({ id: products.id, title: products.title }).from(products).where(eq(products.id, input.productId));
  if (!product) {
    throw new AppError('VALIDATION_FAILED', 'No such product', { details: [{ path: 'body.productId', message: 'Choose a product' }] });
  }
  const issued = await issueLicense(l.db, l.keys, {
    userId: holder?.id ?? null,
    email,
    productId: product.id,
    product,
    planId: input.planId ?? null,
    type: input.type,
    maxUsage: input.maxUsage,
    expiresAt: input.expiresAt === undefined ? undefined : input.expiresAt === null ? null : new Date(input.expiresAt),
    attributionText: input.attributionText ?? null,
    reason: input.reason,
    auditAction: 'license.grant',
  }, actor);
  if (input.notify ?? true) {
    const url = holder ? `${l.env.PUBLIC_URL}/account/licenses/${issued.id}` : `${l.env.PUBLIC_URL}/sign-up`;
    await l.mailer.send(renderMail({
      to: email,
      subject: `Your licence for ${product.title}`,
      heading: `A licence for ${product.title}`,
      paragraphs: [
        `You have been granted a licence for ${product.title}.`,
        `Licence key: ${issued.key}`,
        holder
          ? 'You will find it, with how to activate it, in your account.'
          : `Create an account with this email address (${email}) to manage it from your dashboard.`,
        'Keep the key safe: anyone holding it can use it.',
      ],
      action: { label: holder ? 'Open your licence' : 'Create your account', url },
    })).catch(() => {
      // The grant stands without the email: the admin sees the key once and can pass it on.
    });
  }
  return { license: await getAdminLicense(l, issued.id), key: issued.key };
}

/** Suspend or reinstate, change seats or expiry, reset usage: one transaction, one audit event per kind of change. */
export async function updateLicense(l: Licensing, id: string, input: AdminLicenseUpdate, actor: Actor): Promise<AdminLicenseDetail> {
  await withDeferredAudit(l.db, async (tx) => {
    const [row] = await tx.select().from(licenses).where(eq(licenses.id, id)).for('update');
    if (!row) throw notFound('Licence');
    if (row.state === 'revoked') throw new AppError('CONFLICT', 'A revoked licence cannot be changed. Grant a new one instead.');
    const now = new Date();
    const audit = (action: AuditAction, before: unknown, after: unknown) =>
      recordAudit(tx, actor, { action, entityType: 'license', entityId: id, reason: input.reason, before, after });

    if (input.state && input.state !== row.state) {
      await tx.update(licenses).set({ state: input.state, updatedAt: now }).where(eq(licenses.id, id));
      await audit(input.state === 'disabled' ? 'license.suspend' : 'license.reinstate', { state: row.state }, { state: input.state });
    }
    const changes: Partial<Pick<LicenseRow, 'maxUsage' | 'expiresAt'>> = {};
    if (input.maxUsage !== undefined && input.maxUsage !== row.maxUsage) changes.maxUsage = input.maxUsage;
    if (input.expiresAt !== undefined) {
      const expiresAt = input.expiresAt === null ? null : new Date(input.expiresAt);
      if ((expiresAt?.getTime() ?? null) !== (row.expiresAt?.getTime() ?? null)) changes.expiresAt = expiresAt;
    }
    if (Object.keys(changes).length) {
      await tx.update(licenses).set({ ...changes, updatedAt: now }).where(eq(licenses.id, id));
      await audit('license.update',
        { maxUsage: row.maxUsage, expiresAt: row.expiresAt },
        { maxUsage: changes.maxUsage !== undefined ? changes.maxUsage : row.maxUsage, expiresAt: 'expiresAt' in changes ? changes.expiresAt : row.expiresAt });
    }
    if (input.resetUsage) {
      const released = await releaseAllIn(tx, id, 'reset');
      await audit('license.reset_usage', { usageCount: row.usageCount }, { usageCount: 0, released });
    }
    await notifyLicenseChange(tx, id);
  });
  l.cache.invalidate(id);
  return getAdminLicense(l, id);
}

/** Revokes for good (with its API keys). Revoking a revoked licence changes nothing. */
export async function revokeLicense(l: Licensing, id: string, reason: string, actor: Actor): Promise<AdminLicenseDetail> {
  const revoked = await withDeferredAudit(l.db, async (tx) => {
    const [row] = await tx.select().from(licenses).where(eq(licenses.id, id)).for('update');
    if (!row) throw notFound('Licence');
    if (row.state === 'revoked') return false;
    const now = new Date();
    await tx.update(licenses).set({ state: 'revoked', revokedAt: now, revokeReason: reason, updatedAt: now }).where(eq(licenses.id, id));
    await recordAudit(tx, actor, { action: 'license.revoke', entityType: 'license', entityId: id, reason, before: { state: row.state }, after: { state: 'revoked' } });
    await revokeApiKeysOfLicenses(tx, [id], `Licence revoked: ${reason}`, actor);
    await notifyLicenseChange(tx, id);
    return true;
  });
  if (revoked) l.cache.invalidate(id);
  return getAdminLicense(l, id);
}

export async function adminReleaseActivation(l: Licensing, id: string, activationId: string, reason: string, actor: Actor): Promise<AdminLicenseDetail> {
  const [row] = await l.db.select({ id: licenses.id }).from(licenses).where(eq(licenses.id, id));
  if (!row) throw notFound('Licence');
  const released = await releaseActivation(l, id, activationId, 'admin', actor, { reason });
  if (!released) {
    const [exists] = await l.db.select({ id: licenseActivations.id }).from(licenseActivations)
      .where(and(eq(licenseActivations.id, activationId), eq(licenseActivations.licenseId, id), isNull(licenseActivations.releasedAt)));
    if (!exists) throw notFound('Activation');
  }
  return getAdminLicense(l, id);
}

/**
 * Retires the lease signing key and starts signing with a new one, on every instance. Leases signed with the old
 * key keep verifying: it stays in the published key set until the longest of them has expired.
 */
export async function rotateLeaseSigningKey(l: Licensing, reason: string, actor: Actor): Promise<{ kid: string }> {
  const kid = await withDeferredAudit(l.db, async (tx) => {
    const previous = l.leases.currentKid;
    const next = await rotateLeaseKey(tx, l.keyRing);
    await recordAudit(tx, actor, { action: 'license.lease_key_rotate', entityType: 'lease_key', entityId: next, reason, before: { kid: previous }, after: { kid: next } });
    await notifyLicenseChange(tx, LEASE_KEYS_ROTATED);
    return next;
  });
  await l.leases.load();
  l.cache.clear();
  return { kid };
}
