import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { auditEvent, controlRaw, lake, putRaw } from './helpers.js';

let l: LocalLake;
let second: string;

beforeAll(async () => {
  l = await lake();
  const events = [
    auditEvent('e1', { UID: 'u1', eventTime: '2022-09-25T10:00:00Z', userIdentity: { type: 'T', principalId: 'alice', details: { team: 'red', level: { n: 3 } } }, requestParameters: { bucket: 'b1', nested: { a: [1, 2] }, count: 5, flag: true, none: null } }),
    auditEvent('e2', { UID: 'u2', eventTime: '2022-09-23T10:00:00Z', userIdentity: { type: 'T', principalId: 'bob' }, eventName: 'Logout' }),
    auditEvent('e3', { UID: 'u3', eventTime: '2022-09-26T08:30:00Z', userIdentity: { type: 'T', principalId: 'alice' } }),
    auditEvent('e4', { UID: 'u4', eventTime: '2022-09-24T00:00:00Z', userIdentity: { type: 'T', principalId: 'carol' }, additionalEventData: { message: 'hello' } }),
  ];
  const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
  expect((response.json.successful as unknown[]).length).toBe(4);

  // A second store with its own channel, for UNION ALL.
  const eds = await controlRaw(l.endpoint, 'CreateEventDataStore', {
    Name: 'second-store',
    RetentionPeriod: 30,
    AdvancedEventSelectors: [{ Name: 'custom', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }],
  });
  expect(eds.status).toBe(200);
  second = (eds.json.EventDataStoreArn as string).split('/')[1] as string;
  const channel = await controlRaw(l.endpoint, 'CreateChannel', { Name: 'second-channel', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: second }] });
  expect(channel.status).toBe(200);
  const stored = await putRaw(l.endpoint, { channelArn: channel.json.ChannelArn as string, body: { auditEvents: [auditEvent('s1', { UID: 's1', userIdentity: { type: 'T', principalId: 'dave' } })] } });
  expect((stored.json.successful as unknown[]).length).toBe(1);
});

