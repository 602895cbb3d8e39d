import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, DeleteLogStreamCommand, PutLogEventsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyDataDir, type LocalLake } from '../src/index.js';
import { LogCatalog } from '../src/logs/log-catalog.js';
import { cli, eventData, lake, tempDir } from './helpers.js';
import { DAY, logsClient } from './logs-helpers.js';

// Log groups in SQL (one table per group, named by the group) and in verify, like event data stores.

let dir: string;
let l: LocalLake;
let client: ReturnType<typeof logsClient>;
const T = Date.now() - 60_000;

async function put(group: string, stream: string, messages: string[], at = T): Promise<void> {
  await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: messages.map((message, i) => ({ timestamp: at + i, message })) }));
}

async function create(group: string, ...streams: string[]): Promise<void> {
  await client.send(new CreateLogGroupCommand({ logGroupName: group }));
  for (const stream of streams) await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
}

beforeAll(async () => {
  dir = tempDir();
  l = await lake({ dataDir: dir });
  client = logsClient(l);
  await create('/app/audit', 'host-1', 'host-2');
  await put('/app/audit', 'host-1', [
    JSON.stringify(eventData({ eventName: 'Login', UID: 'u1', userIdentity: { type: 'T', principalId: 'alice' }, additionalEventData: { message: 'hi' } })),
    'plain text, not JSON',
    '["a JSON array"]',
  ]);
  await put('/app/audit', 'host-2', [JSON.stringify(eventData({ eventName: 'Logout', UID: 'u2', userIdentity: { type: 'T', principalId: 'bob' } }))], T + 10);
});

describe('SQL over log groups', () => {
  it('a table per group: message parsed as an integration event, rawMessage as sent, the event columns', async () => {
    const rows = await l.query(
      `SELECT logGroupName, logStreamName, timestamp, eventId, message.eventName AS name, message.userIdentity.principalId AS who, element_at(message.additionalEventData, 'message') AS note, rawMessage FROM "/app/audit" ORDER BY timestamp`,
    );
    expect(rows).toEqual([
      { logGroupName: '/app/audit', logStreamName: 'host-1', timestamp: new Date(T).toISOString().replace('T', ' ').replace('Z', ''), eventId: '1', name: 'Login', who: 'alice', note: 'hi', rawMessage: expect.stringContaining('"UID":"u1"') as unknown },
      { logGroupName: '/app/audit', logStreamName: 'host-1', timestamp: expect.any(String) as unknown, eventId: '2', name: null, who: null, note: null, rawMessage: 'plain text, not JSON' },
      { logGroupName: '/app/audit', logStreamName: 'host-1', timestamp: expect.any(String) as unknown, eventId: '3', name: null, who: null, note: null, rawMessage: '["a JSON array"]' },
      { logGroupName: '/app/audit', logStreamName: 'host-2', timestamp: expect.any(String) as unknown, eventId: '4', name: 'Logout', who: 'bob', note: null, rawMessage: expect.any(String) as unknown },
    ]);
    expect(await l.query(`SELECT count(*) AS n FROM "/app/audit" WHERE message.eventName = 'Login' AND timestamp > TIMESTAMP '2000-01-01 00:00:00'`)).toEqual([{ n: 1 }]);
  });

  it('a group whose name is a bare word needs no quotes; groups and stores join in one query', async () => {
    await create('audit-trail', 's');
    await put('audit-trail', 's', ['{"eventName":"Bare"}']);
    expect(await l.query('SELECT message.eventName AS name FROM audit-trail')).toEqual([{ name: 'Bare' }]);
    const rows = await l.query(`SELECT 'logs' AS source, count(*) AS n FROM audit-trail UNION ALL SELECT 'lake', count(*) FROM ${l.eventDataStoreId} ORDER BY 1`);
    expect(rows).toEqual([{ source: 'lake', n: 0 }, { source: 'logs', n: 1 }]);
  });

  it('names that differ only in case get :2; a deleted group leaves SQL, and one created again under its name starts empty', async () => {
    await create('/Case', 's');
    await create('/case', 's');
    await put('/Case', 's', ['upper']);
    await put('/case', 's', ['lower']);
    expect(await l.query('SELECT rawMessage FROM "/Case"')).toEqual([{ rawMessage: 'upper' }]);
    expect(await l.query('SELECT rawMessage FROM "/case:2"')).toEqual([{ rawMessage: 'lower' }]);
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/Case' }));
    await expect(l.query('SELECT rawMessage FROM "/case:2"')).rejects.toThrow(/case:2/);
    expect(await l.query('SELECT rawMessage FROM "/case"')).toEqual([{ rawMessage: 'lower' }]);
    await create('/Case', 's');
    await put('/Case', 's', ['again']);
    expect(await l.query('SELECT rawMessage FROM "/Case:2"')).toEqual([{ rawMessage: 'again' }]);
  });

  it('a group deleted and created again under its name is a new table, without the old rows', async () => {
    await create('/app/again', 's');
    await put('/app/again', 's', ['old incarnation']);
    expect(await l.query('SELECT rawMessage FROM "/app/again"')).toEqual([{ rawMessage: 'old incarnation' }]);
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/app/again' }));
    await create('/app/again', 's');
    await put('/app/again', 's', ['new incarnation']);
    expect(await l.query('SELECT rawMessage FROM "/app/again"')).toEqual([{ rawMessage: 'new incarnation' }]);
  });

  it("retention cuts rows by the event's own timestamp; a deleted stream's events stay in SQL (the log is append-only)", async () => {
    await create('/app/kept', 'old', 'new');
    await put('/app/kept', 'old', ['four days old'], Date.now() - 4 * DAY);
    await put('/app/kept', 'new', ['recent']);
    await client.send(new DeleteLogStreamCommand({ logGroupName: '/app/kept', logStreamName: 'new' }));
    expect(await l.query('SELECT rawMessage FROM "/app/kept" ORDER BY timestamp')).toEqual([{ rawMessage: 'four days old' }, { rawMessage: 'recent' }]);
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/app/kept', retentionInDays: 3 }));
    expect(await l.query('SELECT rawMessage FROM "/app/kept"')).toEqual([{ rawMessage: 'recent' }]);
  });

  it('auditlake query reads log groups from the data directory, beside the running lake', async () => {
    const out = await cli(['query', '--data-dir', dir, '--json', `SELECT message.userIdentity.principalId AS who FROM "/app/audit" WHERE message.eventName IS NOT NULL ORDER BY 1`]);
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual([{ who: 'alice' }, { who: 'bob' }]);
  });
});

