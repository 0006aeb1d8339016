import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { mailboxMailer, type Mailer } from '../src/adapters/email/index.js';
import { buildApp, type WebListener } from '../src/app.js';
import { connect, type Database } from '../src/db/client.js';
import { loadEnv, type Env } from '../src/env.js';
import { KeyRing } from '../src/lib/crypto.js';
import type { Secrets } from '../src/lib/secrets.js';
import { ensureAdmin } from '../src/modules/users/service.js';

/** A database of this test file's own, cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = inject('dbServerUrl');
  const name = `mintreu_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('templateDatabase')}`);
  await admin.end();
  return {
    url: `${server}/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: `${server}/postgres` });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export const testSecrets: Secrets = {
  authSecret: 'test-auth-secret-0123456789abcdef0123456789abcdef',
  appKeys: KeyRing.generateEntry('k1'),
  paymentSandboxSecret: 'whsec_test_0123456789abcdef',
  licenseHashSecret: 'test-license-hash-secret-0123456789abcdef',
  databasePassword: 'unused',
};

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  env: Env;
  close(): Promise<void>;
}

/** buildApp() on a database (a fresh clone unless `url` is given), ready for `app.inject`. */
export async function createTestApp(
  options: { url?: string; env?: Record<string, string>; mailer?: Mailer; web?: WebListener; logger?: boolean } = {},
): Promise<TestApp & { dropDatabase(): Promise<void> }> {
  const owned = options.url ? undefined : await createTestDatabase();
  const url = options.url ?? owned!.url;
  const env = loadEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SERVE_WEB: 'false', SIGN_IN_RATE_LIMIT: '1000', ...options.env });
  const database = connect(url, 5);
  const app = await buildApp({
    env,
    secrets: testSecrets,
    database,
    mailer: options.mailer ?? mailboxMailer(database.db, env.MAIL_FROM),
    web: options.web,
    // Off unless a test reads the log (LOG_LEVEL in `env` then decides how much).
    logger: options.logger ?? false,
  });
  await app.ready();
  return {
    app,
    database,
    env,
    async close() {
      await app.close();
      await database.close();
    },
    async dropDatabase() {
      await owned?.drop();
    },
  };
}

let counter = 0;
export function uniqueEmail(prefix = 'user') {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}@example.com`;
}

/** Signs a new customer up and returns a bearer token for them. */
export async function signUp(app: FastifyInstance, input: { email?: string; password?: string; name?: string } = {}) {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? 'correct horse battery';
  const response = await app.inject({
    method: 'POST',
    url: '/api/auth/sign-up/email',
    payload: { email, password, name: input.name ?? 'Test User' },
  });
  if (response.statusCode !== 200) throw new Error(`sign-up failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id, email, password, headers: { authorization: `Bearer ${body.token}` } };
}

export async function signIn(app: FastifyInstance, email: string, password: string) {
  const response = await app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id, headers: { authorization: `Bearer ${body.token}` } };
}

/** An administrator, signed in. */
export async function asAdmin(app: FastifyInstance) {
  const email = uniqueEmail('admin');
  const password = 'admin password 123';
  await ensureAdmin(app.db, app.auth, { email, password, name: 'Test Admin' });
  return { ...(await signIn(app, email, password)), email };
}

/** Polls until `check` returns true or the time runs out (for things that happen asynchronously). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 2000, stepMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}
