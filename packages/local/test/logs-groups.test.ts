import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutLogGroupDeletionProtectionCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startLocalLake, type LocalLake } from '../src/index.js';
import { lake, quiet, tempDir } from './helpers.js';
import { awsError, logsCall, logsClient } from './logs-helpers.js';

// Log groups and streams with the official client, the lake in strict mode.

let l: LocalLake;
let client: ReturnType<typeof logsClient>;

beforeAll(async () => {
  l = await lake({ strictAuth: true });
  client = logsClient(l);
});

describe('log groups', () => {
  it('CreateLogGroup answers an empty body; a second one is ResourceAlreadyExistsException', async () => {
    const created = await logsCall(l, 'CreateLogGroup', { logGroupName: '/groups/one' });
    expect([created.status, created.headers.get('content-type')]).toEqual([200, 'application/x-amz-json-1.1']);
    expect(created.json).toEqual({});
    expect(await awsError(client.send(new CreateLogGroupCommand({ logGroupName: '/groups/one' })))).toEqual({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log group already exists',
      status: 400,
    });
  });

  it('refuses names the model refuses, and names starting with aws/', async () => {
    const long = await awsError(client.send(new CreateLogGroupCommand({ logGroupName: 'g'.repeat(513) })));
    expect(long.message).toMatch(/^1 validation error detected: Value 'g+…?' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512$/);
    expect((await awsError(client.send(new CreateLogGroupCommand({ logGroupName: 'a b' })))).name).toBe('InvalidParameterException');
    expect((await awsError(client.send(new CreateLogGroupCommand({ logGroupName: 'aws/mine' })))).message).toMatch(/can't start with 'aws\/'/);
    expect((await awsError(client.send(new CreateLogGroupCommand({ logGroupName: 'x', logGroupClass: 'CHEAP' as 'STANDARD' })))).message).toContain('Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]');
  });

  it('DescribeLogGroups: ASCII order, prefix, substring pattern (three members only), class, and paging by nextToken', async () => {
    for (const name of ['/d/b', '/d/a', '/d/C', '/d/sub/x']) await client.send(new CreateLogGroupCommand({ logGroupName: name, tags: { team: 'audit' } }));
    const all = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/d/' }));
    expect(all.logGroups?.map((g) => g.logGroupName)).toEqual(['/d/C', '/d/a', '/d/b', '/d/sub/x']);
    expect(all.logGroups?.[0]).toEqual({
      logGroupName: '/d/C',
      creationTime: expect.any(Number) as unknown,
      metricFilterCount: 0,
      arn: `arn:aws:logs:${l.region}:${l.accountId}:log-group:/d/C:*`,
      logGroupArn: `arn:aws:logs:${l.region}:${l.accountId}:log-group:/d/C`,
      storedBytes: 0,
      logGroupClass: 'STANDARD',
      deletionProtectionEnabled: false,
    });
    const pattern = await client.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'sub' }));
    expect(pattern.logGroups).toEqual([{ logGroupName: '/d/sub/x', creationTime: expect.any(Number) as unknown, arn: `arn:aws:logs:${l.region}:${l.accountId}:log-group:/d/sub/x:*` }]);
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/d/', limit: 3, nextToken }));
      names.push(...(page.logGroups ?? []).map((g) => g.logGroupName as string));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken !== undefined);
    expect([pages, names]).toEqual([2, ['/d/C', '/d/a', '/d/b', '/d/sub/x']]);
    const both = await awsError(client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/d', logGroupNamePattern: 'd' })));
    expect(both.name).toBe('InvalidParameterException');
    expect((await awsError(client.send(new DescribeLogGroupsCommand({ nextToken: 'garbage' })))).name).toBe('InvalidParameterException');
  });

  it('PutRetentionPolicy takes the model days only; DeleteRetentionPolicy removes it', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/groups/retained' }));
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/groups/retained', retentionInDays: 30 }));
    const describe = async () => (await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/groups/retained' }))).logGroups?.[0]?.retentionInDays;
    expect(await describe()).toBe(30);
    const bad = await awsError(client.send(new PutRetentionPolicyCommand({ logGroupName: '/groups/retained', retentionInDays: 2 })));
    expect(bad.message).toBe("1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
    await client.send(new DeleteRetentionPolicyCommand({ logGroupName: '/groups/retained' }));
    expect(await describe()).toBeUndefined();
    expect((await awsError(client.send(new PutRetentionPolicyCommand({ logGroupName: '/groups/none', retentionInDays: 1 })))).name).toBe('ResourceNotFoundException');
  });

  it('DeleteLogGroup removes the group and its events; deletion protection blocks it until turned off', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/groups/protected', deletionProtectionEnabled: true }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/groups/protected', logStreamName: 's' }));
    await client.send(new PutLogEventsCommand({ logGroupName: '/groups/protected', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'kept until deleted' }] }));
    const blocked = await awsError(client.send(new DeleteLogGroupCommand({ logGroupName: '/groups/protected' })));
    expect(blocked).toEqual({ name: 'ValidationException', message: 'Cannot delete log group with deletion protection enabled. Disable deletion protection first.', status: 400 });
    expect((await awsError(client.send(new DeleteLogStreamCommand({ logGroupName: '/groups/protected', logStreamName: 's' })))).name).toBe('ValidationException');
    await client.send(new PutLogGroupDeletionProtectionCommand({ logGroupIdentifier: `arn:aws:logs:${l.region}:${l.accountId}:log-group:/groups/protected`, deletionProtectionEnabled: false }));
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/groups/protected' }));
    expect((await awsError(client.send(new DeleteLogGroupCommand({ logGroupName: '/groups/protected' })))).message).toBe('The specified log group does not exist.');
    // The same name is a new, empty group.
    await client.send(new CreateLogGroupCommand({ logGroupName: '/groups/protected' }));
    expect((await awsError(client.send(new GetLogEventsCommand({ logGroupName: '/groups/protected', logStreamName: 's' })))).message).toBe('The specified log stream does not exist.');
  });
});