describe('verify covers log groups', () => {
  it('OK on the untouched groups; an altered message fails, naming the group and the position', async () => {
    const report = await verifyDataDir(dir);
    expect(report.ok).toBe(true);
    expect(report.logGroups.find((g) => g.logGroupName === '/app/audit')).toMatchObject({ ok: true, events: 4 });

    const audit = LogCatalog.open(dir, l, { readOnly: true }).find('/app/audit');
    const log = join(dir, 'log-groups', audit?.id as string, 'events.jsonl');
    const bytes = readFileSync(log);
    const at = bytes.indexOf('plain text');
    bytes[at] = 'P'.charCodeAt(0);
    writeFileSync(log, bytes);
    const tampered = await verifyDataDir(dir);
    expect(tampered.ok).toBe(false);
    expect(tampered.logGroups.find((g) => g.logGroupName === '/app/audit')).toMatchObject({ ok: false, events: 1, problem: { kind: 'altered', position: 2, line: 2 } });
    const command = await cli(['verify', '--data-dir', dir]);
    expect(command.code).toBe(1);
    expect(command.stdout).toContain('FAILED  log group /app/audit: altered at position 2 (line 2)');
    expect(command.stdout).toMatch(/OK {6}log group audit-trail: 1 events/);
    bytes[at] = 'p'.charCodeAt(0);
    writeFileSync(log, bytes);
    expect((await verifyDataDir(dir)).ok).toBe(true);
  });
});

describe('the columnar keeper', () => {
  it("writes a log group's columnar copy once its log is big enough; SQL answers the same from it", async () => {
    const keeperDir = tempDir();
    const big = await lake({ dataDir: keeperDir, fsync: false });
    const c = logsClient(big);
    await c.send(new CreateLogGroupCommand({ logGroupName: '/big' }));
    await c.send(new CreateLogStreamCommand({ logGroupName: '/big', logStreamName: 's' }));
    // 36 MB of log: the keeper copies all but the last 16 MB (a segment's worth waits for more).
    const message = JSON.stringify(eventData({ additionalEventData: { pad: 'x'.repeat(9_000) } }));
    for (let i = 0; i < 36; i++) {
      await c.send(new PutLogEventsCommand({ logGroupName: '/big', logStreamName: 's', logEvents: Array.from({ length: 110 }, (_, j) => ({ timestamp: T + i * 110 + j, message })) }));
    }
    const id = LogCatalog.open(keeperDir, big, { readOnly: true }).find('/big')?.id as string;
    const manifest = join(keeperDir, 'columnar', id, 'manifest.json');
    while (!existsSync(manifest)) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await big.query('SELECT count(*) AS n, count(DISTINCT eventId) AS ids, min(message.eventName) AS name FROM "/big"')).toEqual([{ n: 36 * 110, ids: 36 * 110, name: 'Login' }]);
  }, 180_000);
});
