import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxEvent } from '../../adapters/payments/sandbox.js';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import {
  auditCount, createApiProduct, deliverSandbox, getOrder, licenseCountOfOrder, postSandboxWebhook, sandboxData,
  signedSandboxDelivery, startPaidCheckout, waitForEvent, waitForOrder, type Order,
} from '../../../test/support/commerce.js';
import { createProduct } from '../../../test/support/uploads.js';
import { webhookEvents } from './tables.js';

/**
 * The webhook inbox with hand-signed sandbox deliveries (API.md "Checkout, payments, orders"): what is refused,
 * exactly-once processing under duplicate deliveries and replays, mismatches, and what refunds and disputes
 * take back, including a refund that arrives before its payment.
 */
let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

type Buyer = Awaited<ReturnType<typeof signUp>>;

/** A buyer with a pending sandbox order for one downloadable product (or the given items). */
async function pendingOrder(price = 49_900, items?: { productSlug: string; planSlug?: string }[]) {
  const buyer = await signUp(t.app);
  const slugs = items ?? [{ productSlug: (await createProduct(t.app, admin.headers, { price })).slug }];
  const { order, payment } = await startPaidCheckout(t.app, buyer.headers, { items: slugs });
  return { buyer, order, payment };
}

/** Pays an order with a signed payment.succeeded and waits for its fulfilment. */
async function payAndFulfil(buyer: Buyer, order: Order, payment: { sessionId: string }, paymentId = `pay_${order.id}`) {
  const { response, body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId }));
  expect(response.statusCode, response.body).toBe(200);
  await waitForEvent(t.database.db, 'sandbox', body.id);
  return waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
}

async function licenseStatus(buyer: Buyer, id: string) {
  const response = await t.app.inject({ method: 'GET', url: `/api/licenses/${id}`, headers: buyer.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().status as string;
}

async function apiKeyStatuses(buyer: Buyer) {
  const response = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: buyer.headers });
  return (response.json().data as { id: string; status: string }[]).map((k) => k.status);
}

async function adminOrder(id: string) {
  const response = await t.app.inject({ method: 'GET', url: `/api/admin/orders/${id}`, headers: admin.headers });
  expect(response.statusCode).toBe(200);
  return response.json();
}

async function rejectedRowFor(raw: string) {
  const [row] = await t.database.db.select().from(webhookEvents)
    .where(and(eq(webhookEvents.payload, raw), eq(webhookEvents.status, 'rejected'), isNull(webhookEvents.providerEventId)));
  return row;
}

