// `npm run dev`: the API with reload (tsx watch) on :3000 and Nuxt with hot reload on :3001,
// which proxies /api to the API. Open http://localhost:3001.
import { spawn } from 'node:child_process';
import { root } from './build-state.mjs';

const env = { ...process.env, NODE_ENV: 'development', NUXT_TELEMETRY_DISABLED: '1' };
const children = [
  spawn('npx', ['tsx', 'watch', '--clear-screen=false', 'server/src/main.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, SERVE_WEB: 'false', PORT: process.env.PORT ?? '3000', PUBLIC_URL: process.env.PUBLIC_URL ?? 'http://localhost:3001' },
  }),
  spawn('npx', ['nuxt', 'dev', '--port', '3001'], {
    cwd: `${root}web`, stdio: 'inherit', env: { ...env, NUXT_PUBLIC_SITE_URL: process.env.PUBLIC_URL ?? 'http://localhost:3001' },
  }),
];
console.log('\nMintreu dev: open http://localhost:3001 (API on :3000)\n');
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => { stop(); process.exitCode = code ?? 0; });
