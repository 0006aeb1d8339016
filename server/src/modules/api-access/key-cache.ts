import type { BlockList } from 'node:net';
import type { ApiKeyEnvironment, BillingCycle } from '@mintreu/contracts';
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { plans, products } from '../catalog/tables.js';
import { licenses } from '../licensing/tables.js';
import { compileIpRules } from './keys.js';
import { apiEndpoints, apiKeys } from './tables.js';

export interface CompiledEndpoint {
  id: string;
  method: string;
  path: string;
  pattern: RegExp;
  weight: number;
  planIds: string[];
  /** "GET /users/{id}": how usage names it. */
  label: string;
}

/** Everything the gateway reads about one key, held in memory between changes. */
export interface CachedKey {
  id: string;
  userId: string | null;
  prefix: string;
  name: string;
  environment: ApiKeyEnvironment;
  state: string;
  expiresAt: Date | null;
  allowedDomains: string[];
  ipRules: BlockList | null;
  license: { id: string; state: string; expiresAt: Date | null; maxUsage: number | null; usageCount: number; createdAt: Date };
  product: { id: string; slug: string; title: string; upstream: string | null };
  plan: { id: string; slug: string; name: string; billingCycle: BillingCycle; perMinute: number | null; perDay: number | null; perMonth: number | null } | null;
  /** The product's active endpoints, most specific first. */
  endpoints: CompiledEndpoint[];
  /**
   * The product defines endpoints (active or switched off): only the active ones are let through. A product that
   * defines none lets every path through; switching its last endpoint off must not do the same.
   */
  restricted: boolean;
}

interface Entry { key: CachedKey | null; storedAt: number }

/**
 * Keys by hash, so the gateway reads no database for a known key. Every change to a key is committed with a NOTIFY
 * on API_KEY_CHANNEL, every licence change with one on LICENSE_CHANNEL and every catalogue change (plans, endpoints,
 * the upstream) with one on CATALOG_CHANNEL; each instance drops what it heard of, so a revoke takes effect
 * everywhere within a second. Unknown hashes are remembered briefly (forgotten when a key is created). A lost LISTEN
 * connection clears everything; the TTL bounds a missed notification.
 */
export class KeyCache {
  private entries = new Map<string, Entry>();
  private pending = new Map<string, Promise<CachedKey | null>>();
  private epoch = 0;

  constructor(private readonly db: DbOrTx, private readonly options: { ttlMs: number; negativeTtlMs: number; maxEntries: number }) {}

  get(hash: string, now = Date.now()): CachedKey | null | Promise<CachedKey | null> {
    const entry = this.entries.get(hash);
    if (entry && now - entry.storedAt < (entry.key ? this.options.ttlMs : this.options.negativeTtlMs)) return entry.key;
    const inFlight = this.pending.get(hash);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const load = loadKey(this.db, hash)
      .then((key) => {
        if (epoch === this.epoch) this.store(hash, key, now);
        return key;
      })
      .finally(() => this.pending.delete(hash));
    this.pending.set(hash, load);
    return load;
  }

  /** A key changed: drop it (by id). */
  invalidateKey(keyId: string): void {
    this.dropWhere((key) => key.id === keyId);
  }

  /** A licence changed: drop its keys. */
  invalidateLicense(licenseId: string): void {
    this.dropWhere((key) => key.license.id === licenseId);
  }

  forgetUnknown(): void {
    this.epoch++;
    for (const [hash, entry] of this.entries) if (!entry.key) this.entries.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  private dropWhere(test: (key: CachedKey) => boolean) {
    this.epoch++;
    for (const [hash, entry] of this.entries) if (entry.key && test(entry.key)) this.entries.delete(hash);
  }

  private store(hash: string, key: CachedKey | null, now: number) {
    if (this.entries.size >= this.options.maxEntries) {
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const name of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(name);
      }
    }
    this.entries.set(hash, { key, storedAt: now });
  }
}

/** `/users/{id}` → ^/users/[^/]+$ ; a trailing `*` matches the rest. */
export function compileEndpoint(row: { id: string; method: string; path: string; weight: number; planIds: string[] }): CompiledEndpoint {
  const escaped = row.path
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return {
    id: row.id, method: row.method, path: row.path, weight: row.weight, planIds: row.planIds,
    pattern: new RegExp(`^${escaped}$`), label: `${row.method} ${row.path}`,
  };
}

/** The first active endpoint matching the method and path (null: none; `undefined` endpoints list: no rules). */
export function matchEndpoint(endpoints: CompiledEndpoint[], method: string, path: string): CompiledEndpoint | null {
  for (const endpoint of endpoints) {
    if ((endpoint.method === 'ANY' || endpoint.method === method || (method === 'HEAD' && endpoint.method === 'GET')) && endpoint.pattern.test(path)) return endpoint;
  }
  return null;
}

/** One key with its licence, product, plan and endpoints: two queries, only on a cache miss. */
export async function loadKey(db: DbOrTx, hash: string): Promise<CachedKey | null> {
  const [row] = await db
    .select({
      key: apiKeys,
      license: { id: licenses.id, state: licenses.state, expiresAt: licenses.expiresAt, maxUsage: licenses.maxUsage, usageCount: licenses.usageCount, createdAt: licenses.createdAt, planId: licenses.planId },
      product: { id: products.id, slug: products.slug, title: products.title, apiConfig: products.apiConfig },
    })
    .from(apiKeys)
    .innerJoin(licenses, eq(licenses.id, apiKeys.licenseId))
    .innerJoin(products, eq(products.id, apiKeys.productId))
    .where(eq(apiKeys.keyHash, hash));
  if (!row) return null;
  const planId = row.license.planId ?? row.key.planId;
  const [plan] = planId ? await db.select().from(plans).where(eq(plans.id, planId)) : [];
  const defined = await db.select().from(apiEndpoints)
    .where(eq(apiEndpoints.productId, row.product.id))
    .orderBy(asc(apiEndpoints.path), asc(apiEndpoints.method));
  const endpoints = defined.filter((endpoint) => endpoint.isActive);
  const upstream = typeof row.product.apiConfig.baseUrl === 'string' ? row.product.apiConfig.baseUrl : null;
  const { planId: _planId, ...license } = row.license;
  return {
    id: row.key.id,
    userId: row.key.userId,
    prefix: row.key.prefix,
    name: row.key.name,
    environment: row.key.environment as ApiKeyEnvironment,
    state: row.key.state,
    expiresAt: row.key.expiresAt,
    allowedDomains: row.key.allowedDomains,
    ipRules: compileIpRules(row.key.allowedIps),
    license,
    product: { id: row.product.id, slug: row.product.slug, title: row.product.title, upstream },
    plan: plan
      ? { id: plan.id, slug: plan.slug, name: plan.name, billingCycle: plan.billingCycle as BillingCycle, perMinute: plan.requestsPerMinute, perDay: plan.requestsPerDay, perMonth: plan.requestsPerMonth }
      : null,
    // Most specific first: literal paths before patterns, patterns before catch-alls.
    endpoints: endpoints.map(compileEndpoint).sort((a, b) => specificity(b.path) - specificity(a.path)),
    restricted: defined.length > 0,
  };
}

const specificity = (path: string) => path.split('/').reduce((score, s) => score + (s === '*' ? 0 : s.startsWith('{') ? 1 : 2), 0);