describe('deliveries that are refused', () => {
  it('a bad signature, a missing header, a stale or future timestamp: 400, kept as rejected with the reason, order unchanged', async () => {
    const { buyer, order, payment } = await pendingOrder();
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, () => { raw: string; headers: Record<string, string> }, RegExp][] = [
      ['wrong secret', () => signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment)), { secret: 'whsec_not_the_right_one' }), /signature does not match/],
      ['tampered body', () => {
        const signed = signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment, { amount: 1 })));
        return { raw: signed.raw.replace('"amount":1', `"amount":${order.total}`), headers: signed.headers };
      }, /signature does not match/],
      ['missing header', () => {
        const signed = signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment)));
        return { raw: signed.raw, headers: { 'content-type': 'application/json' } };
      }, /missing Sandbox-Signature/],
      ['malformed header', () => {
        const signed = signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment)));
        return { raw: signed.raw, headers: { 'content-type': 'application/json', 'sandbox-signature': 'v1=abc' } };
      }, /malformed/],
      ['301 s old', () => signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment)), { t: now - 301 }), /old/],
      ['an hour ahead', () => signedSandboxDelivery(buildSandboxEvent('payment.succeeded', sandboxData(order, payment)), { t: now + 3600 }), /future/],
    ];
    for (const [name, make, reason] of cases) {
      const { raw, headers } = make();
      const response = await postSandboxWebhook(t.app, raw, headers);
      expect(response.statusCode, name).toBe(400);
      expect(response.json().error.code, name).toBe('WEBHOOK_INVALID');
      const row = await rejectedRowFor(raw);
      expect(row, name).toBeDefined();
      expect(row!.error, name).toMatch(reason);
      expect(row!.event, name).toBeNull();
    }
    // A body that is signed but not an event.
    const notJson = signedSandboxDelivery({ hello: 'world' });
    expect((await postSandboxWebhook(t.app, notJson.raw, notJson.headers)).statusCode).toBe(400);

    const after = await getOrder(t.app, buyer.headers, order.id);
    expect(after.status).toBe('pending');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);

    // The admin sees them; a delivery that failed verification cannot be replayed.
    const list = await t.app.inject({ method: 'GET', url: '/api/admin/webhook-events?status=rejected&provider=sandbox&perPage=100', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    const rejected = list.json().data.find((e: { providerEventId: string | null }) => e.providerEventId === null);
    expect(rejected.error).toBeTruthy();
    const replay = await t.app.inject({ method: 'POST', url: `/api/admin/webhook-events/${rejected.id}/replay`, headers: admin.headers });
    expect(replay.statusCode).toBe(409);
  });

  it('an unknown provider in the path is 404; an event type we do not act on is acknowledged and ignored', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/webhooks/paypal', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(404);

    const body = { id: `evt_${Date.now()}`, type: 'payment.created', created: Math.floor(Date.now() / 1000), data: {} };
    const { raw, headers } = signedSandboxDelivery(body);
    const acknowledged = await postSandboxWebhook(t.app, raw, headers);
    expect(acknowledged.statusCode, acknowledged.body).toBe(200);
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);
    expect(row.status).toBe('ignored');
    expect(row.error).toMatch(/payment\.created/);
  });

  it('an oversized delivery is refused with 413 before anything is stored', async () => {
    const raw = JSON.stringify({ id: 'evt_huge', type: 'payment.succeeded', created: 1, data: { padding: 'x'.repeat(600 * 1024) } });
    const { headers } = signedSandboxDelivery({});
    const count = async () => (await t.database.db.select({ id: webhookEvents.id }).from(webhookEvents)).length;
    const before = await count();
    const response = await postSandboxWebhook(t.app, raw, headers);
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await count()).toBe(before);
  });

  it('an event for an order that does not exist is ignored with the reason', async () => {
    const { order, payment } = await pendingOrder();
    const { response, body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { orderId: 'ord_doesnotexist' }));
    expect(response.statusCode).toBe(200);
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);
    expect(row.status).toBe('ignored');
    expect(row.error).toMatch(/No order matches/);
  });
});

describe('exactly once', () => {
  it('the same event delivered 50 times at once: every delivery 200, one stored event, one fulfilment', async () => {
    const { buyer, order, payment } = await pendingOrder();
    const body = buildSandboxEvent('payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_fifty' }));
    const { raw, headers } = signedSandboxDelivery(body);
    const responses = await Promise.all(Array.from({ length: 50 }, () => postSandboxWebhook(t.app, raw, headers)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    expect(responses.filter((r) => r.json().duplicate === false)).toHaveLength(1);

    await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);
    expect(row.status).toBe('processed');
    const stored = await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.providerEventId, body.id));
    expect(stored).toHaveLength(1);
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'order.fulfil', order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'order.pay', order.id)).toBe(1);

    // A late duplicate changes nothing either.
    const late = await postSandboxWebhook(t.app, raw, headers);
    expect(late.json()).toEqual({ received: true, duplicate: true });
  });

  it('an admin replay of a processed event changes nothing', async () => {
    const { buyer, order, payment } = await pendingOrder();
    const { body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_replayed' }));
    const fulfilled = await waitForOrder(t.app, buyer.headers, order.id, 'fulfilled');
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);

    const replay = await t.app.inject({ method: 'POST', url: `/api/admin/webhook-events/${row.id}/replay`, headers: admin.headers });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(await eventually(async () => {
      const [current] = await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, row.id));
      return current!.status !== 'received' && current!.attempts === 2;
    }, 10_000)).toBe(true);
    // The event keeps the record of the work it did; the replay's finding is kept beside it.
    const [kept] = await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, row.id));
    expect(kept).toMatchObject({ status: 'processed', processedAt: row.processedAt, replayedFrom: 'processed' });
    expect(kept!.replayNote).toMatch(/already fulfilled/);
    const after = await getOrder(t.app, buyer.headers, order.id);
    expect(after.status).toBe('fulfilled');
    expect(after.items).toEqual(fulfilled.items);
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'order.fulfil', order.id)).toBe(1);
    expect(await auditCount(t.database.db, 'webhook.replay', row.id)).toBe(1);
    // Customers cannot replay or read the inbox.
    const customer = await t.app.inject({ method: 'POST', url: `/api/admin/webhook-events/${row.id}/replay`, headers: buyer.headers });
    expect(customer.statusCode).toBe(403);
  });
});

