// Mintreu benchmark: `npm run bench`. See bench/README.md.
//
// Every throughput figure is measured beside a baseline (a bare Fastify hello-world) in the same run,
// right after it, and judged as a ratio: machines are noisy, ratios hold, absolute numbers do not.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');

// ---------------------------------------------------------------------------------------------
// Scenarios. Each is one platform request measured right after one baseline request.
//
//   name       shown in the table
//   baseline   { server, path, method?, headers?, body? }  server: a key of `baselineServers`
//   platform   { path, method?, headers?, body? }          body: a string, or an object sent as JSON
//   minRatio   platform req/s ÷ baseline req/s must be at least this
//   web?       true if the scenario needs the Nuxt pages (skipped when web/.output is not built)
//   setup?     async (ctx) => overrides | undefined. Runs once before the scenario's warm-up; can seed
//              data through the API with ctx.request(method, path, { body, headers }) → { status, json, text };
//              ctx.adminHeaders() signs in as the administrator (ctx.admin) and returns an Authorization
//              header for ctx.request or for the measured request. Whatever setup returns
//              ({ path, method, headers, body }) replaces those fields of `platform`.
// ---------------------------------------------------------------------------------------------
const scenarios = [
  {
    name: 'GET /api/status',
    baseline: { server: 'fastify-hello', path: '/' },
    platform: { path: '/api/status' },
    minRatio: 0.7,
  },
];

/** Baseline servers, each a script started with PORT and HOST in its environment. */
const baselineServers = {
  'fastify-hello': join(benchDir, 'baseline-server.mjs'),
};

const TARGETS = { coldStartEmptyS: 15, coldStartExistingS: 3, rssMB: 300 };
const LOAD = { connections: 50, pipelining: 1, warmupS: 2, durationS: positiveNumber(process.env.BENCH_DURATION, 10) };
const STRICT = process.env.BENCH_STRICT === '1';
const EXTERNAL_DB = process.env.BENCH_DATABASE_URL || undefined;

// ---------------------------------------------------------------------------------------------
// Child processes and cleanup: whatever happens (error, Ctrl-C), children stop and DATA_DIR goes.
// ---------------------------------------------------------------------------------------------
const children = new Set();
let dataDir;
let currentCannon;
let cleaning;
let aborted = false;

