import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where `node --import tsx server/src/main.ts` is run from). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export interface ChildServer {
  child: ChildProcess;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url(path: string): string;
}

/**
 * Starts the real entry point as a child process with only the environment given (plus PATH/HOME),
 * so nothing from the test runner's environment leaks into its configuration.
 */
export function startServer(env: Record<string, string>, port: number): ChildServer {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      SERVE_WEB: 'false',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    url: (path) => `http://127.0.0.1:${port}${path}`,
  };
}

/** Polls GET /readyz until it answers 200; fails early (with the output) if the process exits. */
export async function waitUntilReady(server: ChildServer, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(server.url('/readyz'));
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `server on port ${server.port} did not become ready (exit: ${JSON.stringify(exited ? await server.exited : null)})\n` +
      `stdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`,
  );
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The embedded PostgreSQL's pid from its postmaster.pid, if the file exists. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid || undefined;
}

/**
 * Stops a child for cleanup: SIGTERM, then SIGKILL after a while; and since a killed Mintreu leaves
 * its embedded PostgreSQL running, stops that too.
 */
export async function stopServer(server: ChildServer | undefined, dataDir?: string): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
    await server.exited;
    clearTimeout(timer);
  }
  const pid = dataDir ? postmasterPid(dataDir) : undefined;
  if (pid && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}
