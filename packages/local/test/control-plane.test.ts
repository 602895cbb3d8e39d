import { beforeAll, describe, expect, it } from 'vitest';
import {
  CancelQueryCommand,
  CloudTrailClient,
  CreateChannelCommand,
  CreateEventDataStoreCommand,
  DeleteResourcePolicyCommand,
  DescribeQueryCommand,
  GetChannelCommand,
  GetEventDataStoreCommand,
  GetQueryResultsCommand,
  GetResourcePolicyCommand,
  ListChannelsCommand,
  ListEventDataStoresCommand,
  ListQueriesCommand,
  PutResourcePolicyCommand,
  StartQueryCommand,
  UpdateEventDataStoreCommand,
} from '@aws-sdk/client-cloudtrail';
import type { LocalLake } from '../src/index.js';
import { auditEvent, lake, putRaw } from './helpers.js';

// The official JS SDK client, unchanged, against the lake in strict SigV4 mode.

let l: LocalLake;
let client: CloudTrailClient;
beforeAll(async () => {
  l = await lake({ strictAuth: true });
  client = new CloudTrailClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials, maxAttempts: 1 });
  const events = Array.from({ length: 25 }, (_, i) => auditEvent(`sdk-${i}`, { UID: `sdk-${String(i).padStart(2, '0')}` }));
  const stored = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
  // Strict mode: an unsigned request is refused.
  expect(stored.status).toBe(403);
  expect(stored.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  const { createPutAuditEventsClient } = await import('@auditlake/core');
  const signed = await createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials }).send({ channelArn: l.channelArn, auditEvents: events });
  expect(signed.successful).toHaveLength(25);
});

