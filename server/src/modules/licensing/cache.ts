import { licenseTypeTerms, type LicenseCheckResult, type LicenseType } from '@mintreu/contracts';
import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { plans, products } from '../catalog/tables.js';
import { licenseActivations, licenses } from './tables.js';

/** A live activation as validation needs it. */
export interface CachedActivation {
  id: string;
  name: string;
  fingerprint: string | null;
  domain: string | null;
  identity: string;
  usesSeat: boolean;
  createdAt: Date;
}

/** Everything validation reads about one licence, held in memory between changes. */
export interface CachedLicense {
  id: string;
  keyHash: string;
  productId: string;
  productSlug: string;
  type: LicenseType;
  state: string;
  usageCount: number;
  maxUsage: number | null;
  expiresAt: Date | null;
  entitlements: string[];
  byIdentity: Map<string, CachedActivation>;
  byId: Map<string, CachedActivation>;
  /** Signed leases, reused while fresh: signing on every validation would cost more than the rest of it. */
  leases: Map<string, { token: string; expiresAt: Date; signedAt: number; valid?: LicenseCheckResult }>;
}

interface Entry {
  license: CachedLicense | null;
  storedAt: number;
}

/**
 * Licences by key hash, so validating a known key reads no database. Every change to a licence or its
 * activations is committed together with a NOTIFY (`LICENSE_CHANNEL`, see events.ts); each instance drops that
 * licence on hearing it, so a revoke or suspend takes effect everywhere within a second. Unknown keys are
 * remembered too (briefly, and forgotten when any licence is issued), so guessing keys cannot hammer the database.
 * A lost LISTEN connection clears everything; the TTL is the last line of defence.
 */
export class LicenseCache {
  private entries = new Map<string, Entry>();
  private hashById = new Map<string, string>();
  private pending = new Map<string, Promise<CachedLicense | null>>();
  /** Bumped by every invalidation: a load that started before one does not store what it read. */
  private epoch = 0;

  constructor(
    private readonly db: DbOrTx,
    private readonly options: { ttlMs: number; negativeTtlMs: number; maxEntries: number },
  ) {}

  /** The cached licence (or null for a key known not to exist) while fresh; undefined when it must be loaded. */
  peek(keyHash: string, now = Date.now()): CachedLicense | null | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    return now - entry.storedAt < (entry.license ? this.options.ttlMs : this.options.negativeTtlMs) ? entry.license : undefined;
  }

  async get(keyHash: string, now = Date.now()): Promise<CachedLicense | null> {
    const entry = this.entries.get(keyHash);
    if (entry) {
      const ttl = entry.license ? this.options.ttlMs : this.options.negativeTtlMs;
      if (now - entry.storedAt < ttl) return entry.license;
    }
    const inFlight = this.pending.get(keyHash);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const load = loadLicense(this.db, keyHash)
      .then((license) => {
        if (epoch === this.epoch) this.store(keyHash, license, now);
        return license;
      })
      .finally(() => this.pending.delete(keyHash));
    this.pending.set(keyHash, load);
    return load;
  }

  /** Forget one licence (changed here or on another instance). */
  invalidate(licenseId: string): void {
    this.epoch++;
    const hash = this.hashById.get(licenseId);
    if (hash) {
      this.entries.delete(hash);
      this.hashById.delete(licenseId);
    }
  }

  /** A licence was issued: a key remembered as unknown may exist now. */
  forgetUnknown(): void {
    this.epoch++;
    for (const [hash, entry] of this.entries) if (!entry.license) this.entries.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.hashById.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(keyHash: string, license: CachedLicense | null, now: number) {
    if (this.entries.size >= this.options.maxEntries) {
      // Drop the oldest tenth: Map iteration is insertion order.
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const [hash, entry] of this.entries) {
        if (drop-- <= 0) break;
        this.entries.delete(hash);
        if (entry.license) this.hashById.delete(entry.license.id);
      }
    }
    this.entries.set(keyHash, { license, storedAt: now });
    if (license) this.hashById.set(license.id, keyHash);
  }
}

/** What a licence entitles its holder to, as leases carry it: the type's terms and the plan's features. */
export function entitlementsOf(type: LicenseType, planFeatures: string[] | null): string[] {
  const terms = licenseTypeTerms[type];
  const out = [`type:${type}`];
  if (terms?.commercial) out.push('commercial');
  if (terms?.requiresAttribution) out.push('attribution');
  for (const feature of planFeatures ?? []) out.push(`feature:${feature}`);
  return out;
}

/** One licence with its product slug, plan features and live activations: two queries, only on a cache miss. */
export async function loadLicense(db: DbOrTx, keyHash: string): Promise<CachedLicense | null> {
  const [row] = await db
    .select({
      id: licenses.id, keyHash: licenses.keyHash, productId: licenses.productId, type: licenses.type, state: licenses.state,
      usageCount: licenses.usageCount, maxUsage: licenses.maxUsage, expiresAt: licenses.expiresAt,
      productSlug: products.slug, planFeatures: plans.features,
    })
    .from(licenses)
    .innerJoin(products, eq(products.id, licenses.productId))
    .leftJoin(plans, eq(plans.id, licenses.planId))
    .where(eq(licenses.keyHash, keyHash));
  if (!row) return null;
  const activations = await db
    .select({
      id: licenseActivations.id, name: licenseActivations.name, fingerprint: licenseActivations.fingerprint,
      domain: licenseActivations.domain, identity: licenseActivations.identity, usesSeat: licenseActivations.usesSeat,
      createdAt: licenseActivations.createdAt,
    })
    .from(licenseActivations)
    .where(and(eq(licenseActivations.licenseId, row.id), isNull(licenseActivations.releasedAt)));
  const type = row.type as LicenseType;
  return {
    id: row.id,
    keyHash: row.keyHash,
    productId: row.productId,
    productSlug: row.productSlug,
    type,
    state: row.state,
    usageCount: row.usageCount,
    maxUsage: row.maxUsage,
    expiresAt: row.expiresAt,
    entitlements: entitlementsOf(type, row.planFeatures),
    byIdentity: new Map(activations.map((a) => [a.identity, a])),
    byId: new Map(activations.map((a) => [a.id, a])),
    leases: new Map(),
  };
}
