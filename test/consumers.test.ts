import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// TypeScript projects that use the built packages, one per moduleResolution setting users have,
// compiled by the TypeScript compiler with each fixture's own tsconfig and no skipLibCheck, and
// then run by Node (all but bundler, which no runtime executes as is). Each program uses every
// package, prints what it found, and must agree with the others.

const fixtures = fileURLToPath(new URL('./fixtures/consumers/', import.meta.url));
const modules = fileURLToPath(new URL('./node_modules', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const cases: [mode: string, sources: [from: string, to: string][], run: string[]][] = [
  ['node10', [['interop-consumer.ts', 'interop-consumer.ts']], ['dist/interop-consumer.js']],
  ['node16-cjs', [['commonjs-consumer.ts', 'commonjs-consumer.ts'], ['interop-consumer.ts', 'interop-consumer.ts']], ['dist/commonjs-consumer.js', 'dist/interop-consumer.js']],
  ['node16-esm', [['esm-consumer.ts', 'esm-consumer.ts']], ['dist/esm-consumer.js']],
  ['nodenext', [['esm-consumer.ts', 'esm-consumer.ts'], ['commonjs-consumer.ts', 'commonjs-consumer.cts']], ['dist/esm-consumer.js', 'dist/commonjs-consumer.cjs']],
  ['bundler', [['esm-consumer.ts', 'esm-consumer.ts']], []],
];

/** A copy of the fixture in a fresh directory, with the integration tests' node_modules linked in. */
function project(mode: string, sources: [string, string][]): string {
  const dir = mkdtempSync(join(tmpdir(), `auditlake-consumer-${mode}-`));
  dirs.push(dir);
  cpSync(join(fixtures, mode), dir, { recursive: true });
  for (const [from, to] of sources) copyFileSync(join(fixtures, from), join(dir, to));
  symlinkSync(modules, join(dir, 'node_modules'), 'dir');
  return dir;
}

// Declaration files parsed once for all the projects (@types/node alone is large): a file is
// parsed the same way whenever its language version and module format are the same.
const parsed = new Map<string, ts.SourceFile | undefined>();

function compile(dir: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error(`cannot read ${dir}/tsconfig.json`);
  const host = ts.createCompilerHost(config.options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version, onError, shouldCreate) => {
    if (!fileName.endsWith('.d.ts') && !fileName.endsWith('.d.cts') && !fileName.endsWith('.d.mts')) return parse(fileName, version, onError, shouldCreate);
    const key = typeof version === 'object' ? `${fileName}|${version.languageVersion}|${version.impliedNodeFormat}` : `${fileName}|${version}`;
    if (!parsed.has(key)) parsed.set(key, parse(fileName, version, onError, shouldCreate));
    return parsed.get(key);
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  const format = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
  return diagnostics.map((d) => ts.formatDiagnostic(d, format).trim());
}

describe.each(cases)('a TypeScript consumer under moduleResolution %s', (mode, sources, run) => {
  it('compiles against the packages’ types without errors, and runs', () => {
    const dir = project(mode, sources);
    expect(compile(dir)).toEqual([]);
    for (const file of run) {
      const result = spawnSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' });
      expect({ file, status: result.status, stderr: result.stderr }).toEqual({ file, status: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ winston: true, otel: true, pino: true, local: true, letters: 0 });
    }
  });
});

it('require() of @auditlake/winston gives the transport class, and of @auditlake/pino the transport function', () => {
  const script = `
    const winston = require('@auditlake/winston');
    const pino = require('@auditlake/pino');
    const core = require('@auditlake/core');
    console.log(JSON.stringify({
      winston: [typeof winston, winston.name, winston.AuditLakeTransport === winston, winston.default === winston, typeof winston.toAuditLogRecord],
      pino: [typeof pino, pino.default === pino, typeof pino.toAuditLogRecord, typeof pino.reportPinoMetrics],
      core: [typeof core.createAuditSink],
    }));`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: fixtures, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual({
    winston: ['function', 'AuditLakeTransport', true, true, 'function'],
    pino: ['function', true, 'function', 'function'],
    core: ['function'],
  });
});
