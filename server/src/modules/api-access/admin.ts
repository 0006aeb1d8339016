import type { ApiEndpoint, ApiEndpointBody, ServiceToken, UpdateApiEndpointBody } from '@mintreu/contracts';
import { and, asc, desc, eq, isNull, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { notifyCatalogChange } from '../catalog/events.js';
import { plans, products } from '../catalog/tables.js';
import { notifyServiceTokenRevoked } from './events.js';
import { generateServiceToken } from './keys.js';
import { apiEndpoints, apiServiceTokens } from './tables.js';

type EndpointRow = typeof apiEndpoints.$inferSelect;
const presentEndpoint = (row: EndpointRow): ApiEndpoint => ({
  id: row.id, productId: row.productId, method: row.method as ApiEndpoint['method'], path: row.path, name: row.name,
  weight: row.weight, planIds: row.planIds, isActive: row.isActive,
});

export async function listEndpoints(db: Db, productId: string): Promise<ApiEndpoint[]> {
  return (await db.select().from(apiEndpoints).where(eq(apiEndpoints.productId, productId)).orderBy(asc(apiEndpoints.path), asc(apiEndpoints.method))).map(presentEndpoint);
}

async function checkPlans(db: Db, productId: string, planIds: string[]) {
  if (planIds.length === 0) return;
  const own = await db.select({ id: plans.id }).from(plans).where(eq(plans.productId, productId));
  const bad = planIds.find((id) => !own.some((p) => p.id === id));
  if (bad) throw new AppError('VALIDATION_FAILED', `${bad} is not a plan of this product`, { details: [{ path: 'body.planIds', message: 'Unknown plan' }] });
}

/** Two writers racing to the same method and path: the unique index decides, and the loser gets a 409, not a 500. */
async function uniquely<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    if (code === '23505') throw conflict('Another endpoint of this product has this method and path', 'path');
    throw error;
  }
}

/** Endpoints are catalogue data: a change notifies CATALOG_CHANNEL, which also drops the gateway's cached keys. */
export async function createEndpoint(db: Db, productId: string, input: Required<ApiEndpointBody>, actor: Actor): Promise<ApiEndpoint> {
  const [product] = await db.select({ type: products.type }).from(products).where(eq(products.id, productId));
  if (!product) throw notFound('Product');
  if (product.type !== 'api_service' && product.type !== 'api_referral') throw new AppError('CONFLICT', 'Endpoints belong to API products');
  await checkPlans(db, productId, input.planIds);
  return uniquely(() => db.transaction(async (tx) => {
    const [clash] = await tx.select({ id: apiEndpoints.id }).from(apiEndpoints)
      .where(and(eq(apiEndpoints.productId, productId), eq(apiEndpoints.method, input.method), eq(apiEndpoints.path, input.path)));
    if (clash) throw conflict(`${input.method} ${input.path} already exists`, 'path');
    const [row] = await tx.insert(apiEndpoints).values({ id: newId('endpoint'), productId, ...input }).returning();
    await recordAudit(tx, actor, { action: 'api_endpoint.create', entityType: 'api_endpoint', entityId: row!.id, after: presentEndpoint(row!) });
    await notifyCatalogChange(tx, productId);
    return presentEndpoint(row!);
  }));
}

/** Changes only the fields given; a method and path another endpoint of the product has already is a 409. */
export async function updateEndpoint(db: Db, id: string, input: UpdateApiEndpointBody, actor: Actor): Promise<ApiEndpoint> {
  return uniquely(() => db.transaction(async (tx) => {
    const [current] = await tx.select().from(apiEndpoints).where(eq(apiEndpoints.id, id)).for('update');
    if (!current) throw notFound('Endpoint');
    if (input.planIds) await checkPlans(db, current.productId, input.planIds);
    const method = input.method ?? current.method;
    const path = input.path ?? current.path;
    if (method !== current.method || path !== current.path) {
      const [clash] = await tx.select({ id: apiEndpoints.id }).from(apiEndpoints)
        .where(and(eq(apiEndpoints.productId, current.productId), eq(apiEndpoints.method, method), eq(apiEndpoints.path, path), ne(apiEndpoints.id, id)));
      if (clash) throw conflict(`${method} ${path} already exists`, input.path !== undefined ? 'path' : 'method');
    }
    const change = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as UpdateApiEndpointBody;
    const [row] = await tx.update(apiEndpoints).set({ ...change, updatedAt: new Date() }).where(eq(apiEndpoints.id, id)).returning();
    await recordAudit(tx, actor, { action: 'api_endpoint.update', entityType: 'api_endpoint', entityId: id, before: presentEndpoint(current), after: presentEndpoint(row!) });
    await notifyCatalogChange(tx, current.productId);
    return presentEndpoint(row!);
  }));
}

export async function deleteEndpoint(db: Db, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(apiEndpoints).where(eq(apiEndpoints.id, id)).for('update');
    if (!current) throw notFound('Endpoint');
    await tx.delete(apiEndpoints).where(eq(apiEndpoints.id, id));
    await recordAudit(tx, actor, { action: 'api_endpoint.delete', entityType: 'api_endpoint', entityId: id, before: presentEndpoint(current) });
    await notifyCatalogChange(tx, current.productId);
  });
}

type TokenRow = typeof apiServiceTokens.$inferSelect;
const presentToken = (row: TokenRow): ServiceToken => ({
  id: row.id, name: row.name, prefix: row.prefix, productId: row.productId,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null, revokedAt: row.revokedAt?.toISOString() ?? null, createdAt: row.createdAt.toISOString(),
});

export async function listServiceTokens(db: Db): Promise<ServiceToken[]> {
  return (await db.select().from(apiServiceTokens).orderBy(desc(apiServiceTokens.createdAt))).map(presentToken);
}

/** A service token for `POST /api/keys/verify`, shown this once. */
export async function createServiceToken(db: Db, input: { name: string; productId?: string | null }, actor: Actor): Promise<ServiceToken & { token: string }> {
  const { token, hash, prefix } = generateServiceToken();
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(apiServiceTokens).values({ id: newId('serviceToken'), name: input.name, tokenHash: hash, prefix, productId: input.productId ?? null, createdBy: actor.user?.id ?? null }).returning();
    await recordAudit(tx, actor, { action: 'service_token.create', entityType: 'service_token', entityId: row!.id, after: { name: row!.name, prefix, productId: row!.productId } });
    return { ...presentToken(row!), token };
  });
}

export async function revokeServiceToken(db: Db, id: string, actor: Actor): Promise<ServiceToken> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(apiServiceTokens).set({ revokedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(apiServiceTokens.id, id), isNull(apiServiceTokens.revokedAt))).returning();
    if (!row) {
      const [existing] = await tx.select().from(apiServiceTokens).where(eq(apiServiceTokens.id, id));
      if (!existing) throw notFound('Service token');
      return presentToken(existing);
    }
    await recordAudit(tx, actor, { action: 'service_token.revoke', entityType: 'service_token', entityId: id });
    // Every instance (this one too) drops its cached copy when this commits.
    await notifyServiceTokenRevoked(tx, id);
    return presentToken(row);
  });
}
