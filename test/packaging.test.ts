import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What a published package is made of, checked offline on every run (scripts/release-check.mjs
// goes further: it packs, installs from the registry and runs the front ends).

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['core', 'otel', 'winston', 'pino', 'local'];
const manifest = (name: string) => JSON.parse(readFileSync(`${root}packages/${name}/package.json`, 'utf8')) as Record<string, any>;
const catalog = Object.fromEntries(
  [...(/^catalog:\n((?: {2}.+\n)+)/m.exec(readFileSync(`${root}pnpm-workspace.yaml`, 'utf8'))?.[1] ?? '').matchAll(/^ {2}'?([^':]+)'?: (.+)$/gm)].map((m) => [m[1], m[2]]),
);

describe.each(PACKAGES)('@auditlake/%s', (name) => {
  it('takes its runtime dependencies with ranges, not exact pins, and has the fields npm shows', () => {
    const pkg = manifest(name);
    const ranges = Object.entries(pkg.dependencies as Record<string, string>).map(([dep, range]) => [dep, range === 'catalog:' ? catalog[dep] : range]);
    expect(ranges.filter(([, range]) => !/^(\^|>=|workspace:\^)/.test(String(range)))).toEqual([]);
    expect(pkg).toMatchObject({ license: 'Apache-2.0', engines: manifest('core').engines, repository: { directory: `packages/${name}` } });
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    expect(readFileSync(`${root}packages/${name}/LICENSE`, 'utf8')).toBe(readFileSync(`${root}LICENSE`, 'utf8'));
  });

  it('packs with pnpm: LICENSE, README, the build with its CommonJS types and the sources its maps point at; no build cache', () => {
    const result = spawnSync('pnpm', ['pack', '--dry-run'], { cwd: `${root}packages/${name}`, encoding: 'utf8' });
    expect(result.status).toBe(0);
    const files = result.stdout.split('\n').map((line) => line.trim());
    for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'src/index.ts']) expect(files).toContain(file);
    expect(files.filter((file) => file.includes('tsbuildinfo') || file.startsWith('test/'))).toEqual([]);
  });
});

it('npm pack refuses, saying to pack with pnpm (it would ship workspace: and catalog: ranges)', () => {
  const result = spawnSync('npm', ['pack', '--dry-run'], { cwd: `${root}packages/winston`, encoding: 'utf8' });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('@auditlake/winston: not packed, because');
  expect(result.stderr).toContain('Pack with pnpm instead: pnpm pack');
});
