import fs from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, uniqueEmail, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';
import { systemActor } from '../../lib/actor.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { attachLicensesToUser, issueLicense } from '../licensing/service.js';
import { mailbox } from '../mail/tables.js';
import { credentialHint } from './credentials.js';

// External API credentials of api_referral subscriptions: attached, replaced and removed by an admin, listed by
// label and hint, revealed to the licence's owner on demand; never a key or secret in a list, an answer to the
// admin, the audit log or the logs.
describe('external API credentials', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let referral: { id: string; slug: string };
  let service: { id: string; slug: string };
  let planId: string;
  const logged: string[] = [];
  const restore: (() => void)[] = [];
  const secretKey = 'pk_partner_ABCDEFGH12345678';
  const secretPart = 'sk_partner_very-secret-value';

  const issue = async (productId: string, owner: { userId?: string; email?: string }) =>
    issueLicense(t.app.db, t.app.licenseKeys, { userId: owner.userId ?? null, email: owner.email ?? null, productId, planId: productId === referral.id ? planId : null, type: 'api_subscription' }, systemActor);
  const attach = (body: Record<string, unknown>, headers = admin.headers) =>
    t.app.inject({ method: 'POST', url: '/api/admin/api-credentials', headers, payload: { label: 'Partner account', apiKey: secretKey, apiSecret: secretPart, ...body } });
  const auditOf = (id: string) => t.app.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));

  beforeAll(async () => {
    // Everything the app logs (at trace level, pino writing to fd 1 through sonic-boom), to check no secret reaches it.
    const capture = (original: typeof fs.writeSync | typeof fs.write) => function (this: unknown, fd: number, data: unknown, ...rest: unknown[]) {
      const text = String(data);
      // The app's log lines are kept here, not printed; anything else goes through.
      if ((fd === 1 || fd === 2) && text.startsWith('{"level"')) {
        logged.push(text);
        const done = rest.find((arg) => typeof arg === 'function') as ((error: null, written: number) => void) | undefined;
        if (done) process.nextTick(done, null, Buffer.byteLength(text));
        return Buffer.byteLength(text);
      }
      return (original as (...a: unknown[]) => unknown).call(this, fd, data, ...rest);
    };
    restore.push(((w) => () => { fs.writeSync = w; })(fs.writeSync), ((w) => () => { fs.write = w; })(fs.write));
    fs.writeSync = capture(fs.writeSync) as typeof fs.writeSync;
    fs.write = capture(fs.write) as typeof fs.write;
    t = await createTestApp({ logger: true, env: { LOG_LEVEL: 'trace' } });
    admin = await asAdmin(t.app);
    referral = await createProduct(t.app, admin.headers, { title: 'Partner Maps API', type: 'api_referral', price: 0, apiConfig: { baseUrl: 'https://partner.test' } });
    service = await createProduct(t.app, admin.headers, { title: 'Own API', type: 'api_service', price: 0, apiConfig: { baseUrl: 'https://own.test' } });
    const plan = await t.app.inject({ method: 'POST', url: `/api/admin/products/${referral.id}/plans`, headers: admin.headers, payload: { slug: 'maps', name: 'Maps', price: 0, requestsPerMonth: 100 } });
    planId = plan.json().id;
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    for (const undo of restore) undo();
  });

  it('lets an admin attach, list, replace and remove credentials, audited without the secret', async () => {
    const buyer = await signUp(t.app);
    const license = await issue(referral.id, { userId: buyer.userId });

    const empty = await t.app.inject({ method: 'GET', url: `/api/admin/api-credentials?licenseId=${license.id}`, headers: admin.headers });
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json()).toEqual({ licenseId: license.id, productType: 'api_referral', attachable: true, reason: null, data: [] });

    const attached = await attach({ licenseId: license.id, accountUrl: 'https://partner.test/account', externalUserId: 'acct_42' });
    expect(attached.statusCode, attached.body).toBe(201);
    const credential = attached.json();
    expect(credential).toMatchObject({ licenseId: license.id, productTitle: 'Partner Maps API', label: 'Partner account', hint: '5678', accountUrl: 'https://partner.test/account', externalUserId: 'acct_42' });
    expect(attached.body).not.toContain(secretKey);
    expect(attached.body).not.toContain(secretPart);

    const listed = await t.app.inject({ method: 'GET', url: `/api/admin/api-credentials?licenseId=${license.id}`, headers: admin.headers });
    expect(listed.json().data).toEqual([credential]);
    expect(listed.body).not.toContain(secretPart);

    // Replace the key only: the secret is kept.
    const newKey = 'pk_partner_NEWNEWNEW9999';
    const replaced = await t.app.inject({ method: 'PATCH', url: `/api/admin/api-credentials/${credential.id}`, headers: admin.headers, payload: { apiKey: newKey, label: 'Maps account' } });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({ id: credential.id, label: 'Maps account', hint: '9999', accountUrl: 'https://partner.test/account' });
    expect(replaced.body).not.toContain(newKey);
    const reveal = () => t.app.inject({ method: 'POST', url: `/api/api-credentials/${credential.id}/reveal`, headers: buyer.headers });
    expect((await reveal()).json()).toEqual({ apiKey: newKey, apiSecret: secretPart });
    // Then the secret only, then remove it and clear the account URL.
    await t.app.inject({ method: 'PATCH', url: `/api/admin/api-credentials/${credential.id}`, headers: admin.headers, payload: { apiSecret: 'sk_rotated_secret' } });
    expect((await reveal()).json()).toEqual({ apiKey: newKey, apiSecret: 'sk_rotated_secret' });
    const cleared = await t.app.inject({ method: 'PATCH', url: `/api/admin/api-credentials/${credential.id}`, headers: admin.headers, payload: { apiSecret: null, accountUrl: null } });
    expect(cleared.json()).toMatchObject({ accountUrl: null, hint: '9999' });
    expect((await reveal()).json()).toEqual({ apiKey: newKey, apiSecret: null });

    const removed = await t.app.inject({ method: 'DELETE', url: `/api/admin/api-credentials/${credential.id}`, headers: admin.headers });
    expect(removed.statusCode).toBe(204);
    expect((await reveal()).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: buyer.headers })).json().data).toEqual([]);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/admin/api-credentials/${credential.id}`, headers: admin.headers })).statusCode).toBe(404);

    const audit = await auditOf(credential.id);
    expect(audit.map((e) => e.action).sort()).toEqual([
      'api_credential.attach', 'api_credential.delete', 'api_credential.reveal', 'api_credential.reveal', 'api_credential.reveal',
      'api_credential.update', 'api_credential.update', 'api_credential.update',
    ].sort());
    const updates = audit.filter((e) => e.action === 'api_credential.update').map((e) => e.after as Record<string, unknown>);
    expect(updates).toEqual(expect.arrayContaining([expect.objectContaining({ keyReplaced: true, secretReplaced: false, label: 'Maps account' })]));
    const everything = JSON.stringify(audit);
    for (const secret of [secretKey, secretPart, newKey, 'sk_rotated_secret']) expect(everything).not.toContain(secret);
    const stored = await t.app.db.execute<{ sealed: string }>(sql`select sealed from api_credentials`);
    for (const row of stored.rows) expect(row.sealed).not.toContain('partner');
    // The customer was told (attached, then each replacement of the key or the secret), never given them.
    const mails = await t.app.db.select().from(mailbox).where(eq(mailbox.to, buyer.email));
    expect(mails.map((m) => m.subject).filter((subject) => subject.includes('credentials')).sort()).toEqual([
      'Your Partner Maps API credentials are ready', 'Your Partner Maps API credentials were replaced',
      'Your Partner Maps API credentials were replaced', 'Your Partner Maps API credentials were replaced',
    ]);
    for (const secret of [secretKey, secretPart, newKey, 'sk_rotated_secret']) expect(JSON.stringify(mails)).not.toContain(secret);

    // The log saw these requests (so the check below means something) and none of the secrets.
    const log = logged.join('\n');
    expect(log).toContain(`/api/api-credentials/${credential.id}/reveal`);
    for (const secret of [secretKey, secretPart, newKey, 'sk_rotated_secret']) expect(log).not.toContain(secret);
  });

  it('refuses other products, revoked licences, unknown licences and bad input (400 in the error shape)', async () => {
    const buyer = await signUp(t.app);
    const own = await issue(service.id, { userId: buyer.userId });
    const notReferral = await attach({ licenseId: own.id });
    expect(notReferral.statusCode).toBe(409);
    expect(notReferral.json().error).toMatchObject({ code: 'CONFLICT', requestId: expect.any(String) });
    const state = await t.app.inject({ method: 'GET', url: `/api/admin/api-credentials?licenseId=${own.id}`, headers: admin.headers });
    expect(state.json()).toMatchObject({ productType: 'api_service', attachable: false, reason: expect.stringContaining('api_referral') });

    const revoked = await issue(referral.id, { userId: buyer.userId });
    await t.app.db.execute(sql`update licenses set state = 'revoked' where id = ${revoked.id}`);
    expect((await attach({ licenseId: revoked.id })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'GET', url: `/api/admin/api-credentials?licenseId=${revoked.id}`, headers: admin.headers })).json()).toMatchObject({ attachable: false, reason: 'The licence is revoked' });

    expect((await attach({ licenseId: 'lic_nope' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/api-credentials?licenseId=lic_nope', headers: admin.headers })).statusCode).toBe(404);

    const license = await issue(referral.id, { userId: buyer.userId });
    for (const body of [
      { licenseId: license.id, label: '' },
      { licenseId: license.id, apiKey: '' },
      { licenseId: license.id, accountUrl: 'javascript:alert(1)' },
      { licenseId: license.id, accountUrl: 'not a url' },
      { licenseId: license.id, label: 'x'.repeat(101) },
      { label: 'No licence' },
    ]) {
      const response = await attach(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
    }
    const { id } = (await attach({ licenseId: license.id })).json();
    for (const body of [{}, { apiKey: '' }, { accountUrl: 'ftp://x.test' }, { label: null }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/api/admin/api-credentials/${id}`, headers: admin.headers, payload: body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.app.inject({ method: 'PATCH', url: '/api/admin/api-credentials/crd_nope', headers: admin.headers, payload: { label: 'x' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/api-credentials', headers: admin.headers })).statusCode).toBe(400);
  });

  it('is admin-only; customers see their own only, by label and hint', async () => {
    const buyer = await signUp(t.app);
    const license = await issue(referral.id, { userId: buyer.userId });
    const { id } = (await attach({ licenseId: license.id })).json();
    for (const [method, url] of [
      ['GET', `/api/admin/api-credentials?licenseId=${license.id}`], ['POST', '/api/admin/api-credentials'],
      ['PATCH', `/api/admin/api-credentials/${id}`], ['DELETE', `/api/admin/api-credentials/${id}`],
    ] as const) {
      expect((await t.app.inject({ method, url, payload: method === 'PATCH' || method === 'POST' ? { licenseId: license.id, label: 'x', apiKey: 'y' } : undefined })).statusCode, `${method} ${url} anonymous`).toBe(401);
      expect((await t.app.inject({ method, url, headers: buyer.headers, payload: method === 'PATCH' || method === 'POST' ? { licenseId: license.id, label: 'x', apiKey: 'y' } : undefined })).statusCode, `${method} ${url} customer`).toBe(403);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/api-credentials' })).statusCode).toBe(401);
    const mine = await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: buyer.headers });
    expect(mine.json().data).toEqual([expect.objectContaining({ id, label: 'Partner account', hint: '5678', productTitle: 'Partner Maps API' })]);
    expect(mine.body).not.toContain(secretKey);
    expect(mine.body).not.toContain(secretPart);
    const stranger = await signUp(t.app);
    expect((await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: stranger.headers })).json().data).toEqual([]);
    expect((await t.app.inject({ method: 'POST', url: `/api/api-credentials/${id}/reveal`, headers: stranger.headers })).statusCode).toBe(404);
  });

  it('follows the licence: attached before its owner had an account, seen once the licence joins it', async () => {
    const email = uniqueEmail('later');
    const license = await issue(referral.id, { email });
    const { id } = (await attach({ licenseId: license.id })).json();
    const [notice] = await t.app.db.select().from(mailbox).where(eq(mailbox.to, email));
    expect(notice!.subject).toBe('Your Partner Maps API credentials are ready');
    const owner = await signUp(t.app, { email });
    expect((await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: owner.headers })).json().data).toEqual([]);
    // Verifying the address joins the licence to the account (what the auth hook does).
    await attachLicensesToUser(t.app.db, { id: owner.userId, email, emailVerified: true });
    expect((await t.app.inject({ method: 'GET', url: '/api/api-credentials', headers: owner.headers })).json().data).toEqual([expect.objectContaining({ id })]);
    expect((await t.app.inject({ method: 'POST', url: `/api/api-credentials/${id}/reveal`, headers: owner.headers })).json()).toEqual({ apiKey: secretKey, apiSecret: secretPart });
  });

  it('shows nothing of a suspended, revoked or expired subscription', async () => {
    const buyer = await signUp(t.app);
    const license = await issue(referral.id, { userId: buyer.userId });
    const { id } = (await attach({ licenseId: license.id })).json();
    const reveal = () => t.app.inject({ method: 'POST', url: `/api/api-credentials/${id}/reveal`, headers: buyer.headers });
    expect((await reveal()).statusCode).toBe(200);
    for (const change of [sql`state = 'disabled'`, sql`state = 'active', expires_at = now() - interval '1 day'`, sql`state = 'revoked', expires_at = null`]) {
      await t.app.db.execute(sql`update licenses set ${change} where id = ${license.id}`);
      const refused = await reveal();
      expect(refused.statusCode).toBe(409);
      expect(refused.body).not.toContain(secretPart);
    }
    const reveals = await t.app.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, 'api_credential.reveal')));
    expect(reveals).toHaveLength(1);
  });

  it('hints at long keys only', () => {
    expect(credentialHint('abcdefghijkl')).toBe('ijkl');
    expect(credentialHint('short-key')).toBe('');
  });
});
