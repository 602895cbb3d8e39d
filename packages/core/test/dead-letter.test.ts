import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, createDeadLetterWriter, type DeadLetter } from '../src/index.js';
import { OncePerCause } from '../src/diagnostics.js';
import { auditRecord, CHANNEL_ARN, quietDiagnostics } from './helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-dl-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const letter = (n: number): DeadLetter => ({ event: { id: `id-${n}`, eventData: `{"n":${n}}` }, reason: { code: 'InvalidData', message: 'm' }, time: new Date(0).toISOString(), attempts: 0 });

describe('dead-letter file', () => {
  it('appends JSON lines, one write per tick, readable back as the documented shape', async () => {
    const path = join(tempDir(), 'letters.jsonl');
    const quiet = quietDiagnostics();
    const writer = createDeadLetterWriter(path, new OncePerCause(quiet.diagnostics));
    for (let i = 0; i < 3; i++) writer.write(letter(i));
    expect(() => readFileSync(path)).toThrow(); // nothing yet: written at the end of the tick
    await Promise.resolve();
    writer.write(letter(3));
    writer.flush();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);
    expect(lines).toEqual([0, 1, 2, 3].map(letter));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('falls back to stderr, loudly, when the file cannot be written', () => {
    const dir = tempDir();
    const quiet = quietDiagnostics();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const writer = createDeadLetterWriter(dir /* a directory */, new OncePerCause(quiet.diagnostics));
    writer.write(letter(1));
    writer.flush();
    writer.write(letter(2));
    writer.flush();
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([`${JSON.stringify(letter(1))}\n`, `${JSON.stringify(letter(2))}\n`]);
    expect(quiet.at('error')).toHaveLength(1);
    expect(quiet.at('error')[0]).toContain('cannot append to dead-letter file');
  });

  it('falls back to stderr when the handler throws', () => {
    const quiet = quietDiagnostics();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const writer = createDeadLetterWriter(() => { throw new Error('handler broke'); }, new OncePerCause(quiet.diagnostics));
    writer.write(letter(1));
    expect(stderr).toHaveBeenCalledWith(`${JSON.stringify(letter(1))}\n`);
    expect(quiet.at('error')[0]).toContain('handler broke');
  });
});

describe('the sink and its dead letters', () => {
  it('writes to the file from AUDITLAKE_DEAD_LETTER, announces it once per reason, and has it on disk when flush() resolves', async () => {
    const path = join(tempDir(), 'from-env.jsonl');
    const quiet = quietDiagnostics();
    const sink = createAuditSink({ env: { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AUDITLAKE_DEAD_LETTER: path }, send: async () => ({ successful: [], failed: [] }), diagnostics: quiet.diagnostics });
    for (let i = 0; i < 5; i++) sink.add(auditRecord(i, { eventTime: 'not a time' }));
    sink.add(auditRecord(9, { userIdentity: {} }));
    await sink.flush();
    const codes = readFileSync(path, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as DeadLetter).reason.code);
    expect(codes).toEqual(['InvalidData', 'InvalidData', 'InvalidData', 'InvalidData', 'InvalidData', 'FieldNotFound']);
    expect(quiet.at('warn')).toHaveLength(2);
    expect(quiet.at('warn')[0]).toContain(path);
    await sink.shutdown();
  });
});