describe('payments that do not match the order', () => {
  for (const [name, change, reason] of [
    ['a smaller amount', { amount: 100 }, /Amount mismatch/],
    ['another currency', { currency: 'USD' }, /mismatch/],
  ] as const) {
    it(`${name}: the order is flagged and never fulfilled; the event is rejected with the reason`, async () => {
      const { buyer, order, payment } = await pendingOrder();
      const { response, body } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId: 'pay_short', ...change }));
      expect(response.statusCode).toBe(200);
      const row = await waitForEvent(t.database.db, 'sandbox', body.id);
      expect(row.status).toBe('rejected');
      expect(row.error).toMatch(reason);
      const current = await getOrder(t.app, buyer.headers, order.id);
      expect(current.status).toBe('pending');
      expect(current.items[0]!.licenseId).toBeNull();
      expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
      const seen = await adminOrder(order.id);
      expect(seen.flagged).toBe(true);
      expect(seen.events.map((e: { type: string }) => e.type)).toContain('flagged');
      expect(await auditCount(t.database.db, 'order.flag', order.id)).toBe(1);
    });
  }
});

describe('refunds and disputes', () => {
  /** An order for a downloadable product and an API plan, paid and fulfilled: two licences and one API key. */
  async function fulfilledBundle() {
    const download = await createProduct(t.app, admin.headers, { price: 20_000 });
    const api = await createApiProduct(t.app, admin.headers, { price: 30_000 });
    const { buyer, order, payment } = await pendingOrder(0, [{ productSlug: download.slug }, { productSlug: api.slug, planSlug: api.plan.slug }]);
    expect(order.total).toBe(50_000);
    const fulfilled = await payAndFulfil(buyer, order, payment);
    const licenseIds = fulfilled.items.map((i) => i.licenseId!);
    expect(licenseIds).toHaveLength(2);
    expect(await apiKeyStatuses(buyer)).toEqual(['active']);
    return { buyer, order: fulfilled, payment, licenseIds };
  }

  it('a full refund after fulfilment: refunded, and every licence and API key the order granted is revoked', async () => {
    const { buyer, order, payment, licenseIds } = await fulfilledBundle();
    const { body } = await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { paymentId: `pay_${order.id}` }));
    const refunded = await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    expect(refunded.refundedAt).not.toBeNull();
    expect((await waitForEvent(t.database.db, 'sandbox', body.id)).status).toBe('processed');
    for (const id of licenseIds) expect(await licenseStatus(buyer, id)).toBe('revoked');
    expect(await apiKeyStatuses(buyer)).toEqual(['revoked']);
    expect(await auditCount(t.database.db, 'order.refund', order.id)).toBe(1);

    // The same refund again (a new delivery id, as a provider's retry under a new event might be) changes nothing.
    const { body: again } = await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { paymentId: `pay_${order.id}` }));
    expect((await waitForEvent(t.database.db, 'sandbox', again.id)).status).toBe('ignored');
    expect(await auditCount(t.database.db, 'order.refund', order.id)).toBe(1);
  });

  it('a partial refund is recorded and nothing is revoked', async () => {
    const { buyer, order, payment, licenseIds } = await fulfilledBundle();
    const { body } = await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { amount: 10_000, paymentId: `pay_${order.id}` }));
    const row = await waitForEvent(t.database.db, 'sandbox', body.id);
    expect(row.status).toBe('processed');
    expect(row.error).toMatch(/Partial refund/);
    expect((await getOrder(t.app, buyer.headers, order.id)).status).toBe('fulfilled');
    for (const id of licenseIds) expect(await licenseStatus(buyer, id)).toBe('active');
    expect(await apiKeyStatuses(buyer)).toEqual(['active']);
    expect((await adminOrder(order.id)).events.map((e: { type: string }) => e.type)).toContain('partial_refund');
  });

  it('a dispute after fulfilment: disputed, licences and API keys revoked; a refund after it completes the reversal', async () => {
    const { buyer, order, payment, licenseIds } = await fulfilledBundle();
    await deliverSandbox(t.app, 'payment.disputed', sandboxData(order, payment, { paymentId: `pay_${order.id}` }));
    await waitForOrder(t.app, buyer.headers, order.id, 'disputed');
    for (const id of licenseIds) expect(await licenseStatus(buyer, id)).toBe('revoked');
    expect(await apiKeyStatuses(buyer)).toEqual(['revoked']);
    expect(await auditCount(t.database.db, 'order.dispute', order.id)).toBe(1);

    await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { paymentId: `pay_${order.id}` }));
    await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    for (const id of licenseIds) expect(await licenseStatus(buyer, id)).toBe('revoked');
  });

  it('a refund delivered before its payment is deferred; when the payment lands the order ends refunded with nothing granted', async () => {
    const api = await createApiProduct(t.app, admin.headers, { price: 30_000 });
    const { buyer, order, payment } = await pendingOrder(0, [{ productSlug: api.slug, planSlug: api.plan.slug }]);
    const paymentId = `pay_${order.id}`;
    const { body: refund } = await deliverSandbox(t.app, 'payment.refunded', sandboxData(order, payment, { paymentId }));
    const deferred = await waitForEvent(t.database.db, 'sandbox', refund.id);
    expect(deferred.status).toBe('deferred');
    expect((await getOrder(t.app, buyer.headers, order.id)).status).toBe('pending');

    const { body: paid } = await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId }));
    const refunded = await waitForOrder(t.app, buyer.headers, order.id, 'refunded');
    expect((await waitForEvent(t.database.db, 'sandbox', paid.id)).status).toBe('processed');
    const [after] = await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, deferred.id));
    expect(after!.status).toBe('processed');
    expect(refunded.items[0]!.licenseId).toBeNull();
    expect(refunded.items[0]!.apiKeyId).toBeNull();
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
    expect(await apiKeyStatuses(buyer)).toEqual([]);
    expect(await auditCount(t.database.db, 'order.fulfil', order.id)).toBe(0);
    const list = await t.app.inject({ method: 'GET', url: '/api/licenses', headers: buyer.headers });
    expect(list.json().data).toEqual([]);
  });

  it('a dispute delivered before its payment is deferred the same way and nothing is granted', async () => {
    const { buyer, order, payment } = await pendingOrder();
    const paymentId = `pay_${order.id}`;
    const { body: dispute } = await deliverSandbox(t.app, 'payment.disputed', sandboxData(order, payment, { paymentId }));
    expect((await waitForEvent(t.database.db, 'sandbox', dispute.id)).status).toBe('deferred');
    await deliverSandbox(t.app, 'payment.succeeded', sandboxData(order, payment, { paymentId }));
    await waitForOrder(t.app, buyer.headers, order.id, 'disputed');
    expect(await licenseCountOfOrder(t.database.db, order.id)).toBe(0);
  });
});
