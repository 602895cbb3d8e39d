import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueryEngine, type QueryEngineOptions } from '../src/query-engine.js';
import { integrationEventSchema } from '../src/table-schemas.js';
import type { TableSource } from '../src/table-sources.js';
import { eventData, tempDir } from './helpers.js';
import { appendRecords } from './sql-helpers.js';

// The engine on its own, over a log written here: its DuckDB settings, and its columnar copy
// (segments of 100 events) written, reused, and rebuilt when it no longer matches the log.

const STORE = { id: '5c1e1a0e-0000-4000-8000-00000000e001', arn: 'arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/5c1e1a0e-0000-4000-8000-00000000e001' };
const engines: QueryEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

function record(n: number): Record<string, unknown> {
  const time = new Date(Date.now() - 60_000).toISOString();
  return {
    eventVersion: '1.0',
    eventCategory: 'ActivityAuditLog',
    eventType: 'ActivityLog',
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventTime: time,
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    metadata: { ingestionTime: time, channelARN: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c' },
    id: `e${n}`,
    eventData: JSON.stringify(eventData({ UID: `u${n}`, eventName: n % 2 === 0 ? 'Even' : 'Odd' })),
  };
}

function lakeDir(events: number): string {
  const dir = tempDir();
  appendRecords(dir, STORE, Array.from({ length: events }, (_, i) => record(i + 1)));
  return dir;
}

function source(dir: string): TableSource {
  return {
    name: STORE.id,
    schema: integrationEventSchema,
    logPath: join(dir, 'stores', STORE.id, 'events.jsonl'),
    identity: STORE.arn,
    columnarDir: join(dir, 'columnar', STORE.id),
    retentionDays: 366,
  };
}

async function engine(dir: string, overrides: Partial<QueryEngineOptions> = {}): Promise<{ engine: QueryEngine; logs: { debug: string[]; warn: string[] } }> {
  const logs = { debug: [] as string[], warn: [] as string[] };
  const created = await QueryEngine.create({
    sources: () => [source(dir)],
    now: Date.now,
    diagnostics: { debug: (m) => logs.debug.push(m), warn: (m) => logs.warn.push(m), error: (m) => logs.warn.push(m) },
    columnarRoot: join(dir, 'columnar'),
    writable: true,
    memoryLimitMb: 256,
    maxRunningQueries: 2,
    segmentRows: 100,
    ...overrides,
  });
  engines.push(created);
  return { engine: created, logs };
}

/** An engine that read the whole log (writing the copy), then stopped. */
async function built(dir: string): Promise<void> {
  const { engine: e } = await engine(dir);
  await e.maintain();
  await e.close();
}

async function count(e: QueryEngine, where = 'true'): Promise<unknown> {
  return (await e.run(`SELECT count(*) AS n FROM ${STORE.id} WHERE ${where}`, { maxRows: 10, format: 'json' })).rows[0]?.[0];
}

function manifest(dir: string): { segments: { file: string; rows: number; lastSeq: number }[] } {
  return JSON.parse(readFileSync(join(dir, 'columnar', STORE.id, 'manifest.json'), 'utf8')) as { segments: { file: string; rows: number; lastSeq: number }[] };
}

describe('DuckDB as the engine runs it', () => {
  it('spills to a private directory (not ./.tmp), with no file access for SQL and the configured memory limit', async () => {
    const { engine: e } = await engine(lakeDir(1), { memoryLimitMb: 300 });
    const spill = await e.setting('temp_directory');
    expect(spill.startsWith(join(tmpdir(), 'auditlake-sql-'))).toBe(true);
    expect(spill.endsWith('/spill')).toBe(true);
    expect(await e.setting('enable_external_access')).toBe('false');
    expect(await e.setting('memory_limit')).toMatch(/^(286|300)\.\d MiB$/);
    expect(await e.setting('TimeZone')).toMatch(/UTC/);
  });
});

describe('the columnar copy', () => {
  it('is written as segments while the log is read, and reused after a restart (only the log after it is read again)', async () => {
    const dir = lakeDir(250);
    const first = await engine(dir);
    expect(await count(first.engine)).toBe(250);
    expect(manifest(dir).segments.map((s) => [s.rows, s.lastSeq])).toEqual([[250, 250]]);
    await first.engine.close();
    appendRecords(dir, STORE, [record(251), record(252)]);
    const second = await engine(dir);
    expect(await count(second.engine, `eventData.eventName = 'Even'`)).toBe(126);
    expect(second.logs.debug.join('\n')).toMatch(/1 columnar segments \(250 events\); reading its log from byte [1-9]\d+/);
    expect(second.logs.warn).toEqual([]);
  });

  it('is rebuilt from the log when the log no longer matches it (cut short), with a warning', async () => {
    const dir = lakeDir(250);
    await built(dir);
    const log = source(dir).logPath;
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, `${lines.slice(0, 200).join('\n')}\n`);
    const { engine: e, logs } = await engine(dir);
    expect(await count(e)).toBe(200);
    expect(logs.warn.join('\n')).toMatch(/rebuilt from the log from 0 segments on: segment seg-0+1-0+250\.parquet no longer matches the log/);
    expect(manifest(dir).segments.map((s) => s.lastSeq)).toEqual([200]);
  });

  it('is rebuilt when a segment file is missing or damaged in size, or the manifest belongs to another log', async () => {
    const dir = lakeDir(250);
    await built(dir);
    const columnar = join(dir, 'columnar', STORE.id);
    const [segment] = readdirSync(columnar).filter((f) => f.endsWith('.parquet'));
    truncateSync(join(columnar, segment as string), 10);
    let opened = await engine(dir);
    expect(await count(opened.engine)).toBe(250);
    expect(opened.logs.warn.join('\n')).toMatch(/has 10 bytes/);
    await opened.engine.close();

    rmSync(join(columnar, manifest(dir).segments[0]?.file as string));
    opened = await engine(dir);
    expect(await count(opened.engine)).toBe(250);
    expect(opened.logs.warn.join('\n')).toMatch(/is missing/);
    await opened.engine.close();

    const text = readFileSync(join(columnar, 'manifest.json'), 'utf8');
    writeFileSync(join(columnar, 'manifest.json'), text.replace(STORE.arn, `${STORE.arn}-other`));
    opened = await engine(dir);
    expect(await count(opened.engine)).toBe(250);
    expect(opened.logs.warn.join('\n')).toMatch(/describes .*-other/);
  });

  it('a reader (auditlake query) uses a matching copy, never writes the data directory, and keeps its memory bounded with scratch segments', async () => {
    const dir = lakeDir(250);
    const { engine: e } = await engine(dir, { writable: false });
    expect(await count(e)).toBe(250);
    expect(existsSync(join(dir, 'columnar'))).toBe(false);
    await e.close();
    await built(dir);
    const before = readFileSync(join(dir, 'columnar', STORE.id, 'manifest.json'), 'utf8');
    appendRecords(dir, STORE, [record(251)]);
    const reader = await engine(dir, { writable: false });
    expect(await count(reader.engine)).toBe(251);
    expect(reader.logs.debug.join('\n')).toMatch(/1 columnar segments \(250 events\)/);
    expect(readFileSync(join(dir, 'columnar', STORE.id, 'manifest.json'), 'utf8')).toBe(before);
  });
});

describe('results', () => {
  it('truncate returns the first rows and says so; onRows streams without keeping rows', async () => {
    const { engine: e } = await engine(lakeDir(250));
    const truncated = await e.run(`SELECT eventData.UID AS uid FROM ${STORE.id} ORDER BY eventData.UID`, { maxRows: 3, truncate: true, format: 'json' });
    expect(truncated).toMatchObject({ rows: [['u1'], ['u10'], ['u100']], rowCount: 3, truncated: true });
    await expect(e.run(`SELECT eventData.UID FROM ${STORE.id}`, { maxRows: 3, format: 'json' })).rejects.toMatchObject({ name: 'QueryResultsTooLarge' });
    const seen: unknown[] = [];
    const streamed = await e.run(`SELECT eventData.UID AS uid FROM ${STORE.id}`, { maxRows: 1000, format: 'json', onRows: (rows) => seen.push(...rows) });
    expect(streamed).toMatchObject({ rows: [], rowCount: 250, truncated: false });
    expect(seen).toHaveLength(250);
  });
});
