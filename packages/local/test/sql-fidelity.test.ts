import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { INTEGRATION_QUERIES, SAMPLE_REPOSITORY_QUERIES, USER_GUIDE_QUERIES, type PublishedQuery } from './fixtures/published-queries.js';
import { auditEvent, controlRaw, lake, putRaw, tempDir } from './helpers.js';
import { appendRecords, createStore, settled } from './sql-helpers.js';

// One data directory with the three kinds of store: integration events (the default store),
// CloudTrail management events and AWS Config items (both written to their logs as a writer
// of CloudTrail events would, between two starts of the lake).

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const management = [
  {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLEBOB', arn: 'arn:aws:iam::123456789012:user/bob', accountId: '123456789012', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'bob' },
    eventTime: '2023-01-22T10:00:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.76',
    userAgent: 'Mozilla/5.0',
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { MFAUsed: 'No', LoginTo: 'https://console.aws.amazon.com/' },
    eventID: 'e0000000-0000-4000-8000-000000000001',
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.2', cipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256', clientProvidedHostHeader: 'signin.aws.amazon.com' },
  },
  {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:alice',
      arn: 'arn:aws:sts::123456789012:assumed-role/admin/alice',
      accountId: '123456789012',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::123456789012:role/admin', accountId: '123456789012', userName: 'admin' },
        attributes: { creationDate: '2023-01-22T09:00:00Z', mfaAuthenticated: 'true' },
      },
    },
    eventTime: '2023-01-22T11:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'CreateBucket',
    awsRegion: 'us-west-2',
    sourceIPAddress: '198.51.100.1',
    requestParameters: { bucketName: 'my-bucket-name', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } },
    responseElements: null,
    eventID: 'e0000000-0000-4000-8000-000000000002',
    readOnly: false,
    resources: [{ ARN: 'arn:aws:s3:::my-bucket-name', accountId: '123456789012', type: 'AWS::S3::Bucket' }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' },
  },
  {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLEBOB', arn: 'arn:aws:iam::123456789012:user/bob', accountId: '123456789012', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'bob' },
    eventTime: '2023-01-22T12:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.76',
    requestParameters: { bucketName: 'my-bucket-name', key: 'report.csv' },
    eventID: 'e0000000-0000-4000-8000-000000000003',
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: '123456789012',
    eventCategory: 'Data',
  },
];

const configItem = {
  eventVersion: '1.0',
  eventCategory: 'ConfigurationItem',
  eventType: 'AwsConfigurationItem',
  eventID: 'c0000000-0000-4000-8000-000000000001',
  eventTime: '2023-06-24T00:00:00Z',
  awsRegion: 'us-east-1',
  recipientAccountId: '123456789012',
  eventData: {
    accountId: '123456789012',
    awsRegion: 'us-east-1',
    resourceType: 'AWS::SSM::PatchCompliance',
    resourceId: 'AWS::SSM::ManagedInstanceInventory/i-0123456789abcdef0',
    configuration: { 'AWS:ComplianceItem': { Content: { Patch: { 'KB1': { PatchState: 'Installed', Id: 'KB1' }, 'KB2': { PatchState: 'Missing', Id: 'KB2' } } } } },
  },
};

let l: LocalLake;
let stores: Record<PublishedQuery['table'], string>;
const now = Date.now();

beforeAll(async () => {
  const dir = tempDir();
  const first = await lake({ dataDir: dir });
  const mgmt = await createStore(first.endpoint, 'management-events');
  const config = await createStore(first.endpoint, 'config-items', [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['ConfigurationItem'] }] }]);
  const events = [
    auditEvent('i1', { UID: 'i1', eventName: 'Login', eventTime: iso(now - 1 * DAY), userIdentity: { type: 'T', principalId: 'alice' }, requestParameters: { nested: { a: 'x' } } }),
    auditEvent('i2', { UID: 'i2', eventName: 'Login', eventTime: iso(now - 2 * DAY), userIdentity: { type: 'T', principalId: 'bob' } }),
    auditEvent('i3', { UID: 'i3', eventName: 'Logout', eventTime: iso(now - 10 * DAY), userIdentity: { type: 'T', principalId: 'alice' } }),
    auditEvent('i4', { UID: 'i4', eventName: 'Login', eventTime: '2023-06-29T12:00:00Z', userIdentity: { type: 'GoogleCloudUser', principalId: 'carol' } }),
  ];
  expect((await putRaw(first.endpoint, { channelArn: first.channelArn, body: { auditEvents: events } })).status).toBe(200);
  await first.close();
  const ingestion = new Date(now).toISOString();
  appendRecords(dir, mgmt, management.map((event) => ({ ingestionTime: ingestion, event })));
  appendRecords(dir, config, [{ ingestionTime: ingestion, event: configItem }]);
  l = await lake({ dataDir: dir });
  stores = { integration: l.eventDataStoreId, management: mgmt.id, config: config.id };
});

