import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyDataDir, type LocalLake } from '../src/index.js';
import { auditEvent, cli, lake, putRaw, quiet, tempDir } from './helpers.js';

// The store is tamper-evident: editing, removing or cutting off any stored event is found by
// verify, which names the store, the position and the event.

let pristine: string;
let storeId: string;
let eventIDs: string[];

beforeAll(async () => {
  pristine = tempDir();
  const l: LocalLake = await lake({ dataDir: pristine });
  const events = Array.from({ length: 10 }, (_, i) => auditEvent(`t-${i + 1}`, { UID: `tamper-${i + 1}`, userIdentity: { type: 'T', principalId: `user-${i + 1}` } }));
  const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
  eventIDs = (response.json.successful as { eventID: string }[]).map((s) => s.eventID);
  expect(eventIDs).toHaveLength(10);
  storeId = l.eventDataStoreId;
  await l.close();
});

/** A copy of the pristine data directory, and the path of its log. */
function copy(): { dir: string; log: string } {
  const dir = tempDir();
  cpSync(pristine, dir, { recursive: true });
  return { dir, log: join(dir, 'stores', storeId, 'events.jsonl') };
}

describe('auditlake verify', () => {
  it('passes on an untouched store', async () => {
    const report = await verifyDataDir(pristine);
    expect(report.ok).toBe(true);
    expect(report.stores).toEqual([expect.objectContaining({ eventDataStoreId: storeId, events: 10, ok: true, warnings: [] })]);
  });

  it('one changed byte: names the altered event by position and eventID (function and command)', async () => {
    const { dir, log } = copy();
    const bytes = readFileSync(log);
    const at = bytes.indexOf('user-5');
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] = '6'.charCodeAt(0);
    writeFileSync(log, bytes);

    const report = await verifyDataDir(dir);
    expect(report.ok).toBe(false);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'altered', position: 5, line: 5, eventID: eventIDs[4], id: 't-5' });
    expect(report.stores[0]?.events).toBe(4);

    const command = await cli(['verify', '--data-dir', dir]);
    expect(command.code).toBe(1);
    expect(command.stdout).toContain(`FAILED  event data store ${storeId}`);
    expect(command.stdout).toContain(`altered at position 5 (line 5, eventID ${eventIDs[4]}, id t-5)`);
    expect(command.stdout).toMatch(/verify: FAILED/);
  });

  it('a byte that breaks the JSON itself is still located, with the eventID read from the raw text', async () => {
    const { dir, log } = copy();
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('"seq":3,', '"seq":3,,');
    writeFileSync(log, lines.join('\n'));
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'altered', position: 3, eventID: eventIDs[2] });
  });

  it('a removed event is reported as missing', async () => {
    const { dir, log } = copy();
    const lines = readFileSync(log, 'utf8').split('\n');
    lines.splice(6, 1);
    writeFileSync(log, lines.join('\n'));
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'missing', position: 7, message: 'record 7 is missing (the next record is 8)' });
  });

  it('events cut off the end are found through the checkpoints', async () => {
    const { dir, log } = copy();
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, 8).join('\n')}\n`);
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'truncated', position: 9, message: expect.stringContaining('records 9-10 are missing') as unknown });
  });

  it('a rewritten record with a recomputed hash still breaks the chain at the next record', async () => {
    const { dir, log } = copy();
    const { createHash } = await import('node:crypto');
    const lines = readFileSync(log, 'utf8').split('\n');
    const first = JSON.parse(lines[0] as string) as { hash: string };
    const line2 = JSON.parse(lines[1] as string) as { hash: string; record: Record<string, unknown> };
    const forged = JSON.stringify({ ...line2.record, eventData: (line2.record.eventData as string).replace('user-2', 'mallory') });
    const forgedHash = createHash('sha256').update(first.hash).update(forged).digest('hex');
    lines[1] = `{"hash":"${forgedHash}","record":${forged}}`;
    writeFileSync(log, lines.join('\n'));
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'altered', position: 3, eventID: eventIDs[2] });
  });

  it('a torn last line (a crash mid-write, never acknowledged) is a warning, and the next start removes it', async () => {
    const { dir, log } = copy();
    appendFileSync(log, '{"hash":"abc","record":{"seq":11,"eventID":"x"');
    const report = await verifyDataDir(dir);
    expect(report.ok).toBe(true);
    expect(report.stores[0]?.warnings[0]).toMatch(/incomplete record/);
    const warnings: string[] = [];
    const reopened = await lake({ dataDir: dir, diagnostics: { ...quiet, warn: (message: string) => void warnings.push(message) } });
    expect(warnings.join('\n')).toMatch(/incomplete record .* removed/);
    const response = await putRaw(reopened.endpoint, { channelArn: reopened.channelArn, body: { auditEvents: [auditEvent('t-11')] } });
    expect(response.status).toBe(200);
    await reopened.close();
    const after = await verifyDataDir(dir);
    expect(after.ok).toBe(true);
    expect(after.stores[0]).toMatchObject({ events: 11, warnings: [] });
  });
});

describe('every acknowledged event is covered, not only up to the last checkpoint', () => {
  it('records cut off after the last checkpoint, while the lake runs: verify reports them', async () => {
    const dir = tempDir();
    const l = await lake({ dataDir: dir });
    const log = join(dir, 'stores', l.eventDataStoreId, 'events.jsonl');
    const digest = join(dir, 'stores', l.eventDataStoreId, 'digest.jsonl');
    // The first checkpoint is written just after the first answer; -1 until it is there.
    // A line the lake is appending right now may be read half written: it does not count yet.
    const seqOf = (line: string) => {
      try {
        return (JSON.parse(line) as { seq: number }).seq;
      } catch {
        return 0;
      }
    };
    const lastCheckpoint = () => (existsSync(digest) ? Math.max(0, ...readFileSync(digest, 'utf8').trim().split('\n').map(seqOf)) : -1);
    // Checkpoints come at most once a second: send until some acknowledged records lie past the last one.
    let sent = 0;
    for (let round = 0; round < 1000 && (lastCheckpoint() < 1 || lastCheckpoint() >= sent); round++) {
      await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent(`tail-${sent}`)] } });
      sent++;
    }
    const covered = lastCheckpoint();
    expect(covered).toBeLessThan(sent);
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, covered).join('\n')}\n`);
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'truncated', position: covered + 1, message: expect.stringContaining(`records ${covered + 1}-${sent} are missing from the end`) as unknown });
  });

  it('a removed final newline: verify fails, and the next start restores the record instead of deleting it', async () => {
    const { dir, log } = copy();
    const text = readFileSync(log, 'utf8');
    writeFileSync(log, text.slice(0, -1));
    const report = await verifyDataDir(dir);
    expect(report.stores[0]?.problem).toMatchObject({ kind: 'truncated', position: 10, message: expect.stringContaining('record 10 lost its final newline') as unknown });
    const warnings: string[] = [];
    const reopened = await lake({ dataDir: dir, diagnostics: { ...quiet, warn: (message: string) => void warnings.push(message) } });
    expect(warnings.join('\n')).toMatch(/record 10\) had lost its final newline; it was restored/);
    expect(await reopened.query(`SELECT count(*) AS n FROM ${storeId}`)).toEqual([{ n: 10 }]);
    await reopened.close();
    expect(readFileSync(log, 'utf8')).toBe(text);
    expect((await verifyDataDir(dir)).stores[0]).toMatchObject({ ok: true, events: 10 });
  });

  it('acknowledged records cut off the end: the lake refuses to start on the store rather than pass over them', async () => {
    const { dir, log } = copy();
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, 7).join('\n')}\n${(lines[7] as string).slice(0, 40)}`);
    await expect(lake({ dataDir: dir })).rejects.toThrow(/ends after record 7, but head\.json says 10 records were acknowledged: records 8-10 are missing/);
    expect(readFileSync(log, 'utf8').split('\n')).toHaveLength(8);
  });

  it('a deleted digest or head is reported, not silently ignored', async () => {
    const withoutDigest = copy();
    rmSync(join(withoutDigest.dir, 'stores', storeId, 'digest.jsonl'));
    expect((await verifyDataDir(withoutDigest.dir)).stores[0]?.problem).toMatchObject({ kind: 'digest', message: expect.stringContaining('digest.jsonl is missing') as unknown });
    const withoutHead = copy();
    rmSync(join(withoutHead.dir, 'stores', storeId, 'head.json'));
    expect((await verifyDataDir(withoutHead.dir)).stores[0]?.problem).toMatchObject({ kind: 'digest', message: expect.stringContaining('head.json is missing') as unknown });
    // A start rebuilds the head and says so; verify then warns that it vouches only from there on.
    const warnings: string[] = [];
    await (await lake({ dataDir: withoutHead.dir, diagnostics: { ...quiet, warn: (m: string) => void warnings.push(m) } })).close();
    expect(warnings.join('\n')).toMatch(/head\.json was missing; it was rebuilt from the log's 10 records/);
    const after = await verifyDataDir(withoutHead.dir);
    expect(after.stores[0]).toMatchObject({ ok: true, warnings: [expect.stringContaining('rebuilt when the log held 10 records') as unknown] });
    const damaged = copy();
    writeFileSync(join(damaged.dir, 'stores', storeId, 'head.json'), 'x'.repeat(512));
    expect((await verifyDataDir(damaged.dir)).stores[0]?.problem).toMatchObject({ kind: 'digest', message: expect.stringContaining('head.json is damaged') as unknown });
    await expect(lake({ dataDir: damaged.dir })).rejects.toThrow(/head\.json is damaged/);
  });

  it('a head left behind by a power loss (the log has more) is accepted and brought up to date', async () => {
    const { dir } = copy();
    const headPath = join(dir, 'stores', storeId, 'head.json');
    const before = readFileSync(headPath);
    const l = await lake({ dataDir: dir });
    await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('t-11'), auditEvent('t-12')] } });
    await l.close();
    writeFileSync(headPath, before);
    expect((await verifyDataDir(dir)).stores[0]).toMatchObject({ ok: true, events: 12 });
    const warnings: string[] = [];
    await (await lake({ dataDir: dir, diagnostics: { ...quiet, warn: (m: string) => void warnings.push(m) } })).close();
    expect(warnings.join('\n')).toMatch(/head\.json was 2 records behind the log/);
  });
});
