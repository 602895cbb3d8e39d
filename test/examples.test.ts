import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Each example run alone, as a user runs it after copying the directory: no AUDITLAKE_*
// variables, so it starts its own local lake, sends to it, and prints what arrived. Its output
// goes to a pipe, so it must be free of terminal escape codes.

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(['otel', 'winston', 'pino'])('node examples/%s/index.mjs, alone', (example) => {
  it('delivers its 6 audit events into the local lake it starts, dead-letters 1, and exits', async () => {
    const cwd = mkdtempSync(join(tmpdir(), `auditlake-example-${example}-`));
    dirs.push(cwd);
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AUDITLAKE_')));
    const child = spawn(process.execPath, [join(examples, example, 'index.mjs')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr: stderr.replace(/.*dead-lettered.*FieldNotFound.*\n|\(Use `node --trace-warnings.*\n/g, '') }).toEqual({ code: 0, stderr: '' });
    // console.table's rows: one per event in the lake.
    const rows = stdout.split('\n').filter((line) => /^│ \d+ /.test(line));
    expect(rows).toHaveLength(6);
    expect(stdout).not.toContain('\x1b[');
    const letters = readFileSync(join(cwd, 'auditlake-dead-letter.jsonl'), 'utf8').trim().split('\n');
    expect(letters.map((line) => (JSON.parse(line) as { reason: { code: string } }).reason.code)).toEqual(['FieldNotFound']);
  });
});
