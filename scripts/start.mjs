// `npm start`: build whatever is missing or stale, then run the platform in this process
// (so signals reach it directly and shutdown is graceful).
import { execSync } from 'node:child_process';
import { root, staleBuilds } from './build-state.mjs';

process.env.NODE_ENV ??= 'production';
process.env.NUXT_TELEMETRY_DISABLED = '1';
for (const workspace of staleBuilds()) {
  console.log(`Building ${workspace}…`);
  execSync(`npm run build -w ${workspace}`, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
await import('../server/dist/main.js');