describe('log streams', () => {
  it('CreateLogStream: a second one is ResourceAlreadyExistsException; in a missing group ResourceNotFoundException', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/streams/one' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/streams/one', logStreamName: 'host-1' }));
    expect(await awsError(client.send(new CreateLogStreamCommand({ logGroupName: '/streams/one', logStreamName: 'host-1' })))).toEqual({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log stream already exists',
      status: 400,
    });
    expect((await awsError(client.send(new CreateLogStreamCommand({ logGroupName: '/streams/none', logStreamName: 'x' })))).message).toBe('The specified log group does not exist.');
  });

  it('DescribeLogStreams: by name or by last event time, descending, prefix, paging; event times from the events', async () => {
    const group = '/streams/described';
    await client.send(new CreateLogGroupCommand({ logGroupName: group }));
    const t = Date.now() - 60_000;
    for (const [name, offset] of [['b', 3], ['a', 1], ['c', 2]] as const) {
      await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: name }));
      await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: name, logEvents: [{ timestamp: t, message: 'x' }, { timestamp: t + offset * 1000, message: 'y' }] }));
    }
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'empty' }));
    const byName = await client.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    expect(byName.logStreams?.map((s) => s.logStreamName)).toEqual(['a', 'b', 'c', 'empty']);
    expect(byName.logStreams?.[0]).toEqual({
      logStreamName: 'a',
      creationTime: expect.any(Number) as unknown,
      firstEventTimestamp: t,
      lastEventTimestamp: t + 1000,
      lastIngestionTime: expect.any(Number) as unknown,
      arn: `arn:aws:logs:${l.region}:${l.accountId}:log-group:${group}:log-stream:a`,
      storedBytes: 0,
    });
    expect(byName.logStreams?.[3]).not.toHaveProperty('firstEventTimestamp');
    const latestFirst = await client.send(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: 'LastEventTime', descending: true }));
    expect(latestFirst.logStreams?.map((s) => s.logStreamName)).toEqual(['b', 'c', 'a', 'empty']);
    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new DescribeLogStreamsCommand({ logGroupIdentifier: group, orderBy: 'LastEventTime', limit: 1, nextToken }));
      paged.push(...(page.logStreams ?? []).map((s) => s.logStreamName as string));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    expect(paged).toEqual(['empty', 'a', 'c', 'b']);
    expect((await client.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: 'e' }))).logStreams?.map((s) => s.logStreamName)).toEqual(['empty']);
    expect((await awsError(client.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: 'e', orderBy: 'LastEventTime' })))).name).toBe('InvalidParameterException');
    expect((await awsError(client.send(new DescribeLogStreamsCommand({ logGroupName: group, logGroupIdentifier: group })))).message).toBe('LogGroupName and LogGroupIdentifier are mutually exclusive parameters.');
    expect((await awsError(client.send(new DescribeLogStreamsCommand({ logGroupName: '/streams/none' })))).name).toBe('ResourceNotFoundException');
  });

  it('DeleteLogStream: its events leave the API; a stream created again under the name starts empty', async () => {
    const group = '/streams/deleted';
    await client.send(new CreateLogGroupCommand({ logGroupName: group }));
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
    await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'before' }] }));
    await client.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
    expect((await awsError(client.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: 's' })))).message).toBe('The specified log stream does not exist.');
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
    await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'after' }] }));
    const events = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 's', startFromHead: true }));
    expect(events.events?.map((e) => e.message)).toEqual(['after']);
  });
});

