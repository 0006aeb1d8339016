import { isFreeProduct, type DownloadAccess, type DownloadableProduct, type DownloadLink, type LicenseStatus, type ProductType } from '@mintreu/contracts';
import { and, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { LiveConfig } from '../../lib/live-config.js';
import { getPublicProductBySlug, productSummaries } from '../catalog/products.js';
import { activeSourcesOf, pickActiveSource } from '../catalog/sources.js';
import { licenseStatus } from '../licensing/service.js';
import { licenses } from '../licensing/tables.js';
import { writeLog } from './logs.js';
import { downloadTokens } from './tables.js';
import { hashDownloadToken, newDownloadToken } from './tokens.js';

/** The settings and services a download grant needs. */
export interface GrantContext {
  db: Db;
  live: LiveConfig;
  publicUrl: string;
  ttlMinutes: number;
  maxUses: number;
  dailyPerLicense: number;
  dailyPerIp: number;
}

type ProductRow = Awaited<ReturnType<typeof getPublicProductBySlug>>;
type LicenseRow = typeof licenses.$inferSelect;

/** A licence still lets its holder download: not revoked, suspended or expired (all activations in use is fine). */
const downloadableStatuses: LicenseStatus[] = ['active', 'usage_limit'];
export const licenseAllowsDownload = (row: Pick<LicenseRow, 'state' | 'expiresAt' | 'maxUsage' | 'usageCount'>, now = new Date()) =>
  downloadableStatuses.includes(licenseStatus(row, now));

/** The user's newest licence for the product that still allows downloads. (Reads licensing's table; never writes it.) */
async function validLicense(db: DbOrTx, userId: string, productId: string): Promise<LicenseRow | null> {
  const rows = await db
    .select()
    .from(licenses)
    .where(and(eq(licenses.userId, userId), eq(licenses.productId, productId), eq(licenses.state, 'active')))
    .orderBy(desc(licenses.createdAt));
  return rows.find((row) => licenseAllowsDownload(row)) ?? null;
}

type Decision =
  | { allowed: true; reason: 'FREEBIE' | 'FREE' | 'LICENSED'; license: LicenseRow | null }
  | { allowed: false; reason: 'UNAUTHENTICATED' | 'PURCHASE_REQUIRED' };

/**
 * Who may download a published product, in the upstream order: a freebie → allowed; auth required and nobody
 * signed in → no; free (and no auth required) → allowed; a valid licence → allowed with it; not free → purchase
 * required (sign in first when anonymous); otherwise (free, auth required, signed in) → allowed.
 */
async function decide(db: DbOrTx, product: ProductRow, userId: string | null): Promise<Decision> {
  if (product.type === 'freebie') return { allowed: true, reason: 'FREEBIE', license: null };
  if (product.requiresAuth && !userId) return { allowed: false, reason: 'UNAUTHENTICATED' };
  const free = isFreeProduct({ price: product.price, type: product.type as ProductType });
  if (free && !product.requiresAuth) return { allowed: true, reason: 'FREE', license: null };
  if (userId) {
    const license = await validLicense(db, userId, product.id);
    if (license) return { allowed: true, reason: 'LICENSED', license };
  }
  if (!free) return { allowed: false, reason: userId ? 'PURCHASE_REQUIRED' : 'UNAUTHENTICATED' };
  return { allowed: true, reason: 'FREE', license: null };
}

const refusal = {
  UNAUTHENTICATED: () => new AppError('UNAUTHENTICATED', 'Sign in to download this product'),
  PURCHASE_REQUIRED: () => new AppError('PURCHASE_REQUIRED', 'Buy this product to download it', { status: 403 }),
};

/** `GET /api/products/{slug}/download-access`: the same decision, without granting anything. */
export async function downloadAccess(db: Db, slug: string, actor: Actor): Promise<DownloadAccess> {
  const product = await getPublicProductBySlug(db, slug);
  const decision = await decide(db, product, actor.user?.id ?? null);
  if (!decision.allowed) return { allowed: false, reason: decision.reason, licenseId: null };
  if (!(await pickActiveSource(db, product.id))) return { allowed: false, reason: 'NO_SOURCE', licenseId: decision.license?.id ?? null };
  return { allowed: true, reason: decision.reason, licenseId: decision.license?.id ?? null };
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The daily caps, counted over the last 24 hours under a lock per licence and per address, so parallel requests
 * cannot slip past together. Null when under both.
 */
async function capReached(tx: Tx, ctx: GrantContext, licenseId: string | null, ip: string): Promise<AppError | null> {
  const since = new Date(Date.now() - dayMs);
  if (licenseId && ctx.dailyPerLicense > 0) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`download:license:${licenseId}`}))`);
    const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(downloadTokens)
      .where(and(eq(downloadTokens.licenseId, licenseId), gt(downloadTokens.createdAt, since)));
    if ((row?.n ?? 0) >= ctx.dailyPerLicense) {
      return new AppError('DOWNLOAD_LIMIT_REACHED', `This licence has reached its limit of ${ctx.dailyPerLicense} downloads in 24 hours. ` +
        'Links you already have keep working until they expire; try again tomorrow or contact support.', { status: 429, headers: { 'retry-after': '3600' } });
    }
  }
  if (ctx.dailyPerIp > 0) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`download:ip:${ip}`}))`);
    const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(downloadTokens)
      .where(and(eq(downloadTokens.ip, ip), gt(downloadTokens.createdAt, since)));
    if ((row?.n ?? 0) >= ctx.dailyPerIp) {
      return new AppError('DOWNLOAD_LIMIT_REACHED', `Your network address has reached its limit of ${ctx.dailyPerIp} downloads in 24 hours. ` +
        'Try again tomorrow, or contact support if you need more.', { status: 429, headers: { 'retry-after': '3600' } });
    }
  }
  return null;
}

