// Webhook scenarios for `npm run bench` (see bench/README.md, "Webhooks").
//
// 1. Latency: paid orders are opened through POST /api/checkout, then one signed `payment.succeeded` per order is
//    sent to POST /api/webhooks/sandbox at a fixed rate (open loop: a send never waits for the previous answer).
//    Each order's `fulfilledAt`, set by the server in the fulfilment transaction, minus the moment its webhook
//    left the bench is the webhook → fulfilled latency (one machine, one clock).
// 2. Duplicate storm: one order, one signed event, delivered many times with many in flight at once. The order
//    must be fulfilled exactly once: one licence, one `order.fulfil` audit event.
import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export const WEBHOOK_TARGETS = { p99Ms: 100, fulfilments: 1 };

const sign = (secret, raw, t) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;

function paymentEvent(checkout) {
  return JSON.stringify({
    id: `evt_bench_${randomBytes(10).toString('hex')}`,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: {
      sessionId: checkout.payment.sessionId,
      orderId: checkout.order.id,
      amount: checkout.order.total,
      currency: checkout.order.currency,
      paymentId: `pay_bench_${randomBytes(8).toString('hex')}`,
    },
  });
}

async function deliver(base, secret, raw) {
  const response = await fetch(`${base}/api/webhooks/sandbox`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sandbox-signature': sign(secret, raw, Math.floor(Date.now() / 1000)) },
    body: raw,
  });
  await response.arrayBuffer();
  return response.status;
}

async function inParallel(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  }));
  return results;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * @param {{ request: Function, adminHeaders: () => Promise<object>, platformUrl: string, note: (t: string) => void }} ctx
 * @param {{ secret: string, rate: number, durationS: number, stormDeliveries: number, stormConcurrency: number,
 *   progress: (t: string) => void }} options
 */
export async function runWebhookBench(ctx, options) {
  const admin = await ctx.adminHeaders();
  const product = await ctx.request('POST', '/api/admin/products', {
    headers: admin,
    body: { title: `Webhook bench ${randomBytes(3).toString('hex')}`, type: 'downloadable', price: 49900, status: 'published' },
  });
  if (product.status !== 201) throw new Error(`product create answered ${product.status}: ${product.text.slice(0, 200)}`);
  const signUp = await ctx.request('POST', '/api/auth/sign-up/email', {
    body: { name: 'Bench Buyer', email: `bench-buyer-${randomBytes(4).toString('hex')}@example.com`, password: randomBytes(12).toString('base64url') },
  });
  if (signUp.status !== 200) throw new Error(`sign-up answered ${signUp.status}: ${signUp.text.slice(0, 200)}`);
  const buyer = { authorization: `Bearer ${signUp.json.token}` };
  const checkout = async () => {
    const r = await ctx.request('POST', '/api/checkout', { headers: buyer, body: { items: [{ productSlug: product.json.slug }] } });
    if (r.status !== 201) throw new Error(`checkout answered ${r.status}: ${r.text.slice(0, 200)}`);
    return r.json;
  };

  // 1. Latency under a steady rate.
  const count = Math.round(options.rate * options.durationS);
  options.progress(`opening ${count} orders … `);
  const orders = await inParallel(Array.from({ length: count }), 20, checkout);
  const bodies = orders.map(paymentEvent);
  options.progress(`sending ${count} webhooks at ${options.rate}/s … `);
  const sentAt = new Array(count);
  const statuses = new Map();
  const inflight = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt[i] = Date.now();
    inflight.push(deliver(ctx.platformUrl, options.secret, bodies[i]).then((s) => statuses.set(s, (statuses.get(s) ?? 0) + 1)));
  }
  await Promise.all(inflight);
  const sendSeconds = (performance.now() - start) / 1000;
  const deadline = Date.now() + 60_000;
  let fulfilled = [];
  while (Date.now() < deadline) {
    fulfilled = await inParallel(orders, 20, async (o) => (await ctx.request('GET', `/api/orders/${o.order.id}`, { headers: buyer })).json);
    if (fulfilled.every((o) => o?.status === 'fulfilled')) break;
    await sleep(500);
  }
  const latencies = fulfilled
    .map((o, i) => (o?.fulfilledAt ? Date.parse(o.fulfilledAt) - sentAt[i] : Number.POSITIVE_INFINITY))
    .sort((a, b) => a - b);
  const notFulfilled = fulfilled.filter((o) => o?.status !== 'fulfilled').length;
  const latency = {
    webhooks: count,
    ratePerSecond: options.rate,
    achievedRatePerSecond: count / sendSeconds,
    responses: Object.fromEntries(statuses),
    notFulfilled,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1],
  };
  latency.pass = notFulfilled === 0 && latency.p99Ms < WEBHOOK_TARGETS.p99Ms && Object.keys(latency.responses).every((s) => s === '200');

  // 2. The same event, many times at once.
  options.progress(`duplicate storm: ${options.stormDeliveries} deliveries, ${options.stormConcurrency} at a time … `);
  const target = await checkout();
  const raw = paymentEvent(target);
  const stormStatuses = new Map();
  await inParallel(Array.from({ length: options.stormDeliveries }), options.stormConcurrency, async () => {
    const s = await deliver(ctx.platformUrl, options.secret, raw);
    stormStatuses.set(s, (stormStatuses.get(s) ?? 0) + 1);
  });
  let order;
  for (let i = 0; i < 100; i++) {
    order = (await ctx.request('GET', `/api/orders/${target.order.id}`, { headers: buyer })).json;
    if (order?.status === 'fulfilled') break;
    await sleep(100);
  }
  await sleep(500); // anything a second processing would do has had time to land
  const licences = (await ctx.request('GET', '/api/licenses?perPage=100', { headers: buyer })).json?.data ?? [];
  const audit = (await ctx.request('GET', `/api/admin/audit?action=order.fulfil&entityId=${target.order.id}`, { headers: admin })).json?.data ?? [];
  const storm = {
    deliveries: options.stormDeliveries,
    concurrency: options.stormConcurrency,
    responses: Object.fromEntries(stormStatuses),
    status: order?.status,
    licences: licences.filter((l) => l.orderId === target.order.id).length,
    fulfilments: audit.length,
  };
  storm.pass = storm.status === 'fulfilled' && storm.fulfilments === WEBHOOK_TARGETS.fulfilments && storm.licences === 1 &&
    Object.keys(storm.responses).every((s) => s === '200');
  return { latency, storm, pass: latency.pass && storm.pass };
}
