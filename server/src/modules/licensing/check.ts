import { timingSafeEqual } from 'node:crypto';
import type {
  ActivateLicenseBody, DeactivateLicenseBody, LicenseCheckCode, LicenseCheckInstance, LicenseCheckLicense,
  LicenseCheckResult, ValidateLicenseBody,
} from '@mintreu/contracts';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, withDeferredAudit } from '../../lib/audit.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { CachedActivation, CachedLicense } from './cache.js';
import type { Licensing } from './context.js';
import { isDevelopmentDomain, normaliseDomain } from './domains.js';
import { notifyLicenseChange } from './events.js';
import { looksLikeLicenseKey } from './keys.js';
import { licenseStatus } from './service.js';
import { licenseActivations, licenses } from './tables.js';

/**
 * The public licence API that installed software calls: validate, activate, deactivate. Every outcome is data
 * (`{valid, code, …}`, always 200); only a malformed request is an error. An unknown key and a key of another
 * product take the same path and give the same answer but for the code.
 */

const details: Record<LicenseCheckCode, string> = {
  VALID: 'The licence is valid.',
  NOT_FOUND: 'No licence has this key.',
  DISABLED: 'The licence is suspended. Contact the seller.',
  REVOKED: 'The licence has been revoked.',
  EXPIRED: 'The licence has expired.',
  ACTIVATION_LIMIT: 'Every seat of this licence is in use. Release one from your dashboard or deactivate another machine.',
  NOT_ACTIVATED: 'The licence is not activated on this machine or site.',
  PRODUCT_MISMATCH: 'The licence is for another product.',
  LICENSING_PAUSED: 'Activations are paused by the seller for a moment. Validation still works; try again later.',
};

const stateCodes: Partial<Record<ReturnType<typeof licenseStatus>, LicenseCheckCode>> = {
  revoked: 'REVOKED',
  disabled: 'DISABLED',
  expired: 'EXPIRED',
};

type Verb = 'valid' | 'activated' | 'deactivated';

function outcome(verb: Verb, ok: boolean, code: LicenseCheckCode, license: CachedLicense | null, instance: CachedActivation | null): LicenseCheckResult {
  return { [verb]: ok, code, detail: details[code], license: license && licenseView(license), instance: instance && instanceView(instance) };
}

function licenseView(license: CachedLicense): LicenseCheckLicense {
  return {
    id: license.id,
    status: licenseStatus(license),
    type: license.type,
    productSlug: license.productSlug,
    usageCount: license.usageCount,
    maxUsage: license.maxUsage,
    expiresAt: license.expiresAt?.toISOString() ?? null,
  };
}

function instanceView(activation: CachedActivation): LicenseCheckInstance {
  return {
    id: activation.id,
    name: activation.name,
    fingerprint: activation.fingerprint,
    domain: activation.domain,
    createdAt: activation.createdAt.toISOString(),
  };
}

/** A domain in the body, canonical; a value that is no host name is a malformed request. */
function domainOf(input: string | undefined): string | null {
  if (input === undefined) return null;
  const host = normaliseDomain(input);
  if (!host) {
    throw new AppError('VALIDATION_FAILED', 'The domain is not a valid host name', {
      details: [{ path: 'body.domain', message: 'Send a host name such as shop.example.com' }],
    });
  }
  return host;
}

const identityOf = (fingerprint: string | null, domain: string | null) => (fingerprint ? `fp:${fingerprint}` : `domain:${domain}`);

/**
 * The licence a key names, or the code saying why there is none. The look-up is by keyed hash (an HMAC the
 * caller cannot compute), and the hash found is compared in constant time before it is trusted.
 */
type Resolved = { license: CachedLicense } | { code: 'NOT_FOUND' | 'PRODUCT_MISMATCH' };

/**
 * The licence a key names, for this product. Synchronous when the cache holds the key (the hot path: no promise,
 * no microtask); a promise when it must be loaded.
 */