function substitute(sql: string): string {
  return sql.replaceAll('$EDS', stores.management).replaceAll('$INT', stores.integration);
}

describe('published CloudTrail Lake queries run as written', () => {
  const corpus = [...SAMPLE_REPOSITORY_QUERIES, ...USER_GUIDE_QUERIES, ...INTEGRATION_QUERIES];
  it.each(corpus.map((q) => [q.name, q] as const))('%s', async (_name, query) => {
    const sql = query.table === 'config' ? query.sql.replaceAll('$EDS', stores.config) : substitute(query.sql);
    await expect(l.query(sql)).resolves.toBeInstanceOf(Array);
  });

  it('the corpus holds the 62 sample-repository queries, the user guide examples and the integration idioms', () => {
    expect(SAMPLE_REPOSITORY_QUERIES).toHaveLength(62);
    expect(corpus.length).toBeGreaterThanOrEqual(70);
  });

  it('answers them correctly on CloudTrail management events, not just without error', async () => {
    const find = (name: string) => substitute((corpus.find((q) => q.name === name) as PublishedQuery).sql);
    expect(await l.query(find('principals who called CreateBucket on a day'))).toEqual([{ principalid: 'AROAEXAMPLE:alice', eventName: 'CreateBucket' }]);
    expect(await l.query(find('console-login-with-no-mfa'))).toHaveLength(1);
    expect(await l.query(find('data-by-week-day'))).toEqual([]);
    expect(await l.query(substitute(`SELECT day_of_week(eventTime) AS weekday, count(*) AS n FROM $EDS GROUP BY 1`))).toEqual([{ weekday: 7, n: 3 }]);
    expect(await l.query(find('SelfAssumeRole'))).toEqual([]);
    const [bucket] = await l.query(substitute(`SELECT element_at(resources, 1).arn AS arn, userIdentity.sessionContext.sessionIssuer.userName AS issuer, userIdentity.sessionContext.attributes.creationDate AS created, json_extract_scalar(element_at(requestParameters, 'CreateBucketConfiguration'), '$.LocationConstraint') AS location FROM $EDS WHERE eventName = 'CreateBucket'`));
    expect(bucket).toEqual({ arn: 'arn:aws:s3:::my-bucket-name', issuer: 'admin', created: '2023-01-22 09:00:00.000', location: 'us-west-2' });
    expect(await l.query(find('s3-actions-by-iam-access-key'))).toEqual([]);
    expect(await l.query(substitute(`SELECT eventName, tlsDetails.tlsVersion AS tls, readOnly, eventJson IS NOT NULL AS raw FROM $EDS WHERE tlsDetails.tlsversion != 'TLSv1.3'`))).toEqual([{ eventName: 'ConsoleLogin', tls: 'TLSv1.2', readOnly: false, raw: true }]);
  });

  it('answers AWS Config queries (lambdas, window functions, JSON casts) on a configuration item', async () => {
    const query = SAMPLE_REPOSITORY_QUERIES.find((q) => q.name === 'ssm-patch-compliance-all-ec2-instances') as PublishedQuery;
    const rows = await l.query(query.sql.replaceAll('$EDS', stores.config));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ InstanceId: 'i-0123456789abcdef0', Installed: ['"KB1"'], Missing: ['"KB2"'] });
  });

  it('UNION across an integration store and a management-events store (CloudTrail\'s schema, chosen by the selectors)', async () => {
    const rows = await l.query(substitute(`SELECT eventID, eventCategory FROM $EDS WHERE eventName = 'ConsoleLogin' UNION ALL SELECT eventID, eventCategory FROM $INT WHERE eventData.UID = 'i1' ORDER BY eventCategory`));
    expect(rows.map((r) => r.eventCategory)).toEqual(['ActivityAuditLog', 'Management']);
    const store = await createStore(l.endpoint, 'default-selectors');
    expect(await l.query(`SELECT eventName, userIdentity.arn, element_at(resources, 1).arn AS r FROM ${store.id} UNION ALL SELECT eventData.eventName, eventData.userIdentity.principalId, NULL FROM ${l.eventDataStoreId} WHERE false`)).toEqual([]);
  });
});

