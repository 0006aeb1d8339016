import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signIn, signUp, uniqueEmail, type TestApp } from '../../../test/helpers.js';
import { mailbox } from '../mail/tables.js';
import { accounts, users } from './tables.js';

describe('accounts', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  /** The newest link in the newest email to `to`. */
  async function linkFromMail(to: string, subject: RegExp): Promise<string> {
    let link = '';
    const found = await eventually(async () => {
      const [mail] = await t.app.db.select().from(mailbox).where(eq(mailbox.to, to)).orderBy(desc(mailbox.createdAt)).limit(1);
      if (!mail || !subject.test(mail.subject)) return false;
      link = /https?:\/\/\S+/.exec(mail.text)![0];
      return true;
    });
    expect(found, `an email to ${to} matching ${subject}`).toBe(true);
    return link;
  }

  it('signs up with a cookie session and a bearer token, as a customer', async () => {
    const email = uniqueEmail();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      payload: { name: 'Asha', email, password: 'a long password' },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'mintreu.session_token');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const session = await t.app.inject({
      method: 'GET',
      url: '/api/auth/get-session',
      cookies: { 'mintreu.session_token': cookie!.value },
    });
    expect(session.json().user).toMatchObject({ email, role: 'customer', banned: false, id: expect.stringMatching(/^usr_/) });
    const bearer = await t.app.inject({
      method: 'GET',
      url: '/api/auth/get-session',
      headers: { authorization: `Bearer ${response.json().token}` },
    });
    expect(bearer.json().user.email).toBe(email);
  });

  it('never lets sign-up choose a role, and stores no plain password', async () => {
    const email = uniqueEmail();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      payload: { name: 'Sneaky', email, password: 'a long password', role: 'admin' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.role).toBe('customer');
    const [user] = await t.app.db.select().from(users).where(eq(users.email, email));
    expect(user!.role).toBe('customer');
    const [account] = await t.app.db.select().from(accounts).where(eq(accounts.userId, user!.id));
    expect(account!.password).toMatch(/^[0-9a-f]+:[0-9a-f]+$/); // salt:scrypt-hash
    expect(account!.password).not.toContain('a long password');
  });

  it('refuses a duplicate email and a short password in the error shape', async () => {
    const user = await signUp(t.app);
    const duplicate = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      payload: { name: 'Again', email: user.email, password: 'another password' },
    });
    expect(duplicate.statusCode).toBeGreaterThanOrEqual(400);
    expect(duplicate.statusCode).toBeLessThan(500);
    expect(duplicate.json().error).toMatchObject({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
    const short = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      payload: { name: 'Short', email: uniqueEmail(), password: 'short' },
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.code).toBe('PASSWORD_TOO_SHORT');
  });

  it('verifies an email address through the emailed link', async () => {
    const user = await signUp(t.app);
    const link = await linkFromMail(user.email, /Confirm your email/);
    const url = new URL(link);
    expect(url.pathname).toBe('/api/auth/verify-email');
    const response = await t.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
    expect(response.statusCode).toBeLessThan(400);
    const [row] = await t.app.db.select({ verified: users.emailVerified }).from(users).where(eq(users.id, user.userId));
    expect(row?.verified).toBe(true);
  });

  it('resets a forgotten password by email, ending the old sessions', async () => {
    const user = await signUp(t.app);
    const request = await t.app.inject({
      method: 'POST',
      url: '/api/auth/request-password-reset',
      payload: { email: user.email, redirectTo: '/reset-password' },
    });
    expect(request.statusCode).toBe(200);
    const link = await linkFromMail(user.email, /Reset your Mintreu password/);
    const token = /reset-password\/([^?]+)/.exec(link)![1]!;
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reset-password',
      payload: { token, newPassword: 'a brand new password' },
    });
    expect(reset.statusCode).toBe(200);
    const oldSession = await t.app.inject({ method: 'GET', url: '/api/auth/get-session', headers: user.headers });
    expect(oldSession.json()).toBeNull();
    await expect(signIn(t.app, user.email, user.password)).rejects.toThrow(/401/);
    await expect(signIn(t.app, user.email, 'a brand new password')).resolves.toMatchObject({ userId: user.userId });
    const reused = await t.app.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token, newPassword: 'yet another one' } });
    expect(reused.statusCode).toBe(400);
  });

  it('answers an unknown address the same as a known one on password reset', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/request-password-reset',
      payload: { email: uniqueEmail('nobody'), redirectTo: '/reset-password' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('rate-limits sign-in attempts per client address', async () => {
    // An instance of its own with a tight limit, on the same database.
    const limited5 = await createTestApp({ url: t.database.url, env: { SIGN_IN_RATE_LIMIT: '5' } });
    const user = await signUp(t.app);
    const attempt = (ip: string) =>
      limited5.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', remoteAddress: ip, payload: { email: user.email, password: 'wrong password' } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt('203.0.113.7')).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await attempt('203.0.113.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A client cannot dodge the limit by claiming another address in a header.
    const spoofed = await limited5.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      remoteAddress: '203.0.113.7',
      headers: { 'x-forwarded-for': '198.51.100.1', 'x-mintreu-client-ip': '198.51.100.2' },
      payload: { email: user.email, password: 'wrong password' },
    });
    expect(spoofed.statusCode).toBe(429);
    // Another client is not affected.
    expect((await attempt('203.0.113.8')).statusCode).toBe(401);
    // Session reads are never limited: server-side rendering makes them for every visitor from one address.
    const reads = await Promise.all(
      Array.from({ length: 150 }, () => limited5.app.inject({ method: 'GET', url: '/api/auth/get-session', headers: user.headers })),
    );
    expect(reads.every((r) => r.statusCode === 200)).toBe(true);
    await limited5.close();
  });

  it('bans a user: sessions end, sign-in is refused, and both changes are audited', async () => {
    const admin = await asAdmin(t.app);
    const user = await signUp(t.app);
    const ban = await t.app.inject({
      method: 'PATCH',
      url: `/api/admin/users/${user.userId}`,
      headers: admin.headers,
      payload: { banned: true, banReason: 'chargeback fraud', reason: 'fraud review #12' },
    });
    expect(ban.statusCode).toBe(200);
    expect(ban.json()).toMatchObject({ banned: true, banReason: 'chargeback fraud' });
    const session = await t.app.inject({ method: 'GET', url: '/api/auth/get-session', headers: user.headers });
    expect(session.json()).toBeNull();
    const signInAgain = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: { email: user.email, password: user.password } });
    expect(signInAgain.statusCode).toBeGreaterThanOrEqual(400);
    expect(signInAgain.json().error).toBeDefined();

    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/admin/users/${user.userId}`,
      headers: admin.headers,
      payload: { banned: false, role: 'support', reason: 'cleared' },
    });
    expect(promote.json()).toMatchObject({ banned: false, role: 'support' });
    const audit = await t.app.inject({ method: 'GET', url: `/api/admin/audit?entityId=${user.userId}`, headers: admin.headers });
    expect(audit.json().data.map((e: { action: string }) => e.action).sort()).toEqual(['user.ban', 'user.role_change', 'user.unban']);
  });

  it('does not let an admin demote or ban themselves', async () => {
    const admin = await asAdmin(t.app);
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/admin/users/${admin.userId}`,
      headers: admin.headers,
      payload: { role: 'customer', reason: 'oops' },
    });
    expect(response.statusCode).toBe(409);
  });

  it('finds users by name or email with paging', async () => {
    const admin = await asAdmin(t.app);
    const marker = `zebra${Date.now()}`;
    for (let i = 0; i < 3; i++) await signUp(t.app, { email: uniqueEmail(marker) });
    const page = await t.app.inject({ method: 'GET', url: `/api/admin/users?search=${marker}&perPage=2`, headers: admin.headers });
    expect(page.json().meta).toEqual({ page: 1, perPage: 2, total: 3 });
    expect(page.json().data).toHaveLength(2);
    const wildcard = await t.app.inject({ method: 'GET', url: '/api/admin/users?search=%25', headers: admin.headers });
    expect(wildcard.json().data).toEqual([]);
    const admins = await t.app.inject({ method: 'GET', url: '/api/admin/users?role=admin', headers: admin.headers });
    expect(admins.json().data.every((u: { role: string }) => u.role === 'admin')).toBe(true);
  });
});
