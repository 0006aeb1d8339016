import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { buildApp, type WebListener } from './app.js';
import { startInfrastructure, StartupError } from './boot.js';
import { DataDirInUseError } from './db/embedded.js';
import { EnvError, loadEnv } from './env.js';
import { seedFirstRun } from './seed.js';

const startedAt = Date.now();

async function main() {
  const env = loadEnv();
  const log = pino({ level: env.LOG_LEVEL });
  const infra = await startInfrastructure(env, log);
  // Server-side rendering calls the API over loopback, or the one address we listen on.
  const internalHost = ['0.0.0.0', '::', '127.0.0.1', 'localhost'].includes(env.HOST) ? '127.0.0.1' : env.HOST;
  process.env.NUXT_API_INTERNAL_BASE ??= `http://${internalHost.includes(':') ? `[${internalHost}]` : internalHost}:${env.PORT}`;
  // Canonical links, og:url and the pages' code samples name the platform's public address.
  process.env.NUXT_PUBLIC_SITE_URL ??= env.PUBLIC_URL;
  const web = env.SERVE_WEB ? await loadWeb(log) : undefined;
  const app = await buildApp({ env, secrets: infra.secrets, database: infra.database, mailer: infra.mailer, web });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    log.info(`${signal}: draining requests, then stopping`);
    await app.close().catch((error) => log.error({ err: error }, 'closing the HTTP server failed'));
    await infra.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.ready();
  await seedFirstRun(app, log);
  await app.listen({ port: env.PORT, host: env.HOST });
  log.info(`Mintreu ready at ${env.PUBLIC_URL} in ${Date.now() - startedAt} ms`);
}

/** The built Nuxt app (web/.output), mounted for every non-API path. */
async function loadWeb(log: Logger): Promise<WebListener | undefined> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [resolve(here, '../../web/.output/server/index.mjs'), resolve(here, '../../../web/.output/server/index.mjs')];
  const entry = candidates.find(existsSync);
  if (!entry) {
    log.warn(`web app not built (run \`npm run build\`); serving the API only. Looked in ${join('web', '.output')}`);
    return undefined;
  }
  const mod = (await import(pathToFileURL(entry).href)) as { listener?: WebListener; default?: WebListener };
  return mod.listener ?? mod.default;
}

main().catch((error: unknown) => {
  if (error instanceof EnvError || error instanceof StartupError || error instanceof DataDirInUseError) {
    console.error(`\nMintreu cannot start.\n${error.message}\n`);
  } else {
    console.error('\nMintreu failed to start:', error);
  }
  process.exit(1);
});
