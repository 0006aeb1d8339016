// Which build outputs are missing or older than their sources, so `npm start` and the test
// runner rebuild only what changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const targets = {
  server: { output: 'server/dist/main.js', sources: ['server/src', 'server/drizzle', 'packages/contracts/src', 'server/build.mjs'] },
  web: { output: 'web/.output/server/index.mjs', sources: ['web/app', 'web/public', 'web/nuxt.config.ts', 'packages/contracts/src'] },
};

/** Workspaces whose build is missing or stale: e.g. ['server', 'web']. */
export function staleBuilds() {
  return Object.entries(targets)
    .filter(([, { output, sources }]) => {
      const out = join(root, output);
      if (!existsSync(out)) return true;
      const built = statSync(out).mtimeMs;
      return sources.some((source) => newest(join(root, source)) > built);
    })
    .map(([name]) => name);
}