export function resolveKey(l: Licensing, key: string, productSlug: string | undefined): Resolved | Promise<Resolved> {
  if (!looksLikeLicenseKey(key)) return { code: 'NOT_FOUND' };
  const hash = l.keys.hash(key);
  const cached = l.cache.peek(hash);
  if (cached !== undefined) return matchKey(cached, hash, productSlug);
  return l.cache.get(hash).then((license) => matchKey(license, hash, productSlug));
}

function matchKey(license: CachedLicense | null, hash: string, productSlug: string | undefined): Resolved {
  if (!license || !timingSafeEqual(Buffer.from(license.keyHash), Buffer.from(hash))) return { code: 'NOT_FOUND' };
  if (productSlug !== undefined && productSlug !== license.productSlug) return { code: 'PRODUCT_MISMATCH' };
  return { license };
}

/** The live activation a request points at: by id, else by fingerprint, else by domain. */
function findActivation(license: CachedLicense, instanceId: string | undefined, fingerprint: string | null, domain: string | null) {
  let found: CachedActivation | undefined;
  if (instanceId) found = license.byId.get(instanceId);
  else if (fingerprint) found = license.byIdentity.get(identityOf(fingerprint, null));
  else if (domain) found = [...license.byId.values()].find((a) => a.domain === domain);
  if (!found) return undefined;
  // Everything sent must agree with the activation: an id copied to another machine is not that machine.
  if (fingerprint && found.fingerprint && found.fingerprint !== fingerprint) return undefined;
  if (domain && found.domain && found.domain !== domain) return undefined;
  return found;
}

/** How long a signed lease (and a VALID answer carrying it) is reused for the same licence and instance. */
const reuseMs = (l: Licensing) => Math.min(60 * 60 * 1000, (l.leases.ttlSeconds * 1000) / 10);

function freshLease(l: Licensing, license: CachedLicense, activation: CachedActivation | null, now: number) {
  const lease = license.leases.get(activation?.id ?? '-');
  return lease && now - lease.signedAt <= reuseMs(l) && lease.expiresAt.getTime() > now ? lease : undefined;
}

/** Attaches a lease, reusing one signed recently for the same licence and instance. */
async function withLease(l: Licensing, result: LicenseCheckResult, license: CachedLicense, activation: CachedActivation | null) {
  const now = Date.now();
  let lease = freshLease(l, license, activation, now);
  if (!lease) {
    const signed = await l.leases.sign({
      lid: license.id,
      product: license.productSlug,
      type: license.type,
      instance: activation?.id ?? null,
      fingerprint: activation?.fingerprint ?? null,
      domain: activation?.domain ?? null,
      entitlements: license.entitlements,
      licenseExp: license.expiresAt ? Math.floor(license.expiresAt.getTime() / 1000) : null,
    }, now);
    lease = { ...signed, signedAt: now };
    license.leases.set(activation?.id ?? '-', lease);
  }
  result.lease = lease.token;
  result.leaseExpiresAt = lease.expiresAt.toISOString();
  return result;
}

/** Validation is synchronous for a cached key whose lease is fresh (almost every call); a promise otherwise. */
export function validateLicense(l: Licensing, body: ValidateLicenseBody, ip: string): LicenseCheckResult | Promise<LicenseCheckResult> {
  const resolved = resolveKey(l, body.key, body.productSlug);
  return resolved instanceof Promise ? resolved.then((r) => validateResolved(l, body, ip, r)) : validateResolved(l, body, ip, resolved);
}

