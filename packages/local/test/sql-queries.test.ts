import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyDataDir } from '../src/index.js';
import { ACCOUNT, auditEvent, controlRaw, eventData, lake, putRaw, tempDir } from './helpers.js';
import { appendRecords, settled } from './sql-helpers.js';

// The query lifecycle under the findings of issue 9: a timeout (TIMED_OUT), a memory bound, a
// StartQuery that answers at once even while the store is still being read, queries that run
// side by side, a results cache bounded in bytes, and events whose text holds lone surrogates.

async function start(endpoint: string, sql: string): Promise<string> {
  const started = await controlRaw(endpoint, 'StartQuery', { QueryStatement: sql });
  expect(started.status, started.text).toBe(200);
  return started.json.QueryId as string;
}

async function status(endpoint: string, queryId: string): Promise<unknown> {
  return (await controlRaw(endpoint, 'DescribeQuery', { QueryId: queryId })).json.QueryStatus;
}

/** Polls until the query is RUNNING (it leaves QUEUED when its turn comes). */
async function running(endpoint: string, queryId: string): Promise<void> {
  while ((await status(endpoint, queryId)) === 'QUEUED') await new Promise((resolve) => setTimeout(resolve, 10));
}

const SLOW = 'SELECT sum(hash(i)) AS s FROM range(50000000000) t(i)';

describe('a query runs for at most queryTimeoutMs', () => {
  it('then DescribeQuery says TIMED_OUT with an ErrorMessage, and lake.query() rejects with QueryTimedOut', async () => {
    const l = await lake({ queryTimeoutMs: 300 });
    const id = await start(l.endpoint, SLOW);
    const described = await settled(l.endpoint, id);
    expect(described.json.QueryStatus).toBe('TIMED_OUT');
    expect(described.json.ErrorMessage).toMatch(/timed out.*300 ms/);
    const results = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: id });
    expect(results.json).toMatchObject({ QueryStatus: 'TIMED_OUT', QueryResultRows: [] });
    await expect(l.query(SLOW)).rejects.toMatchObject({ name: 'QueryTimedOut' });
    // The engine is free again.
    expect(await l.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});

describe('a query gets at most queryMemoryLimitMb', () => {
  it('a query that cannot spill fails with DuckDB\'s out-of-memory error instead of growing the server', async () => {
    const l = await lake({ queryMemoryLimitMb: 128 });
    const id = await start(l.endpoint, 'SELECT length(list(i)) AS n FROM range(100000000) t(i)');
    const described = await settled(l.endpoint, id);
    expect(described.json.QueryStatus).toBe('FAILED');
    expect(described.json.ErrorMessage).toMatch(/^Out of Memory Error: /);
    expect(described.json.ErrorMessage).not.toMatch(/\n/);
    expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
  });

  it('bad values are configuration errors', async () => {
    await expect(lake({ queryMemoryLimitMb: 10 })).rejects.toThrow('Configuration: queryMemoryLimitMb is invalid, expected an integer from 128 to 1048576 (actual: 10)');
    await expect(lake({ queryTimeoutMs: 0 })).rejects.toThrow(/queryTimeoutMs/);
    await expect(lake({ maxRunningQueries: 11 })).rejects.toThrow(/maxRunningQueries/);
    await expect(lake({ maxQueryResultsBytes: 1.5 })).rejects.toThrow(/maxQueryResultsBytes/);
  });
});

/** Pids and nice values of the columnar keepers working on `dataDir`. */
function keepers(dataDir: string): { pid: number; nice: number }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ni=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('columnar-keeper.js') && line.includes(dataDir))
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, nice]) => ({ pid: Number(pid), nice: Number(nice) }));
}

describe('StartQuery answers at once', () => {
  it('also while the store is still being read after a restart: the query waits QUEUED, then finishes; a keeper at low priority writes the columnar copy', async () => {
    const dir = tempDir();
    const first = await lake({ dataDir: dir });
    const store = { id: first.eventDataStoreId, arn: first.eventDataStoreArn };
    await first.close();
    // 150,000 events (~60 MB of log) to read before the store can answer.
    const time = new Date().toISOString();
    const data = JSON.stringify(eventData());
    const records = Array.from({ length: 150_000 }, (_, i) => ({
      eventVersion: '1.0',
      eventCategory: 'ActivityAuditLog',
      eventType: 'ActivityLog',
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      eventTime: time,
      awsRegion: 'us-east-1',
      recipientAccountId: ACCOUNT,
      metadata: { ingestionTime: time, channelARN: first.channelArn },
      id: `bulk-${i}`,
      eventData: data,
    }));
    appendRecords(dir, store, records);
    const l = await lake({ dataDir: dir });
    // The keeper starts with the server and may finish its copy while the query below runs:
    // looked at from now on, every 20 ms.
    const seen: number[] = [];
    let most = 0;
    const look = () => {
      const now = keepers(dir);
      most = Math.max(most, now.length);
      seen.push(...now.map((k) => k.nice));
    };
    look();
    const looking = setInterval(look, 20);
    const id = await start(l.endpoint, `SELECT count(*) AS n FROM ${l.eventDataStoreId}`);
    expect(await status(l.endpoint, id)).toBe('QUEUED');
    expect((await settled(l.endpoint, id)).json.QueryStatus).toBe('FINISHED');
    expect((await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: id })).json.QueryResultRows).toEqual([[{ n: '150000' }]]);

    // The log is big enough for a columnar copy: a keeper process at nice 10 writes it, up to
    // the last 16 MB (a segment's worth), which wait for more log (the server reads them itself).
    const manifest = join(dir, 'columnar', l.eventDataStoreId, 'manifest.json');
    const covered = () => (existsSync(manifest) ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { segments: { endBytes: number }[] }).segments.at(-1)?.endBytes ?? 0) : 0);
    const logBytes = statSync(join(dir, 'stores', l.eventDataStoreId, 'events.jsonl')).size;
    // The keeper is spawned in the background, so the first looks may come before it starts (or,
    // at the end, after it left, or before it lowered its priority): what is asserted is what was
    // seen while it worked.
    while (covered() < logBytes - 16 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(looking);
    // It lowers its own threads once started: from then on it is seen at nice 10 only.
    expect(seen).toContain(10);
    expect(new Set(seen.slice(seen.indexOf(10)))).toEqual(new Set([10]));
    expect(most).toBe(1);
    // The server takes the keeper's segments and answers the same.
    expect(await l.query(`SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM ${l.eventDataStoreId}`)).toEqual([{ n: 150_000, ids: 150_000 }]);
    await l.close();
    expect(keepers(dir)).toEqual([]);
  }, 180_000);
});

