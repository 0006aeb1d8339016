import type { SourceProvider } from '@mintreu/contracts';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import { isValidKey, keySegment, type Storage } from '../../adapters/storage/index.js';
import { parseGitHubUrl, parseGitLabUrl } from '../../adapters/git/index.js';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, type AuditAction } from '../../lib/audit.js';
import type { KeyRing } from '../../lib/crypto.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { notifyCatalogChange } from './events.js';
import { getProductById, getPublicProductBySlug } from './products.js';
import { assertAllowedUrl, ForbiddenHostError, type HostPolicy } from './source-net.js';
import type { CreateSourceInput, UpdateSourceInput } from './source-schema.js';
import { productSources, products } from './tables.js';

/** What source services need besides the database: where files are, how secrets are sealed, which hosts are allowed. */
export interface SourceContext {
  db: Db;
  storage: Storage;
  keyRing: KeyRing;
  hostPolicy: HostPolicy;
  githubApiUrl: string;
  gitlabApiUrl: string;
}

export type SourceRow = typeof productSources.$inferSelect;

/** The public shape: never the source URL, the token or the metadata. */
export function presentSource(row: SourceRow) {
  return {
    id: row.id,
    provider: row.provider as SourceProvider,
    name: row.name,
    description: row.description,
    version: row.version,
    fileName: row.fileName,
    fileSize: row.fileSize,
    sha256: row.sha256,
    isPrimary: row.isPrimary,
    isActive: row.isActive,
    lastVerifiedAt: row.lastVerifiedAt,
  };
}

