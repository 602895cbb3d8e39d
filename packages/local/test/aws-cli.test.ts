import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { aws, eventData, lake, SKIP_AWS_CLI } from './helpers.js';

// The AWS CLI (botocore, its own SigV4 signer and JSON/rest-json parsers) is an independent
// client: if it is happy, the wire format is right. The lake runs in strict mode here.

let l: LocalLake;
beforeAll(async () => {
  l = await lake({ strictAuth: true });
});

async function ok(args: string[]): Promise<Record<string, unknown>> {
  const result = await aws([...args, '--endpoint-url', l.endpoint], l.credentials);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code).toBe(0);
  // Operations with an empty answer (AddTags, DeleteChannel, …) print nothing.
  return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as Record<string, unknown>;
}

/** Polls until the query is done; vitest's timeout is the only bound. */
async function waitFinished(queryId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const described = await ok(['cloudtrail', 'describe-query', '--query-id', queryId]);
    if (described.QueryStatus !== 'QUEUED' && described.QueryStatus !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Each AWS CLI run starts a Python interpreter: seconds apiece on a busy machine. The timeout
// only bounds a hang; nothing here waits on the clock.
describe.skipIf(SKIP_AWS_CLI)('AWS CLI against the lake (strict SigV4)', { timeout: 180_000 }, () => {
  it('cloudtrail-data put-audit-events: successful and failed entries', async () => {
    const events = [
      { id: 'cli-1', eventData: JSON.stringify(eventData({ UID: 'cli', userIdentity: { type: 'T', principalId: 'cli-user' } })) },
      { id: 'cli-2', eventData: JSON.stringify(eventData({ UID: 'cli', eventName: undefined })) },
    ];
    const out = await ok(['cloudtrail-data', 'put-audit-events', '--channel-arn', l.channelArn, '--audit-events', JSON.stringify(events)]);
    expect((out.successful as { id: string }[]).map((s) => s.id)).toEqual(['cli-1']);
    expect(out.failed).toEqual([{ id: 'cli-2', errorCode: 'FieldNotFound', errorMessage: expect.stringContaining('eventName') as unknown }]);
  });

  it('request-level errors reach the CLI by name', async () => {
    const dup = [
      { id: 'same', eventData: '{}' },
      { id: 'same', eventData: '{}' },
    ];
    const duplicated = await aws(['cloudtrail-data', 'put-audit-events', '--endpoint-url', l.endpoint, '--channel-arn', l.channelArn, '--audit-events', JSON.stringify(dup)], l.credentials);
    expect(duplicated.code).not.toBe(0);
    expect(duplicated.stderr).toMatch(/\(DuplicatedAuditEventId\) when calling the PutAuditEvents operation/);
    const missing = l.channelArn.replace(/channel\/.*/, 'channel/00000000-0000-4000-8000-000000000000');
    const notFound = await aws(['cloudtrail-data', 'put-audit-events', '--endpoint-url', l.endpoint, '--channel-arn', missing, '--audit-events', '[{"id":"a","eventData":"{}"}]'], l.credentials);
    expect(notFound.stderr).toMatch(/\(ChannelNotFound\)/);
  });

  it('a wrong secret is InvalidSignatureException; an unknown key UnrecognizedClientException', async () => {
    const bad = await aws(['cloudtrail', 'list-channels', '--endpoint-url', l.endpoint], { accessKeyId: l.credentials.accessKeyId, secretAccessKey: 'wrong' });
    expect(bad.stderr).toMatch(/\(InvalidSignatureException\) when calling the ListChannels operation.*: The request signature we calculated does not match/);
    const unknown = await aws(['cloudtrail-data', 'put-audit-events', '--endpoint-url', l.endpoint, '--channel-arn', l.channelArn, '--audit-events', '[{"id":"a","eventData":"{}"}]'], { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' });
    expect(unknown.stderr).toMatch(/\(UnrecognizedClientException\)/);
  });

  it('list-channels, get-channel, list-event-data-stores, get-event-data-store', async () => {
    const channels = await ok(['cloudtrail', 'list-channels']);
    expect(channels.Channels).toContainEqual({ ChannelArn: l.channelArn, Name: 'auditlake-local' });
    const channel = await ok(['cloudtrail', 'get-channel', '--channel', l.channelArn]);
    expect(channel).toMatchObject({ ChannelArn: l.channelArn, Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: l.eventDataStoreArn }] });
    const stores = await ok(['cloudtrail', 'list-event-data-stores']);
    expect(stores.EventDataStores).toContainEqual({ EventDataStoreArn: l.eventDataStoreArn, Name: 'auditlake-local' });
    const store = await ok(['cloudtrail', 'get-event-data-store', '--event-data-store', l.eventDataStoreId]);
    expect(store).toMatchObject({ EventDataStoreArn: l.eventDataStoreArn, Status: 'ENABLED', RetentionPeriod: 366, MultiRegionEnabled: false });
    expect(typeof store.CreatedTimestamp).toBe('number');
  });

  it('create-event-data-store and create-channel, then events flow into the new store', async () => {
    const store = await ok([
      'cloudtrail', 'create-event-data-store', '--name', 'cli-store', '--retention-period', '7', '--no-multi-region-enabled',
      '--advanced-event-selectors', JSON.stringify([{ Name: 'custom', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }]),
    ]);
    expect(store).toMatchObject({ Name: 'cli-store', RetentionPeriod: 7, Status: 'ENABLED' });
    const storeId = (store.EventDataStoreArn as string).split('/')[1] as string;
    const channel = await ok(['cloudtrail', 'create-channel', '--name', 'cli-channel', '--source', 'Custom', '--destinations', JSON.stringify([{ Type: 'EVENT_DATA_STORE', Location: storeId }])]);
    expect(channel).toMatchObject({ Name: 'cli-channel', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: store.EventDataStoreArn }] });
    await ok(['cloudtrail-data', 'put-audit-events', '--channel-arn', channel.ChannelArn as string, '--audit-events', JSON.stringify([{ id: 'n1', eventData: JSON.stringify(eventData({ UID: 'in-new-store' })) }])]);
    expect(await l.query(`SELECT eventData.UID AS uid FROM ${storeId}`)).toEqual([{ uid: 'in-new-store' }]);
    const tooShort = await aws(['cloudtrail', 'create-event-data-store', '--endpoint-url', l.endpoint, '--name', 'bad-retention', '--retention-period', '3654'], l.credentials);
    expect(tooShort.stderr).toMatch(/\(InvalidParameterException\).*RetentionPeriod/);
  });

  it('start-query, describe-query, get-query-results (paged) with the canonical query', async () => {
    const events = ['p1', 'p2', 'p3'].map((who, i) => ({ id: `q-${i}`, eventData: JSON.stringify(eventData({ UID: 'cli-query', eventTime: '2022-09-25T00:00:00Z', userIdentity: { type: 'T', principalId: who } })) }));
    await ok(['cloudtrail-data', 'put-audit-events', '--channel-arn', l.channelArn, '--audit-events', JSON.stringify(events)]);
    const sql = `SELECT eventData.userIdentity.principalId FROM ${l.eventDataStoreId} WHERE eventData.eventTime > '2022-09-24 00:00:00' AND eventData.UID = 'cli-query' ORDER BY 1`;
    const started = await ok(['cloudtrail', 'start-query', '--query-statement', sql]);
    expect(started.QueryId).toMatch(/^[a-f0-9-]{36}$/);
    const described = await waitFinished(started.QueryId as string);
    expect(described).toMatchObject({ QueryStatus: 'FINISHED', QueryString: sql, QueryStatistics: { EventsMatched: 3 } });
    const first = await ok(['cloudtrail', 'get-query-results', '--query-id', started.QueryId as string, '--max-query-results', '2']);
    expect(first).toMatchObject({ QueryStatus: 'FINISHED', QueryStatistics: { ResultsCount: 2, TotalResultsCount: 3 } });
    expect(first.QueryResultRows).toEqual([[{ principalId: 'p1' }], [{ principalId: 'p2' }]]);
    const second = await ok(['cloudtrail', 'get-query-results', '--query-id', started.QueryId as string, '--next-token', first.NextToken as string]);
    expect(second.QueryResultRows).toEqual([[{ principalId: 'p3' }]]);
    expect(second.NextToken).toBeUndefined();
  });

  it('start-query refuses a non-SELECT with InvalidQueryStatementException', async () => {
    const refused = await aws(['cloudtrail', 'start-query', '--endpoint-url', l.endpoint, '--query-statement', `DELETE FROM ${l.eventDataStoreId}`], l.credentials);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/\(InvalidQueryStatementException\) when calling the StartQuery operation/);
  });

  it('tears down what it creates: update-channel, delete-channel, delete-event-data-store (pending deletion), restore, tags', async () => {
    const selectors = JSON.stringify([{ Name: 'custom', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }]);
    const store = await ok(['cloudtrail', 'create-event-data-store', '--name', 'cli-teardown', '--no-multi-region-enabled', '--no-termination-protection-enabled', '--advanced-event-selectors', selectors]);
    const storeArn = store.EventDataStoreArn as string;
    const channel = await ok(['cloudtrail', 'create-channel', '--name', 'cli-teardown', '--source', 'Custom', '--destinations', JSON.stringify([{ Type: 'EVENT_DATA_STORE', Location: storeArn }])]);
    const channelArn = channel.ChannelArn as string;
    expect(await ok(['cloudtrail', 'update-channel', '--channel', channelArn, '--name', 'cli-renamed'])).toMatchObject({ ChannelArn: channelArn, Name: 'cli-renamed' });
    await ok(['cloudtrail', 'add-tags', '--resource-id', storeArn, '--tags-list', 'Key=team,Value=audit', 'Key=env']);
    expect(await ok(['cloudtrail', 'list-tags', '--resource-id-list', storeArn])).toEqual({ ResourceTagList: [{ ResourceId: storeArn, TagsList: [{ Key: 'team', Value: 'audit' }, { Key: 'env' }] }] });
    await ok(['cloudtrail', 'remove-tags', '--resource-id', storeArn, '--tags-list', 'Key=env']);

    const blocked = await aws(['cloudtrail', 'delete-event-data-store', '--endpoint-url', l.endpoint, '--event-data-store', storeArn], l.credentials);
    expect(blocked.stderr).toMatch(/\(ChannelExistsForEDSException\) when calling the DeleteEventDataStore operation/);
    await ok(['cloudtrail', 'delete-channel', '--channel', channelArn]);
    await ok(['cloudtrail', 'delete-event-data-store', '--event-data-store', storeArn]);
    expect(await ok(['cloudtrail', 'get-event-data-store', '--event-data-store', storeArn])).toMatchObject({ Status: 'PENDING_DELETION' });
    expect(await ok(['cloudtrail', 'restore-event-data-store', '--event-data-store', storeArn])).toMatchObject({ Status: 'ENABLED', Name: 'cli-teardown' });
    await ok(['cloudtrail', 'delete-event-data-store', '--event-data-store', storeArn]);
  });
});
