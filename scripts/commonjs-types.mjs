#!/usr/bin/env node
// Part of `pnpm run build`, after tsc: gives each package a CommonJS view of its types in
// dist/cjs, which its package.json names under the "require" condition.
//
// The packages are ES modules; Node >= 20.19 lets CommonJS require() them. TypeScript, though,
// reads a package's .d.ts as ESM (package.json "type": "module") and refuses it to a CommonJS
// project under moduleResolution node16 (TS1479). The same declarations in a folder whose
// package.json says "type": "commonjs" are read as CommonJS, which is what require() returns:
// the module namespace, or, where the package exports "module.exports" (winston's transport
// class, pino's transport function), that value, described by the package's commonjs.d.ts.
//
// Usage: node scripts/commonjs-types.mjs [--clean]
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages');
const clean = process.argv.includes('--clean');

for (const name of readdirSync(packages)) {
  const dist = join(packages, name, 'dist');
  const cjs = join(dist, 'cjs');
  rmSync(cjs, { recursive: true, force: true });
  if (clean || !existsSync(join(dist, 'index.d.ts'))) continue;
  for (const file of declarations(dist, cjs)) {
    const target = join(cjs, relative(dist, file));
    mkdirSync(dirname(target), { recursive: true });
    // The maps stay with the ESM declarations; these copies point nowhere else.
    writeFileSync(target, readFileSync(file, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  }
  const entry = join(packages, name, 'commonjs.d.ts');
  if (existsSync(entry)) copyFileSync(entry, join(cjs, 'index.d.ts'));
  writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

function* declarations(dir, skip) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && path !== skip) yield* declarations(path, skip);
    else if (entry.isFile() && entry.name.endsWith('.d.ts')) yield path;
  }
}
