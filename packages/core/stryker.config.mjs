// Mutation testing of @auditlake/core (`pnpm mutate`, outside CI): each mutant is a small change
// to src/; the score is the share of them that some test notices.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // pnpm keeps each package's dependencies to itself: Stryker cannot find the runner by name.
  plugins: [require.resolve('@stryker-mutator/vitest-runner')],
  vitest: { configFile: 'vitest.config.mjs' },
  checkers: [],
  mutate: ['src/**/*.ts', '!src/index.ts', '!src/internal.ts', '!src/virtual-clock.ts', '!src/replay-command.ts'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20000,
  thresholds: { high: 80, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  // The package's tsconfig extends the workspace's (../../tsconfig.base.json), which a sandbox
  // copy of this directory cannot reach: mutants are written into src/ and put back afterwards
  // (also on Ctrl-C). Commit or stash before running.
  inPlace: true,
};
