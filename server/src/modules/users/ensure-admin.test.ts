import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signIn, uniqueEmail, type TestApp } from '../../../test/helpers.js';
import { ensureAdmin } from './service.js';

describe('ensureAdmin', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('repairs an administrator whose creation was cut off before its password was stored', async () => {
    const email = uniqueEmail('half-made');
    // What a restart between creating the user and linking its password leaves behind.
    const context = await t.app.auth.$context;
    await context.internalAdapter.createUser({ email, name: 'Half made', emailVerified: true }, { method: 'admin' } as never);
    const result = await ensureAdmin(t.app.db, t.app.auth, { email, password: 'a fresh admin password' });
    expect(result.created).toBe(false);
    const session = await signIn(t.app, email, 'a fresh admin password');
    const me = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: session.headers });
    expect(me.statusCode).toBe(200);
  });
});
