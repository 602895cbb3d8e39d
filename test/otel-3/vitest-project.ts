// The otel-3 vitest project: packages/otel's own tests, with every OpenTelemetry import (in the
// tests and in the package's source) resolved to the current generation installed here
// (API 1.10, SDK 3.x), and @opentelemetry/api-logs made unimportable, as in a user's project.
import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

/** What @opentelemetry/sdk-logs 3.x declares in `engines`. */
export const OTEL_3_MIN_NODE = [22, 15] as const;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export function supportsOtel3(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > OTEL_3_MIN_NODE[0] || (major === OTEL_3_MIN_NODE[0] && minor >= OTEL_3_MIN_NODE[1]);
}

/**
 * The project, or none on a Node.js that SDK 3.x does not support; then one line on stderr says
 * so whenever the run would have included it (.ci/run runs it under Node 22 and 24).
 */
export function otel3Project(argv: readonly string[] = process.argv): TestProjectConfiguration[] {
  if (supportsOtel3()) {
    return [
      {
        resolve: {
          alias: [
            { find: /^@opentelemetry\/(api|sdk-logs|core|resources)$/, replacement: here('./node_modules/@opentelemetry/$1') },
            { find: /^@opentelemetry\/api-logs$/, replacement: here('./api-logs-absent.ts') },
          ],
        },
        test: { name: 'otel-3', root: here('../../packages/otel'), include: ['test/**/*.test.ts'], testTimeout: 20_000 },
      },
    ];
  }
  const projects = argv.flatMap((arg, i) => (arg === '--project' ? [argv[i + 1] ?? ''] : arg.startsWith('--project=') ? [arg.slice(10)] : []));
  if (projects.length === 0 || projects.includes('otel-3')) {
    process.stderr.write(
      `vitest project otel-3 (OpenTelemetry SDK 3.x) not run: it needs Node.js >= ${OTEL_3_MIN_NODE.join('.')}, this is ${process.versions.node}. .ci/run runs it under Node.js 22 and 24.\n`,
    );
  }
  return [];
}
