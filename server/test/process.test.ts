import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, postmasterPid, startServer, stopServer, waitUntilReady, type ChildServer } from './support/child-server.js';
import { closedPort, freePort } from './support/net.js';

/**
 * The real entry point (`server/src/main.ts`) as an operator runs it: start-up failures, the first run
 * on an empty data directory, the data-directory lock, a clean SIGTERM and a restart that keeps the data.
 */
const dirs: string[] = [];
const children: { server: ChildServer; dataDir: string }[] = [];

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mintreu-process-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>, port: number, dataDir: string): ChildServer {
  const server = startServer({ DATA_DIR: dataDir, ...env }, port);
  children.push({ server, dataDir });
  return server;
}

const stackTrace = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

afterAll(async () => {
  for (const { server, dataDir } of children.reverse()) await stopServer(server, dataDir);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('main: start-up failures', () => {
  it('exits non-zero with a plain message when DATABASE_URL cannot be reached', async () => {
    const dbPort = await closedPort();
    const server = start({ DATABASE_URL: `postgres://u:p@127.0.0.1:${dbPort}/x` }, await freePort(), freshDataDir());
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(server.stderr()).toContain('Mintreu cannot start.');
    expect(server.stderr()).toContain(`Cannot reach PostgreSQL at 127.0.0.1:${dbPort}`);
    expect(server.stderr()).toMatch(/ECONNREFUSED/);
    expect(server.stderr()).not.toMatch(stackTrace);
    // The password in the URL is not printed.
    expect(server.stderr() + server.stdout()).not.toContain('u:p@');
  }, 60_000);

  it('exits non-zero and lists the bad setting when the configuration is invalid', async () => {
    const server = start({ PORT: 'abc', SMTP_URL: 'http://mail' }, 0, freshDataDir());
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(server.stderr()).toContain('Invalid configuration');
    expect(server.stderr()).toMatch(/^\s+PORT: /m);
    expect(server.stderr()).toMatch(/^\s+SMTP_URL: must start with smtp:\/\//m);
    expect(server.stderr()).not.toMatch(stackTrace);
  }, 60_000);
});

describe('main: embedded database lifecycle', () => {
  const dataDir = freshDataDir();
  let first: ChildServer;
  let password = '';

  it('starts on an empty data directory with no configuration at all', async () => {
    first = start({}, await freePort(), dataDir);
    await waitUntilReady(first, 90_000);

    const status = await fetch(first.url('/api/status'));
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ killSwitches: { payments: false }, version: expect.any(String) });

    const secrets = join(dataDir, 'secrets.json');
    expect(existsSync(secrets)).toBe(true);
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(secrets, 'utf8')))).toEqual(
      expect.arrayContaining(['authSecret', 'appKeys', 'databasePassword']),
    );

    const credentials = join(dataDir, 'admin-credentials.txt');
    expect(existsSync(credentials)).toBe(true);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const text = readFileSync(credentials, 'utf8');
    expect(text).toContain('email: admin@mintreu.local');
    password = /^password: (\S+)$/m.exec(text)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(12);

    expect(postmasterPid(dataDir)).toBeDefined();
    expect(readFileSync(join(dataDir, 'mintreu.pid'), 'utf8').trim()).toBe(String(first.child.pid));
  }, 120_000);

  it('refuses a second process on the same data directory, and the first keeps serving', async () => {
    expect(password).not.toBe('');
    const second = start({}, await freePort(), dataDir);
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(second.stderr()).toContain('Mintreu cannot start.');
    expect(second.stderr()).toContain(`Another Mintreu process (pid ${first.child.pid}) is already using the data directory`);
    expect(second.stderr()).not.toMatch(stackTrace);

    expect(first.child.exitCode).toBeNull();
    expect((await fetch(first.url('/readyz'))).status).toBe(200);
    expect((await fetch(first.url('/api/status'))).status).toBe(200);
    // The refused process did not take the lock away from the first.
    expect(readFileSync(join(dataDir, 'mintreu.pid'), 'utf8').trim()).toBe(String(first.child.pid));
  }, 120_000);

  it('stops cleanly on SIGTERM: exit code 0 and the embedded PostgreSQL is gone', async () => {
    const pgPid = postmasterPid(dataDir);
    expect(pgPid).toBeDefined();
    first.child.kill('SIGTERM');
    const { code, signal } = await first.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toContain('stopped cleanly');
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(isAlive(pgPid!)).toBe(false);
    expect(existsSync(join(dataDir, 'mintreu.pid'))).toBe(false);
  }, 120_000);

  it('starts again on the same data directory with the data kept', async () => {
    expect(password).not.toBe('');
    const credentialsBefore = readFileSync(join(dataDir, 'admin-credentials.txt'), 'utf8');
    const secretsBefore = readFileSync(join(dataDir, 'secrets.json'), 'utf8');

    const again = start({}, await freePort(), dataDir);
    await waitUntilReady(again, 90_000);

    const signIn = await fetch(again.url('/api/auth/sign-in/email'), {
      method: 'POST',
      // Node's fetch sends Sec-Fetch-Mode like a browser, so better-auth wants the Origin a browser sends too.
      headers: { 'content-type': 'application/json', origin: again.url('') },
      body: JSON.stringify({ email: 'admin@mintreu.local', password }),
    });
    expect(signIn.status, await signIn.clone().text()).toBe(200);
    const body = (await signIn.json()) as { token: string; user: { email: string } };
    expect(body.user.email).toBe('admin@mintreu.local');

    // The session works for an admin-only route: the admin (and their role) survived the restart.
    const users = await fetch(again.url('/api/admin/users'), { headers: { authorization: `Bearer ${body.token}` } });
    expect(users.status).toBe(200);

    // No second administrator was seeded and no secret was regenerated.
    expect(readFileSync(join(dataDir, 'admin-credentials.txt'), 'utf8')).toBe(credentialsBefore);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe(secretsBefore);
    expect(again.stdout()).not.toContain('created the first administrator');

    const wrong = await fetch(again.url('/api/auth/sign-in/email'), {
      method: 'POST',
      // Node's fetch sends Sec-Fetch-Mode like a browser, so better-auth wants the Origin a browser sends too.
      headers: { 'content-type': 'application/json', origin: again.url('') },
      body: JSON.stringify({ email: 'admin@mintreu.local', password: `${password}-wrong` }),
    });
    expect(wrong.status).toBe(401);

    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