function positiveNumber(value, fallback) {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Starts `node <script>` in its own process group so that Ctrl-C reaches us first and we stop it in order. */
function startNode(name, script, env) {
  const proc = spawn(process.execPath, [script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const child = { name, proc, output: [], exit: undefined };
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) child.output.push(line);
    if (child.output.length > 60) child.output.splice(0, child.output.length - 60);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  child.exited = new Promise((resolve) =>
    proc.once('exit', (code, signal) => {
      child.exit = { code, signal };
      resolve(child.exit);
    }),
  );
  proc.once('error', (error) => child.output.push(`spawn failed: ${error.message}`));
  children.add(child);
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait for a graceful exit, then SIGKILL the whole group (which includes an embedded PostgreSQL). */
async function stopChild(child, timeoutMs = 30_000) {
  if (!child.exit) {
    child.proc.kill('SIGTERM');
    const timedOut = await Promise.race([child.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      console.error(`  ${child.name} did not stop within ${timeoutMs / 1000} s; killing it`);
    }
  }
  killGroup(child, 'SIGKILL'); // leftovers of the group, if the leader died without stopping them
  await child.exited;
  children.delete(child);
  return child.exit;
}

/** An embedded PostgreSQL that outlived its parent (it writes its pid into the data directory). */
async function stopOrphanPostgres(dir) {
  const pidFile = join(dir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function cleanup() {
  cleaning ??= (async () => {
    currentCannon?.stop();
    await Promise.all([...children].map((child) => stopChild(child, 20_000)));
    if (dataDir) {
      await stopOrphanPostgres(dataDir).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      dataDir = undefined;
    }
  })();
  return cleaning;
}

// Last resort when the process exits without cleanup() having finished.
process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (cleaning) {
      console.error(`\n${signal} again: killing children now`);
      process.exit(130);
    }
    aborted = true;
    console.error(`\n${signal}: stopping the servers and removing the data directory…`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; returns the elapsed milliseconds since `startedAt`. */
async function waitUntil200(child, url, startedAt, timeoutMs) {
  const deadline = startedAt + timeoutMs;
  for (;;) {
    if (child.exit) {
      throw new Error(`${child.name} exited (${child.exit.signal ?? child.exit.code}) before ${url} answered 200:\n${tail(child)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - startedAt;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      throw new Error(`${child.name}: ${url} did not answer 200 within ${timeoutMs / 1000} s:\n${tail(child)}`);
    }
    await sleep(20);
  }
}

function tail(child) {
  return child.output.length ? child.output.map((l) => `    | ${l}`).join('\n') : '    (no output)';
}

/** VmRSS and VmHWM (peak) of a process, in MB; undefined where /proc is not available. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

function requestOptions(base, req) {
  const headers = { ...(req.headers ?? {}) };
  let body = req.body;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  return { url: base + req.path, method: req.method ?? 'GET', headers, body };
}

function cannon(options, durationS) {
  return new Promise((resolve, reject) => {
    currentCannon = autocannon(
      { ...options, connections: LOAD.connections, pipelining: LOAD.pipelining, duration: durationS },
      (error, result) => {
        currentCannon = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/** A discarded warm-up run, then the measured run. */
async function measure(options, afterWarmup) {
  await cannon(options, LOAD.warmupS);
  afterWarmup?.();
  const r = await cannon(options, LOAD.durationS);
  return {
    reqPerSec: r.requests.average,
    requests: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** One request to a server, as a browser on the same origin would send it (auth checks the Origin header). */
async function api(base, method, path, { body, headers } = {}) {
  const opts = requestOptions(base, { path, method, headers: { origin: base, ...headers }, body });
  const response = await fetch(opts.url, { method: opts.method, headers: opts.headers, body: opts.body });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Warns when the bundle is older than the sources it is built from (the bench measures the bundle). */
function warnIfStale(bundle) {
  const built = statSync(bundle).mtimeMs;
  const newest = (dir) => {
    let latest = 0;
    if (!existsSync(dir)) return latest;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return latest;
  };
  if (Math.max(newest(join(root, 'server/src')), newest(join(root, 'packages/contracts/src'))) > built) {
    console.log('  note: server/dist/main.js is older than the sources; run `npm run build -w server` to measure the latest code');
  }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------
async function main() {
  const bundle = join(root, 'server/dist/main.js');
  if (!existsSync(bundle)) {
    console.log('server/dist/main.js is missing: building the server…');
    const build = spawnSync('npm', ['run', 'build', '-w', 'server'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0 || !existsSync(bundle)) throw new Error('`npm run build -w server` failed');
  } else {
    warnIfStale(bundle);
  }
  const webBuilt = existsSync(join(root, 'web/.output/server/index.mjs'));
  const runnable = scenarios.filter((s) => !s.web || webBuilt);
  const serveWeb = runnable.some((s) => s.web);

  const cpus = os.cpus();
  console.log(
    `Mintreu benchmark — node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model?.trim() ?? 'unknown'}), ` +
      `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `autocannon: ${LOAD.connections} connections, pipelining ${LOAD.pipelining}, ${LOAD.warmupS} s warm-up (discarded) + ` +
      `${LOAD.durationS} s measured per side; database: ${EXTERNAL_DB ? 'external (BENCH_DATABASE_URL)' : 'embedded PostgreSQL'}\n`,
  );

  dataDir = mkdtempSync(join(os.tmpdir(), 'mintreu-bench-'));
  const admin = { email: 'bench-admin@mintreu.local', password: randomBytes(18).toString('base64url') };
  const port = await freePort();
  const platformUrl = `http://127.0.0.1:${port}`;
  const platformEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'PUBLIC_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SMTP_URL']) delete platformEnv[key];
  Object.assign(platformEnv, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SERVE_WEB: String(serveWeb),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    NUXT_TELEMETRY_DISABLED: '1',
    ...(EXTERNAL_DB ? { DATABASE_URL: EXTERNAL_DB } : {}),
  });
  const startPlatform = async (label, timeoutMs) => {
    const startedAt = performance.now();
    const child = startNode(`platform (${label})`, bundle, platformEnv);
    const ms = await waitUntil200(child, `${platformUrl}/readyz`, startedAt, timeoutMs);
    return { child, ms };
  };

  // 1. Cold start on an empty data directory, then a graceful stop.
  process.stdout.write('cold start, empty data directory … ');
  const first = await startPlatform('first start', 180_000);
  console.log(`${(first.ms / 1000).toFixed(2)} s`);
  process.stdout.write('graceful stop (SIGTERM) … ');
  const stopStartedAt = performance.now();
  const firstExit = await stopChild(first.child);
  const stopMs = performance.now() - stopStartedAt;
  console.log(`${(stopMs / 1000).toFixed(2)} s (exit ${firstExit.signal ?? firstExit.code})`);
  await stopOrphanPostgres(dataDir);

  // 2. Cold start with the data directory the first start left behind; this instance serves the scenarios.
  process.stdout.write('cold start, existing data directory … ');
  const second = await startPlatform('second start', 60_000);
  console.log(`${(second.ms / 1000).toFixed(2)} s`);
  const platform = second.child;

  // 3. Baselines, started only now so they do not disturb the start-up measurements.
  const baselineUrls = {};
  for (const name of new Set(runnable.map((s) => s.baseline.server))) {
    const script = baselineServers[name];
    if (!script) throw new Error(`unknown baseline server "${name}"`);
    const basePort = await freePort();
    const child = startNode(`baseline ${name}`, script, { ...process.env, PORT: String(basePort), HOST: '127.0.0.1' });
    baselineUrls[name] = `http://127.0.0.1:${basePort}`;
    await waitUntil200(child, baselineUrls[name] + '/', performance.now(), 30_000);
  }

  // 4. Scenarios: baseline, then the platform right after it.
  const results = [];
  let rssAfterWarmup;
  let adminSession;
  for (const scenario of scenarios) {
    if (!runnable.includes(scenario)) {
      results.push({ name: scenario.name, skipped: 'web/.output is not built', pass: true });
      continue;
    }
    const ctx = {
      platformUrl,
      baselineUrl: baselineUrls[scenario.baseline.server],
      admin,
      dataDir,
      request: (method, path, options) => api(platformUrl, method, path, options),
      /** Signs in as ctx.admin (once per run: sign-in is rate-limited); headers that authenticate as that administrator. */
      adminHeaders() {
        adminSession ??= ctx.request('POST', '/api/auth/sign-in/email', { body: admin }).then((r) => {
          if (r.status !== 200 || !r.json?.token) throw new Error(`admin sign-in failed (${r.status}): ${r.text.slice(0, 200)}`);
          return { authorization: `Bearer ${r.json.token}` };
        });
        return adminSession;
      },
    };
    const overrides = (await scenario.setup?.(ctx)) ?? {};
    const target = { ...scenario.platform, ...overrides };
    process.stdout.write(`${scenario.name}: baseline … `);
    const baseline = await measure(requestOptions(ctx.baselineUrl, scenario.baseline));
    process.stdout.write(`${Math.round(baseline.reqPerSec)} req/s; platform … `);
    const measured = await measure(requestOptions(platformUrl, target), () => {
      rssAfterWarmup ??= memoryOf(platform.proc.pid);
    });
    console.log(`${Math.round(measured.reqPerSec)} req/s`);
    const ratio = baseline.reqPerSec > 0 ? measured.reqPerSec / baseline.reqPerSec : 0;
    const problems = [];
    for (const [side, m] of [['baseline', baseline], ['platform', measured]]) {
      if (m.non2xx) problems.push(`${side}: ${m.non2xx} non-2xx responses`);
      if (m.errors) problems.push(`${side}: ${m.errors} errors`);
      if (m.timeouts) problems.push(`${side}: ${m.timeouts} timeouts`);
    }
    results.push({
      name: scenario.name,
      baseline,
      platform: measured,
      ratio,
      minRatio: scenario.minRatio,
      problems,
      pass: ratio >= scenario.minRatio && problems.length === 0,
    });
  }

  // 5. Resident memory of the platform's node process after warm-up and load.
  const memory = memoryOf(platform.proc.pid);

  // 6. Report.
  const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
  const fmtMs = (n) => (n === undefined ? 'n/a' : n.toFixed(n < 10 ? 2 : 1));
  const verdict = (pass) => (pass ? 'PASS' : 'FAIL');
  console.log('');
  printTable(
    ['scenario', 'baseline req/s', 'platform req/s', 'ratio', 'target', 'baseline p99 ms', 'platform p99 ms', 'result'],
    results.map((r) =>
      r.skipped
        ? [r.name, '-', '-', '-', '-', '-', '-', `SKIPPED (${r.skipped})`]
        : [
            r.name,
            fmtInt(r.baseline.reqPerSec),
            fmtInt(r.platform.reqPerSec),
            `${(r.ratio * 100).toFixed(1)}%`,
            `≥ ${Math.round(r.minRatio * 100)}%`,
            fmtMs(r.baseline.p99Ms),
            fmtMs(r.platform.p99Ms),
            verdict(r.pass),
          ],
    ),
  );
  for (const r of results) for (const p of r.problems ?? []) console.log(`  ${r.name}: ${p}`);

  const startup = {
    coldStartEmptyS: first.ms / 1000,
    coldStartExistingS: second.ms / 1000,
    gracefulStopS: stopMs / 1000,
  };
  const checks = [
    ['cold start, empty data directory (spawn → /readyz 200)', startup.coldStartEmptyS, TARGETS.coldStartEmptyS, 's'],
    ['cold start, existing data directory', startup.coldStartExistingS, TARGETS.coldStartExistingS, 's'],
    ['resident memory (VmRSS) of the platform node process after load', memory?.rssMB, TARGETS.rssMB, 'MB'],
  ].map(([name, value, limit, unit]) => ({ name, value, limit, unit, pass: value !== undefined && value < limit }));
  console.log('');
  printTable(
    ['measure', 'value', 'target', 'result'],
    [
      ...checks.map((c) => [
        c.name,
        c.value === undefined ? 'n/a' : `${c.value.toFixed(unitDigits(c.unit))} ${c.unit}`,
        `< ${c.limit} ${c.unit}`,
        verdict(c.pass),
      ]),
      ['resident memory right after the first warm-up', mb(rssAfterWarmup?.rssMB), '-', 'info'],
      ['peak resident memory (VmHWM) of the platform node process', mb(memory?.peakMB), '-', 'info'],
      ['graceful stop (SIGTERM → exit) after the first start', `${startup.gracefulStopS.toFixed(2)} s`, '-', 'info'],
    ],
  );
  console.log(
    '\nMemory counts the platform\'s node process only (/proc/<pid>/status); the ' +
      (EXTERNAL_DB ? 'external database is' : 'embedded PostgreSQL runs as separate processes and is') +
      ' not counted.\nThroughput is compared as a ratio to the baseline measured just before it: autocannon and the ' +
      `servers share ${cpus.length} CPU(s), so absolute req/s depend on the machine.`,
  );

  const pass = results.every((r) => r.pass) && checks.every((c) => c.pass);
  const report = {
    date: new Date().toISOString(),
    pass,
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus.length, cpuModel: cpus[0]?.model?.trim(), loadavg: os.loadavg() },
    settings: { ...LOAD, database: EXTERNAL_DB ? 'external' : 'embedded', serveWeb },
    scenarios: results,
    startup: { ...startup, targets: { coldStartEmptyS: TARGETS.coldStartEmptyS, coldStartExistingS: TARGETS.coldStartExistingS } },
    memory: {
      process: 'platform node process only; the database is not counted',
      rssAfterLoadMB: memory?.rssMB,
      rssAfterFirstWarmupMB: rssAfterWarmup?.rssMB,
      peakRssMB: memory?.peakMB,
      targetMB: TARGETS.rssMB,
    },
    checks,
  };
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${pass ? 'All targets met.' : 'Some targets were missed.'} Results: bench/results/latest.json`);
  return pass;
}

function unitDigits(unit) {
  return unit === 's' ? 2 : 0;
}

function mb(value) {
  return value === undefined ? 'n/a' : `${value.toFixed(0)} MB`;
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

let exitCode = 0;
try {
  const pass = await main();
  if (!pass && STRICT) exitCode = 1;
} catch (error) {
  if (aborted) await new Promise(() => {}); // the signal handler finishes the cleanup and exits
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : error}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