export function presentAdminSource(row: SourceRow) {
  return {
    ...presentSource(row),
    lastVerifyError: row.lastVerifyError,
    hasToken: row.encryptedToken !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** What the audit log keeps: the admin shape without timestamps. Never the URL or token. */
function auditView(row: SourceRow) {
  const { createdAt: _c, updatedAt: _u, ...view } = presentAdminSource(row);
  return view;
}

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'The request is not valid', { details: [{ path: `body.${field}`, message }] });

const primaryFirst = [desc(productSources.isPrimary), asc(productSources.name), asc(productSources.id)];

export async function listSources(db: Db, productId: string) {
  await getProductById(db, productId);
  const rows = await db.select().from(productSources).where(eq(productSources.productId, productId)).orderBy(...primaryFirst);
  return rows.map(presentAdminSource);
}

/** Active sources of a published product, primary first, then by name. */
export async function listPublicSources(db: Db, slug: string) {
  const product = await getPublicProductBySlug(db, slug, 'public');
  const rows = await db
    .select()
    .from(productSources)
    .where(and(eq(productSources.productId, product.id), eq(productSources.isActive, true)))
    .orderBy(...primaryFirst);
  return rows.map(presentSource);
}

export async function getSourceRow(db: DbOrTx, productId: string, sourceId: string, lock = false): Promise<SourceRow> {
  const query = db
    .select()
    .from(productSources)
    .where(and(eq(productSources.id, sourceId), eq(productSources.productId, productId)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw notFound('Source');
  return row;
}

export async function getSource(db: Db, productId: string, sourceId: string) {
  return presentAdminSource(await getSourceRow(db, productId, sourceId));
}

const tokenProviders: SourceProvider[] = ['github', 'gitlab'];

/**
 * Checks that a source URL suits its provider: a storage key that exists (local, s3), or an http(s)
 * URL on a public host (direct_url, github, gitlab) that parses as a repository for github/gitlab.
 * Returns the stored file's size for storage keys.
 */
async function checkTarget(ctx: SourceContext, provider: SourceProvider, sourceUrl: string) {
  if (provider === 'local' || provider === 's3') {
    if (provider !== ctx.storage.driver) {
      throw invalid('provider', `This instance stores files with the ${ctx.storage.driver} driver; use provider "${ctx.storage.driver}"`);
    }
    if (!isValidKey(sourceUrl)) throw invalid('sourceUrl', 'Must be a storage key such as products/tool/tool-1.0.zip');
    const info = await ctx.storage.stat(sourceUrl);
    if (!info) throw invalid('sourceUrl', 'No stored file has this key');
    return { size: info.size };
  }
  try {
    await assertAllowedUrl(sourceUrl, ctx.hostPolicy);
  } catch (error) {
    if (error instanceof ForbiddenHostError) throw invalid('sourceUrl', `The URL ${error.message}`);
    throw error;
  }
  if (provider === 'github' && !parseGitHubUrl(sourceUrl)) {
    throw invalid('sourceUrl', 'Must be a GitHub repository URL such as https://github.com/owner/repo');
  }
  if (provider === 'gitlab' && !parseGitLabUrl(sourceUrl)) {
    throw invalid('sourceUrl', 'Must be a GitLab project URL such as https://gitlab.com/group/project');
  }
  return { size: null };
}

function checkToken(provider: SourceProvider, hasToken: boolean) {
  if (hasToken && !tokenProviders.includes(provider)) {
    throw invalid('token', 'Only github and gitlab sources use a token (send token: null to remove a stored one)');
  }
}

/** Serialises source changes per product (and makes a missing product a 404). */
async function lockProduct(tx: Tx, productId: string) {
  const [row] = await tx.select({ id: products.id }).from(products).where(eq(products.id, productId)).for('no key update');
  if (!row) throw notFound('Product');
}

/** At most one primary per product: clear the current one before another takes its place. */
async function clearPrimary(tx: Tx, productId: string) {
  await tx
    .update(productSources)
    .set({ isPrimary: false })
    .where(and(eq(productSources.productId, productId), eq(productSources.isPrimary, true)));
}

async function hasPrimary(tx: Tx, productId: string) {
  const [row] = await tx
    .select({ id: productSources.id })
    .from(productSources)
    .where(and(eq(productSources.productId, productId), eq(productSources.isPrimary, true)));
  return Boolean(row);
}

export type NewSource = Omit<typeof productSources.$inferInsert, 'productId' | 'isPrimary'> & { isPrimary?: boolean };

export async function insertSource(db: Db, productId: string, values: NewSource, action: AuditAction, actor: Actor) {
  return db.transaction(async (tx) => {
    await lockProduct(tx, productId);
    const isPrimary = values.isPrimary ?? !(await hasPrimary(tx, productId));
    if (isPrimary) await clearPrimary(tx, productId);
    const [row] = await tx.insert(productSources).values({ ...values, productId, isPrimary }).returning();
    await recordAudit(tx, actor, { action, entityType: 'source', entityId: row!.id, after: { productId, ...auditView(row!) } });
    await notifyCatalogChange(tx, productId);
    return presentAdminSource(row!);
  });
}

export async function createSource(ctx: SourceContext, productId: string, input: CreateSourceInput, actor: Actor) {
  await getProductById(ctx.db, productId);
  checkToken(input.provider, input.token !== undefined);
  const target = await checkTarget(ctx, input.provider, input.sourceUrl);
  const keyName = input.sourceUrl.split('/').at(-1);
  return insertSource(
    ctx.db,
    productId,
    {
      id: newId('source'),
      provider: input.provider,
      name: input.name,
      description: input.description ?? null,
      sourceUrl: input.sourceUrl,
      encryptedToken: input.token ? ctx.keyRing.encrypt(input.token) : null,
      version: input.version ?? null,
      fileName: input.fileName ?? (target.size !== null ? keyName : null) ?? null,
      fileSize: target.size ?? input.fileSize ?? null,
      metadata: input.metadata ?? {},
      isPrimary: input.isPrimary,
      isActive: input.isActive ?? true,
    },
    'source.create',
    actor,
  );
}

/** Where an uploaded file is kept: under its product and source, so deleting the source can delete it. */
export function uploadKey(productId: string, sourceId: string, fileName: string) {
  return `products/${productId}/${sourceId}/${keySegment(fileName)}`;
}

/** Whether the source's stored file was uploaded for it (and so goes when the source does). */
const ownsFile = (row: Pick<SourceRow, 'productId' | 'id' | 'provider' | 'sourceUrl'>) =>
  (row.provider === 'local' || row.provider === 's3') && row.sourceUrl.startsWith(`products/${row.productId}/${row.id}/`);

/** Deletes a source's uploaded file, unless another source was since pointed at the same key. */
async function releaseFile(ctx: SourceContext, row: Pick<SourceRow, 'provider' | 'sourceUrl'>) {
  const [other] = await ctx.db
    .select({ id: productSources.id })
    .from(productSources)
    .where(and(eq(productSources.provider, row.provider), eq(productSources.sourceUrl, row.sourceUrl)))
    .limit(1);
  if (!other) await ctx.storage.delete(row.sourceUrl).catch(() => {});
}

export async function updateSource(
  ctx: SourceContext,
  ids: { productId: string; sourceId: string },
  patch: UpdateSourceInput,
  actor: Actor,
) {
  const current = await getSourceRow(ctx.db, ids.productId, ids.sourceId);
  const provider = patch.provider ?? (current.provider as SourceProvider);
  const sourceUrl = patch.sourceUrl ?? current.sourceUrl;
  const targetChanged = provider !== current.provider || sourceUrl !== current.sourceUrl;
  const willHaveToken = patch.token === undefined ? current.encryptedToken !== null : patch.token !== null;
  const changes: Partial<typeof productSources.$inferInsert> = { updatedAt: new Date() };
  checkToken(provider, willHaveToken);
  if (targetChanged) {
    // A new target: what was verified or hashed about the old one no longer holds.
    const target = await checkTarget(ctx, provider, sourceUrl);
    Object.assign(changes, { provider, sourceUrl, sha256: null, lastVerifiedAt: null, lastVerifyError: null });
    if (target.size !== null) changes.fileSize = target.size;
  }
  if (patch.token !== undefined) changes.encryptedToken = patch.token === null ? null : ctx.keyRing.encrypt(patch.token);
  for (const key of ['name', 'description', 'version', 'fileName', 'isActive', 'metadata'] as const) {
    if (patch[key] !== undefined) Object.assign(changes, { [key]: patch[key] });
  }
  if (patch.fileSize !== undefined && changes.fileSize === undefined) changes.fileSize = patch.fileSize;

  const updated = await ctx.db.transaction(async (tx) => {
    await lockProduct(tx, ids.productId);
    const before = await getSourceRow(tx, ids.productId, ids.sourceId, true);
    if (patch.isPrimary === true && !before.isPrimary) await clearPrimary(tx, ids.productId);
    if (patch.isPrimary !== undefined) changes.isPrimary = patch.isPrimary;
    const [after] = await tx.update(productSources).set(changes).where(eq(productSources.id, before.id)).returning();
    const secretsChanged = [targetChanged && 'sourceUrl', patch.token !== undefined && 'token'].filter(Boolean);
    await recordAudit(tx, actor, {
      action: 'source.update',
      entityType: 'source',
      entityId: before.id,
      before: { productId: ids.productId, ...auditView(before) },
      after: { productId: ids.productId, ...auditView(after!), ...(secretsChanged.length ? { secretsChanged } : {}) },
    });
    await notifyCatalogChange(tx, ids.productId);
    return { before, after: after! };
  });
  // An uploaded file the source no longer points at is nobody's now.
  if (ownsFile(updated.before) && updated.after.sourceUrl !== updated.before.sourceUrl) await releaseFile(ctx, updated.before);
  return presentAdminSource(updated.after);
}

/** Deletes the source, and the stored file when the source owns it (it was uploaded for this source). */
export async function deleteSource(ctx: SourceContext, ids: { productId: string; sourceId: string }, actor: Actor) {
  const removed = await ctx.db.transaction(async (tx) => {
    await lockProduct(tx, ids.productId);
    const row = await getSourceRow(tx, ids.productId, ids.sourceId, true);
    await tx.delete(productSources).where(eq(productSources.id, row.id));
    await recordAudit(tx, actor, {
      action: 'source.delete',
      entityType: 'source',
      entityId: row.id,
      before: { productId: ids.productId, ...auditView(row) },
    });
    await notifyCatalogChange(tx, ids.productId);
    return row;
  });
  // After the commit: a failed file delete leaves an unreferenced file, never a source without its file.
  if (ownsFile(removed)) await releaseFile(ctx, removed);
}

/**
 * The stored files a product's sources own. Deleting a product cascades to its sources, so the
 * caller should read these first and delete them from storage after the product delete commits.
 */
export async function ownedFileKeys(db: DbOrTx, productId: string): Promise<string[]> {
  const rows = await db
    .select({ id: productSources.id, productId: productSources.productId, provider: productSources.provider, sourceUrl: productSources.sourceUrl })
    .from(productSources)
    .where(eq(productSources.productId, productId));
  return rows.filter(ownsFile).map((row) => row.sourceUrl);
}

/**
 * The source a download uses: the one asked for, which must be one of the product's active sources, else the
 * primary (or, without an active primary, the first active one by name). Null when there is none.
 */
export async function pickActiveSource(db: DbOrTx, productId: string, sourceId?: string | null): Promise<SourceRow | null> {
  const rows = await db
    .select()
    .from(productSources)
    .where(and(
      eq(productSources.productId, productId),
      eq(productSources.isActive, true),
      ...(sourceId ? [eq(productSources.id, sourceId)] : []),
    ))
    .orderBy(...primaryFirst)
    .limit(1);
  return rows[0] ?? null;
}

/** A source by id with everything delivery needs (URL, token, metadata): for the downloads module only. */
export async function sourceForDelivery(db: DbOrTx, sourceId: string): Promise<SourceRow | null> {
  const [row] = await db.select().from(productSources).where(eq(productSources.id, sourceId));
  return row ?? null;
}

/** Active sources of many products in their public shape, primary first, keyed by product id. */
export async function activeSourcesOf(db: DbOrTx, productIds: string[]) {
  const byProduct = new Map<string, ReturnType<typeof presentSource>[]>();
  if (productIds.length === 0) return byProduct;
  const rows = await db
    .select()
    .from(productSources)
    .where(and(inArray(productSources.productId, [...new Set(productIds)]), eq(productSources.isActive, true)))
    .orderBy(...primaryFirst);
  for (const row of rows) {
    const list = byProduct.get(row.productId) ?? [];
    list.push(presentSource(row));
    byProduct.set(row.productId, list);
  }
  return byProduct;
}