function validateResolved(l: Licensing, body: ValidateLicenseBody, ip: string, resolved: Resolved): LicenseCheckResult | Promise<LicenseCheckResult> {
  const fingerprint = body.fingerprint ?? null;
  const domain = domainOf(body.domain);
  if (!('license' in resolved)) return outcome('valid', false, resolved.code, null, null);
  const { license } = resolved;

  const stateCode = stateCodes[licenseStatus(license)];
  if (stateCode) {
    l.validations.record(license.id, null, stateCode, ip);
    return outcome('valid', false, stateCode, license, null);
  }
  const scoped = body.instanceId !== undefined || fingerprint !== null || domain !== null;
  const activation = scoped ? findActivation(license, body.instanceId, fingerprint, domain) ?? null : null;
  // Development hosts need no activation: a developer tries the software before it takes a seat.
  const developing = !activation && body.instanceId === undefined && domain !== null && isDevelopmentDomain(domain);
  if (scoped && !activation && !developing) {
    l.validations.record(license.id, null, 'NOT_ACTIVATED', ip);
    return outcome('valid', false, 'NOT_ACTIVATED', license, null);
  }
  l.validations.record(license.id, activation?.id ?? null, 'VALID', ip);
  // Nothing in a VALID answer changes until the licence does (which drops it from the cache) or the lease is
  // re-signed: the same answer object is reused, and the route serialises it once (see routes.ts).
  const lease = freshLease(l, license, activation, Date.now());
  if (lease?.valid) return lease.valid;
  return withLease(l, outcome('valid', true, 'VALID', license, activation), license, activation).then((result) => {
    license.leases.get(activation?.id ?? '-')!.valid = result;
    return result;
  });
}

export async function activateLicense(l: Licensing, body: ActivateLicenseBody, actor: Actor): Promise<LicenseCheckResult> {
  const fingerprint = body.fingerprint ?? null;
  const domain = domainOf(body.domain);
  if (l.live.isEngaged('licensing')) return outcome('activated', false, 'LICENSING_PAUSED', null, null);
  const resolved = await resolveKey(l, body.key, body.productSlug);
  if (!('license' in resolved)) return outcome('activated', false, resolved.code, null, null);
  const cached = resolved.license;
  const stateCode = stateCodes[licenseStatus(cached)];
  if (stateCode) return outcome('activated', false, stateCode, cached, null);

  const identity = identityOf(fingerprint, domain);
  // Fast path: the same machine again, known to the cache, takes no lock and writes nothing.
  const known = cached.byIdentity.get(identity);
  if (known && (!domain || !known.domain || known.domain === domain)) {
    return withLease(l, outcome('activated', true, 'VALID', cached, known), cached, known);
  }

  // Development hosts never take a seat (upstream's rule): localhost, 127.0.0.1, *.test, *.local, *.localhost.
  const usesSeat = !(domain !== null && isDevelopmentDomain(domain));
  const result = await withDeferredAudit(l.db, async (tx) => {
    // The licence row lock orders concurrent activations: each sees the seat count the previous one left.
    const [row] = await tx.select().from(licenses).where(eq(licenses.id, cached.id)).for('update');
    if (!row) return { code: 'NOT_FOUND' as const };
    const lockedCode = stateCodes[licenseStatus(row)];
    if (lockedCode) return { code: lockedCode };
    const [existing] = await tx
      .select()
      .from(licenseActivations)
      .where(and(eq(licenseActivations.licenseId, row.id), eq(licenseActivations.identity, identity), isNull(licenseActivations.releasedAt)));
    if (existing) return { code: 'VALID' as const, activation: existing, created: false };
    if (usesSeat && row.maxUsage !== null && row.usageCount >= row.maxUsage) return { code: 'ACTIVATION_LIMIT' as const };

    const now = new Date();
    const [activation] = await tx
      .insert(licenseActivations)
      .values({ id: newId('activation'), licenseId: row.id, name: body.name, fingerprint, domain, identity, usesSeat, ip: actor.ip, createdAt: now })
      .returning();
    if (usesSeat) {
      await tx
        .update(licenses)
        .set({ usageCount: sql`${licenses.usageCount} + 1`, firstUsedAt: sql`coalesce(${licenses.firstUsedAt}, ${now})`, updatedAt: now })
        .where(eq(licenses.id, row.id));
    }
    await recordAudit(tx, actor, {
      action: 'license.activate',
      entityType: 'license',
      entityId: row.id,
      after: { activationId: activation!.id, name: body.name, fingerprint, domain, usesSeat, usageCount: row.usageCount + (usesSeat ? 1 : 0) },
    });
    await notifyLicenseChange(tx, row.id);
    return { code: 'VALID' as const, activation: activation!, created: true };
  });

  if (!('activation' in result) || !result.activation) {
    const latest = await l.cache.get(cached.keyHash);
    return outcome('activated', false, result.code, result.code === 'NOT_FOUND' ? null : latest, null);
  }
  if (result.created) l.cache.invalidate(cached.id);
  const fresh = (await l.cache.get(cached.keyHash)) ?? cached;
  const activation = fresh.byId.get(result.activation.id) ?? result.activation;
  return withLease(l, outcome('activated', true, 'VALID', fresh, activation), fresh, activation);
}