describe('persistence', () => {
  it('groups, streams, retention and events survive a restart; the stream index is rebuilt from the log', async () => {
    const dir = tempDir();
    const first = await startLocalLake({ dataDir: dir, diagnostics: quiet, quiet: true });
    const c1 = logsClient(first);
    const t = Date.now() - 10_000;
    await c1.send(new CreateLogGroupCommand({ logGroupName: '/persist' }));
    await c1.send(new PutRetentionPolicyCommand({ logGroupName: '/persist', retentionInDays: 7 }));
    for (const name of ['gone', 'kept']) {
      await c1.send(new CreateLogStreamCommand({ logGroupName: '/persist', logStreamName: name }));
      await c1.send(new PutLogEventsCommand({ logGroupName: '/persist', logStreamName: name, logEvents: [{ timestamp: t + 2, message: `${name} 2` }] }));
      await c1.send(new PutLogEventsCommand({ logGroupName: '/persist', logStreamName: name, logEvents: [{ timestamp: t + 1, message: `${name} 1 (older, sent later)` }] }));
    }
    await c1.send(new DeleteLogStreamCommand({ logGroupName: '/persist', logStreamName: 'gone' }));
    await c1.send(new CreateLogStreamCommand({ logGroupName: '/persist', logStreamName: 'gone' }));
    await first.close();

    const second = await startLocalLake({ dataDir: dir, diagnostics: quiet, quiet: true });
    try {
      const c2 = logsClient(second);
      const groups = await c2.send(new DescribeLogGroupsCommand({}));
      expect(groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([['/persist', 7]]);
      const streams = await c2.send(new DescribeLogStreamsCommand({ logGroupName: '/persist' }));
      expect(streams.logStreams?.map((s) => [s.logStreamName, s.firstEventTimestamp, s.lastEventTimestamp])).toEqual([
        ['gone', undefined, undefined],
        ['kept', t + 1, t + 2],
      ]);
      const kept = await c2.send(new GetLogEventsCommand({ logGroupName: '/persist', logStreamName: 'kept', startFromHead: true }));
      expect(kept.events?.map((e) => e.message)).toEqual(['kept 1 (older, sent later)', 'kept 2']);
    } finally {
      await second.close();
    }
  });
});

describe('the logGroupName option', () => {
  it('has the group from the start, keeps it (and its events) on restart, and refuses a bad name', async () => {
    const dir = tempDir();
    const first = await startLocalLake({ dataDir: dir, logGroupName: '/app/audit', diagnostics: quiet, quiet: true });
    expect(first.logGroupName).toBe('/app/audit');
    await logsClient(first).send(new CreateLogStreamCommand({ logGroupName: '/app/audit', logStreamName: 's' }));
    await logsClient(first).send(new PutLogEventsCommand({ logGroupName: '/app/audit', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'kept' }] }));
    await first.close();
    const second = await startLocalLake({ dataDir: dir, logGroupName: '/app/audit', diagnostics: quiet, quiet: true });
    try {
      expect(await second.query('SELECT rawMessage FROM "/app/audit"')).toEqual([{ rawMessage: 'kept' }]);
    } finally {
      await second.close();
    }
    await expect(startLocalLake({ logGroupName: 'aws/reserved' })).rejects.toThrow(/^Configuration: logGroupName is invalid, expected a log group name: 1-512 characters of \[A-Za-z0-9._\/#-\], not starting with aws\/ \(actual: "aws\/reserved"\)$/);
  });
});
