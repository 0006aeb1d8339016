import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { issueLicense, licenseIdsOfOrder, revokeLicensesOfOrder } from '../licensing/service.js';
import { apiKeyPattern, generateApiKey, hashApiKey } from './keys.js';
import { issueApiKey, listOwnApiKeys, revokeApiKeysOfLicenses } from './service.js';
import { apiKeys } from './tables.js';

describe('API key generation', () => {
  it('makes mk_live_/mk_test_ keys of 43 base-62 characters with an 8-character display prefix', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const live = generateApiKey('live');
      expect(live.key).toMatch(/^mk_live_[0-9A-Za-z]{43}$/);
      expect(live.key).toMatch(apiKeyPattern);
      expect(live.prefix).toBe(live.key.slice(0, 'mk_live_'.length + 8));
      expect(live.hash).toBe(createHash('sha256').update(live.key).digest('hex'));
      seen.add(live.key);
    }
    expect(seen.size).toBe(200);
    const test = generateApiKey('test');
    expect(test.key).toMatch(/^mk_test_[0-9A-Za-z]{43}$/);
    expect(test.prefix).toMatch(/^mk_test_[0-9A-Za-z]{8}$/);
    // 43 × log2(62) ≈ 256.03 bits of secret.
    expect(43 * Math.log2(62)).toBeGreaterThan(256);
    expect(hashApiKey(test.key)).toBe(test.hash);
  });
});