export async function deactivateLicense(l: Licensing, body: DeactivateLicenseBody, actor: Actor): Promise<LicenseCheckResult> {
  const resolved = await resolveKey(l, body.key, undefined);
  if (!('license' in resolved)) return outcome('deactivated', false, resolved.code, null, null);
  const cached = resolved.license;
  const released = await releaseActivation(l, cached.id, body.instanceId, 'software', actor);
  if (!released) return outcome('deactivated', false, 'NOT_ACTIVATED', cached, null);
  const fresh = (await l.cache.get(cached.keyHash)) ?? cached;
  return outcome('deactivated', true, stateCodes[licenseStatus(fresh)] ?? 'VALID', fresh, released);
}

export type ReleasedBy = 'owner' | 'owner_all' | 'admin' | 'software' | 'reset';

/**
 * Frees one live activation: marks it released and gives its seat back, under the licence row lock so the seat
 * count always equals the live activations that use a seat. Returns the activation, or null when it was not live
 * (already released, or not this licence's): releasing twice changes nothing.
 */
export async function releaseActivation(
  l: Licensing,
  licenseId: string,
  activationId: string,
  by: ReleasedBy,
  actor: Actor,
  options: { reason?: string; beforeRelease?: (tx: Tx, activation: { usesSeat: boolean }) => Promise<void> } = {},
): Promise<CachedActivation | null> {
  const { reason } = options;
  const released = await withDeferredAudit(l.db, async (tx) => {
    const [row] = await tx.select({ id: licenses.id, usageCount: licenses.usageCount }).from(licenses).where(eq(licenses.id, licenseId)).for('update');
    if (!row) return null;
    const live = and(eq(licenseActivations.id, activationId), eq(licenseActivations.licenseId, licenseId), isNull(licenseActivations.releasedAt));
    const [target] = await tx.select({ usesSeat: licenseActivations.usesSeat }).from(licenseActivations).where(live);
    if (!target) return null;
    // Under the licence lock, so concurrent releases see each other (the owner's budget is counted here).
    await options.beforeRelease?.(tx, target);
    const now = new Date();
    const [activation] = await tx
      .update(licenseActivations)
      .set({ releasedAt: now, releasedBy: by })
      .where(live)
      .returning();
    if (!activation) return null;
    if (activation.usesSeat) {
      await tx.update(licenses).set({ usageCount: sql`greatest(${licenses.usageCount} - 1, 0)`, updatedAt: now }).where(eq(licenses.id, licenseId));
    }
    await recordAudit(tx, actor, {
      action: by === 'software' ? 'license.deactivate' : 'license.release',
      entityType: 'license',
      entityId: licenseId,
      reason: reason ?? null,
      before: { activationId: activation.id, name: activation.name, fingerprint: activation.fingerprint, domain: activation.domain, usageCount: row.usageCount },
      after: { releasedBy: by, usageCount: activation.usesSeat ? Math.max(row.usageCount - 1, 0) : row.usageCount },
    });
    await notifyLicenseChange(tx, licenseId);
    return activation;
  });
  if (released) l.cache.invalidate(licenseId);
  return released;
}
