#!/usr/bin/env node
// Entry point of `npm test`, `npm run demo` and `npm run bench` on a machine that has only
// Node and npm: finds (or fetches through npx) the pinned pnpm, installs the workspace from
// the lockfile, builds it, then runs the task. Developers with pnpm get the same path.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

const tasks = {
  test: [['run', 'build'], ['run', 'lint'], ['run', 'test:vitest']],
  demo: [['run', 'build'], ['run', 'demo:run']],
  bench: [['run', 'build'], ['run', 'bench:run']],
  // StrykerJS needs Node.js >= 22: run under a registry binary (scripts/with-node.mjs), outside CI.
  mutate: [['run', 'build'], ['exec', 'node', 'scripts/with-node.mjs', '24.22.3', 'pnpm', '--filter', '@auditlake/core', 'run', 'mutate']],
};

const task = process.argv[2];
if (!tasks[task]) {
  console.error(`usage: node scripts/bootstrap.mjs <${Object.keys(tasks).join('|')}>`);
  process.exit(2);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (probe.status === 0 && probe.stdout.trim() === pinned) return ['pnpm', []];
  console.error(`auditlake: using pnpm@${pinned} through npx (found ${probe.status === 0 ? `pnpm ${probe.stdout.trim()}` : 'no pnpm'} on PATH)`);
  return ['npx', ['--yes', `pnpm@${pinned}`]];
}

const [pnpm, prefix] = pnpmCommand();
for (const args of [['install', '--frozen-lockfile'], ...tasks[task]]) {
  const status = run(pnpm, [...prefix, ...args]);
  if (status !== 0) process.exit(status);
}
