import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, type DeadLetter } from '../src/index.js';
import { createDeadLetterWriter, deadLetterLine } from '../src/dead-letter.js';
import { Reporter } from '../src/diagnostics.js';
import { auditRecord, CHANNEL_ARN, quietDiagnostics } from './helpers.js';
import * as fs from 'node:fs';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, writeSync: vi.fn(actual.writeSync) };
});

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-dl-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  vi.mocked(fs.writeSync).mockRestore?.();
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TIME = Date.UTC(2026, 0, 1);
const eventJson = (n: number) => JSON.stringify({ id: `id-${n}`, eventData: `{"n":${n}}` });
const letter = (n: number): DeadLetter => ({ event: { id: `id-${n}`, eventData: `{"n":${n}}` }, reason: { code: 'InvalidData', message: 'm' }, time: new Date(TIME).toISOString(), attempts: 0 });
const write = (writer: ReturnType<typeof createDeadLetterWriter>, n: number) => writer.write(eventJson(n), 'InvalidData', 'm', 0, TIME);
const readLetters = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);

describe('dead-letter file', () => {
  it('appends JSON lines at the end of the tick, readable back as the documented shape, mode 0600', async () => {
    const path = join(tempDir(), 'letters.jsonl');
    const quiet = quietDiagnostics();
    const writer = createDeadLetterWriter(path, join(tempDir(), 'fallback.jsonl'), new Reporter(quiet.diagnostics));
    for (let i = 0; i < 3; i++) write(writer, i);
    expect(() => readFileSync(path)).toThrow(); // nothing yet: written at the end of the tick
    await Promise.resolve();
    expect(readLetters(path)).toEqual([0, 1, 2].map(letter));
    // The next tick's letters are written at its end too.
    write(writer, 3);
    await Promise.resolve();
    // Exactly the lines: nothing before the first (a fresh file is not a torn one), nothing twice.
    expect(readFileSync(path, 'utf8')).toBe([0, 1, 2, 3].map((n) => `${JSON.stringify(letter(n))}\n`).join(''));
    writer.flush();
    expect(readLetters(path)).toEqual([0, 1, 2, 3].map(letter));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(quiet.messages).toEqual([]);
    expect(deadLetterLine(eventJson(1), 'InvalidData', 'm', 0, TIME)).toBe(`${JSON.stringify(letter(1))}\n`);
  });

  it('streams a storm of letters with a bounded buffer: written every 64 KiB, not all at the end', () => {
    const path = join(tempDir(), 'storm.jsonl');
    const writer = createDeadLetterWriter(path, join(tempDir(), 'f.jsonl'), new Reporter(quietDiagnostics().diagnostics));
    const big = JSON.stringify({ id: 'big', eventData: 'x'.repeat(1000) });
    for (let i = 0; i < 200; i++) writer.write(big, 'QueueFull', 'm', 0, TIME);
    // 200 letters of ~1.1 kB: most of them are in the file before the tick ends.
    expect(statSync(path).size).toBeGreaterThan(150_000);
    writer.flush();
    expect(readLetters(path)).toHaveLength(200);
  });

  it('writes many letters of one reason exactly as one by one, creating a missing directory (0700) on the way', () => {
    const dir = tempDir();
    const one = join(dir, 'one.jsonl');
    const many = join(dir, 'nested', 'deeper', 'many.jsonl');
    const reporter = new Reporter(quietDiagnostics().diagnostics);
    const events = Array.from({ length: 3000 }, (_, n) => ({ eventJson: JSON.stringify({ id: `id-${n}`, eventData: JSON.stringify({ n, text: `é€😀 \\ " ${'x'.repeat(n % 700)}` }) }), attempts: n % 4 }));
    const a = createDeadLetterWriter(one, join(dir, 'f.jsonl'), reporter);
    for (const event of events) a.write(event.eventJson, 'Exit', 'the process exited', event.attempts, TIME);
    a.flush();
    const b = createDeadLetterWriter(many, join(dir, 'f.jsonl'), reporter);
    b.writeMany(events, 'Exit', 'the process exited', TIME);
    expect(readFileSync(many, 'utf8')).toBe(readFileSync(one, 'utf8'));
    expect(readLetters(many)).toHaveLength(3000);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
  });

  it('creates no file when there is nothing to write', async () => {
    const path = join(tempDir(), 'none.jsonl');
    const writer = createDeadLetterWriter(path, join(tempDir(), 'f.jsonl'), new Reporter(quietDiagnostics().diagnostics));
    writer.flush();
    writer.writeMany([], 'Exit', 'the process exited', TIME);
    await Promise.resolve();
    expect(() => statSync(path)).toThrow();
  });

  it('writes many letters after the single ones still buffered, and a letter larger than its 1 MiB buffer whole', () => {
    const path = join(tempDir(), 'large.jsonl');
    const quiet = quietDiagnostics();
    const writer = createDeadLetterWriter(path, join(tempDir(), 'f.jsonl'), new Reporter(quiet.diagnostics));
    write(writer, 0);
    // Three-byte characters, so that the letter's UTF-8 size is near the writer's estimate of it.
    const huge = { eventJson: JSON.stringify({ id: 'huge', eventData: '€'.repeat(400_000) }), attempts: 2 };
    const small = { eventJson: eventJson(1), attempts: 0 };
    writer.writeMany([small, huge, small], 'Exit', 'the process exited', TIME);
    const letters = readLetters(path);
    expect(letters.map((l) => l.event.id)).toEqual(['id-0', 'id-1', 'huge', 'id-1']);
    expect(letters[2]!.event.eventData).toBe('€'.repeat(400_000));
    expect(letters[2]!.attempts).toBe(2);
    expect(quiet.messages).toEqual([]);
  });

  it('makes an existing world-readable file private', () => {
    const path = join(tempDir(), 'open.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const writer = createDeadLetterWriter(path, join(tempDir(), 'f.jsonl'), new Reporter(quietDiagnostics().diagnostics));
    write(writer, 1);
    writer.flush();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('does not follow a symlink planted at its path', () => {
    const dir = tempDir();
    const elsewhere = join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'precious\n');
    const path = join(dir, 'letters.jsonl');
    symlinkSync(elsewhere, path);
    const quiet = quietDiagnostics();
    const writer = createDeadLetterWriter(path, join(dir, 'f.jsonl'), new Reporter(quiet.diagnostics));
    write(writer, 1);
    writer.flush();
    expect(readFileSync(elsewhere, 'utf8')).toBe('precious\n');
    expect(quiet.at('error')[0]).toContain('cannot append to dead-letter file');
  });

  it('starts on a new line after a torn last line (a crash or a full disk cut it short)', () => {
    const path = join(tempDir(), 'torn.jsonl');
    writeFileSync(path, `${JSON.stringify(letter(0))}\n{"event":{"id":"half`, { mode: 0o600 });
    const writer = createDeadLetterWriter(path, join(tempDir(), 'f.jsonl'), new Reporter(quietDiagnostics().diagnostics));
    write(writer, 1);
    writer.flush();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[1]).toBe('{"event":{"id":"half');
    expect(JSON.parse(lines[2] as string)).toEqual(letter(1));
  });

  it('falls back to stderr, loudly, when the file cannot be written', () => {
    const dir = tempDir();
    const quiet = quietDiagnostics();
    const writer = createDeadLetterWriter(dir /* a directory */, join(dir, 'f.jsonl'), new Reporter(quiet.diagnostics));
    const written: string[] = [];
    vi.mocked(fs.writeSync).mockImplementation(((fd: number, text: unknown) => {
      if (fd !== 2) throw new Error('unexpected write');
      written.push(String(text));
      return String(text).length;
    }));
    write(writer, 1);
    writer.flush();
    write(writer, 2);
    writer.flush();
    expect(written).toEqual([`${JSON.stringify(letter(1))}\n`, `${JSON.stringify(letter(2))}\n`]);
    expect(quiet.at('error')).toHaveLength(1);
    expect(quiet.at('error')[0]).toContain('cannot append to dead-letter file');
  });
});

describe('dead-letter handler', () => {
  it('writes to the fallback file when the handler throws', () => {
    const quiet = quietDiagnostics();
    const fallback = join(tempDir(), 'fallback.jsonl');
    const writer = createDeadLetterWriter(() => { throw new Error('handler broke'); }, fallback, new Reporter(quiet.diagnostics));
    write(writer, 1);
    writer.flush();
    expect(readLetters(fallback)).toEqual([letter(1)]);
    expect(quiet.at('error')[0]).toContain('handler broke');
  });

  it('catches an async handler that rejects, keeps the letter in the fallback file, and the host does not crash', async () => {
    const quiet = quietDiagnostics();
    const fallback = join(tempDir(), 'fallback.jsonl');
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const writer = createDeadLetterWriter(async () => { throw new Error('async broke'); }, fallback, new Reporter(quiet.diagnostics));
      write(writer, 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(readLetters(fallback)).toEqual([letter(1)]);
      expect(quiet.at('error')[0]).toContain('async broke');
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('a handler that adds events back into the sink does not recurse: its letters go to the fallback file', async () => {
    const quiet = quietDiagnostics();
    let handled = 0;
    // The fallback is the default file, relative to the working directory (seen through
    // process.cwd(): worker threads, where mutation testing runs this, cannot chdir()).
    const dir = tempDir();
    const cwd = vi.spyOn(process, 'cwd').mockReturnValue(dir);
    const sink = createAuditSink({
      channelArn: CHANNEL_ARN,
      send: async () => ({ successful: [], failed: [] }),
      diagnostics: quiet.diagnostics,
      deadLetter: () => {
        handled++;
        sink.add(auditRecord(1, { eventTime: 'still not a time' })); // invalid again: dead-lettered inside the handler
      },
      env: {},
    });
    try {
      for (let i = 0; i < 50; i++) sink.add(auditRecord(i, { eventTime: 'not a time' }));
      await sink.flush();
      expect(handled).toBe(50);
      expect(sink.stats()).toMatchObject({ added: 100, deadLettered: { total: 100 } });
      expect(readLetters(join(dir, 'auditlake-dead-letter.jsonl'))).toHaveLength(50);
      expect(quiet.at('warn').some((m) => m.includes('inside the dead-letter handler'))).toBe(true);
    } finally {
      cwd.mockRestore();
      await sink.shutdown();
    }
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
    const codes = readLetters(path).map((l) => l.reason.code);
    expect(codes).toEqual(['InvalidData', 'InvalidData', 'InvalidData', 'InvalidData', 'InvalidData', 'FieldNotFound']);
    expect(quiet.at('warn')).toHaveLength(2);
    expect(quiet.at('warn')[0]).toContain(path);
    await sink.shutdown();
  });

  it('redacts on the path where mapping throws: a secret never reaches the dead-letter file', async () => {
    const path = join(tempDir(), 'redacted.jsonl');
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, deadLetter: path, send: async () => ({ successful: [], failed: [] }), diagnostics: quietDiagnostics().diagnostics, redact: ['requestParameters.password', '**.token'] });
    const hostile = new Proxy({ audit: { eventName: 'Login', requestParameters: { password: 'hunter2', user: 'alice' } }, 'audit.requestParameters.password': 'hunter3', 'audit.x.token': 'tok-1', other: { token: 'tok-2' } }, {
      ownKeys: () => { throw new Error('no keys for you'); },
    });
    sink.add({ attributes: hostile });
    sink.add({ attributes: { audit: { eventName: 'Login', requestParameters: { password: 'hunter4' } }, 'audit.requestParameters.password': 'hunter5' }, message: 'x', time: Number.NaN, severity: 'info', resource: new Proxy({}, { ownKeys: () => { throw new Error('no'); } }) });
    await sink.flush();
    await sink.shutdown();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toMatch(/hunter|tok-/);
  });
});
