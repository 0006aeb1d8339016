import { defineConfig } from 'vitest/config';

/** Browser tests: Playwright (playwright-core + Debian's chromium) against the built app that scripts/e2e.mjs starts. */
export default defineConfig({
  test: {
    include: ['web/e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
