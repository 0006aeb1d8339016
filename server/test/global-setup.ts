import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.js';
import { runMigrations } from '../src/db/migrate.js';

/**
 * One PostgreSQL server per test run: TEST_DATABASE_URL's, or an embedded one in a temp dir.
 * A template database is migrated once; each test file clones it (CREATE DATABASE … TEMPLATE).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URL without a database name: postgres://user:pw@host:port */
    dbServerUrl: string;
    templateDatabase: string;
  }
}

let embedded: EmbeddedPostgres | undefined;
let tempDir: string | undefined;
const template = `mintreu_template_${process.pid}`;
let serverUrl = '';

export async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    const url = new URL(process.env.TEST_DATABASE_URL);
    url.pathname = '';
    serverUrl = url.toString().replace(/\/$/, '');
  } else {
    tempDir = mkdtempSync(join(tmpdir(), 'mintreu-test-'));
    embedded = await startEmbeddedPostgres({ dataDir: join(tempDir, 'postgres'), password: 'test-password', database: 'postgres' });
    serverUrl = embedded.url.replace(/\/postgres$/, '');
  }
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: `${serverUrl}/${template}`, max: 2 });
  await runMigrations(pool);
  await pool.end();
  // pg-boss installs its schema on first start; doing it once here spares every cloned database the work.
  const boss = new PgBoss({ connectionString: `${serverUrl}/${template}`, schema: 'pgboss', supervise: false, schedule: false, max: 2 });
  await boss.start();
  await boss.stop({ graceful: false, wait: true, close: true });
  project.provide('dbServerUrl', serverUrl);
  project.provide('templateDatabase', template);
}

export async function teardown() {
  if (!embedded) {
    const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname = $1 or datname like $2`,
      [template, `mintreu_test_${process.pid}_%`],
    );
    for (const row of rows) await admin.query(`drop database if exists "${row.datname}" with (force)`);
    await admin.end();
    return;
  }
  await embedded.stop();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