describe('API keys', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let buyer: Awaited<ReturnType<typeof signUp>>;
  let other: Awaited<ReturnType<typeof signUp>>;
  let product: { id: string; slug: string };
  let planId: string;

  const auditOf = (action: string, entityId: string) =>
    t.app.db.select().from(auditEvents).where(and(eq(auditEvents.action, action), eq(auditEvents.entityId, entityId)));
  const rowOf = async (id: string) => (await t.app.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]!;
  /** What fulfilment does for an API item: an api_subscription licence on the plan and one key, in one transaction. */
  const subscribe = (userId: string, orderId: string | null = null) =>
    t.app.db.transaction(async (tx) => {
      const license = await issueLicense(tx, t.app.licenseKeys, { userId, email: null, productId: product.id, planId, orderId, type: 'api_subscription' }, systemActor);
      const key = await issueApiKey(tx, { userId, licenseId: license.id, productId: product.id, planId, name: 'Default key', environment: 'live' }, systemActor);
      return { license, key };
    });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await asAdmin(t.app);
    buyer = await signUp(t.app);
    other = await signUp(t.app);
    product = await createProduct(t.app, admin.headers, { title: 'Weather API', type: 'api_service', price: 0, apiConfig: { baseUrl: 'https://upstream.test' } });
    const plan = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/plans`, headers: admin.headers, payload: { slug: 'starter', name: 'Starter', price: 99900, requestsPerDay: 1000 } });
    expect(plan.statusCode, plan.body).toBe(201);
    planId = plan.json().id;
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('stores the SHA-256 of the key and its prefix, never the key', async () => {
    const { license, key } = await subscribe(buyer.userId);
    expect(key.id).toMatch(/^key_/);
    expect(key.key).toMatch(/^mk_live_[0-9A-Za-z]{43}$/);
    expect(key.prefix).toBe(key.key.slice(0, 16));
    const row = await rowOf(key.id);
    expect(row.keyHash).toBe(createHash('sha256').update(key.key).digest('hex'));
    expect(row.prefix).toBe(key.prefix);
    expect(row).toMatchObject({ licenseId: license.id, productId: product.id, planId, userId: buyer.userId, environment: 'live', state: 'active' });
    const secret = key.key.slice('mk_live_'.length);
    for (const [column, value] of Object.entries(row)) {
      expect(JSON.stringify(value) ?? '', column).not.toContain(secret);
    }
  });

  it('writes api_key.create without the key or its hash', async () => {
    const { key } = await subscribe(buyer.userId);
    const [event] = await auditOf('api_key.create', key.id);
    expect(event!.after).toMatchObject({ id: key.id, prefix: key.prefix, environment: 'live', productId: product.id, planId });
    const text = JSON.stringify(event);
    expect(text).not.toContain(key.key.slice(8));
    expect(text).not.toContain((await rowOf(key.id)).keyHash);
  });

  it('makes test keys and refuses a bad environment or name', async () => {
    const { license } = await subscribe(buyer.userId);
    const test = await issueApiKey(t.app.db, { userId: buyer.userId, licenseId: license.id, productId: product.id, planId, name: 'CI', environment: 'test' }, systemActor);
    expect(test.key).toMatch(/^mk_test_/);
    expect((await rowOf(test.id)).environment).toBe('test');
    await expect(issueApiKey(t.app.db, { userId: buyer.userId, licenseId: license.id, productId: product.id, planId, name: 'x', environment: 'prod' as 'live' }, systemActor))
      .rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(issueApiKey(t.app.db, { userId: buyer.userId, licenseId: license.id, productId: product.id, planId, name: '  ', environment: 'live' }, systemActor))
      .rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const long = await issueApiKey(t.app.db, { userId: buyer.userId, licenseId: license.id, productId: product.id, planId, name: `${'T'.repeat(200)} — Starter`, environment: 'live' }, systemActor);
    expect((await rowOf(long.id)).name).toBe('T'.repeat(200));
  });

  it('rolls back with the fulfilment transaction', async () => {
    let keyId = '';
    await expect(t.app.db.transaction(async (tx) => {
      const license = await issueLicense(tx, t.app.licenseKeys, { userId: buyer.userId, email: null, productId: product.id, planId, type: 'api_subscription' }, systemActor);
      keyId = (await issueApiKey(tx, { userId: buyer.userId, licenseId: license.id, productId: product.id, planId, name: 'k', environment: 'live' }, systemActor)).id;
      throw new Error('later step failed');
    })).rejects.toThrow('later step failed');
    expect(await t.app.db.select().from(apiKeys).where(eq(apiKeys.id, keyId))).toEqual([]);
    expect(await auditOf('api_key.create', keyId)).toEqual([]);
  });

  it("revokes a refunded order's keys once, audited", async () => {
    const orderId = 'ord_api_refund';
    const first = await subscribe(buyer.userId, orderId);
    const second = await subscribe(buyer.userId, orderId);
    const kept = await subscribe(buyer.userId);

    const revoked = await t.app.db.transaction(async (tx) => {
      const licenseIds = await revokeLicensesOfOrder(tx, orderId, 'refunded', systemActor);
      expect((await licenseIdsOfOrder(tx, orderId)).sort()).toEqual([...licenseIds].sort());
      return revokeApiKeysOfLicenses(tx, await licenseIdsOfOrder(tx, orderId), 'refunded', systemActor);
    });
    expect(revoked.sort()).toEqual([first.key.id, second.key.id].sort());
    for (const id of revoked) {
      const row = await rowOf(id);
      expect(row).toMatchObject({ state: 'revoked', revokeReason: 'refunded' });
      expect(row.revokedAt).toBeInstanceOf(Date);
      const events = await auditOf('api_key.revoke', id);
      expect(events).toHaveLength(1);
      expect(events[0]!.reason).toBe('refunded');
    }
    expect((await rowOf(kept.key.id)).state).toBe('active');

    expect(await revokeApiKeysOfLicenses(t.app.db, [first.license.id, second.license.id], 'again', systemActor)).toEqual([]);
    expect(await auditOf('api_key.revoke', first.key.id)).toHaveLength(1);
    expect(await revokeApiKeysOfLicenses(t.app.db, [], 'nothing', systemActor)).toEqual([]);
  });

  describe('GET /api/api-keys', () => {
    let owner: Awaited<ReturnType<typeof signUp>>;
    let keys: Awaited<ReturnType<typeof subscribe>>[];
    beforeAll(async () => {
      owner = await signUp(t.app);
      keys = [await subscribe(owner.userId, 'ord_list_1'), await subscribe(owner.userId, 'ord_list_2')];
      await revokeApiKeysOfLicenses(t.app.db, [keys[0]!.license.id], 'refunded', systemActor);
    });

    it('lists my keys, newest first, by prefix only', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: owner.headers });
      expect(response.statusCode, response.body).toBe(200);
      const { data } = response.json();
      expect(data).toHaveLength(2);
      expect(data[0]).toEqual({
        id: keys[1]!.key.id, name: 'Default key', environment: 'live', prefix: keys[1]!.key.prefix, licenseId: keys[1]!.license.id,
        productId: product.id, planId, allowedDomains: [], allowedIps: [], status: 'active', expiresAt: null, lastUsedAt: null, createdAt: expect.any(String),
      });
      expect(data[1]).toMatchObject({ id: keys[0]!.key.id, status: 'revoked' });
      const text = response.body;
      for (const { key } of keys) {
        expect(text).not.toContain(key.key);
        expect(text).not.toContain((await rowOf(key.id)).keyHash);
      }
      expect(await listOwnApiKeys(t.app.db, owner.userId)).toEqual(data);
    });

    it("shows nobody else's keys and asks anonymous callers to sign in", async () => {
      const theirs = (await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: other.headers })).json();
      expect(theirs).toEqual({ data: [] });
      const anonymous = await t.app.inject({ method: 'GET', url: '/api/api-keys' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    });

    it('shows a rotated key past its grace period as expired', async () => {
      await t.app.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, keys[1]!.key.id));
      const [first] = await listOwnApiKeys(t.app.db, owner.userId);
      expect(first).toMatchObject({ id: keys[1]!.key.id, status: 'expired' });
    });
  });
});
