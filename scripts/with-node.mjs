#!/usr/bin/env node
// Runs a command under another Node.js version, taken from the npm registry, where Node's
// official binaries are published as node-<platform>-<arch> packages. Each version is installed
// once into .tools/ (ignored by git) and reused.
//
// Usage: node scripts/with-node.mjs <version> <command> [args...]
//   e.g. node scripts/with-node.mjs 24.22.3 pnpm vitest run
// The command runs with that version's bin directory first on PATH, so `node`, and everything
// started through it (pnpm, vitest and its workers, the tests' child processes), is that version.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [version, command, ...args] = process.argv.slice(2);
if (!version || !/^\d+\.\d+\.\d+$/.test(version) || !command) {
  console.error('usage: node scripts/with-node.mjs <major.minor.patch> <command> [args...]');
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const platform = process.platform === 'win32' ? 'win' : process.platform;
const name = `node-${platform}-${process.arch}`;
const dir = join(root, '.tools', `${name}-${version}`);
const bin = join(dir, 'node_modules', name, 'bin');
const node = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');

function run(file, argv, options = {}) {
  const result = spawnSync(file, argv, { stdio: 'inherit', shell: process.platform === 'win32', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (!existsSync(node) || spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() !== `v${version}`) {
  console.error(`with-node: installing ${name}@${version} into ${dir}`);
  mkdirSync(dir, { recursive: true });
  const status = run('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${name}@${version}`]);
  if (status !== 0 || !existsSync(node)) {
    console.error(`with-node: could not install ${name}@${version} from the npm registry (npm exited with ${status})`);
    process.exit(status || 1);
  }
}

console.error(`with-node: Node.js ${version}: ${[command, ...args].join(' ')}`);
process.exit(run(command, args, { cwd: root, env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` } }));
