import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AddTagsCommand,
  CloudTrailClient,
  CreateChannelCommand,
  CreateEventDataStoreCommand,
  DeleteChannelCommand,
  DeleteEventDataStoreCommand,
  GetChannelCommand,
  GetEventDataStoreCommand,
  ListChannelsCommand,
  ListEventDataStoresCommand,
  ListQueriesCommand,
  ListTagsCommand,
  RemoveTagsCommand,
  RestoreEventDataStoreCommand,
  StartQueryCommand,
  UpdateChannelCommand,
  UpdateEventDataStoreCommand,
} from '@aws-sdk/client-cloudtrail';
import type { LocalLake } from '../src/index.js';
import { auditEvent, controlRaw, lake, putRaw, tempDir, type RawResponse } from './helpers.js';

// Item 2 of issue 9: what the SDKs and the CLI need to tear down what they create.

const INTEGRATION = [{ Name: 'integration', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }];
const DAY = 86_400_000;

let l: LocalLake;
let client: CloudTrailClient;
beforeAll(async () => {
  l = await lake({ strictAuth: true });
  client = new CloudTrailClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials, maxAttempts: 1 });
});

describe('@aws-sdk/client-cloudtrail: channels and stores, created, changed and deleted', () => {
  it('UpdateChannel renames and re-points a channel; DeleteChannel removes it and its policy', async () => {
    const a = await client.send(new CreateEventDataStoreCommand({ Name: 'upd-a', AdvancedEventSelectors: INTEGRATION, MultiRegionEnabled: false }));
    const b = await client.send(new CreateEventDataStoreCommand({ Name: 'upd-b', AdvancedEventSelectors: INTEGRATION, MultiRegionEnabled: false }));
    const channel = await client.send(new CreateChannelCommand({ Name: 'upd-channel', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: a.EventDataStoreArn }] }));
    const updated = await client.send(
      new UpdateChannelCommand({ Channel: channel.ChannelArn, Name: 'upd-renamed', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: (b.EventDataStoreArn as string).split('/')[1] }] }),
    );
    expect(updated).toMatchObject({ ChannelArn: channel.ChannelArn, Name: 'upd-renamed', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: b.EventDataStoreArn }] });
    await expect(client.send(new UpdateChannelCommand({ Channel: channel.ChannelArn, Name: 'auditlake-local' }))).rejects.toMatchObject({ name: 'ChannelAlreadyExistsException' });
    await expect(client.send(new UpdateChannelCommand({ Channel: channel.ChannelArn, Destinations: [] }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const management = await client.send(new CreateEventDataStoreCommand({ Name: 'upd-management', TerminationProtectionEnabled: false }));
    await expect(client.send(new UpdateChannelCommand({ Channel: channel.ChannelArn, Destinations: [{ Type: 'EVENT_DATA_STORE', Location: management.EventDataStoreArn }] }))).rejects.toMatchObject({
      name: 'InvalidEventDataStoreCategoryException',
    });

    await client.send(new DeleteChannelCommand({ Channel: channel.ChannelArn }));
    await expect(client.send(new GetChannelCommand({ Channel: channel.ChannelArn }))).rejects.toMatchObject({ name: 'ChannelNotFoundException' });
    await expect(client.send(new DeleteChannelCommand({ Channel: channel.ChannelArn }))).rejects.toMatchObject({ name: 'ChannelNotFoundException' });
    expect((await client.send(new ListChannelsCommand({}))).Channels?.map((c) => c.Name)).toEqual(['auditlake-local']);
  });

  it('DeleteEventDataStore: termination protection, channels in the way, PENDING_DELETION, RestoreEventDataStore', async () => {
    const eds = await client.send(new CreateEventDataStoreCommand({ Name: 'doomed', AdvancedEventSelectors: INTEGRATION, MultiRegionEnabled: false }));
    const arn = eds.EventDataStoreArn as string;
    const channel = await client.send(new CreateChannelCommand({ Name: 'doomed-channel', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: arn }] }));
    await expect(client.send(new DeleteEventDataStoreCommand({ EventDataStore: arn }))).rejects.toMatchObject({ name: 'EventDataStoreTerminationProtectedException' });
    await client.send(new UpdateEventDataStoreCommand({ EventDataStore: arn, TerminationProtectionEnabled: false }));
    await expect(client.send(new DeleteEventDataStoreCommand({ EventDataStore: arn }))).rejects.toMatchObject({ name: 'ChannelExistsForEDSException' });
    await client.send(new DeleteChannelCommand({ Channel: channel.ChannelArn }));
    await client.send(new DeleteEventDataStoreCommand({ EventDataStore: arn }));

    expect((await client.send(new GetEventDataStoreCommand({ EventDataStore: arn }))).Status).toBe('PENDING_DELETION');
    expect((await client.send(new ListEventDataStoresCommand({}))).EventDataStores?.map((s) => s.Name)).toContain('doomed');
    for (const call of [
      new UpdateEventDataStoreCommand({ EventDataStore: arn, RetentionPeriod: 30 }),
      new DeleteEventDataStoreCommand({ EventDataStore: arn }),
      new ListQueriesCommand({ EventDataStore: arn }),
      new AddTagsCommand({ ResourceId: arn, TagsList: [{ Key: 'k', Value: 'v' }] }),
      new CreateChannelCommand({ Name: 'to-doomed', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: arn }] }),
    ]) {
      await expect(client.send(call as never), call.constructor.name).rejects.toMatchObject({ name: 'InactiveEventDataStoreException' });
    }
    await expect(client.send(new StartQueryCommand({ QueryStatement: `SELECT count(*) FROM ${arn.split('/')[1] as string}` }))).rejects.toMatchObject({ name: 'EventDataStoreNotFoundException' });

    const restored = await client.send(new RestoreEventDataStoreCommand({ EventDataStore: arn }));
    expect(restored).toMatchObject({ EventDataStoreArn: arn, Name: 'doomed', Status: 'ENABLED' });
    await expect(client.send(new RestoreEventDataStoreCommand({ EventDataStore: arn }))).rejects.toMatchObject({ name: 'InvalidEventDataStoreStatusException' });
    expect((await client.send(new GetEventDataStoreCommand({ EventDataStore: arn }))).Status).toBe('ENABLED');
    await client.send(new DeleteEventDataStoreCommand({ EventDataStore: arn }));
  });

  it('AddTags, ListTags, RemoveTags on channel and store ARNs, with the model limits', async () => {
    const eds = await client.send(new CreateEventDataStoreCommand({ Name: 'tagged', AdvancedEventSelectors: INTEGRATION, TagsList: [{ Key: 'team', Value: 'audit' }] }));
    const arn = eds.EventDataStoreArn as string;
    await client.send(new AddTagsCommand({ ResourceId: arn, TagsList: [{ Key: 'team', Value: 'security' }, { Key: 'env' }] }));
    await client.send(new AddTagsCommand({ ResourceId: l.channelArn, TagsList: [{ Key: 'owner', Value: 'me' }] }));
    const listed = await client.send(new ListTagsCommand({ ResourceIdList: [arn, l.channelArn] }));
    expect(listed.ResourceTagList).toEqual([
      { ResourceId: arn, TagsList: [{ Key: 'team', Value: 'security' }, { Key: 'env' }] },
      { ResourceId: l.channelArn, TagsList: [{ Key: 'owner', Value: 'me' }] },
    ]);
    await client.send(new RemoveTagsCommand({ ResourceId: arn, TagsList: [{ Key: 'team' }] }));
    expect((await client.send(new ListTagsCommand({ ResourceIdList: [arn] }))).ResourceTagList?.[0]?.TagsList).toEqual([{ Key: 'env' }]);

    const errors: [AddTagsCommand, string][] = [
      [new AddTagsCommand({ ResourceId: 'not-an-arn', TagsList: [{ Key: 'k' }] }), 'CloudTrailARNInvalidException'],
      [new AddTagsCommand({ ResourceId: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/my-trail', TagsList: [{ Key: 'k' }] }), 'ResourceTypeNotSupportedException'],
      [new AddTagsCommand({ ResourceId: arn.replace(/\/.*/, '/00000000-0000-4000-8000-000000000000'), TagsList: [{ Key: 'k' }] }), 'EventDataStoreNotFoundException'],
      [new AddTagsCommand({ ResourceId: l.channelArn.replace(/\/.*/, '/00000000-0000-4000-8000-000000000000'), TagsList: [{ Key: 'k' }] }), 'ChannelNotFoundException'],
      [new AddTagsCommand({ ResourceId: arn, TagsList: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}` })) }), 'TagsLimitExceededException'],
      [new AddTagsCommand({ ResourceId: arn, TagsList: [{ Key: 'same' }, { Key: 'same', Value: 'x' }] }), 'InvalidTagParameterException'],
      [new AddTagsCommand({ ResourceId: arn, TagsList: [{ Key: 'x'.repeat(129) }] }), 'InvalidTagParameterException'],
    ];
    for (const [command, name] of errors) await expect(client.send(command), name).rejects.toMatchObject({ name });
    await expect(client.send(new ListTagsCommand({ ResourceIdList: Array.from({ length: 21 }, () => arn) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('deleted stores free their place', () => {
  it('a suite that creates and deletes a store per run is never stuck at the quota of 10', async () => {
    const fresh = await lake();
    const fill: RawResponse[] = [];
    for (let i = 0; i < 9; i++) fill.push(await controlRaw(fresh.endpoint, 'CreateEventDataStore', { Name: `fill-${i}`, TerminationProtectionEnabled: false }));
    expect((await controlRaw(fresh.endpoint, 'CreateEventDataStore', { Name: 'one-too-many' })).json.__type).toBe('EventDataStoreMaxLimitExceededException');
    for (let run = 0; run < 15; run++) {
      await controlRaw(fresh.endpoint, 'DeleteEventDataStore', { EventDataStore: fill[0]?.json.EventDataStoreArn });
      const created = await controlRaw(fresh.endpoint, 'CreateEventDataStore', { Name: 'fill-0', TerminationProtectionEnabled: false });
      expect({ run, status: created.status }).toEqual({ run, status: 200 });
      fill[0] = created;
    }
    // Restoring into a full account is refused, as the model's errors for RestoreEventDataStore say.
    const first = (await controlRaw(fresh.endpoint, 'ListEventDataStores', {})).json.EventDataStores as { EventDataStoreArn: string; Name: string }[];
    const pending = first.find((s) => s.Name === 'fill-0' && s.EventDataStoreArn !== fill[0]?.json.EventDataStoreArn) as { EventDataStoreArn: string };
    expect((await controlRaw(fresh.endpoint, 'RestoreEventDataStore', { EventDataStore: pending.EventDataStoreArn })).json.__type).toBe('EventDataStoreMaxLimitExceededException');
  });

  it('after seven days on the lake clock a deleted store is gone, files and all; a restore within them brings everything back', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const timed = await lake({ now: () => clock });
    const kept = await controlRaw(timed.endpoint, 'CreateEventDataStore', { Name: 'kept', AdvancedEventSelectors: INTEGRATION, TerminationProtectionEnabled: false });
    const gone = await controlRaw(timed.endpoint, 'CreateEventDataStore', { Name: 'gone', AdvancedEventSelectors: INTEGRATION, TerminationProtectionEnabled: false });
    const channel = await controlRaw(timed.endpoint, 'CreateChannel', {
      Name: 'both',
      Source: 'Custom',
      Destinations: [{ Type: 'EVENT_DATA_STORE', Location: kept.json.EventDataStoreArn }, { Type: 'EVENT_DATA_STORE', Location: gone.json.EventDataStoreArn }],
    });
    await putRaw(timed.endpoint, { channelArn: channel.json.ChannelArn as string, body: { auditEvents: [auditEvent('t1')] } });
    await controlRaw(timed.endpoint, 'DeleteChannel', { Channel: channel.json.ChannelArn });
    for (const store of [kept, gone]) await controlRaw(timed.endpoint, 'DeleteEventDataStore', { EventDataStore: store.json.EventDataStoreArn });
    const goneId = (gone.json.EventDataStoreArn as string).split('/')[1] as string;
    const keptId = (kept.json.EventDataStoreArn as string).split('/')[1] as string;
    clock += 7 * DAY - 1;
    expect((await controlRaw(timed.endpoint, 'RestoreEventDataStore', { EventDataStore: keptId })).json.Status).toBe('ENABLED');
    clock += 1;
    expect((await controlRaw(timed.endpoint, 'GetEventDataStore', { EventDataStore: goneId })).json.__type).toBe('EventDataStoreNotFoundException');
    expect(existsSync(`${timed.dataDir}/stores/${goneId}`)).toBe(false);
    expect(await timed.query(`SELECT eventData.UID AS uid FROM ${keptId}`)).toEqual([{ uid: 'uid-1' }]);
  });

  it('deleting the default channel and store: the next start makes a new pair', async () => {
    const dir = tempDir();
    const first = await lake({ dataDir: dir });
    await controlRaw(first.endpoint, 'DeleteChannel', { Channel: first.channelArn });
    await controlRaw(first.endpoint, 'UpdateEventDataStore', { EventDataStore: first.eventDataStoreId, TerminationProtectionEnabled: false });
    expect((await controlRaw(first.endpoint, 'DeleteEventDataStore', { EventDataStore: first.eventDataStoreId })).status).toBe(200);
    await first.close();
    const second = await lake({ dataDir: dir });
    expect(second.channelArn).not.toBe(first.channelArn);
    expect(second.eventDataStoreId).not.toBe(first.eventDataStoreId);
    expect((await putRaw(second.endpoint, { channelArn: second.channelArn, body: { auditEvents: [auditEvent('n1')] } })).status).toBe(200);
  });
});
