import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSandboxEvent } from '../../adapters/payments/sandbox.js';
import { createTestDatabase, eventually, testSecrets } from '../../../test/helpers.js';
import { startServer, stopServer, waitUntilReady, type ChildServer } from '../../../test/support/child-server.js';
import { signedSandboxDelivery } from '../../../test/support/commerce.js';
import { freePort } from '../../../test/support/net.js';

/**
 * The real server (server/src/main.ts) killed with SIGKILL while it processes a payment webhook, half-way
 * through the fulfilment transaction. Nothing of that half is kept; the next start finishes the work, once.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'mintreu-crash-'));
chmodSync(dataDir, 0o755);
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
const servers: ChildServer[] = [];
const clients: pg.Client[] = [];

afterAll(async () => {
  for (const server of servers) await stopServer(server);
  for (const client of clients) await client.end().catch(() => {});
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** Fixed, so both starts (on different ports) are the same site to better-auth. */
const publicUrl = 'http://localhost:3000';
const adminEmail = 'crash-admin@example.com';
const adminPassword = 'crash admin password';

async function start(env: Record<string, string>) {
  const server = startServer(env, await freePort());
  servers.push(server);
  await waitUntilReady(server, 90_000);
  return server;
}

async function call(server: ChildServer, method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(server.url(path), {
    method,
    headers: {
      // As a browser on the storefront would (better-auth checks the origin of sign-in requests).
      origin: publicUrl,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function connectClient(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

describe('kill -9 while a payment webhook is being processed', () => {
  it('leaves nothing half-done, and the restarted server fulfils the order exactly once', async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      SEED_DEMO: 'false',
      PAYMENT_SANDBOX_SECRET: testSecrets.paymentSandboxSecret,
      APP_KEYS: testSecrets.appKeys,
      AUTH_SECRET: testSecrets.authSecret,
      LICENSE_HASH_SECRET: testSecrets.licenseHashSecret,
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      PUBLIC_URL: publicUrl,
    };
    const first = await start(env);

    const { token: adminToken } = await call(first, 'POST', '/api/auth/sign-in/email', { email: adminEmail, password: adminPassword });
    const product = await call(first, 'POST', '/api/admin/products', { title: 'Crash Course', type: 'downloadable', price: 49_900, status: 'published' }, adminToken);
    const { token: buyerToken } = await call(first, 'POST', '/api/auth/sign-up/email', { name: 'Buyer', email: 'crash-buyer@example.com', password: 'buyer password 123' });
    const { order, payment } = await call(first, 'POST', '/api/checkout', { items: [{ productSlug: product.slug }] }, buyerToken);
    expect(order.status).toBe('pending');

    // Hold the order row: the server's processing transaction will lock the event, then wait here for the order.
    const holder = await connectClient(database.url);
    const observer = await connectClient(database.url);
    await holder.query('begin');
    await holder.query('select id from orders where id = $1 for update', [order.id]);

    const body = buildSandboxEvent('payment.succeeded', { sessionId: payment.sessionId, orderId: order.id, amount: order.total, currency: order.currency, paymentId: 'pay_crash' });
    const { raw, headers } = signedSandboxDelivery(body);
    const delivered = await fetch(first.url('/api/webhooks/sandbox'), { method: 'POST', headers, body: raw });
    expect(delivered.status).toBe(200);

    const eventStatus = async () =>
      (await observer.query<{ status: string }>('select status from webhook_events where provider_event_id = $1', [body.id])).rows[0]?.status;
    const blockedOnOrders = async () => {
      const { rows } = await observer.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike '%"orders"%' and pid not in ($1, $2)`,
        [(holder as unknown as { processID: number }).processID, (observer as unknown as { processID: number }).processID],
      );
      return rows[0]!.n > 0;
    };
    expect(await eventStatus()).toBe('received');
    expect(await eventually(blockedOnOrders, 15_000, 50)).toBe(true);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await holder.query('rollback');

    // Every connection of the killed process goes once PostgreSQL notices; none of them commits anything.
    const otherBackends = async () => {
      const { rows } = await observer.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid not in ($1, $2)`,
        [(holder as unknown as { processID: number }).processID, (observer as unknown as { processID: number }).processID],
      );
      return rows[0]!.n;
    };
    expect(await eventually(async () => (await otherBackends()) === 0, 15_000, 50)).toBe(true);
    const half = await observer.query<{ status: string; paid_at: Date | null }>('select status, paid_at from orders where id = $1', [order.id]);
    expect(half.rows[0]).toEqual({ status: 'pending', paid_at: null });
    expect((await observer.query('select id from licenses where order_id = $1', [order.id])).rowCount).toBe(0);
    expect(await eventStatus()).toBe('received');

    // The next start queues unprocessed events at once.
    const second = await start(env);
    let status = '';
    expect(await eventually(async () => {
      status = (await call(second, 'GET', `/api/orders/${order.id}`, undefined, buyerToken)).status;
      return status === 'fulfilled';
    }, 15_000, 100), `order stayed ${status}`).toBe(true);
    expect(await eventStatus()).toBe('processed');
    expect((await observer.query('select id from licenses where order_id = $1', [order.id])).rowCount).toBe(1);
    const audits = await observer.query(`select action from audit_events where entity_id = $1 and action in ('order.pay', 'order.fulfil')`, [order.id]);
    expect(audits.rows.map((r) => r.action).sort()).toEqual(['order.fulfil', 'order.pay']);
    const licenses = await call(second, 'GET', '/api/licenses', undefined, buyerToken);
    expect(licenses.data).toHaveLength(1);
  }, 180_000);
});
