// Gateway scenario for `npm run bench` (BENCH_ONLY=gateway; see bench/README.md, "Gateway").
//
// The upstream is the bench's fastify-hello baseline server. An API product points at it; a customer gets an API
// subscription (an admin grant) and a live key on a plan without limits. Then, one after the other:
// 1. the upstream called directly, and through GET /api/gateway/{slug}/ with the key: req/s and p50 latency;
//    judged as a throughput ratio (≥ 50%) and the added p50 latency (< 2 ms); beside them, for reference, the
//    least a Node.js proxy can do (bench/baseline-proxy.mjs: undici, no checks), so the table shows how much of the
//    gap is the cost of being a proxy at all on this machine;
//    then each again with one connection, where the time per call is the hop's own latency, not a queue;
// 2. exact accounting: a fixed number of requests through the gateway with a fresh key (autocannon `amount`, so
//    every request is answered), then the key's usage as the admin API reports it, which must equal them.
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export const GATEWAY_TARGETS = { minRatio: 0.5, maxAddedP50Ms: 2 };

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const figures = (r) => ({
  reqPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, total: r.requests.total,
  ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
});

export async function runGatewayBench(ctx, { durationS, connections, exactRequests, progress }) {
  const upstream = await ctx.startBaseline('fastify-hello', '/');
  const bareProxy = await ctx.startBaseline('node-proxy', '/', { UPSTREAM: upstream.url });
  const admin = await ctx.adminHeaders();
  const product = await ctx.request('POST', '/api/admin/products', {
    headers: admin, body: { title: 'Bench Gateway API', type: 'api_service', price: 0, status: 'published', apiConfig: { baseUrl: upstream.url } },
  });
  if (product.status !== 201) throw new Error(`creating the API product failed (${product.status}): ${product.text.slice(0, 300)}`);
  const plan = await ctx.request('POST', `/api/admin/products/${product.json.id}/plans`, { headers: admin, body: { slug: 'bench', name: 'Bench', price: 0, limits: { keys: 10 } } });
  if (plan.status !== 201) throw new Error(`creating the plan failed (${plan.status}): ${plan.text.slice(0, 300)}`);
  const email = `bench-${Date.now()}@example.com`;
  const signUp = await ctx.request('POST', '/api/auth/sign-up/email', { body: { email, password: 'bench password 123', name: 'Bench Buyer' } });
  if (signUp.status !== 200) throw new Error(`sign-up failed (${signUp.status}): ${signUp.text.slice(0, 300)}`);
  const buyer = { authorization: `Bearer ${signUp.json.token}` };
  const grant = await ctx.request('POST', '/api/admin/licenses', {
    headers: admin, body: { productId: product.json.id, email, type: 'api_subscription', planId: plan.json.id, reason: 'bench' },
  });
  if (grant.status !== 201) throw new Error(`granting the subscription failed (${grant.status}): ${grant.text.slice(0, 300)}`);
  const licenseId = grant.json.license.id;
  const newKey = async (name) => {
    const key = await ctx.request('POST', '/api/api-keys', { headers: buyer, body: { licenseId, name } });
    if (key.status !== 201) throw new Error(`creating a key failed (${key.status}): ${key.text.slice(0, 300)}`);
    return key.json;
  };
  const key = await newKey('throughput');
  const gatewayUrl = `${ctx.platformUrl}/api/gateway/${product.json.slug}/`;
  const check = await fetch(gatewayUrl, { headers: { authorization: `Bearer ${key.key}` } });
  if (check.status !== 200) throw new Error(`the gateway answered ${check.status}: ${(await check.text()).slice(0, 300)}`);

  // 1. Throughput and latency, the upstream directly then through the gateway, each after a short warm-up.
  const load = (url, headers, duration) => run({ url, headers, connections, duration, pipelining: 1 });
  /** A measured run, with the CPU time per request of the process answering it (pid). */
  const measured = async (url, headers, pid) => {
    const before = ctx.cpuSecondsOf(pid);
    const result = figures(await load(url, headers, durationS));
    const after = ctx.cpuSecondsOf(pid);
    if (before !== undefined && after !== undefined && result.total > 0) result.cpuMicrosPerRequest = ((after - before) * 1e6) / result.total;
    return result;
  };
  progress('warm-up … ');
  await load(upstream.url + '/', {}, 2);
  await load(bareProxy.url + '/', {}, 2);
  await load(gatewayUrl, { authorization: `Bearer ${key.key}` }, 2);
  progress('direct … ');
  const direct = await measured(upstream.url + '/', {}, upstream.child.proc.pid);
  progress(`${Math.round(direct.reqPerSec)} req/s; bare proxy … `);
  const proxy = await measured(bareProxy.url + '/', {}, bareProxy.child.proc.pid);
  progress(`${Math.round(proxy.reqPerSec)} req/s; gateway … `);
  const gateway = await measured(gatewayUrl, { authorization: `Bearer ${key.key}` }, ctx.platformPid);
  // One caller at a time: no queue, so the mean time per call (1 / req/s) is the latency the gateway itself adds.
  // autocannon's latencies are whole milliseconds, too coarse for this.
  progress(`${Math.round(gateway.reqPerSec)} req/s; one connection … `);
  const single = async (url, headers) => (await run({ url, headers, connections: 1, duration: Math.min(durationS, 3), pipelining: 1 })).requests.average;
  const unloaded = { directMs: 1000 / await single(upstream.url + '/', {}), gatewayMs: 1000 / await single(gatewayUrl, { authorization: `Bearer ${key.key}` }) };
  progress('exact accounting … ');

  // 2. Exact accounting with a fresh key: every request of a fixed amount is answered before we count.
  const exactKey = await newKey('accounting');
  const exact = await run({ url: gatewayUrl, headers: { authorization: `Bearer ${exactKey.key}` }, connections, amount: exactRequests, pipelining: 1 });
  const served = exact['2xx'] + exact.non2xx;
  let recorded = -1;
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const usage = await ctx.request('GET', `/api/admin/api-keys/${exactKey.id}/usage?interval=day`, { headers: admin });
    recorded = usage.json?.totals?.calls ?? -1;
    if (recorded >= served) break;
  }
  const ratio = direct.reqPerSec > 0 ? gateway.reqPerSec / direct.reqPerSec : 0;
  const addedP50Ms = gateway.p50Ms - direct.p50Ms;
  return {
    direct, proxy, gateway, ratio, addedP50Ms, unloaded,
    accounting: { sent: exactRequests, served, ok: exact['2xx'], recorded, errors: exact.errors },
    pass: ratio >= GATEWAY_TARGETS.minRatio && addedP50Ms < GATEWAY_TARGETS.maxAddedP50Ms && recorded === served && served === exactRequests && gateway.non2xx === 0,
  };
}