describe('SQL: CloudTrail Lake queries as written', () => {
  it('runs the canonical query with an unquoted store id and a string comparison of eventData.eventTime', async () => {
    const rows = await l.query(`SELECT eventData.userIdentity.principalId FROM ${l.eventDataStoreId} WHERE eventData.eventTime > '2022-09-24 00:00:00'`);
    // '2022-09-24T00:00:00Z' > '2022-09-24 00:00:00' as strings ('T' sorts after ' '), as in CloudTrail Lake.
    expect(rows.map((r) => r.principalId).sort()).toEqual(['alice', 'alice', 'carol']);
  });

  it('takes identifiers in any case', async () => {
    const rows = await l.query(`select EVENTDATA.USERIDENTITY.PRINCIPALID as p, eventdata.useridentity.principalid as q from ${l.eventDataStoreId.toUpperCase()} where eventdata.uid = 'u2'`);
    expect(rows).toEqual([{ p: 'bob', q: 'bob' }]);
  });

  it('compares the top-level eventTime (a timestamp: the event\'s own eventData.eventTime) with a timestamp literal', async () => {
    // Changed deliberately (issue 9): the top-level eventTime was the ingestion time.
    const [inside] = await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventTime >= '2022-09-24 00:00:00' AND eventTime < '2022-09-26 00:00:00'`);
    const [outside] = await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventTime < '2022-09-24 00:00:00'`);
    expect(inside).toEqual({ n: 2 });
    expect(outside).toEqual({ n: 1 });
    const [row] = await l.query(`SELECT eventTime, metadata.ingestionTime AS ingested FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u3'`);
    expect(row?.eventTime).toBe('2022-09-26 08:30:00.000');
    expect(Math.abs(Date.parse(row?.ingested as string) - Date.now())).toBeLessThan(600_000);
  });

  it('GROUP BY, ORDER BY and LIMIT; counts are plain numbers', async () => {
    const rows = await l.query(`SELECT eventData.userIdentity.principalId AS who, count(*) AS n FROM ${l.eventDataStoreId} GROUP BY eventData.userIdentity.principalId ORDER BY n DESC, who LIMIT 2`);
    expect(rows).toEqual([
      { who: 'alice', n: 2 },
      { who: 'bob', n: 1 },
    ]);
    expect(typeof rows[0]?.n).toBe('number');
  });

  it('element_at on map<string,string> fields returns the value (Trino semantics), nested values as JSON text, NULL when absent', async () => {
    const [row] = await l.query(
      `SELECT element_at(eventData.requestParameters, 'bucket') AS bucket, element_at(eventData.requestParameters, 'nested') AS nested, ` +
        `element_at(eventData.requestParameters, 'count') AS count, element_at(eventData.requestParameters, 'flag') AS flag, ` +
        `element_at(eventData.requestParameters, 'missing') AS missing, element_at(eventData.userIdentity.details, 'level') AS level ` +
        `FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u1'`,
    );
    expect(row).toEqual({ bucket: 'b1', nested: '{"a":[1,2]}', count: '5', flag: 'true', missing: null, level: '{"n":3}' });
    const [other] = await l.query(`SELECT element_at(eventData.additionalEventData, 'message') AS message FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u4'`);
    expect(other).toEqual({ message: 'hello' });
  });

  it('UNION ALL across two event data stores', async () => {
    const rows = await l.query(
      `SELECT eventData.userIdentity.principalId AS who FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u2' UNION ALL SELECT eventData.userIdentity.principalId AS who FROM ${second}`,
    );
    expect(rows.map((r) => r.who).sort()).toEqual(['bob', 'dave']);
  });

  it('WITH ... SELECT and SELECT * (maps as objects, the struct in the schema shape)', async () => {
    const rows = await l.query(`WITH a AS (SELECT * FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u1') SELECT eventData, metadata FROM a`);
    expect(rows).toHaveLength(1);
    const data = rows[0]?.eventData as Record<string, unknown>;
    expect(data.requestParameters).toEqual({ bucket: 'b1', nested: '{"a":[1,2]}', count: '5', flag: 'true', none: null });
    expect(data.userIdentity).toEqual({ type: 'T', principalId: 'alice', details: { team: 'red', level: '{"n":3}' } });
    expect(data.userAgent).toBeNull();
    expect((rows[0]?.metadata as Record<string, unknown>).channelARN).toBe(l.channelArn);
  });

  it('refuses anything but one SELECT with InvalidQueryStatementException', async () => {
    const refused = [
      `DELETE FROM ${l.eventDataStoreId}`,
      `DROP VIEW "${l.eventDataStoreId}"`,
      `INSERT INTO x VALUES (1)`,
      `CREATE TABLE t AS SELECT 1`,
      `SELECT 1; DROP TABLE x`,
      `COPY (SELECT 1) TO '/tmp/x.csv'`,
      `ATTACH '/tmp/x.db'`,
      `PRAGMA version`,
      `SET threads = 1`,
      `SELECT * FROM nowhere`,
      `SELEC 1`,
      `   `,
    ];
    for (const sql of refused) {
      await expect(l.query(sql), sql).rejects.toMatchObject({ name: 'InvalidQueryStatementException' });
    }
  });

  it('cannot read files through SQL', async () => {
    // The message changed deliberately (issue 9): table functions are refused before DuckDB sees the statement.
    await expect(l.query(`SELECT * FROM read_text('/etc/passwd')`)).rejects.toMatchObject({ name: 'InvalidQueryStatementException', message: expect.stringMatching(/read_text/) as unknown });
  });

  it('an unknown store id → EventDataStoreNotFoundException', async () => {
    await expect(l.query('SELECT * FROM 00000000-1111-4222-8333-444444444444')).rejects.toMatchObject({ name: 'EventDataStoreNotFoundException' });
  });

  it('ids inside string literals are left alone', async () => {
    const rows = await l.query(`SELECT '${l.eventDataStoreId}' AS id, count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.eventName = 'Logout'`);
    expect(rows).toEqual([{ id: l.eventDataStoreId, n: 1 }]);
  });

  it('GetQueryResults renders every value as a string, maps and arrays the way Trino prints them', async () => {
    const started = await controlRaw(l.endpoint, 'StartQuery', {
      QueryStatement: `SELECT eventData.requestParameters AS rp, count(*) OVER () AS n, [1, 2] AS arr, eventData.errorCode AS missing FROM ${l.eventDataStoreId} WHERE eventData.UID = 'u1'`,
    });
    const queryId = started.json.QueryId as string;
    let results = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: queryId });
    for (let i = 0; i < 50 && results.json.QueryStatus !== 'FINISHED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      results = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: queryId });
    }
    expect(results.json.QueryResultRows).toEqual([[{ rp: '{bucket=b1, nested={"a":[1,2]}, count=5, flag=true, none=null}' }, { n: '1' }, { arr: '[1, 2]' }, { missing: null }]]);
  });

  it('sees events stored after an earlier query (incremental loading)', async () => {
    const before = await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId}`);
    await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('late', { UID: 'late' })] } });
    const after = await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId}`);
    expect((after[0]?.n as number) - (before[0]?.n as number)).toBe(1);
  });
});