/**
 * `POST /api/products/{slug}/download`: checks the kill switch, the product (published only), who may download
 * it and the daily caps; picks the source (the one asked for, which must be active, else the primary); then mints
 * a link. Every outcome past the product look-up is logged, granted or denied.
 */
export async function initiateDownload(ctx: GrantContext, input: { slug: string; sourceId?: string }, actor: Actor): Promise<DownloadLink> {
  ctx.live.assertReleased('downloads');
  const product = await getPublicProductBySlug(ctx.db, input.slug);
  const userId = actor.user?.id ?? null;
  const ip = actor.ip ?? 'unknown';
  const deny = async (reason: string, error: AppError, extra: { sourceId?: string | null; licenseId?: string | null } = {}) => {
    await writeLog(ctx.db, actor, { event: 'initiate', status: 'denied', reason, productId: product.id, userId, ...extra });
    return error;
  };

  const decision = await decide(ctx.db, product, userId);
  if (!decision.allowed) throw await deny(decision.reason, refusal[decision.reason]());
  const license = decision.license;
  const source = await pickActiveSource(ctx.db, product.id, input.sourceId);
  if (!source) {
    throw await deny('NO_SOURCE', new AppError('NOT_FOUND', input.sourceId
      ? 'That file is not available for this product'
      : 'No download is available for this product yet'), { licenseId: license?.id });
  }

  const token = newDownloadToken();
  const expiresAt = new Date(Date.now() + ctx.ttlMinutes * 60_000);
  const outcome = await ctx.db.transaction(async (tx) => {
    const capped = await capReached(tx, ctx, license?.id ?? null, ip);
    if (capped) return { capped };
    const id = newId('download');
    await tx.insert(downloadTokens).values({
      id,
      tokenHash: hashDownloadToken(token),
      productId: product.id,
      sourceId: source.id,
      userId,
      licenseId: license?.id ?? null,
      ip,
      expiresAt,
      maxUses: ctx.maxUses,
    });
    await writeLog(tx, actor, {
      event: 'initiate', status: 'granted', reason: decision.reason, tokenId: id, productId: product.id,
      sourceId: source.id, userId, licenseId: license?.id ?? null,
    });
    return { capped: null };
  });
  if (outcome.capped) throw await deny('LIMIT_REACHED', outcome.capped, { sourceId: source.id, licenseId: license?.id });

  return {
    downloadUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/api/download/${token}`,
    expiresAt: expiresAt.toISOString(),
    fileName: deliveryFileName(product, source),
    fileSize: source.fileSize,
    sha256: source.sha256,
  };
}

/** The name the file is saved under: the source's own, else one made of the product and version. */
export function deliveryFileName(product: { slug: string }, source: { fileName: string | null; version: string | null }): string {
  return source.fileName ?? `${product.slug}${source.version ? `-${source.version.replace(/^v/i, '')}` : ''}`;
}

/**
 * `GET /api/downloads`: every product the customer holds a licence for that still allows downloads, published
 * and with at least one active file, newest licence first — one entry per product.
 */
export async function listOwnDownloads(db: Db, userId: string): Promise<DownloadableProduct[]> {
  const rows = await db.select().from(licenses)
    .where(and(eq(licenses.userId, userId), eq(licenses.state, 'active')))
    .orderBy(desc(licenses.createdAt), desc(licenses.id));
  const held = new Map<string, LicenseRow>();
  for (const row of rows) if (!held.has(row.productId) && licenseAllowsDownload(row)) held.set(row.productId, row);
  const productIds = [...held.keys()];
  const [products, sources] = await Promise.all([productSummaries(db, productIds), activeSourcesOf(db, productIds)]);
  return productIds.flatMap((productId) => {
    const product = products.get(productId);
    const files = sources.get(productId) ?? [];
    const license = held.get(productId)!;
    if (!product || product.status !== 'published' || files.length === 0) return [];
    return [{
      product: { id: product.id, slug: product.slug, title: product.title, type: product.type, image: product.image },
      license: {
        id: license.id, keyHint: license.keyHint, type: license.type, status: licenseStatus(license),
        expiresAt: license.expiresAt?.toISOString() ?? null,
      },
      sources: files.map((s) => ({ ...s, lastVerifiedAt: s.lastVerifiedAt?.toISOString() ?? null })),
    }];
  });
}

/**
 * Revokes the unexpired download links granted on these licences (refund, dispute), with one `download.revoke`
 * audit event per licence that had any. Runs in the caller's transaction. Returns how many links were revoked.
 */
export async function revokeDownloadsOfLicenses(tx: Tx, licenseIds: string[], reason: string, actor: Actor): Promise<number> {
  if (licenseIds.length === 0) return 0;
  const now = new Date();
  const revoked = await tx.update(downloadTokens)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(inArray(downloadTokens.licenseId, licenseIds), isNull(downloadTokens.revokedAt), gt(downloadTokens.expiresAt, now)))
    .returning({ id: downloadTokens.id, licenseId: downloadTokens.licenseId });
  const perLicense = new Map<string, number>();
  for (const row of revoked) perLicense.set(row.licenseId!, (perLicense.get(row.licenseId!) ?? 0) + 1);
  for (const [licenseId, links] of perLicense) {
    await recordAudit(tx, actor, { action: 'download.revoke', entityType: 'license', entityId: licenseId, reason, after: { links } });
  }
  return revoked.length;
}
