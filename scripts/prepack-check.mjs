#!/usr/bin/env node
// `prepack` of every published package: refuses to pack what would not install.
// - npm pack / npm publish copy package.json as it is, so its "workspace:" and "catalog:"
//   ranges would reach users, whose npm cannot resolve them; pnpm pack / pnpm publish
//   replace them with real ranges. So under npm this stops with a message saying what to run.
// - A package without its build (dist/, including the CommonJS types in dist/cjs) would pack
//   without code.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = process.cwd();
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
// npm sets npm_execpath to itself for its scripts (npm_config_user_agent may be inherited from
// a pnpm that started npm); pnpm sets it to pnpm.
const packedByPnpm = basename(process.env.npm_execpath ?? '').startsWith('pnpm');
const problems = [];

const unresolved = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }).filter(([, range]) =>
  /^(workspace|catalog):/.test(String(range)),
);
if (unresolved.length > 0 && !packedByPnpm) {
  problems.push(
    `its package.json has workspace/catalog ranges (${unresolved.map(([name, range]) => `${name}: ${range}`).join(', ')}) that only pnpm rewrites when packing.\n` +
      `  Pack with pnpm instead: pnpm pack (or pnpm -r pack, or node scripts/release-check.mjs for every package, checked).`,
  );
}
for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.d.ts', 'LICENSE', 'README.md']) {
  if (!existsSync(join(dir, file))) problems.push(`${file} is missing${file.startsWith('dist/') ? ': run pnpm run build at the repository root first' : ''}.`);
}

if (problems.length > 0) {
  process.stderr.write(`${manifest.name}: not packed, because\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
  process.exit(1);
}