describe('Trino functions of published queries', () => {
  it('date_add, now(), current_timestamp, current_date and INTERVAL on the top-level eventTime', async () => {
    const count = async (where: string) => (await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE ${where}`))[0]?.n;
    expect(await count(`eventTime > date_add('day', -7, now())`)).toBe(2);
    expect(await count(`eventTime >= date_add('hour', -36, current_timestamp)`)).toBe(1);
    expect(await count(`eventTime > current_date - interval '30' day`)).toBe(3);
    expect(await count(`eventTime BETWEEN CURRENT_TIMESTAMP - INTERVAL '7' DAY AND CURRENT_TIMESTAMP`)).toBe(2);
    expect(await count(`from_iso8601_timestamp(eventData.eventTime) > date_add('day', -7, now())`)).toBe(2);
  });

  it('date_diff counts whole units, day_of_week is ISO, millisecond is of the second, element_at takes maps and arrays', async () => {
    const [row] = await l.query(
      `SELECT date_diff('day', TIMESTAMP '2024-01-07 23:00:00', TIMESTAMP '2024-01-08 01:00:00') AS d0, date_diff('hour', TIMESTAMP '2024-01-07 23:00:00', TIMESTAMP '2024-01-08 01:00:00') AS h2, ` +
        `day_of_week(DATE '2024-01-07') AS sunday, dow(DATE '2024-01-08') AS monday, day_of_year(DATE '2024-02-01') AS doy, year_of_week(DATE '2024-12-30') AS yow, ` +
        `millisecond(TIMESTAMP '2024-01-07 10:11:12.345') AS ms, element_at(ARRAY[10, 20, 30], -1) AS last, element_at(MAP {'k': 'v'}, 'missing') AS missing, ` +
        `date_trunc('day', TIMESTAMP '2024-01-07 10:11:12') AS day, to_unixtime(from_iso8601_timestamp('1970-01-02T00:00:00Z')) AS epoch, date_format(TIMESTAMP '2024-01-07 10:11:12', '%Y-%m-%d %H:%i:%s') AS formatted`,
    );
    expect(row).toEqual({ d0: 0, h2: 2, sunday: 7, monday: 1, doy: 32, yow: 2025, ms: 345, last: 30, missing: null, day: '2024-01-07 00:00:00.000', epoch: 86400, formatted: '2024-01-07 10:11:12' });
  });

  it('JSON functions, two-argument replace, regexp_replace with $1, transform and filter with lambdas', async () => {
    const [row] = await l.query(
      `SELECT json_extract_scalar('{"a":{"b":1}}', '$.a') AS object, json_extract_scalar('{"a":{"b":1}}', '$.a.b') AS scalar, json_array_get('[1, 2, 3]', 0) AS first, json_array_get('[1, 2, 3]', -1) AS last, ` +
        `json_array_length('[1, 2]') AS len, json_array_contains('[1, 2]', 2) AS has, is_json_scalar('1') AS scalar1, json_format(json_parse('{ "x" : 1 }')) AS formatted, ` +
        `replace('a-b-c', '-') AS removed, regexp_replace('2024-01-07', '(\\d+)-(\\d+)-(\\d+)', '$3/$2/$1') AS swapped, regexp_replace('a1b2', '\\d') AS stripped, ` +
        `transform(ARRAY[1, 2], x -> x * 10) AS tens, filter(ARRAY[1, 2, 3], x -> x > 1) AS big, slice(ARRAY[1, 2, 3, 4], 2, 2) AS mid, array_join(ARRAY['a', 'b'], ',') AS joined, cardinality(MAP {'a': 1}) AS size`,
    );
    expect(row).toEqual({
      object: null,
      scalar: '1',
      first: '1',
      last: '3',
      len: 2,
      has: true,
      scalar1: true,
      formatted: '{"x":1}',
      removed: 'abc',
      swapped: '07/01/2024',
      stripped: 'ab',
      tens: [10, 20],
      big: [2, 3],
      mid: [2, 3],
      joined: 'a,b',
      size: 1,
    });
  });

  it('count_if, approx_distinct, arbitrary and GROUP BY on eventData fields', async () => {
    const [row] = await l.query(`SELECT count_if(eventData.eventName = 'Login') AS logins, approx_distinct(eventData.userIdentity.principalId) AS people, arbitrary(eventData.version) AS version FROM ${l.eventDataStoreId}`);
    expect(row).toEqual({ logins: 3, people: 3, version: '1.0' });
  });
});

describe('the service\'s answers', () => {
  it('EventsMatched counts the events that matched, not the rows returned', async () => {
    const started = await controlRaw(l.endpoint, 'StartQuery', { QueryStatement: `SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.eventName = 'Login'` });
    const described = await settled(l.endpoint, started.json.QueryId as string);
    expect(described.json.QueryStatus).toBe('FINISHED');
    expect(described.json.QueryStatistics).toMatchObject({ EventsMatched: 3, EventsScanned: 4 });
    const results = await controlRaw(l.endpoint, 'GetQueryResults', { QueryId: started.json.QueryId });
    expect(results.json.QueryResultRows).toEqual([[{ n: '3' }]]);
  });

  it('statement errors are InvalidQueryStatementException on one line, without DuckDB\'s caret diagram', async () => {
    for (const sql of [`SELECT nosuchcolumn FROM ${l.eventDataStoreId}`, `SELECT nosuchfunction(1) FROM ${l.eventDataStoreId}`, `SELECT FROM WHERE`, `SELECT eventData.nope FROM ${l.eventDataStoreId}`]) {
      const started = await controlRaw(l.endpoint, 'StartQuery', { QueryStatement: sql });
      expect(started.status, sql).toBe(400);
      expect(started.json.__type, sql).toBe('InvalidQueryStatementException');
      const message = started.json.message as string;
      expect(message, sql).not.toMatch(/\n|\^|LINE \d/);
      expect(message.length, sql).toBeGreaterThan(10);
    }
    const unknown = await controlRaw(l.endpoint, 'StartQuery', { QueryStatement: `SELECT nosuchcolumn FROM ${l.eventDataStoreId}` });
    expect(unknown.json.message).toMatch(/nosuchcolumn/);
  });

  it('a query that fails while running is FAILED with a one-line ErrorMessage', async () => {
    const started = await controlRaw(l.endpoint, 'StartQuery', { QueryStatement: `SELECT CAST(eventData.UID AS INTEGER) AS n FROM ${l.eventDataStoreId}` });
    const described = await settled(l.endpoint, started.json.QueryId as string);
    expect(described.json.QueryStatus).toBe('FAILED');
    expect(described.json.ErrorMessage).toMatch(/^Conversion Error: /);
    expect(described.json.ErrorMessage).not.toMatch(/\n/);
  });

  it('the top-level eventTime is the event\'s own time; metadata.ingestionTime stays the ingestion time', async () => {
    const [row] = await l.query(`SELECT eventTime, eventData.eventTime AS own, metadata.ingestionTime AS ingested FROM ${l.eventDataStoreId} WHERE eventData.UID = 'i4'`);
    expect(row?.eventTime).toBe('2023-06-29 12:00:00.000');
    expect(row?.own).toBe('2023-06-29T12:00:00Z');
    expect(Math.abs(Date.parse(row?.ingested as string) - now)).toBeLessThan(600_000);
  });
});