/** Polls until the query leaves QUEUED/RUNNING: the wait is on the query, however slow the machine; vitest's timeout is the only bound. */
async function finished(queryId: string) {
  for (;;) {
    const described = await client.send(new DescribeQueryCommand({ QueryId: queryId }));
    if (described.QueryStatus !== 'QUEUED' && described.QueryStatus !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Polls until the query has left QUEUED. */
async function started(queryId: string) {
  for (;;) {
    const status = (await client.send(new DescribeQueryCommand({ QueryId: queryId }))).QueryStatus;
    if (status !== 'QUEUED') return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// Queries wait on DuckDB, which a busy machine slows down; the timeout only bounds a hang.
describe('@aws-sdk/client-cloudtrail: queries', { timeout: 120_000 }, () => {
  it('StartQuery → DescribeQuery → GetQueryResults, paged with NextToken', async () => {
    const { QueryId } = await client.send(new StartQueryCommand({ QueryStatement: `SELECT eventData.UID AS uid, eventTime FROM ${l.eventDataStoreId} ORDER BY uid` }));
    const described = await finished(QueryId as string);
    expect(described.QueryStatus).toBe('FINISHED');
    expect(described.QueryStatistics).toMatchObject({ EventsMatched: 25, EventsScanned: 25 });
    expect(described.QueryStatistics?.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs((described.QueryStatistics?.CreationTime as Date).getTime() - Date.now())).toBeLessThan(60_000);
    const uids: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new GetQueryResultsCommand({ QueryId, MaxQueryResults: 10, NextToken }));
      pages++;
      expect(page.QueryStatistics?.TotalResultsCount).toBe(25);
      for (const row of page.QueryResultRows ?? []) {
        expect(Object.keys(row[0] ?? {})).toEqual(['uid']);
        expect(row[1]?.eventTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
        uids.push(row[0]?.uid as string);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(uids).toEqual(Array.from({ length: 25 }, (_, i) => `sdk-${String(i).padStart(2, '0')}`));
  });

  it('query errors: bad statement at StartQuery, runtime failure as FAILED, unknown ids, bad tokens and limits', async () => {
    await expect(client.send(new StartQueryCommand({ QueryStatement: `UPDATE x SET a = 1` }))).rejects.toMatchObject({ name: 'InvalidQueryStatementException' });
    await expect(client.send(new StartQueryCommand({ QueryStatement: 'SELECT * FROM 0000aaaa-1111-4222-8333-444444444444' }))).rejects.toMatchObject({ name: 'EventDataStoreNotFoundException' });
    const failing = await client.send(new StartQueryCommand({ QueryStatement: `SELECT CAST(eventData.UID AS INTEGER) AS n FROM ${l.eventDataStoreId}` }));
    const described = await finished(failing.QueryId as string);
    expect(described.QueryStatus).toBe('FAILED');
    expect(described.ErrorMessage).toMatch(/Conversion Error|Could not convert/);
    const results = await client.send(new GetQueryResultsCommand({ QueryId: failing.QueryId }));
    expect(results).toMatchObject({ QueryStatus: 'FAILED', QueryResultRows: [] });
    await expect(client.send(new GetQueryResultsCommand({ QueryId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({ name: 'QueryIdNotFoundException' });
    const ok = await client.send(new StartQueryCommand({ QueryStatement: `SELECT 1 AS one FROM ${l.eventDataStoreId}` }));
    await finished(ok.QueryId as string);
    await expect(client.send(new GetQueryResultsCommand({ QueryId: ok.QueryId, NextToken: 'garbage-token' }))).rejects.toMatchObject({ name: 'InvalidNextTokenException' });
    await expect(client.send(new GetQueryResultsCommand({ QueryId: ok.QueryId, MaxQueryResults: 1001 }))).rejects.toMatchObject({ name: 'InvalidMaxResultsException' });
    await expect(client.send(new CancelQueryCommand({ QueryId: ok.QueryId }))).rejects.toMatchObject({ name: 'InactiveQueryException' });
  });

  it('CancelQuery stops a running query and a queued one; StartQuery does not wait behind a running query', async () => {
    const slow = await client.send(new StartQueryCommand({ QueryStatement: 'SELECT sum(hash(i)) AS s FROM range(5000000000) t(i)' }));
    // Two queries run at once (maxRunningQueries); a third waits. Changed deliberately (issue 9): queries used to run one at a time.
    const slower = await client.send(new StartQueryCommand({ QueryStatement: 'SELECT sum(hash(i)) AS s FROM range(6000000000) t(i)' }));
    expect(await started(slow.QueryId as string)).toBe('RUNNING');
    expect(await started(slower.QueryId as string)).toBe('RUNNING');
    // StartQuery answered while the slow queries still run: it does not wait behind them.
    const queued = await client.send(new StartQueryCommand({ QueryStatement: 'SELECT 42 AS x' }));
    expect((await client.send(new DescribeQueryCommand({ QueryId: slow.QueryId }))).QueryStatus).toBe('RUNNING');
    expect((await client.send(new DescribeQueryCommand({ QueryId: queued.QueryId }))).QueryStatus).toBe('QUEUED');
    expect(await client.send(new CancelQueryCommand({ QueryId: queued.QueryId }))).toMatchObject({ QueryId: queued.QueryId, QueryStatus: 'CANCELLED' });
    expect(await client.send(new CancelQueryCommand({ QueryId: slow.QueryId }))).toMatchObject({ QueryId: slow.QueryId, QueryStatus: 'CANCELLED' });
    expect(await client.send(new CancelQueryCommand({ QueryId: slower.QueryId }))).toMatchObject({ QueryId: slower.QueryId, QueryStatus: 'CANCELLED' });
    // The engine is free again at once: the next query finishes.
    const next = await client.send(new StartQueryCommand({ QueryStatement: 'SELECT 7 AS y' }));
    expect((await finished(next.QueryId as string)).QueryStatus).toBe('FINISHED');
    expect((await client.send(new GetQueryResultsCommand({ QueryId: queued.QueryId }))).QueryStatus).toBe('CANCELLED');
  });

  it('ListQueries lists the store\'s queries, newest first', async () => {
    const { QueryId } = await client.send(new StartQueryCommand({ QueryStatement: `SELECT count(*) FROM ${l.eventDataStoreId}` }));
    await finished(QueryId as string);
    const listed = await client.send(new ListQueriesCommand({ EventDataStore: l.eventDataStoreArn }));
    expect(listed.Queries?.[0]).toMatchObject({ QueryId, QueryStatus: 'FINISHED' });
    expect(listed.Queries?.[0]?.CreationTime).toBeInstanceOf(Date);
  });
});

describe('@aws-sdk/client-cloudtrail: channels and event data stores', () => {
  it('creates a store with the service defaults and validates RetentionPeriod 7–3653', async () => {
    const created = await client.send(new CreateEventDataStoreCommand({ Name: 'sdk-defaults' }));
    expect(created).toMatchObject({ Name: 'sdk-defaults', Status: 'ENABLED', RetentionPeriod: 366, MultiRegionEnabled: true, OrganizationEnabled: false, TerminationProtectionEnabled: true, BillingMode: 'EXTENDABLE_RETENTION_PRICING' });
    expect(created.CreatedTimestamp).toBeInstanceOf(Date);
    await expect(client.send(new CreateEventDataStoreCommand({ Name: 'sdk-defaults' }))).rejects.toMatchObject({ name: 'EventDataStoreAlreadyExistsException' });
    await expect(client.send(new CreateEventDataStoreCommand({ Name: 'too-short', RetentionPeriod: 6 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(client.send(new CreateEventDataStoreCommand({ Name: 'too-long', RetentionPeriod: 3654 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(client.send(new CreateEventDataStoreCommand({ Name: 'fixed', RetentionPeriod: 3000, BillingMode: 'FIXED_RETENTION_PRICING' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const fetched = await client.send(new GetEventDataStoreCommand({ EventDataStore: created.EventDataStoreArn }));
    expect(fetched.Name).toBe('sdk-defaults');
    await expect(client.send(new GetEventDataStoreCommand({ EventDataStore: 'arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/nope-nope' }))).rejects.toMatchObject({ name: 'EventDataStoreNotFoundException' });

    // A store that does not collect ActivityAuditLog cannot be a channel destination, until updated.
    await expect(
      client.send(new CreateChannelCommand({ Name: 'to-management', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: created.EventDataStoreArn }] })),
    ).rejects.toMatchObject({ name: 'InvalidEventDataStoreCategoryException' });
    const updated = await client.send(
      new UpdateEventDataStoreCommand({
        EventDataStore: created.EventDataStoreArn,
        RetentionPeriod: 30,
        AdvancedEventSelectors: [{ Name: 'custom', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }],
      }),
    );
    expect(updated.RetentionPeriod).toBe(30);
    const channel = await client.send(new CreateChannelCommand({ Name: 'to-custom', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: created.EventDataStoreArn }], Tags: [{ Key: 'team', Value: 'audit' }] }));
    expect(channel).toMatchObject({ Name: 'to-custom', Source: 'Custom', Tags: [{ Key: 'team', Value: 'audit' }] });
    await expect(client.send(new CreateChannelCommand({ Name: 'to-custom', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: created.EventDataStoreArn }] }))).rejects.toMatchObject({ name: 'ChannelAlreadyExistsException' });
    const stores = await client.send(new ListEventDataStoresCommand({}));
    expect(stores.EventDataStores?.map((s) => s.Name)).toEqual(['auditlake-local', 'sdk-defaults']);
  });

  it('ListChannels pages; GetChannel by ARN or id; unknown and malformed channels', async () => {
    const first = await client.send(new ListChannelsCommand({ MaxResults: 1 }));
    expect(first.Channels).toHaveLength(1);
    expect(first.NextToken).toBeDefined();
    const rest = await client.send(new ListChannelsCommand({ NextToken: first.NextToken }));
    expect((rest.Channels?.length ?? 0) + 1).toBeGreaterThanOrEqual(2);
    const id = l.channelArn.split('/')[1] as string;
    expect((await client.send(new GetChannelCommand({ Channel: id }))).ChannelArn).toBe(l.channelArn);
    await expect(client.send(new GetChannelCommand({ Channel: l.channelArn.replace(/channel\/.*/, 'channel/00000000-0000-4000-8000-000000000000') }))).rejects.toMatchObject({ name: 'ChannelNotFoundException' });
    await expect(client.send(new GetChannelCommand({ Channel: 'arn:aws:cloudtrail:us-east-1:123:channel/x' }))).rejects.toMatchObject({ name: 'ChannelARNInvalidException' });
  });

  it('resource policies: an external-id condition gates PutAuditEvents until deleted', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ['123456789012'] }, Action: 'cloudtrail-data:PutAuditEvents', Resource: l.channelArn, Condition: { StringEquals: { 'cloudtrail:ExternalId': 'ext-1' } } }],
    });
    await expect(client.send(new PutResourcePolicyCommand({ ResourceArn: l.channelArn, ResourcePolicy: '{"Statement":[]}' }))).rejects.toMatchObject({ name: 'ResourcePolicyNotValidException' });
    await client.send(new PutResourcePolicyCommand({ ResourceArn: l.channelArn, ResourcePolicy: policy }));
    expect((await client.send(new GetResourcePolicyCommand({ ResourceArn: l.channelArn }))).ResourcePolicy).toBe(policy);
    const { createPutAuditEventsClient } = await import('@auditlake/core');
    const sender = createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials });
    await expect(sender.send({ channelArn: l.channelArn, auditEvents: [auditEvent('pol-1')] })).rejects.toMatchObject({ errorCode: 'ChannelInsufficientPermission', statusCode: 400 });
    expect((await sender.send({ channelArn: l.channelArn, externalId: 'ext-1', auditEvents: [auditEvent('pol-1')] })).successful).toHaveLength(1);
    await client.send(new DeleteResourcePolicyCommand({ ResourceArn: l.channelArn }));
    expect((await sender.send({ channelArn: l.channelArn, auditEvents: [auditEvent('pol-2')] })).successful).toHaveLength(1);
    await expect(client.send(new GetResourcePolicyCommand({ ResourceArn: l.channelArn }))).rejects.toMatchObject({ name: 'ResourcePolicyNotFoundException' });
    sender.destroy();
  });

  it('a caller from another account is refused unless the policy names that account', async () => {
    const stranger = { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'stranger-secret', accountId: '111122223333' };
    const guarded = await lake({ strictAuth: true, credentials: [stranger] });
    const { createPutAuditEventsClient } = await import('@auditlake/core');
    const sender = createPutAuditEventsClient({ region: 'us-east-1', endpoint: guarded.endpoint, credentials: stranger });
    await expect(sender.send({ channelArn: guarded.channelArn, auditEvents: [auditEvent('x-1')] })).rejects.toMatchObject({ errorCode: 'ChannelInsufficientPermission' });
    const admin = new CloudTrailClient({ region: 'us-east-1', endpoint: guarded.endpoint, credentials: guarded.credentials, maxAttempts: 1 });
    await admin.send(
      new PutResourcePolicyCommand({
        ResourceArn: guarded.channelArn,
        ResourcePolicy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'cloudtrail-data:PutAuditEvents', Resource: guarded.channelArn }] }),
      }),
    );
    expect((await sender.send({ channelArn: guarded.channelArn, auditEvents: [auditEvent('x-1')] })).successful).toHaveLength(1);
    sender.destroy();
    admin.destroy();
  });
});
