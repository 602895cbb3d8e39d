import { defineConfig } from 'vitest/config';

// The core project on its own, for `pnpm mutate` (StrykerJS runs vitest inside this package).
// The workspace's vitest.config.ts at the root defines the same project for `npm test`.
export default defineConfig({
  // Forks, as the workspace's config: some tests chdir(), which worker threads cannot.
  test: { include: ['test/**/*.test.ts'], testTimeout: 20_000, pool: 'forks' },
});