describe('queries run side by side', () => {
  it('up to maxRunningQueries at once; the next waits its turn in order of arrival', async () => {
    const l = await lake({ maxRunningQueries: 2 });
    const a = await start(l.endpoint, SLOW);
    const b = await start(l.endpoint, SLOW);
    const c = await start(l.endpoint, 'SELECT 3 AS c');
    const d = await start(l.endpoint, 'SELECT 4 AS d');
    await running(l.endpoint, a);
    await running(l.endpoint, b);
    expect([await status(l.endpoint, c), await status(l.endpoint, d)]).toEqual(['QUEUED', 'QUEUED']);
    await controlRaw(l.endpoint, 'CancelQuery', { QueryId: a });
    expect((await settled(l.endpoint, c)).json.QueryStatus).toBe('FINISHED');
    await controlRaw(l.endpoint, 'CancelQuery', { QueryId: b });
    expect((await settled(l.endpoint, d)).json.QueryStatus).toBe('FINISHED');
    expect([await status(l.endpoint, a), await status(l.endpoint, b)]).toEqual(['CANCELLED', 'CANCELLED']);
  });
});

describe('finished results are kept within maxQueryResultsBytes', () => {
  it('the oldest are forgotten first; a result larger than the budget fails its query', async () => {
    const l = await lake({ maxQueryResultsBytes: 40_000 });
    const rows = (n: number) => `SELECT repeat('x', 100) AS pad, i FROM range(${n}) t(i)`;
    const first = await start(l.endpoint, rows(100));
    expect((await settled(l.endpoint, first)).json.QueryStatus).toBe('FINISHED');
    const second = await start(l.endpoint, rows(100));
    expect((await settled(l.endpoint, second)).json.QueryStatus).toBe('FINISHED');
    // Each result is ~25 KB: the second pushed the first out.
    const forgotten = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: first });
    expect(forgotten.json.__type).toBe('QueryIdNotFoundException');
    const kept = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: second });
    expect(kept.json.QueryStatistics).toMatchObject({ TotalResultsCount: 100 });
    const huge = await start(l.endpoint, rows(1000));
    const described = await settled(l.endpoint, huge);
    expect(described.json.QueryStatus).toBe('FAILED');
    expect(described.json.ErrorMessage).toMatch(/larger than the lake keeps \(40000 bytes/);
  });
});

describe('events whose text holds lone surrogates', () => {
  it('are fully visible in SQL, each lone surrogate shown as U+FFFD; verify stays OK', async () => {
    const l = await lake();
    // What JSON.stringify writes for a string cut inside an emoji: an escaped lone surrogate inside eventData.
    const cut = '💥'.slice(0, 1);
    const escapedText = JSON.stringify(eventData({ UID: 'escaped', eventName: `Cut${cut}`, userIdentity: { type: 'T', principalId: `al${cut}ce` }, requestParameters: { note: `x${cut}`, whole: '😀' } }));
    expect(escapedText).toContain('\\ud83d"');
    // And a raw lone surrogate in the eventData string itself (escaped once, in the request body).
    const rawText = JSON.stringify(eventData({ UID: 'raw', eventName: 'Raw' })).replace('"Raw"', `"Raw${cut}"`);
    const body = JSON.stringify({ auditEvents: [{ id: 'escaped', eventData: escapedText }, { id: 'raw', eventData: rawText }, auditEvent('plain', { UID: 'plain' })] });
    expect(body).toContain('Raw\\ud83d');
    const put = await putRaw(l.endpoint, { channelArn: l.channelArn, body: null, rawBody: body });
    expect(put.json.failed).toEqual([]);
    const rows = await l.query(
      `SELECT eventData.UID AS uid, eventData.eventName AS name, eventData.userIdentity.principalId AS who, element_at(eventData.requestParameters, 'note') AS note, ` +
        `element_at(eventData.requestParameters, 'whole') AS whole, eventData.recipientAccountId AS account FROM ${l.eventDataStoreId} ORDER BY 1`,
    );
    expect(rows).toEqual([
      { uid: 'escaped', name: 'Cut\uFFFD', who: 'al\uFFFDce', note: 'x\uFFFD', whole: '😀', account: ACCOUNT },
      { uid: 'plain', name: 'Login', who: 'alice', note: null, whole: null, account: ACCOUNT },
      { uid: 'raw', name: 'Raw\uFFFD', who: 'alice', note: null, whole: null, account: ACCOUNT },
    ]);
    expect((await verifyDataDir(l.dataDir)).ok).toBe(true);
  });
});
