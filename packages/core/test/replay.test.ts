import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayDeadLetters, type DeadLetter, type PutAuditEventsInput } from '../src/index.js';
import { main } from '../src/replay-command.js';
import { auditRecord, CHANNEL_ARN, quietDiagnostics } from './helpers.js';
import { createRecordEncoder } from '../src/internal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const encode = createRecordEncoder({ recipientAccountId: '123456789012' });
function letter(n: number, code = 'RetryDeadline'): DeadLetter {
  return { event: { id: `replay-${n}`, eventData: encode(auditRecord(n))!.json }, reason: { code, message: 'm' }, time: new Date(0).toISOString(), attempts: 3 };
}

function fileOf(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-replay-'));
  dirs.push(dir);
  const file = join(dir, 'dead.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A destination that remembers what it accepted, and refuses ids in `refuse`. */
function service(refuse = new Set<string>()) {
  const accepted: string[] = [];
  const send = async (input: PutAuditEventsInput) => {
    const ok = input.auditEvents.filter((event) => !refuse.has(event.id));
    accepted.push(...ok.map((event) => event.id));
    return {
      successful: ok.map((event) => ({ id: event.id, eventID: 'x' })),
      failed: input.auditEvents.filter((event) => refuse.has(event.id)).map((event) => ({ id: event.id, errorCode: 'InvalidData', errorMessage: 'no' })),
    };
  };
  return { accepted, send };
}

describe('replayDeadLetters', () => {
  it('resends with the original ids, and a second run sends nothing already accepted', async () => {
    const file = fileOf(Array.from({ length: 250 }, (_, n) => JSON.stringify(letter(n))));
    const api = service();
    const options = { channelArn: CHANNEL_ARN, send: api.send, diagnostics: quietDiagnostics().diagnostics, env: {} };
    const first = await replayDeadLetters(file, options);
    expect(first).toMatchObject({ read: 250, delivered: 250, alreadyDelivered: 0, deadLettered: 0, malformed: [] });
    expect(api.accepted).toEqual(Array.from({ length: 250 }, (_, n) => `replay-${n}`));
    const second = await replayDeadLetters(file, options);
    expect(second).toMatchObject({ read: 250, delivered: 0, alreadyDelivered: 250 });
    expect(api.accepted).toHaveLength(250);
    expect(readFileSync(`${file}.replay-progress`, 'utf8').trim().split('\n')).toHaveLength(250);
  });

  it('picks up where an interrupted run stopped: only what is missing from the progress file is sent', async () => {
    const file = fileOf(Array.from({ length: 10 }, (_, n) => JSON.stringify(letter(n))));
    writeFileSync(`${file}.replay-progress`, 'replay-0\nreplay-1\nreplay-2\n');
    const api = service();
    const report = await replayDeadLetters(file, { channelArn: CHANNEL_ARN, send: api.send, diagnostics: quietDiagnostics().diagnostics, env: {} });
    expect(report).toMatchObject({ delivered: 7, alreadyDelivered: 3 });
    expect(api.accepted).toEqual(Array.from({ length: 7 }, (_, n) => `replay-${n + 3}`));
  });

  it('sends an id repeated in the file once, reports malformed lines, and dead-letters what fails again elsewhere', async () => {
    const file = fileOf([JSON.stringify(letter(1)), 'not json', JSON.stringify({ reason: {} }), JSON.stringify(letter(1)), JSON.stringify(letter(2)), '']);
    const api = service(new Set(['replay-2']));
    const report = await replayDeadLetters(file, { channelArn: CHANNEL_ARN, send: api.send, diagnostics: quietDiagnostics().diagnostics, env: {} });
    expect(report).toMatchObject({ read: 3, delivered: 1, alreadyDelivered: 1, deadLettered: 1, deadLetteredByReason: { InvalidData: 1 } });
    expect(report.malformed.map((bad) => bad.line)).toEqual([2, 3]);
    const again = readFileSync(report.deadLetterFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);
    expect(again.map((l) => [l.event.id, l.reason.code])).toEqual([['replay-2', 'InvalidData']]);
    expect(report.deadLetterFile).toMatch(/dead\.replay-failed\.jsonl$/);
  });

  it('refuses to write its dead letters into the file it reads', async () => {
    const file = fileOf([JSON.stringify(letter(1))]);
    await expect(replayDeadLetters(file, { channelArn: CHANNEL_ARN, deadLetter: file, env: {} })).rejects.toThrow(/deadLetter is invalid, expected a file other than the one being replayed/);
  });
});

describe('the auditlake-replay command', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line), env: {} as Record<string, string> } };
  };

  it('explains itself and refuses bad usage with exit code 2', async () => {
    const help = io();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toContain('usage: auditlake-replay');
    const none = io();
    expect(await main([], none.io)).toBe(2);
    const missing = io();
    expect(await main(['/nonexistent/file.jsonl'], missing.io)).toBe(2);
    expect(missing.err.join('\n')).toContain('no such file');
    const noChannel = io();
    expect(await main([fileOf([JSON.stringify(letter(1))])], noChannel.io)).toBe(2);
    expect(noChannel.err.join('\n')).toContain('Configuration: channelArn is invalid');
    const badFlag = io();
    expect(await main(['--nope'], badFlag.io)).toBe(2);
  });
});
