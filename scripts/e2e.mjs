// Browser tests: build if needed, start the real app (embedded PostgreSQL in a temp data dir),
// run the Playwright specs in web/e2e against it, stop it.
import { execSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, staleBuilds } from './build-state.mjs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`Browser tests need Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH, or SKIP_E2E=1).`);
  process.exit(1);
}
for (const workspace of staleBuilds()) {
  console.log(`Building ${workspace}…`);
  execSync(`npm run build -w ${workspace}`, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production', NUXT_TELEMETRY_DISABLED: '1' } });
}

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dataDir = mkdtempSync(join(tmpdir(), 'mintreu-e2e-'));
const baseURL = `http://127.0.0.1:${port}`;
const admin = { email: 'e2e-admin@mintreu.local', password: 'e2e admin password' };
const app = spawn('node', ['server/dist/main.js'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: baseURL,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    // Every spec signs in from 127.0.0.1; the limit itself is covered by the HTTP tests.
    SIGN_IN_RATE_LIMIT: '1000',
    DATABASE_URL: '',
  },
});
const stop = async () => {
  if (app.exitCode === null) {
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
  }
  rmSync(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => stop().then(() => process.exit(130)));

let ready = false;
for (let i = 0; i < 600 && !ready && app.exitCode === null; i++) {
  ready = await fetch(`${baseURL}/readyz`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((r) => setTimeout(r, 100));
}
if (!ready) {
  console.error('The app did not become ready for the browser tests');
  await stop();
  process.exit(1);
}
// `npm run test:e2e -- web/e2e/downloads.e2e.ts` runs the specs named (vitest filters), all of them without.
const result = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.e2e.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, E2E_BASE_URL: baseURL, E2E_ADMIN_EMAIL: admin.email, E2E_ADMIN_PASSWORD: admin.password, CHROMIUM_PATH: chromium },
});
await stop();
process.exit(result.status ?? 1);
