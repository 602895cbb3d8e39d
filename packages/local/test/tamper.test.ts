import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
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
