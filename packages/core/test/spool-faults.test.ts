import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, type PutAuditEventsInput } from '../src/index.js';
import { auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';

// Disk faults, injected where the spool meets the file system.
const fault = { writes: undefined as string | undefined };
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    writeSync: vi.fn((fd: number, ...rest: unknown[]) => {
      if (fault.writes && fd > 2) throw Object.assign(new Error(`${fault.writes}: injected`), { code: fault.writes });
      return (actual.writeSync as (...args: unknown[]) => number)(fd, ...rest);
    }),
  };
});

const dirs: string[] = [];
afterEach(() => {
  fault.writes = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a spool that cannot be written', () => {
  it.each(['ENOSPC', 'EROFS', 'EIO'])('falls back to memory on %s, says so once, loudly, and loses nothing', async (code) => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-spool-fault-'));
    dirs.push(dir);
    let up = false;
    const accepted: string[] = [];
    const send = async (input: PutAuditEventsInput) => {
      if (!up) throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
      accepted.push(...input.auditEvents.map((event) => event.id));
      return { successful: input.auditEvents.map((event) => ({ id: event.id, eventID: 'x' })), failed: [] };
    };
    const quiet = quietDiagnostics();
    const dead = deadLetters();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, spoolDir: dir, deadLetter: dead.handler, diagnostics: quiet.diagnostics, retryBaseDelayMs: 5, retryMaxDelayMs: 10, persistOnExit: false, env: {} });
    for (let i = 0; i < 10; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    fault.writes = code;
    for (let i = 10; i < 30; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(quiet.at('error').filter((m) => m.includes('cannot write to the spool'))).toHaveLength(1);
    expect(quiet.at('error')[0]).toContain(code);
    expect(sink.stats().spool).toMatchObject({ degraded: expect.stringContaining(code) as string });
    expect(sink.stats().spool!.memoryEvents).toBeGreaterThanOrEqual(20);
    up = true;
    await sink.flush();
    expect(new Set(accepted).size).toBe(30);
    expect(dead.letters).toHaveLength(0);
    expectInvariant(sink.stats());
    fault.writes = undefined;
    await sink.shutdown();
  });

  it('at shutdown in an outage, keeps what is on disk and dead-letters what only memory held, with the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-spool-fault-'));
    dirs.push(dir);
    const send = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    };
    const quiet = quietDiagnostics();
    const dead = deadLetters();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, spoolDir: dir, deadLetter: dead.handler, diagnostics: quiet.diagnostics, retryBaseDelayMs: 5, retryMaxDelayMs: 10, shutdownTimeoutMs: 50, persistOnExit: false, env: {} });
    for (let i = 0; i < 5; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    fault.writes = 'ENOSPC';
    for (let i = 5; i < 8; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    fault.writes = undefined;
    await sink.shutdown();
    expect(dead.codes()).toEqual(['Shutdown', 'Shutdown', 'Shutdown']);
    expect(dead.letters[0]!.reason.message).toMatch(/last failure: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    expect(sink.stats()).toMatchObject({ deadLettered: { total: 3 }, queuedEvents: 5 });
    expectInvariant(sink.stats());
  });
});
