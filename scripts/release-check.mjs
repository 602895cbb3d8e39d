#!/usr/bin/env node
// The release check (pnpm release-check): what a new user gets from npm, tried before publishing.
//
// 1. Packs every package with pnpm (after a build) and checks each tarball: LICENSE, README,
//    no build cache, source maps that point at shipped sources, no workspace:/catalog: ranges,
//    repository/homepage/bugs, every file its exports name.
// 2. Installs the tarball of @auditlake/core alone into a fresh npm project and measures it.
// 3. Installs all tarballs into a fresh npm project next to the current OpenTelemetry
//    (@opentelemetry/api, sdk-logs, resources), winston and pino releases, without flags.
// 4. Runs each example there as it is (they are standalone projects): each starts a local lake
//    from the installed @auditlake/local and must deliver its 6 audit events into it. Checks
//    `npx @auditlake/local`, require() from CommonJS, and the `ConfigurationError` path.
//
// Needs the npm registry. Run it on Node 24 (.ci/run does: node scripts/with-node.mjs 24.22.3 ...).
// Usage: node scripts/release-check.mjs [--keep]   (--keep leaves the scratch directory)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['core', 'otel', 'winston', 'pino', 'local'];
const CURRENT = ['@opentelemetry/api@latest', '@opentelemetry/sdk-logs@latest', '@opentelemetry/resources@latest', 'winston@latest', 'pino@latest'];
const MAX_CORE_INSTALL_BYTES = 20 * 1024 * 1024;
const EXAMPLE_EVENTS = 6;

