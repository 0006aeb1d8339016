import { createLocalJWKSet, decodeJwt, importJWK, jwtVerify } from 'jose';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { mailbox } from '../mail/tables.js';
import { isDevelopmentDomain, normaliseDomain } from './domains.js';
import { issueLicense } from './service.js';
import { licenseActivations, licenses } from './tables.js';

type Result = {
  valid?: boolean; activated?: boolean; deactivated?: boolean; code: string; detail: string;
  license: null | { id: string; status: string; usageCount: number; maxUsage: number | null; productSlug: string };
  instance: null | { id: string; name: string; fingerprint: string | null; domain: string | null };
  lease?: string; leaseExpiresAt?: string;
};

describe('public licence API: validate, activate, deactivate', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let buyer: Awaited<ReturnType<typeof signUp>>;
  let product: { id: string; slug: string };
  let otherProduct: { id: string; slug: string };

  const issue = async (input: Partial<Parameters<typeof issueLicense>[2]> = {}) =>
    issueLicense(t.app.db, t.app.licenseKeys, {
      userId: buyer.userId, email: buyer.email, productId: product.id, type: 'commercial_team', ...input,
    }, systemActor);
  const post = (app: TestApp['app'], path: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/licenses/${path}`, payload: payload as object, headers, remoteAddress: headers['x-test-ip'] ?? '10.0.0.1' });
  const call = async (path: 'validate' | 'activate' | 'deactivate', payload: unknown, app = t.app): Promise<Result> => {
    const response = await post(app, path, payload);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const setSwitch = (engaged: boolean) => t.app.inject({
    method: 'PUT', url: '/api/admin/kill-switches/licensing', headers: admin.headers, payload: { engaged, reason: 'licence tests' },
  });

  beforeAll(async () => {
    t = await createTestApp({ env: { LICENSE_RATE_LIMIT_PER_IP: '100000', LICENSE_RATE_LIMIT_PER_KEY: '100000' } });
    admin = await asAdmin(t.app);
    buyer = await signUp(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Desktop App', type: 'downloadable', price: 99900 });
    otherProduct = await createProduct(t.app, admin.headers, { title: 'Other App', type: 'downloadable', price: 99900 });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('validates a known key and answers every field of the contract', async () => {
    const { id, key } = await issue();
    const result = await call('validate', { key });
    expect(result).toMatchObject({
      valid: true, code: 'VALID', instance: null,
      license: { id, status: 'active', type: 'commercial_team', productSlug: product.slug, usageCount: 0, maxUsage: 5, expiresAt: null },
    });
    expect(result.lease).toBeTypeOf('string');
    // Keys are accepted however people type them.
    expect((await call('validate', { key: key.toLowerCase().replaceAll('-', ' ') })).code).toBe('VALID');
  });

  it('answers NOT_FOUND and PRODUCT_MISMATCH alike, with nothing about the licence', async () => {
    const { key } = await issue();
    const unknown = await call('validate', { key: 'ABCD-EFGH-JKMN-PQRS' });
    const mismatch = await call('validate', { key, productSlug: otherProduct.slug });
    expect(unknown).toEqual({ valid: false, code: 'NOT_FOUND', detail: expect.any(String), license: null, instance: null });
    expect(mismatch).toEqual({ valid: false, code: 'PRODUCT_MISMATCH', detail: expect.any(String), license: null, instance: null });
    expect((await call('validate', { key, productSlug: product.slug })).code).toBe('VALID');
  });

  it('derives DISABLED, EXPIRED and REVOKED in the documented order', async () => {
    const expired = await issue({ expiresAt: new Date(Date.now() - 1000) });
    expect((await call('validate', { key: expired.key })).code).toBe('EXPIRED');

    const suspended = await issue({ expiresAt: new Date(Date.now() - 1000) });
    await t.app.inject({ method: 'PATCH', url: `/api/admin/licenses/${suspended.id}`, headers: admin.headers, payload: { state: 'disabled', reason: 'chargeback review' } });
    // Disabled wins over expired.
    expect((await call('validate', { key: suspended.key })).code).toBe('DISABLED');

    const revoked = await issue();
    const response = await t.app.inject({ method: 'POST', url: `/api/admin/licenses/${revoked.id}/revoke`, headers: admin.headers, payload: { reason: 'refund' } });
    expect(response.statusCode).toBe(200);
    const result = await call('validate', { key: revoked.key });
    expect(result).toMatchObject({ valid: false, code: 'REVOKED', license: { status: 'revoked' } });
    expect(result.lease).toBeUndefined();
  });

  it('activates once per machine: the same fingerprint again is the same instance and no second seat', async () => {
    const { id, key } = await issue();
    const first = await call('activate', { key, name: 'Build server', fingerprint: 'machine-1' });
    expect(first).toMatchObject({ activated: true, code: 'VALID', instance: { name: 'Build server', fingerprint: 'machine-1' }, license: { usageCount: 1 } });
    const again = await call('activate', { key, name: 'Renamed', fingerprint: 'machine-1' });
    expect(again.instance!.id).toBe(first.instance!.id);
    expect(again.license!.usageCount).toBe(1);
    // A domain is one activation however it is written.
    const site = await call('activate', { key, name: 'Shop', domain: 'https://Shop.Example.com:8443/admin' });
    const siteAgain = await call('activate', { key, name: 'Shop', domain: 'shop.example.com.' });
    expect(site.instance!.domain).toBe('shop.example.com');
    expect(siteAgain.instance!.id).toBe(site.instance!.id);
    const [row] = await t.app.db.select().from(licenses).where(eq(licenses.id, id));
    expect(row!.usageCount).toBe(2);
    expect(row!.firstUsedAt).not.toBeNull();
  });

  it('validates an activation by id, fingerprint or domain, and says NOT_ACTIVATED for another machine', async () => {
    const { key } = await issue();
    const activated = await call('activate', { key, name: 'Laptop', fingerprint: 'laptop-fp' });
    const instanceId = activated.instance!.id;
    expect(await call('validate', { key, instanceId })).toMatchObject({ valid: true, instance: { id: instanceId } });
    expect(await call('validate', { key, fingerprint: 'laptop-fp' })).toMatchObject({ valid: true, instance: { id: instanceId } });
    expect(await call('validate', { key, fingerprint: 'desktop-fp' })).toMatchObject({ valid: false, code: 'NOT_ACTIVATED', instance: null });
    // An instance id copied to another machine does not validate there.
    expect((await call('validate', { key, instanceId, fingerprint: 'desktop-fp' })).code).toBe('NOT_ACTIVATED');
    expect((await call('validate', { key, instanceId: 'act_doesnotexist' })).code).toBe('NOT_ACTIVATED');
  });

  it('refuses a seat past maxUsage with ACTIVATION_LIMIT, while activated machines keep validating', async () => {
    const { key } = await issue({ type: 'commercial_single' });
    const one = await call('activate', { key, name: 'One', fingerprint: 'one' });
    expect(one.license).toMatchObject({ usageCount: 1, maxUsage: 1, status: 'usage_limit' });
    expect(await call('activate', { key, name: 'Two', fingerprint: 'two' })).toMatchObject({ activated: false, code: 'ACTIVATION_LIMIT', instance: null });
    expect((await call('validate', { key, fingerprint: 'one' })).code).toBe('VALID');
  });

  it('never uses a seat for development domains, which validate without activation', async () => {
    for (const host of ['localhost', '127.0.0.1', 'myshop.test', 'box.local', 'app.localhost', 'LOCALHOST:3000']) {
      expect(isDevelopmentDomain(normaliseDomain(host)!), host).toBe(true);
    }
    for (const host of ['example.com', 'localhost.example.com', 'test.com', 'mylocal']) {
      expect(isDevelopmentDomain(normaliseDomain(host)!), host).toBe(false);
    }
    const { key } = await issue({ type: 'commercial_single' });
    const dev = await call('activate', { key, name: 'Dev', domain: 'http://localhost:3000' });
    expect(dev).toMatchObject({ activated: true, license: { usageCount: 0 }, instance: { domain: 'localhost' } });
    expect((await call('activate', { key, name: 'Staging', domain: 'staging.test' })).license!.usageCount).toBe(0);
    expect((await call('validate', { key, domain: 'feature-branch.localhost' })).code).toBe('VALID');
    // The one real seat is still free.
    expect((await call('activate', { key, name: 'Live', domain: 'shop.example.com' })).license!.usageCount).toBe(1);
    expect((await call('validate', { key, domain: 'other.example.com' })).code).toBe('NOT_ACTIVATED');
  });

  it('gives exactly maxUsage seats to 50 concurrent activations of different machines', async () => {
    const { id, key } = await issue({ type: 'commercial_team' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call('activate', { key, name: `m${i}`, fingerprint: `race-${i}` })));
    expect(results.filter((r) => r.activated)).toHaveLength(5);
    expect(results.filter((r) => r.code === 'ACTIVATION_LIMIT')).toHaveLength(45);
    const [row] = await t.app.db.select().from(licenses).where(eq(licenses.id, id));
    const live = await t.app.db.select().from(licenseActivations).where(and(eq(licenseActivations.licenseId, id), isNull(licenseActivations.releasedAt)));
    expect(row!.usageCount).toBe(5);
    expect(live).toHaveLength(5);
  });

  it('keeps the seat count equal to the live activations through an activate/deactivate storm', async () => {
    const { id, key } = await issue({ type: 'commercial_team' });
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => call('activate', { key, name: `s${i}`, fingerprint: `storm-${i}` })));
    const ids = first.map((r) => r.instance!.id);
    // Every instance deactivated twice at once, while new machines try to take the freed seats.
    await Promise.all([
      ...ids.flatMap((instanceId) => [call('deactivate', { key, instanceId }), call('deactivate', { key, instanceId })]),
      ...Array.from({ length: 20 }, (_, i) => call('activate', { key, name: `n${i}`, fingerprint: `storm-new-${i}` })),
    ]);
    const [row] = await t.app.db.select().from(licenses).where(eq(licenses.id, id));
    const live = await t.app.db.select().from(licenseActivations).where(and(eq(licenseActivations.licenseId, id), isNull(licenseActivations.releasedAt)));
    expect(row!.usageCount).toBe(live.filter((a) => a.usesSeat).length);
    expect(row!.usageCount).toBeLessThanOrEqual(5);
  });

  it('deactivates an instance once: its seat is free again, and a second time says NOT_ACTIVATED', async () => {
    const { id, key } = await issue({ type: 'commercial_single' });
    const activated = await call('activate', { key, name: 'Old PC', fingerprint: 'old-pc' });
    const done = await call('deactivate', { key, instanceId: activated.instance!.id });
    expect(done).toMatchObject({ deactivated: true, code: 'VALID', license: { usageCount: 0 }, instance: { id: activated.instance!.id } });
    expect(await call('deactivate', { key, instanceId: activated.instance!.id })).toMatchObject({ deactivated: false, code: 'NOT_ACTIVATED' });
    expect((await call('validate', { key, instanceId: activated.instance!.id })).code).toBe('NOT_ACTIVATED');
    expect((await call('activate', { key, name: 'New PC', fingerprint: 'new-pc' })).activated).toBe(true);
    const events = await t.app.db.select().from(auditEvents).where(eq(auditEvents.entityId, id)).orderBy(desc(auditEvents.seq));
    expect(events.map((e) => e.action)).toEqual(['license.activate', 'license.deactivate', 'license.activate', 'license.issue']);
    // The audit trail names the machine, never the key.
    for (const event of events) expect(JSON.stringify(event)).not.toContain(key);
  });

  it('signs leases that verify with the published key and fail when tampered with', async () => {
    const { id, key } = await issue({ type: 'commercial_team', expiresAt: new Date(Date.now() + 3 * 24 * 3600 * 1000) });
    const activated = await call('activate', { key, name: 'Verified', fingerprint: 'lease-fp' });
    const response = await t.app.inject({ method: 'GET', url: '/api/licenses/public-key' });
    expect(response.statusCode).toBe(200);
    const jwks = response.json() as { kid: string; kty: string; crv: string; x: string; keys: { kid: string }[] };
    expect(jwks).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);

    // The top-level JWK verifies on its own, and the set verifies by kid.
    const { payload, protectedHeader } = await jwtVerify(activated.lease!, await importJWK(jwks, 'EdDSA'), { issuer: t.env.PUBLIC_URL });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwks.kid });
    expect(payload).toMatchObject({
      sub: id, lid: id, product: product.slug, type: 'commercial_team', instance: activated.instance!.id, fingerprint: 'lease-fp',
      entitlements: expect.arrayContaining(['type:commercial_team', 'commercial']),
    });
    // Seven days by default, but never past the licence's own expiry (three days here).
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3 * 24 * 3600);
    expect(payload.exp! - payload.iat!).toBeGreaterThan(3 * 24 * 3600 - 60);
    await jwtVerify(activated.lease!, createLocalJWKSet(jwks as never));

    // Change one claim and keep the signature: it no longer verifies.
    const [header, body, signature] = activated.lease!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(activated.lease!), type: 'commercial_enterprise' })).toString('base64url');
    await expect(jwtVerify(`${header}.${forged}.${signature}`, await importJWK(jwks, 'EdDSA'))).rejects.toThrow();
    expect(body).not.toBe(forged);
  });

  it('rotates the signing key and keeps leases signed with the old one verifiable', async () => {
    const { key } = await issue();
    const before = await call('validate', { key });
    const oldKid = (await t.app.inject({ method: 'GET', url: '/api/licenses/public-key' })).json().kid as string;
    const rotated = await t.app.inject({ method: 'POST', url: '/api/admin/licenses/lease-keys/rotate', headers: admin.headers, payload: { reason: 'yearly rotation' } });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(await eventually(async () => (await t.app.inject({ method: 'GET', url: '/api/licenses/public-key' })).json().kid !== oldKid)).toBe(true);
    const jwks = (await t.app.inject({ method: 'GET', url: '/api/licenses/public-key' })).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(oldKid);
    await jwtVerify(before.lease!, createLocalJWKSet(jwks));
    const after = await call('validate', { key, fingerprint: undefined });
    const { protectedHeader } = await jwtVerify(after.lease!, createLocalJWKSet(jwks));
    expect(protectedHeader.kid).toBe(jwks.kid);
  });

  it('pauses activations, but not validation, while the licensing kill switch is engaged', async () => {
    const { key } = await issue();
    await call('activate', { key, name: 'Before', fingerprint: 'before-pause' });
    expect((await setSwitch(true)).statusCode).toBe(200);
    try {
      expect(await call('activate', { key, name: 'During', fingerprint: 'during-pause' })).toMatchObject({ activated: false, code: 'LICENSING_PAUSED' });
      expect((await call('validate', { key, fingerprint: 'before-pause' })).code).toBe('VALID');
    } finally {
      await setSwitch(false);
    }
    expect((await call('activate', { key, name: 'After', fingerprint: 'during-pause' })).activated).toBe(true);
  });

  it('stops a revoked licence validating on another instance as soon as it hears the change', async () => {
    const second = await createTestApp({ url: t.database.url, env: { LICENSE_RATE_LIMIT_PER_IP: '100000' } });
    try {
      const { id, key } = await issue();
      // Both instances have the licence cached as valid.
      expect((await call('validate', { key })).code).toBe('VALID');
      expect((await call('validate', { key }, second.app)).code).toBe('VALID');
      await t.app.inject({ method: 'POST', url: `/api/admin/licenses/${id}/revoke`, headers: admin.headers, payload: { reason: 'fraud' } });
      expect((await call('validate', { key })).code).toBe('REVOKED');
      // The other instance hears the NOTIFY committed with the revocation (well within a second; generous bound here).
      expect(await eventually(async () => (await call('validate', { key }, second.app)).code === 'REVOKED', 5000)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('refuses malformed requests with 400 and odd but well-formed ones with NOT_FOUND, never 500', async () => {
    const bad = [
      {},
      { key: '' },
      { key: 'x'.repeat(10_000) },
      { key: 'ABCD-EFGH-JKMN-PQRS', fingerprint: 'f'.repeat(5000) },
      { key: 'ABCD-EFGH-JKMN-PQRS', domain: 'not a domain!' },
      { key: 'ABCD-EFGH-JKMN-PQRS', domain: 'a'.repeat(300) },
      { key: 42 },
    ];
    for (const payload of bad) {
      const response = await post(t.app, 'validate', payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    const odd = ["' OR 1=1 --", 'ABCD-EFGH-JKMN-PQR0', '🔑🔑🔑🔑-🔑🔑🔑🔑', 'abcd', "ABCD'; DROP TABLE licenses; --"];
    for (const key of odd) expect((await call('validate', { key })).code, key).toBe('NOT_FOUND');
    // Unicode domains are host names too.
    const { key } = await issue();
    expect((await call('activate', { key, name: 'Bücher', domain: 'bücher.de' })).instance!.domain).toBe('xn--bcher-kva.de');
    expect((await post(t.app, 'activate', { key, name: 'No binding' })).statusCode).toBe(400);
    expect((await post(t.app, 'deactivate', { key })).statusCode).toBe(400);
    // Garbage that is not JSON at all.
    const garbage = await t.app.inject({ method: 'POST', url: '/api/licenses/validate', payload: '{"key":', headers: { 'content-type': 'application/json' } });
    expect(garbage.statusCode).toBe(400);
  });

  it('accepts form-encoded bodies from scripts', async () => {
    const { key } = await issue();
    const response = await t.app.inject({
      method: 'POST', url: '/api/licenses/activate',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ key, name: 'Shell script', fingerprint: 'sh-1' }).toString(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ activated: true, instance: { name: 'Shell script' } });
  });

  it('records validations in batches: last seen per activation and an hourly history', async () => {
    const { id, key } = await issue();
    const activated = await call('activate', { key, name: 'Counted', fingerprint: 'counted' });
    for (let i = 0; i < 7; i++) await call('validate', { key, fingerprint: 'counted' });
    await call('validate', { key, fingerprint: 'not-here' });
    await t.app.licensing.validations.flush();
    const [activation] = await t.app.db.select().from(licenseActivations).where(eq(licenseActivations.id, activated.instance!.id));
    expect(activation!.lastValidatedAt).not.toBeNull();
    const detail = (await t.app.inject({ method: 'GET', url: `/api/admin/licenses/${id}`, headers: admin.headers })).json();
    expect(detail.validations).toEqual(expect.arrayContaining([
      expect.objectContaining({ activationId: activated.instance!.id, code: 'VALID', count: 7, ip: '10.0.0.1' }),
      expect.objectContaining({ activationId: null, code: 'NOT_ACTIVATED', count: 1 }),
    ]));
  });
});

describe('licence rate limits', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    t = await createTestApp({ env: { LICENSE_RATE_LIMIT_PER_IP: '5', LICENSE_RATE_LIMIT_PER_KEY: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  const validate = (key: string, ip: string) =>
    t.app.inject({ method: 'POST', url: '/api/licenses/validate', payload: { key }, remoteAddress: ip });

  it('limits each key, known or not, across addresses, with Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await validate('ZZZZ-ZZZZ-ZZZZ-ZZZZ', `10.1.0.${i}`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await validate('zzzz zzzz zzzz zzzz', '10.1.0.9');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });

  it('limits each address whatever keys it tries', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await validate(`AAAA-BBBB-CCCC-DDD${'EFGHJK'[i]}`, '10.2.0.1')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await validate('AAAA-BBBB-CCCC-2222', '10.2.0.2')).statusCode).toBe(200);
  });
});

describe('self-service seats', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let stranger: Awaited<ReturnType<typeof signUp>>;
  let product: { id: string; slug: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { LICENSE_SELF_RELEASES: '2', LICENSE_RATE_LIMIT_PER_KEY: '100000' } });
    admin = await asAdmin(t.app);
    owner = await signUp(t.app);
    stranger = await signUp(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Seats App', type: 'downloadable', price: 1000 });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  const grant = async () => {
    const response = await t.app.inject({
      method: 'POST', url: '/api/admin/licenses', headers: admin.headers,
      payload: { productId: product.id, email: owner.email, type: 'commercial_team', reason: 'support case 42', notify: false },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { key: string; license: { id: string } };
  };
  const activate = async (key: string, fingerprint: string) =>
    (await t.app.inject({ method: 'POST', url: '/api/licenses/activate', payload: { key, name: fingerprint, fingerprint } })).json() as Result;
  const release = (licenseId: string, activationId: string, headers = owner.headers) =>
    t.app.inject({ method: 'POST', url: `/api/licenses/${licenseId}/activations/${activationId}/release`, headers });

  it('shows the owner their activations and lets them free seats, up to the budget of the window', async () => {
    const { key, license } = await grant();
    const machines = await Promise.all(['a', 'b', 'c'].map((fp) => activate(key, fp)));
    const detail = (await t.app.inject({ method: 'GET', url: `/api/licenses/${license.id}`, headers: owner.headers })).json();
    expect(detail.activations.map((a: { fingerprint: string }) => a.fingerprint).sort()).toEqual(['a', 'b', 'c']);
    expect(detail.usageCount).toBe(3);
    expect(detail.releases).toEqual({ limit: 2, remaining: 2, windowHours: 24, nextAt: null });

    // Someone else's licence is not found, and an anonymous caller is not let in.
    expect((await release(license.id, machines[0]!.instance!.id, stranger.headers)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/api/licenses/${license.id}/activations/${machines[0]!.instance!.id}/release` })).statusCode).toBe(401);

    const first = await release(license.id, machines[0]!.instance!.id);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ usageCount: 2, releases: { remaining: 1 } });
    expect((await release(license.id, machines[0]!.instance!.id)).statusCode).toBe(404);
    expect((await release(license.id, machines[1]!.instance!.id)).json().releases).toMatchObject({ remaining: 0, nextAt: expect.any(String) });
    const refused = await release(license.id, machines[2]!.instance!.id);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.details.nextAt).toEqual(expect.any(String));
    // The released machine no longer validates; the seat was given back.
    expect((await t.app.inject({ method: 'POST', url: '/api/licenses/validate', payload: { key, fingerprint: 'a' } })).json().code).toBe('NOT_ACTIVATED');
    const events = await t.app.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, license.id), eq(auditEvents.action, 'license.release')));
    expect(events).toHaveLength(2);
    expect(events[0]!.actorId).toBe(owner.userId);
  });

  it('counts the budget under the licence lock: racing releases cannot overspend it', async () => {
    const { key, license } = await grant();
    const machines = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((fp) => activate(key, fp)));
    const answers = await Promise.all(machines.map((m) => release(license.id, m.instance!.id)));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(2);
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(2);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/licenses/${license.id}`, headers: owner.headers })).json();
    expect(detail.usageCount).toBe(2);
    expect(detail.activations).toHaveLength(2);
  });

  it('releases every seat after the owner confirms the emailed link, once', async () => {
    const { key, license } = await grant();
    await Promise.all(['x', 'y'].map((fp) => activate(key, fp)));
    const asked = await t.app.inject({ method: 'POST', url: `/api/licenses/${license.id}/activations/release-all`, headers: owner.headers });
    expect(asked.statusCode).toBe(202);
    expect(asked.json().sentTo).toMatch(/^.\*\*\*@example\.com$/);
    // Asking again at once sends no second email.
    const again = await t.app.inject({ method: 'POST', url: `/api/licenses/${license.id}/activations/release-all`, headers: owner.headers });
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
    const [mail] = await t.app.db.select().from(mailbox).where(eq(mailbox.to, owner.email)).orderBy(desc(mailbox.createdAt)).limit(1);
    const token = /releaseAll=([\w-]+)/.exec(mail!.text)![1]!;
    expect(mail!.text).not.toContain(key);

    const confirm = (body: object, headers = owner.headers) =>
      t.app.inject({ method: 'POST', url: `/api/licenses/${license.id}/activations/release-all/confirm`, headers, payload: body });
    expect((await confirm({ token }, stranger.headers)).statusCode).toBe(404);
    expect((await confirm({ token: 'x'.repeat(43) })).statusCode).toBe(410);
    const done = await confirm({ token });
    expect(done.statusCode).toBe(200);
    // A confirmed release-all spends nothing of the single-release budget.
    expect(done.json()).toMatchObject({ usageCount: 0, activations: [], releases: { remaining: 2 } });
    expect((await confirm({ token })).statusCode).toBe(410);
  });

  it('lets an admin find, suspend, reinstate, resize, reset and release, each audited', async () => {
    const { key, license } = await grant();
    const machine = await activate(key, 'admin-m');
    const hint = key.slice(-4);
    for (const search of [key, key.toLowerCase().replaceAll('-', ''), hint, owner.email, license.id, 'seats app']) {
      const list = (await t.app.inject({ method: 'GET', url: `/api/admin/licenses?search=${encodeURIComponent(search)}`, headers: admin.headers })).json();
      expect(list.data.map((l: { id: string }) => l.id), search).toContain(license.id);
    }
    const byStatus = (await t.app.inject({ method: 'GET', url: '/api/admin/licenses?status=disabled', headers: admin.headers })).json();
    expect(byStatus.data.map((l: { id: string }) => l.id)).not.toContain(license.id);
    // Customers cannot reach any of it.
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/licenses', headers: owner.headers })).statusCode).toBe(403);

    const patch = (payload: object) => t.app.inject({ method: 'PATCH', url: `/api/admin/licenses/${license.id}`, headers: admin.headers, payload });
    expect((await patch({ state: 'disabled', reason: 'payment dispute' })).json().status).toBe('disabled');
    expect((await t.app.inject({ method: 'POST', url: '/api/licenses/validate', payload: { key } })).json().code).toBe('DISABLED');
    expect((await patch({ state: 'active', reason: 'dispute won' })).json().status).toBe('active');
    expect((await patch({ maxUsage: 10, expiresAt: '2030-01-01T00:00:00Z', reason: 'upgrade' })).json()).toMatchObject({ maxUsage: 10, expiresAt: '2030-01-01T00:00:00.000Z' });
    expect((await patch({ maxUsage: -1, reason: 'oops' })).statusCode).toBe(400);
    expect((await patch({ reason: 'nothing' })).statusCode).toBe(400);
    const reset = (await patch({ resetUsage: true, reason: 'new office' })).json();
    expect(reset.usageCount).toBe(0);
    expect(reset.activations[0]).toMatchObject({ id: machine.instance!.id, releasedBy: 'reset' });

    const again = await activate(key, 'admin-m2');
    const released = await t.app.inject({
      method: 'POST', url: `/api/admin/licenses/${license.id}/activations/${again.instance!.id}/release`, headers: admin.headers, payload: { reason: 'customer asked by phone' },
    });
    expect(released.json().usageCount).toBe(0);
    const actions = (await t.app.db.select().from(auditEvents).where(eq(auditEvents.entityId, license.id))).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining([
      'license.grant', 'license.suspend', 'license.reinstate', 'license.update', 'license.reset_usage', 'license.release',
    ]));
  });

  it('refuses to grant while licensing is paused, and grants to an email with no account yet', async () => {
    await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/licensing', headers: admin.headers, payload: { engaged: true, reason: 'test' } });
    const paused = await t.app.inject({
      method: 'POST', url: '/api/admin/licenses', headers: admin.headers,
      payload: { productId: product.id, email: 'someone@example.com', type: 'commercial_single', reason: 'promo' },
    });
    expect(paused.statusCode).toBe(503);
    await t.app.inject({ method: 'PUT', url: '/api/admin/kill-switches/licensing', headers: admin.headers, payload: { engaged: false, reason: 'test' } });
    const granted = await t.app.inject({
      method: 'POST', url: '/api/admin/licenses', headers: admin.headers,
      payload: { productId: product.id, email: 'Someone@Example.com', type: 'commercial_single', reason: 'promo' },
    });
    expect(granted.statusCode).toBe(201);
    expect(granted.json().license).toMatchObject({ user: null, email: 'someone@example.com', maxUsage: 1 });
    const [mail] = await t.app.db.select().from(mailbox).where(eq(mailbox.to, 'someone@example.com'));
    expect(mail!.text).toContain(granted.json().key);
  });

  it('attaches a licence granted to an email once its owner signs up and verifies that address', async () => {
    const email = `later-${Date.now()}@example.com`;
    const granted = await t.app.inject({
      method: 'POST', url: '/api/admin/licenses', headers: admin.headers,
      payload: { productId: product.id, email, type: 'commercial_single', reason: 'conference giveaway', notify: false },
    });
    expect(granted.statusCode).toBe(201);
    const newcomer = await signUp(t.app, { email });
    const mine = async () => (await t.app.inject({ method: 'GET', url: '/api/licenses', headers: newcomer.headers })).json().data.map((l: { id: string }) => l.id);
    // Signing up with an address proves nothing yet.
    expect(await mine()).toEqual([]);
    // The verification email leaves in the background.
    const mailTo = () => t.app.db.select().from(mailbox).where(eq(mailbox.to, email)).orderBy(desc(mailbox.createdAt)).limit(1);
    expect(await eventually(async () => (await mailTo()).length > 0, 5000)).toBe(true);
    const [mail] = await mailTo();
    const link = new URL(/https?:\/\/\S+verify-email\S+/.exec(mail!.text)![0]);
    expect((await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })).statusCode).toBeLessThan(400);
    expect(await mine()).toEqual([granted.json().license.id]);
  });
});
