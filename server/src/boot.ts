import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { mailboxMailer, smtpMailer, type Mailer } from './adapters/email/index.js';
import { connect, type Database } from './db/client.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js';
import { runMigrations } from './db/migrate.js';
import type { Env } from './env.js';
import { loadSecrets, type Secrets } from './lib/secrets.js';

export interface Infrastructure {
  secrets: Secrets;
  database: Database;
  mailer: Mailer;
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

export class StartupError extends Error {}

/** Database (embedded or DATABASE_URL) → reachable → migrated; plus the mailer. Shared by main and the CLI. */
export async function startInfrastructure(env: Env, log: Pick<FastifyBaseLogger, 'info' | 'debug'>): Promise<Infrastructure> {
  const secrets = loadSecrets(env);
  let embedded: EmbeddedPostgres | undefined;
  let url = env.DATABASE_URL;
  if (!url) {
    const started = Date.now();
    embedded = await startEmbeddedPostgres({
      dataDir: join(env.DATA_DIR, 'postgres'),
      password: secrets.databasePassword,
      database: 'mintreu',
      log: (line) => log.debug({ postgres: line }),
    });
    url = embedded.url;
    log.info(`embedded PostgreSQL ready in ${Date.now() - started} ms (data in ${join(env.DATA_DIR, 'postgres')})`);
  }
  const database = connect(url, env.DATABASE_POOL_MAX);
  try {
    await database.pool.query('select 1');
  } catch (error) {
    await database.close().catch(() => {});
    await embedded?.stop();
    const where = new URL(url);
    throw new StartupError(`Cannot reach PostgreSQL at ${where.hostname}:${where.port || 5432}: ${(error as Error).message}`);
  }
  await runMigrations(database.pool);
  const mailer = env.SMTP_URL ? smtpMailer(env.SMTP_URL, env.MAIL_FROM) : mailboxMailer(database.db, env.MAIL_FROM);
  return {
    secrets,
    database,
    mailer,
    embedded,
    async close() {
      mailer.close();
      await database.close().catch(() => {});
      await embedded?.stop();
    },
  };
}
