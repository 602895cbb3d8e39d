import { defineConfig } from 'vitest/config';
import { otel3Project } from './test/otel-3/vitest-project.js';

// One project per package (unit tests beside the code they test), and one for the
// cross-package integration tests, which run the built packages against the local lake.
const unit = (name: string) => ({ test: { name, root: `packages/${name}`, include: ['test/**/*.test.ts'], testTimeout: 20_000 } });

export default defineConfig({
  test: {
    projects: [
      unit('core'),
      unit('local'),
      unit('otel'),
      // The otel tests again, against OpenTelemetry SDK 3.x (Node >= 22.15 only).
      ...otel3Project(),
      unit('winston'),
      unit('pino'),
      // The benches' harness: the fake endpoint every side-by-side figure is counted by.
      { test: { name: 'bench', root: 'bench', include: ['test/**/*.test.mjs'], testTimeout: 30_000 } },
      { test: { name: 'integration', root: 'test', include: ['**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
});
