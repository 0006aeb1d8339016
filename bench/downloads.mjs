// Download scenario for `npm run bench` (see bench/README.md, "Downloads").
//
// 1. Throughput: one 1 GiB file of random bytes, written into the platform's storage directory, is downloaded whole
//    through GET /api/download/{token} and, right before each platform run, from nginx (Debian's package, sendfile
//    on, one worker) serving the very same file on loopback. Both are read by the same client in this process and
//    judged as a ratio of their medians.
// 2. Memory: 20 downloads of the file at once through the platform; the platform process's resident memory is
//    sampled throughout and its peak compared with the resident memory just before they started.
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export const DOWNLOAD_TARGETS = { minRatio: 0.7, parallel: 20, maxAddedRssMB: 50 };

const GiB = 1024 ** 3;
const MB = 1024 * 1024;

/** `size` random bytes (AES-CTR over zeros: fast and incompressible) written to `path` in 1 MiB chunks. */
async function writeRandomFile(path, size) {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(MB);
  const chunks = (function* () {
    for (let written = 0; written < size; written += MB) yield cipher.update(zeros.subarray(0, Math.min(MB, size - written)));
  })();
  await pipeline(Readable.from(chunks), createWriteStream(path));
}

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

/** Downloads `url` whole, discarding the bytes; returns {bytes, seconds, status}. */
function download(url) {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const request = http.get(url, { agent: false }, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve({ bytes, seconds: (performance.now() - startedAt) / 1000, status: response.statusCode }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function rssMB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  } catch {
    return undefined;
  }
}

function findNginx() {
  for (const candidate of [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/bin/nginx'].filter(Boolean)) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/** nginx in the foreground with a generated config serving `root` on a free loopback port; stopped by `stop()`. */
async function startNginx(binary, root) {
  const dir = mkdtempSync(join(os.tmpdir(), 'mintreu-bench-nginx-'));
  const port = await freePort();
  const temp = join(dir, 'tmp');
  mkdirSync(temp);
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${temp};
  proxy_temp_path ${temp};
  fastcgi_temp_path ${temp};
  uwsgi_temp_path ${temp};
  scgi_temp_path ${temp};
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`);
  const proc = spawn(binary, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    try {
      process.kill(-proc.pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(5000)]);
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    const ok = await new Promise((resolve) => {
      http.get(`${url}/`, (r) => {
        r.resume();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return { url, pid: proc.pid, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`nginx did not start: ${stderr.trim().slice(0, 300) || 'no output'}`);
}

/**
 * @param {{ request: Function, adminHeaders: () => Promise<object>, platformUrl: string, dataDir: string, note: (t: string) => void }} ctx
 * @param {{ platformPid: number, fileBytes?: number, runs?: number, parallel?: number, progress: (t: string) => void,
 *   track?: (stop: (() => Promise<void>) | undefined) => void }} options
 */
export async function runDownloadBench(ctx, options) {
  const fileBytes = options.fileBytes ?? GiB;
  const runs = options.runs ?? 5;
  const parallel = options.parallel ?? DOWNLOAD_TARGETS.parallel;

  // The file lives in the platform's storage directory (DATA_DIR/files), which the bench deletes when it ends.
  const benchDir = join(ctx.dataDir, 'files', 'bench');
  mkdirSync(benchDir, { recursive: true });
  const fileName = 'big-file.bin';
  options.progress(`writing ${(fileBytes / GiB).toFixed(2)} GiB of random bytes … `);
  await writeRandomFile(join(benchDir, fileName), fileBytes);

  const admin = await ctx.adminHeaders();
  const product = await ctx.request('POST', '/api/admin/products', {
    headers: admin,
    body: { title: `Download bench ${randomBytes(3).toString('hex')}`, type: 'freebie', price: 0, status: 'published' },
  });
  if (product.status !== 201) throw new Error(`product create answered ${product.status}: ${product.text.slice(0, 200)}`);
  const source = await ctx.request('POST', `/api/admin/products/${product.json.id}/sources`, {
    headers: admin,
    body: { provider: 'local', name: 'Big file', sourceUrl: `bench/${fileName}`, fileName },
  });
  if (source.status !== 201) throw new Error(`source create answered ${source.status}: ${source.text.slice(0, 200)}`);
  const newLink = async () => {
    const r = await ctx.request('POST', `/api/products/${product.json.slug}/download`, { body: {} });
    if (r.status !== 200) throw new Error(`POST /download answered ${r.status}: ${r.text.slice(0, 200)}`);
    return `${ctx.platformUrl}${new URL(r.json.downloadUrl).pathname}`;
  };

  const nginxBinary = findNginx();
  let nginx;
  let skipped;
  if (!nginxBinary) skipped = 'nginx is not installed (apt-get install nginx, or NGINX_PATH): the platform is measured alone, with no ratio';
  else {
    try {
      nginx = await startNginx(nginxBinary, benchDir);
      options.track?.(nginx.stop);
    } catch (error) {
      skipped = `nginx could not be started: ${error.message}`;
    }
  }
  if (skipped) ctx.note(skipped);

  try {
    // 1. Throughput, alternating sides; one warm-up download each first (page cache, connection set-up).
    options.progress('warm-up … ');
    const link = await newLink(); // serves up to DOWNLOAD_TOKEN_MAX_USES requests: enough for these runs
    const check = await download(link);
    if (check.status !== 200 || check.bytes !== fileBytes) throw new Error(`the platform sent ${check.bytes} bytes with status ${check.status}`);
    if (nginx) {
      const n = await download(`${nginx.url}/${fileName}`);
      if (n.status !== 200 || n.bytes !== fileBytes) throw new Error(`nginx sent ${n.bytes} bytes with status ${n.status}`);
    }
    const platformRates = [];
    const nginxRates = [];
    for (let i = 0; i < runs; i++) {
      options.progress(`run ${i + 1}/${runs} … `);
      if (nginx) {
        const n = await download(`${nginx.url}/${fileName}`);
        nginxRates.push(n.bytes / n.seconds);
      }
      const p = await download(link);
      if (p.bytes !== fileBytes) throw new Error(`the platform sent ${p.bytes} of ${fileBytes} bytes`);
      platformRates.push(p.bytes / p.seconds);
    }
    const platformRate = median(platformRates);
    const nginxRate = nginx ? median(nginxRates) : undefined;
    const ratio = nginxRate ? platformRate / nginxRate : undefined;

    // 2. Memory under 20 parallel downloads, each with its own link.
    options.progress(`${parallel} in parallel … `);
    const links = [];
    for (let i = 0; i < parallel; i++) links.push(await newLink());
    await sleep(500);
    const before = rssMB(options.platformPid);
    let peak = before ?? 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = rssMB(options.platformPid);
        if (now !== undefined && now > peak) peak = now;
        await sleep(50);
      }
    })();
    const startedAt = performance.now();
    const results = await Promise.all(links.map((url) => download(url)));
    const seconds = (performance.now() - startedAt) / 1000;
    sampling = false;
    await sampler;
    const incomplete = results.filter((r) => r.status !== 200 || r.bytes !== fileBytes).length;
    const addedMB = before === undefined ? undefined : peak - before;

    const throughputPass = ratio === undefined ? true : ratio >= DOWNLOAD_TARGETS.minRatio;
    const memoryPass = addedMB !== undefined && addedMB < DOWNLOAD_TARGETS.maxAddedRssMB && incomplete === 0;
    return {
      fileBytes,
      runs,
      throughput: {
        platformMBps: platformRate / MB,
        platformRunsMBps: platformRates.map((r) => r / MB),
        nginxMBps: nginxRate === undefined ? undefined : nginxRate / MB,
        nginxRunsMBps: nginxRates.map((r) => r / MB),
        ratio,
        skipped,
        pass: throughputPass,
      },
      parallel: {
        downloads: parallel,
        seconds,
        aggregateMBps: (results.reduce((s, r) => s + r.bytes, 0) / MB) / seconds,
        rssBeforeMB: before,
        rssPeakMB: peak,
        addedMB,
        incomplete,
        pass: memoryPass,
      },
      pass: throughputPass && memoryPass,
    };
  } finally {
    await nginx?.stop();
    options.track?.(undefined);
    rmSync(join(benchDir, fileName), { force: true });
  }
}
