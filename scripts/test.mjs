// `npm test`: unit and HTTP tests (vitest, real PostgreSQL), then the browser tests against the built app.
import { spawnSync } from 'node:child_process';
import { root } from './build-state.mjs';

const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npx', ['vitest', 'run']);
if (process.env.SKIP_E2E === '1') console.log('SKIP_E2E=1: browser tests skipped');
else run('node', ['scripts/e2e.mjs']);
