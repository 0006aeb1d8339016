import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { normaliseLicenseKey } from './keys.js';
import {
  getOwnLicense, issueLicense, licensesByIds, licenseStatus, listOwnLicenses, presentLicense, revokeLicensesOfOrder,
} from './service.js';
import { licenses } from './tables.js';

const dayMs = 24 * 60 * 60 * 1000;

describe('licences', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let buyer: Awaited<ReturnType<typeof signUp>>;
  let other: Awaited<ReturnType<typeof signUp>>;
  let product: { id: string; slug: string };

  const issue = (input: Partial<Parameters<typeof issueLicense>[2]> = {}) =>
    issueLicense(t.app.db, t.app.licenseKeys, {
      userId: buyer.userId, email: buyer.email, productId: product.id, type: 'commercial_single', ...input,
    }, systemActor);
  const rowOf = async (id: string) => (await t.app.db.select().from(licenses).where(eq(licenses.id, id)))[0]!;
  const auditOf = (action: string, entityId: string) =>
    t.app.db.select().from(auditEvents).where(and(eq(auditEvents.action, action), eq(auditEvents.entityId, entityId)));
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await asAdmin(t.app);
    buyer = await signUp(t.app);
    other = await signUp(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Vue Dashboard', type: 'downloadable', price: 49900 });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('issues a licence whose plain key is nowhere in the database', async () => {
    const { id, key } = await issue();
    expect(id).toMatch(/^lic_/);
    expect(key).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    const row = await rowOf(id);
    const bare = normaliseLicenseKey(key);
    for (const [column, value] of Object.entries(row)) {
      const text = JSON.stringify(value) ?? '';
      expect(text, column).not.toContain(key);
      expect(text, column).not.toContain(bare);
      expect(text.toLowerCase(), column).not.toContain(bare.toLowerCase());
    }
    expect(row.keyHash).toBe(t.app.licenseKeys.hash(key));
    expect(row.keyHint).toBe(key.slice(-4));
    expect(t.app.licenseKeys.open(row.keyEncrypted)).toBe(key);
    // A user-typed key (lower case, no dashes) finds the row by its hash.
    const [found] = await t.app.db.select({ id: licenses.id }).from(licenses)
      .where(eq(licenses.keyHash, t.app.licenseKeys.hash(bare.toLowerCase())));
    expect(found?.id).toBe(id);
  });

  it('writes license.issue without the key', async () => {
    const { id, key } = await issue({ orderId: 'ord_test1', orderItemId: 'oit_test1' });
    const [event] = await auditOf('license.issue', id);
    expect(event).toBeDefined();
    expect(event!.after).toMatchObject({ id, keyHint: key.slice(-4), type: 'commercial_single', productId: product.id, orderId: 'ord_test1' });
    const text = JSON.stringify(event);
    expect(text).not.toContain(key);
    expect(text).not.toContain(normaliseLicenseKey(key));
    expect(text).not.toContain((await rowOf(id)).keyHash);
  });

  it('applies the type terms: demo expires in 30 days, commercial_team has 5 seats, free_attribution a credit line', async () => {
    const before = Date.now();
    const demo = await rowOf((await issue({ type: 'demo' })).id);
    expect(demo.maxUsage).toBeNull();
    expect(demo.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 30 * dayMs - 1000);
    expect(demo.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * dayMs + 1000);

    const team = await rowOf((await issue({ type: 'commercial_team' })).id);
    expect(team.maxUsage).toBe(5);
    expect(team.expiresAt).toBeNull();
    expect((await rowOf((await issue({ type: 'free_single_use' })).id)).maxUsage).toBe(1);
    expect((await rowOf((await issue({ type: 'commercial_enterprise' })).id)).maxUsage).toBeNull();

    const credit = await issue({ type: 'free_attribution' });
    const creditRow = await rowOf(credit.id);
    expect(creditRow.meta).toEqual({ attributionText: 'Made with Vue Dashboard by Mintreu' });
    const presented = await getOwnLicense(t.app.db, t.app.licenseKeys, buyer.userId, credit.id);
    expect(presented.attribution).toEqual({ required: true, text: 'Made with Vue Dashboard by Mintreu' });
    const custom = await issue({ type: 'free_attribution', attributionText: 'Powered by Acme' });
    expect((await rowOf(custom.id)).meta).toEqual({ attributionText: 'Powered by Acme' });
    expect((await getOwnLicense(t.app.db, t.app.licenseKeys, buyer.userId, (await issue()).id)).attribution)
      .toEqual({ required: false, text: null });
  });

  it('takes explicit limits over the terms, null meaning none', async () => {
    const at = new Date(Date.now() + 7 * dayMs);
    const row = await rowOf((await issue({ type: 'commercial_team', maxUsage: 12, expiresAt: at })).id);
    expect(row.maxUsage).toBe(12);
    expect(row.expiresAt!.getTime()).toBe(at.getTime());
    const open = await rowOf((await issue({ type: 'demo', expiresAt: null, maxUsage: null })).id);
    expect(open.expiresAt).toBeNull();
    expect(open.maxUsage).toBeNull();
  });

  it('refuses an unknown product, a plan of another product and an owner-less licence, leaving nothing behind', async () => {
    const count = async () => (await t.app.db.select({ id: licenses.id }).from(licenses)).length;
    const start = await count();
    await expect(issue({ productId: 'prd_missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(issue({ planId: 'pln_missing' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(issue({ userId: null, email: null })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(issue({ maxUsage: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await count()).toBe(start);
  });

  it("works inside the caller's transaction: rolled back with it", async () => {
    let issuedId = '';
    await expect(t.app.db.transaction(async (tx) => {
      issuedId = (await issueLicense(tx, t.app.licenseKeys, { userId: buyer.userId, email: null, productId: product.id, type: 'demo' }, systemActor)).id;
      expect((await tx.select().from(licenses).where(eq(licenses.id, issuedId))).length).toBe(1);
      throw new Error('fulfilment failed later');
    })).rejects.toThrow('fulfilment failed later');
    expect(await t.app.db.select().from(licenses).where(eq(licenses.id, issuedId))).toEqual([]);
    expect(await auditOf('license.issue', issuedId)).toEqual([]);
  });

  it('derives the status: revoked, disabled, expired, usage_limit, active', () => {
    const now = new Date();
    const past = new Date(now.getTime() - 1000);
    const future = new Date(now.getTime() + dayMs);
    const base = { state: 'active', expiresAt: null, maxUsage: null, usageCount: 0 };
    expect(licenseStatus(base, now)).toBe('active');
    expect(licenseStatus({ ...base, expiresAt: future, maxUsage: 3, usageCount: 2 }, now)).toBe('active');
    expect(licenseStatus({ ...base, expiresAt: past }, now)).toBe('expired');
    expect(licenseStatus({ ...base, maxUsage: 3, usageCount: 3 }, now)).toBe('usage_limit');
    expect(licenseStatus({ ...base, maxUsage: 0, usageCount: 0 }, now)).toBe('usage_limit');
    expect(licenseStatus({ ...base, expiresAt: past, maxUsage: 1, usageCount: 1 }, now)).toBe('expired');
    expect(licenseStatus({ ...base, state: 'disabled', expiresAt: past }, now)).toBe('disabled');
    expect(licenseStatus({ ...base, state: 'revoked', expiresAt: past }, now)).toBe('revoked');
    expect(licenseStatus({ ...base, state: 'revoked' }, now)).toBe('revoked');
  });

  it('shows the derived status of stored licences', async () => {
    const expired = await issue({ expiresAt: new Date(Date.now() - 1000) });
    const full = await issue({ type: 'commercial_team' });
    await t.app.db.update(licenses).set({ usageCount: 5 }).where(eq(licenses.id, full.id));
    const disabled = await issue();
    await t.app.db.update(licenses).set({ state: 'disabled' }).where(eq(licenses.id, disabled.id));
    const status = async (id: string) => (await getOwnLicense(t.app.db, t.app.licenseKeys, buyer.userId, id)).status;
    expect(await status(expired.id)).toBe('expired');
    expect(await status(full.id)).toBe('usage_limit');
    expect(await status(disabled.id)).toBe('disabled');
    expect(await status((await issue()).id)).toBe('active');
  });

  it("revokes an order's licences once, with one audit event each", async () => {
    const orderId = 'ord_revoke_me';
    const a = await issue({ orderId });
    const b = await issue({ orderId, type: 'commercial_team' });
    const untouched = await issue({ orderId: 'ord_other' });
    await t.app.db.update(licenses).set({ state: 'disabled' }).where(eq(licenses.id, b.id));

    const revoked = await t.app.db.transaction((tx) => revokeLicensesOfOrder(tx, orderId, 'refunded', systemActor));
    expect(revoked.sort()).toEqual([a.id, b.id].sort());
    for (const id of [a.id, b.id]) {
      const row = await rowOf(id);
      expect(row.state).toBe('revoked');
      expect(row.revokedAt).toBeInstanceOf(Date);
      expect(row.revokeReason).toBe('refunded');
      const events = await auditOf('license.revoke', id);
      expect(events).toHaveLength(1);
      expect(events[0]!.reason).toBe('refunded');
    }
    expect((await rowOf(b.id)).state).toBe('revoked');
    expect((await auditOf('license.revoke', b.id))[0]!.before).toEqual({ state: 'disabled' });
    expect((await rowOf(untouched.id)).state).toBe('active');
    expect((await getOwnLicense(t.app.db, t.app.licenseKeys, buyer.userId, a.id)).status).toBe('revoked');

    // A replayed refund changes nothing and records nothing.
    const firstRevokedAt = (await rowOf(a.id)).revokedAt;
    expect(await revokeLicensesOfOrder(t.app.db, orderId, 'refunded again', systemActor)).toEqual([]);
    expect((await rowOf(a.id)).revokedAt).toEqual(firstRevokedAt);
    expect(await auditOf('license.revoke', a.id)).toHaveLength(1);
    expect(await revokeLicensesOfOrder(t.app.db, 'ord_nothing', 'refunded', systemActor)).toEqual([]);
  });

  it('revokes once under concurrent refunds', async () => {
    const orderId = 'ord_concurrent';
    const ids = [(await issue({ orderId })).id, (await issue({ orderId })).id];
    const results = await Promise.all(Array.from({ length: 5 }, () => revokeLicensesOfOrder(t.app.db, orderId, 'dispute', systemActor)));
    expect(results.flat().sort()).toEqual(ids.sort());
    for (const id of ids) expect(await auditOf('license.revoke', id)).toHaveLength(1);
  });

  it('summarises licences by id without their keys', async () => {
    const { id, key } = await issue({ type: 'demo', orderId: 'ord_summary' });
    const byId = await licensesByIds(t.app.db, [id, id, 'lic_missing']);
    expect([...byId.keys()]).toEqual([id]);
    const summary = byId.get(id)!;
    expect(summary).toMatchObject({ id, keyHint: key.slice(-4), type: 'demo', status: 'active', orderId: 'ord_summary' });
    expect(JSON.stringify(summary)).not.toContain(normaliseLicenseKey(key).slice(0, 12));
    expect(await licensesByIds(t.app.db, [])).toEqual(new Map());
  });

  describe('GET /api/licenses', () => {
    let mine: { id: string; key: string }[];
    let owner: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      owner = await signUp(t.app);
      mine = [];
      for (const type of ['demo', 'commercial_team', 'free_attribution'] as const) {
        mine.push(await issueLicense(t.app.db, t.app.licenseKeys, { userId: owner.userId, email: owner.email, productId: product.id, type }, systemActor));
      }
    });

    it('lists my licences, newest first, in the contract shape, with page meta', async () => {
      const response = await get('/api/licenses', owner.headers);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body.meta).toEqual({ page: 1, perPage: 20, total: 3 });
      expect(body.data.map((l: { id: string }) => l.id)).toEqual(mine.map((l) => l.id).reverse());
      const [attribution] = body.data;
      expect(attribution).toEqual({
        id: mine[2]!.id, key: mine[2]!.key, productId: product.id, productSlug: product.slug, productTitle: 'Vue Dashboard',
        type: 'free_attribution', status: 'active', usageCount: 0, maxUsage: null, expiresAt: null, activations: [],
        attribution: { required: true, text: 'Made with Vue Dashboard by Mintreu' }, orderId: null, planId: null,
        createdAt: expect.any(String), releases: { limit: 3, remaining: 3, windowHours: 24, nextAt: null },
      });
      expect(new Date(body.data[2].expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * dayMs);
      expect(body.data[1].maxUsage).toBe(5);
    });

    it('pages', async () => {
      const page2 = (await get('/api/licenses?page=2&perPage=2', owner.headers)).json();
      expect(page2.meta).toEqual({ page: 2, perPage: 2, total: 3 });
      expect(page2.data.map((l: { id: string }) => l.id)).toEqual([mine[0]!.id]);
      const beyond = (await get('/api/licenses?page=9&perPage=2', owner.headers)).json();
      expect(beyond).toEqual({ data: [], meta: { page: 9, perPage: 2, total: 3 } });
      expect((await get('/api/licenses?perPage=1000', owner.headers)).statusCode).toBe(400);
    });

    it("gets one of mine; someone else's or a missing one is 404, never 403", async () => {
      const one = await get(`/api/licenses/${mine[1]!.id}`, owner.headers);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ id: mine[1]!.id, key: mine[1]!.key, type: 'commercial_team', maxUsage: 5 });
      const theirs = await get(`/api/licenses/${mine[1]!.id}`, other.headers);
      expect(theirs.statusCode).toBe(404);
      expect(theirs.json().error.code).toBe('NOT_FOUND');
      expect((await get('/api/licenses/lic_nope', owner.headers)).json().error.message)
        .toBe(theirs.json().error.message);
      const list = (await get('/api/licenses', other.headers)).json();
      expect(list.data.map((l: { id: string }) => l.id)).not.toContain(mine[1]!.id);
    });

    it('asks anonymous callers to sign in', async () => {
      expect((await get('/api/licenses')).statusCode).toBe(401);
      expect((await get(`/api/licenses/${mine[0]!.id}`)).json().error.code).toBe('UNAUTHENTICATED');
    });

    it('are documented in the OpenAPI document', async () => {
      const doc = (await get('/api/openapi.json')).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/licenses', '/api/licenses/{id}', '/api/api-keys']));
      expect(doc.paths['/api/licenses/{id}'].get.tags).toEqual(['licenses']);
    });

    it('presents through the service the same way', async () => {
      const [row] = await t.app.db.select().from(licenses).where(eq(licenses.id, mine[0]!.id));
      const viaRoute = (await get(`/api/licenses/${mine[0]!.id}`, owner.headers)).json();
      expect(presentLicense(row!, { id: product.id, slug: product.slug, title: 'Vue Dashboard' }, t.app.licenseKeys)).toEqual(viaRoute);
      const listed = await listOwnLicenses(t.app.db, t.app.licenseKeys, owner.userId, { page: 1, perPage: 1 });
      expect(listed.meta.total).toBe(3);
    });
  });
});