const cpu = (figures) => (figures?.cpuMicrosPerRequest ? `; CPU ${figures.cpuMicrosPerRequest.toFixed(1)} µs/request` : '');

export function printGateway(result, printTable) {
  console.log('');
  console.log(result.name);
  if (result.error) return console.log(`  failed: ${result.error}`);
  const t = GATEWAY_TARGETS;
  printTable(['measure', 'value', 'target', 'result'], [
    ['upstream directly', `${Math.round(result.direct.reqPerSec)} req/s, p50 ${result.direct.p50Ms} ms, p99 ${result.direct.p99Ms} ms${cpu(result.direct)}`, '', ''],
    ...(result.proxy ? [['bare Node proxy (reference)', `${Math.round(result.proxy.reqPerSec)} req/s, p50 ${result.proxy.p50Ms} ms, p99 ${result.proxy.p99Ms} ms${cpu(result.proxy)}; ${(100 * result.proxy.reqPerSec / result.direct.reqPerSec).toFixed(1)}% of direct`, '', 'info']] : []),
    ['through the gateway', `${Math.round(result.gateway.reqPerSec)} req/s, p50 ${result.gateway.p50Ms} ms, p99 ${result.gateway.p99Ms} ms${cpu(result.gateway)}`, '', ''],
    ...(result.proxy ? [['gateway ÷ bare proxy', `${(100 * result.gateway.reqPerSec / result.proxy.reqPerSec).toFixed(1)}%`, '', 'info']] : []),
    ['gateway ÷ direct', `${(result.ratio * 100).toFixed(1)}%`, `≥ ${t.minRatio * 100}%`, result.ratio >= t.minRatio ? 'PASS' : 'FAIL'],
    ['added p50 latency', `${result.addedP50Ms.toFixed(2)} ms`, `< ${t.maxAddedP50Ms} ms`, result.addedP50Ms < t.maxAddedP50Ms ? 'PASS' : 'FAIL'],
    ...(result.unloaded ? [['added latency, one connection (no queue)', `${(result.unloaded.gatewayMs - result.unloaded.directMs).toFixed(2)} ms (${result.unloaded.directMs.toFixed(2)} → ${result.unloaded.gatewayMs.toFixed(2)} ms a call)`, '', 'info']] : []),
    ['usage recorded ÷ served', `${result.accounting.recorded} / ${result.accounting.served} (of ${result.accounting.sent} sent)`, 'equal', result.accounting.recorded === result.accounting.served ? 'PASS' : 'FAIL'],
  ]);
}
