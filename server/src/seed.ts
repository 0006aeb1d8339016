import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { seedDemoCatalog } from './modules/catalog/demo/seed.js';
import { adminExists, ensureAdmin } from './modules/users/service.js';

/**
 * First run: an administrator, and (unless SEED_DEMO=false) the demo catalogue.
 *
 * The administrator: ADMIN_EMAIL/ADMIN_PASSWORD when given; otherwise
 * admin@mintreu.local with a generated password, printed once and kept (mode 600) in DATA_DIR so a
 * new user can sign in to the admin panel without configuring anything.
 */
export async function seedFirstRun(app: FastifyInstance, log: Logger) {
  await ensureFirstAdmin(app, log);
  if (app.env.SEED_DEMO) {
    const started = Date.now();
    // Demo data is a convenience: failing to make it must not keep the platform from starting.
    const seeded = await seedDemoCatalog(app).catch((error: unknown) => {
      log.error({ err: error }, 'could not seed the demo catalogue; continuing without it');
      return 0;
    });
    if (seeded) log.info(`seeded the demo catalogue (${seeded} products) in ${Date.now() - started} ms; SEED_DEMO=false to start empty`);
  }
}

async function ensureFirstAdmin(app: FastifyInstance, log: Logger) {
  const { env } = app;
  if (await adminExists(app.db)) return;
  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
    await ensureAdmin(app.db, app.auth, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    log.info(`created the first administrator ${env.ADMIN_EMAIL}`);
    return;
  }
  const email = env.ADMIN_EMAIL ?? 'admin@mintreu.local';
  const password = randomBytes(12).toString('base64url');
  await ensureAdmin(app.db, app.auth, { email, password });
  const file = join(env.DATA_DIR, 'admin-credentials.txt');
  writeFileSync(file, `Mintreu first administrator\nemail: ${email}\npassword: ${password}\n`, { mode: 0o600 });
  log.warn(`created the first administrator ${email} (password saved in ${file})`);
  // Said plainly too, for the person who just ran `npm start`.
  process.stdout.write(
    `\n  First administrator created — sign in at ${env.PUBLIC_URL}/sign-in\n    email:    ${email}\n    password: ${password}\n` +
      `  (also saved in ${file}; change it under Account → Security)\n\n`,
  );
}
