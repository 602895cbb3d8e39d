// Mutation testing of @auditlake/core (`pnpm mutate`, outside CI): each mutant is a small change
// to src/; the score is the share of them that some test notices.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * What to mutate: all of src/ by default (about 7,000 mutants, some 4 hours on 2 cores), or with
 * `MUTATE=engine` the engine's parts, from admission to outcome (about 40 minutes), or any
 * comma-separated globs in MUTATE.
 */
const ENGINE = [
  'admission', 'ledger', 'event-queue', 'scheduler', 'delivery', 'retry', 'backpressure', 'failure-reports',
  'settlement', 'queue-bounds', 'rate-control', 'validate', 'serialize', 'redact', 'dead-letter',
].map((name) => `src/${name}.ts`);
const ALL = ['src/**/*.ts', '!src/index.ts', '!src/internal.ts', '!src/virtual-clock.ts', '!src/replay-command.ts'];
const chosen = process.env.MUTATE === 'engine' ? ENGINE : process.env.MUTATE ? process.env.MUTATE.split(',') : ALL;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // pnpm keeps each package's dependencies to itself: Stryker cannot find the runner by name.
  plugins: [require.resolve('@stryker-mutator/vitest-runner')],
  vitest: { configFile: 'vitest.config.mjs' },
  checkers: [],
  mutate: chosen,
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 10000,
  thresholds: { high: 80, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  // The package's tsconfig extends the workspace's (../../tsconfig.base.json), which a sandbox
  // copy of this directory cannot reach: mutants are written into src/ and put back afterwards
  // (also on Ctrl-C). Commit or stash before running.
  inPlace: true,
};
