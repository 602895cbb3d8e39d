import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvent, BIN, controlRaw, exited, putRaw, tempDir } from './helpers.js';
import { settled } from './sql-helpers.js';

// A server in its own process, with a working directory that holds DuckDB's default temp
// directory (.tmp) and files in it: SQL must reach none of them, nor anything else on disk,
// nor the engine's own tables and settings.

let endpoint: string;
let storeId: string;
let cwd: string;
let dataDir: string;
let child: ReturnType<typeof spawn>;

beforeAll(async () => {
  cwd = tempDir();
  dataDir = join(cwd, 'lake');
  mkdirSync(join(cwd, '.tmp'));
  writeFileSync(join(cwd, '.tmp', 'secret.csv'), 'name,password\nalice,hunter2\n');
  writeFileSync(join(cwd, '.tmp', 'secret.json'), '{"password":"hunter2"}\n');
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--json', '--query-memory-limit-mb', '128'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const banner = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  endpoint = banner.endpoint as string;
  storeId = banner.eventDataStoreId as string;
  const put = await putRaw(endpoint, { channelArn: banner.channelArn as string, body: { auditEvents: [auditEvent('s1')] } });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await exited(child);
});

async function refused(sql: string): Promise<{ type: unknown; message: string }> {
  const started = await controlRaw(endpoint, 'StartQuery', { QueryStatement: sql });
  expect(started.status, `${sql} → ${started.text}`).toBe(400);
  return { type: started.json.__type, message: started.json.message as string };
}

describe('SQL cannot read files', () => {
  it.each([
    `SELECT * FROM read_csv('.tmp/secret.csv')`,
    `SELECT * FROM read_csv_auto('.tmp/secret.csv')`,
    `SELECT * FROM read_json('.tmp/secret.json')`,
    `SELECT * FROM read_json_objects('.tmp/secret.json')`,
    `SELECT * FROM read_text('.tmp/secret.csv')`,
    `SELECT * FROM read_blob('.tmp/secret.csv')`,
    `SELECT * FROM glob('.tmp/*')`,
    `SELECT * FROM '.tmp/secret.csv'`,
    `SELECT * FROM ".tmp/secret.json"`,
    `SELECT * FROM read_csv('/etc/passwd')`,
    `SELECT * FROM glob('/*')`,
    `SELECT * FROM sniff_csv('/etc/passwd')`,
  ])('%s', async (sql) => {
    const answer = await refused(sql.replaceAll('/etc/passwd', join(cwd, '.tmp', 'secret.csv')).replace("glob('/*')", `glob('${cwd}/*')`));
    expect(answer.type).toBe('InvalidQueryStatementException');
    expect(answer.message).not.toMatch(/hunter2/);
  });

  it('nor the lake\'s own columnar copy or logs, by path', async () => {
    const answer = await refused(`SELECT * FROM read_parquet('${dataDir}/columnar/*/*.parquet') UNION ALL SELECT * FROM read_json('${dataDir}/stores/*/events.jsonl')`);
    expect(answer.type).toBe('InvalidQueryStatementException');
  });

  it('a query larger than the memory limit spills (to a private directory, not ./.tmp under the working directory) and finishes', async () => {
    const before = readdirSync(join(cwd, '.tmp')).sort();
    // 4M distinct 32-character strings do not fit in 128 MiB: finishing means DuckDB spilled.
    const started = await controlRaw(endpoint, 'StartQuery', { QueryStatement: `SELECT count(DISTINCT md5(i::VARCHAR)) AS n FROM range(4000000) t(i)` });
    expect(started.status, started.text).toBe(200);
    const described = await settled(endpoint, started.json.QueryId as string);
    expect(described.json.QueryStatus, described.text).toBe('FINISHED');
    expect((await controlRaw(endpoint, 'GetQueryResults', { QueryId: started.json.QueryId })).json.QueryResultRows).toEqual([[{ n: '4000000' }]]);
    expect(readdirSync(join(cwd, '.tmp')).sort()).toEqual(before);
    expect(existsSync(join(dataDir, '.tmp'))).toBe(false);
  });
});

describe('SQL reaches event data stores only through their ids', () => {
  it.each([
    ['the internal schema', `SELECT * FROM auditlake_internal.t_1`],
    ['an internal table by its bare name', `SELECT * FROM t_1`],
    ['the old internal table name', `SELECT * FROM __auditlake_events_1`],
    ['a catalog view', `SELECT * FROM duckdb_tables`],
    ['a catalog function', `SELECT * FROM duckdb_tables()`],
    ['information_schema', `SELECT * FROM information_schema.tables`],
    ['pg_catalog', `SELECT * FROM pg_catalog.pg_class`],
    ['a qualified store', `SELECT * FROM memory.main.t_1`],
    ['query_table', `SELECT * FROM query_table('auditlake_internal.t_1')`],
    ['settings (paths)', `SELECT current_setting('temp_directory') AS t`],
    ['settings in a subquery', `SELECT * FROM STORE WHERE eventData.UID = (SELECT current_setting('allowed_directories')::VARCHAR)`],
    ['a WITH table named like a catalog view, referenced out of its scope', `SELECT * FROM (WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) a, duckdb_tables`],
    ['a WITH table named like an internal table', `WITH __auditlake_events_1 AS (SELECT 1 AS x) SELECT * FROM __auditlake_events_1`],
    ['a table function in a lateral join', `SELECT * FROM STORE, LATERAL (SELECT * FROM read_text('/etc/hostname'))`],
    ['a table function in a scalar subquery', `SELECT (SELECT count(*) FROM glob('/*')) AS n`],
    ['DESCRIBE as a table', `SELECT * FROM (DESCRIBE STORE)`],
    ['SHOW as a table', `SELECT * FROM (SHOW TABLES)`],
  ])('%s', async (_name, sql) => {
    const answer = await refused(sql.replaceAll('STORE', storeId));
    expect(answer.type).toBe('InvalidQueryStatementException');
  });

  it('refusals never show paths or table names of the engine', async () => {
    for (const sql of [`SELECT * FROM t_1`, `SELECT * FROM read_csv('.tmp/secret.csv')`, `SELECT current_setting('temp_directory') AS t`]) {
      const answer = await refused(sql);
      expect(answer.message).not.toMatch(/auditlake-sql-|auditlake_internal|\/tmp\//);
    }
  });

  it('what stays allowed: WITH tables, unnest, range, and subqueries over stores', async () => {
    const started = await controlRaw(endpoint, 'StartQuery', {
      QueryStatement: `WITH recent AS (SELECT eventData.UID AS uid FROM ${storeId}) SELECT r.uid, x, n FROM recent r, unnest([1, 2]) AS u(x), range(1) AS t(n) WHERE r.uid IN (SELECT eventData.UID FROM ${storeId})`,
    });
    expect(started.status, started.text).toBe(200);
    const described = await settled(endpoint, started.json.QueryId as string);
    expect(described.json.QueryStatus).toBe('FINISHED');
    expect(described.json.QueryStatistics).toMatchObject({ EventsMatched: 2 });
  });
});