const scratch = mkdtempSync(join(tmpdir(), 'auditlake-release-check-'));
const problems = [];
const started = Date.now();
const step = (text) => console.log(`\n== ${text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
const check = (ok, text) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  if (!ok) problems.push(text);
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', shell: process.platform === 'win32', ...options });
  if (result.error) throw result.error;
  return result;
}

function must(command, args, options) {
  const result = run(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Space on disk, as `du` counts it (allocated blocks, directories included), and the files' own sizes. */
function sizeOf(path) {
  const info = statSync(path);
  const own = { disk: info.blocks * 512, files: info.isDirectory() ? 0 : info.size };
  if (!info.isDirectory()) return own;
  return readdirSync(path).reduce((sum, entry) => {
    const inner = sizeOf(join(path, entry));
    return { disk: sum.disk + inner.disk, files: sum.files + inner.files };
  }, own);
}

function freshProject(name) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

try {
  console.log(`release check on Node.js ${process.version}, in ${scratch}`);
  if (Number(process.versions.node.split('.')[0]) < 24) console.log('note: meant for Node.js 24 (the current OpenTelemetry SDK needs >= 22.15)');

  step('build and pack');
  must('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const packs = join(scratch, 'packs');
  mkdirSync(packs);
  const tarballs = {};
  for (const name of PACKAGES) {
    must('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', name) });
    const file = readdirSync(packs).find((f) => f.startsWith(`auditlake-${name}-`) && f.endsWith('.tgz'));
    tarballs[name] = join(packs, file);
  }

  step('tarball contents');
  for (const [name, tarball] of Object.entries(tarballs)) {
    const files = must('tar', ['-tzf', tarball]).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(must('tar', ['-xzOf', tarball, 'package/package.json']));
    const ranges = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies });
    // The files the exports map points at (its values; its keys, such as "./internal", are subpaths, not files).
    const exported = JSON.stringify(manifest.exports).match(/:"\.\/[^"]+"/g).map((f) => f.slice(4, -1)).filter((f) => f !== 'package.json');
    const maps = files.filter((f) => f.endsWith('.map'));
    const unresolved = maps.flatMap((map) => {
      const { sources } = JSON.parse(must('tar', ['-xzOf', tarball, `package/${map}`]));
      return sources.map((source) => posix.normalize(posix.join(posix.dirname(map), source))).filter((source) => !files.includes(source));
    });
    check(['LICENSE', 'README.md', 'package.json'].every((f) => files.includes(f)), `${name}: LICENSE, README.md and package.json are in the tarball`);
    check(!files.some((f) => f.endsWith('.tsbuildinfo')), `${name}: no build cache (.tsbuildinfo)`);
    check(unresolved.length === 0, `${name}: the ${maps.length} source maps point at shipped sources${unresolved.length ? ` (missing: ${unresolved.slice(0, 3).join(', ')})` : ''}`);
    check(ranges.every(([, range]) => !/^(workspace|catalog):/.test(range)), `${name}: dependency ranges are resolved (${ranges.map(([dep, range]) => `${dep} ${range}`).join(', ')})`);
    check(Boolean(manifest.repository?.url && manifest.homepage && manifest.bugs?.url), `${name}: repository, homepage and bugs are set`);
    check(exported.every((f) => files.includes(f)), `${name}: every file the exports name is shipped`);
  }

  step('npm install of the packed @auditlake/core alone');
  const alone = freshProject('core-alone');
  must('npm', ['install', '--no-audit', '--no-fund', tarballs.core], { cwd: alone });
  const core = sizeOf(join(alone, 'node_modules'));
  const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  check(core.disk <= MAX_CORE_INSTALL_BYTES, `node_modules of @auditlake/core alone: ${mib(core.disk)} on disk, ${mib(core.files)} of files (at most ${mib(MAX_CORE_INSTALL_BYTES)} on disk)`);

  step(`npm install of every tarball next to ${CURRENT.join(', ')}`);
  const app = freshProject('app');
  const install = run('npm', ['install', '--no-audit', '--no-fund', ...Object.values(tarballs), ...CURRENT], { cwd: app });
  check(install.status === 0, `npm install without flags${install.status === 0 ? '' : `: ${install.stderr.split('\n').filter(Boolean).slice(0, 6).join(' / ')}`}`);
  if (install.status !== 0) throw new Error('cannot go on without an install');
  const version = (pkg) => JSON.parse(readFileSync(join(app, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  console.log(`installed: ${['@opentelemetry/api', '@opentelemetry/sdk-logs', '@opentelemetry/resources', 'winston', 'pino'].map((p) => `${p} ${version(p)}`).join(', ')}`);
  check(run('npm', ['ls', '@opentelemetry/api-logs'], { cwd: app }).stdout.includes('(empty)'), 'no @opentelemetry/api-logs installed with the current SDK');

  step('each example, copied as it is, into a local lake started from the installed @auditlake/local');
  for (const example of ['otel', 'winston', 'pino']) {
    const file = join(app, `${example}.mjs`);
    copyFileSync(join(root, 'examples', example, 'index.mjs'), file);
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AUDITLAKE_')));
    const result = run(process.execPath, [file], { cwd: app, env, timeout: 120_000 });
    const rows = result.stdout.split('\n').filter((line) => /^│ \d+ /.test(line)).length;
    check(result.status === 0 && rows === EXAMPLE_EVENTS, `${example}: ${rows} of ${EXAMPLE_EVENTS} events in the lake, exit code ${result.status}${result.status === 0 ? '' : `\n${result.stderr}`}`);
  }

  step('the command, CommonJS, a bad option');
  const cli = run('npx', ['--no-install', '@auditlake/local', '--help'], { cwd: app });
  check(cli.status === 0 && cli.stdout.includes('Usage: auditlake'), `npx @auditlake/local --help runs the installed command${cli.status === 0 ? '' : `: ${cli.stderr.trim()}`}`);
  const cjs = run(process.execPath, ['-e', "const T = require('@auditlake/winston'); const p = require('@auditlake/pino'); const { AuditLakeLogRecordProcessor } = require('@auditlake/otel'); console.log(typeof T, T.name, T.AuditLakeTransport === T, typeof p, typeof AuditLakeLogRecordProcessor)"], { cwd: app });
  check(cjs.stdout.trim() === 'function AuditLakeTransport true function function', `require() from CommonJS: ${cjs.stdout.trim() || cjs.stderr.trim()}`);
  const bad = run(process.execPath, ['--input-type=module', '-e', "import { AuditLakeTransport } from '@auditlake/winston'; new AuditLakeTransport({ channelArn: 'nope' });"], { cwd: app, env: { PATH: process.env.PATH } });
  check(bad.status !== 0 && bad.stderr.includes('Configuration: channelArn is invalid'), 'a bad option throws a ConfigurationError naming it');
} catch (error) {
  problems.push(String(error instanceof Error ? error.message : error));
  console.error(`\nrelease check stopped: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (process.argv.includes('--keep')) console.log(`\nkept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nrelease check: ${problems.length === 0 ? 'OK' : `${problems.length} problem(s)`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = problems.length === 0 ? 0 : 1;
