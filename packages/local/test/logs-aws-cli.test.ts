import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { aws, lake, SKIP_AWS_CLI } from './helpers.js';

// The AWS CLI v1 (botocore: its own SigV4 signer, its own awsJson1_1 serializer and parser, its
// own reading of the Logs model) as an independent client of the lake's CloudWatch Logs API,
// the lake in strict mode.

let l: LocalLake;
beforeAll(async () => {
  l = await lake({ strictAuth: true });
});

async function ok(args: string[]): Promise<Record<string, unknown>> {
  const result = await aws(['logs', ...args, '--endpoint-url', l.endpoint], l.credentials);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code).toBe(0);
  return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as Record<string, unknown>;
}

async function failing(args: string[]): Promise<string> {
  const result = await aws(['logs', ...args, '--endpoint-url', l.endpoint], l.credentials);
  expect(result.code).not.toBe(0);
  return result.stderr;
}

// Each AWS CLI run starts a Python interpreter: seconds apiece on a busy machine. The timeout
// only bounds a hang; nothing here waits on the clock.
describe.skipIf(SKIP_AWS_CLI)('AWS CLI: aws logs against the lake (strict SigV4)', { timeout: 240_000 }, () => {
  const group = '/cli/audit';
  const t = Date.now() - 60_000;

  it('create-log-group, create-log-stream; duplicates refused by name', async () => {
    await ok(['create-log-group', '--log-group-name', group, '--tags', 'team=audit']);
    await ok(['create-log-stream', '--log-group-name', group, '--log-stream-name', 'web-1']);
    await ok(['create-log-stream', '--log-group-name', group, '--log-stream-name', 'web-2']);
    expect(await failing(['create-log-group', '--log-group-name', group])).toMatch(/\(ResourceAlreadyExistsException\) when calling the CreateLogGroup operation( \(reached max retries: 0\))?: The specified log group already exists/);
  });

  it('put-log-events: stored, rejections by index, refusals by name', async () => {
    const events = [
      { timestamp: t, message: '{"eventName":"Login","userIdentity":{"principalId":"alice"}}' },
      { timestamp: t + 1, message: 'ERROR disk full' },
    ];
    const put = await ok(['put-log-events', '--log-group-name', group, '--log-stream-name', 'web-1', '--log-events', JSON.stringify(events)]);
    expect(put.rejectedLogEventsInfo).toBeUndefined();
    await ok(['put-log-events', '--log-group-name', group, '--log-stream-name', 'web-2', '--log-events', JSON.stringify([{ timestamp: t + 2, message: '{"eventName":"Logout"}' }])]);
    const rejected = await ok(['put-log-events', '--log-group-name', group, '--log-stream-name', 'web-2', '--log-events', JSON.stringify([{ timestamp: t + 3, message: 'ok' }, { timestamp: Date.now() + 3 * 3_600_000, message: 'future' }])]);
    expect(rejected.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    expect(await failing(['put-log-events', '--log-group-name', group, '--log-stream-name', 'web-1', '--log-events', JSON.stringify([{ timestamp: t + 5, message: 'b' }, { timestamp: t + 4, message: 'a' }])])).toMatch(
      /\(InvalidParameterException\) when calling the PutLogEvents operation( \(reached max retries: 0\))?: Log events in a single PutLogEvents request must be in chronological order\./,
    );
    expect(await failing(['put-log-events', '--log-group-name', group, '--log-stream-name', 'nope', '--log-events', JSON.stringify([{ timestamp: t, message: 'x' }])])).toMatch(/\(ResourceNotFoundException\).*The specified log stream does not exist\./);
  });

  it('get-log-events: a page, its tokens, and the same token back at the end', async () => {
    const first = await ok(['get-log-events', '--log-group-name', group, '--log-stream-name', 'web-1', '--start-from-head']);
    expect((first.events as { message: string }[]).map((e) => e.message)).toEqual(['{"eventName":"Login","userIdentity":{"principalId":"alice"}}', 'ERROR disk full']);
    const end = await ok(['get-log-events', '--log-group-name', group, '--log-stream-name', 'web-1', '--next-token', first.nextForwardToken as string]);
    expect(end).toMatchObject({ events: [], nextForwardToken: first.nextForwardToken });
  });

  it('filter-log-events: a JSON pattern and a term across streams; the CLI follows nextToken itself', async () => {
    const logins = await ok(['filter-log-events', '--log-group-name', group, '--filter-pattern', '{ $.eventName = "Log*" }']);
    expect((logins.events as { logStreamName: string; message: string }[]).map((e) => [e.logStreamName, e.message])).toEqual([
      ['web-1', '{"eventName":"Login","userIdentity":{"principalId":"alice"}}'],
      ['web-2', '{"eventName":"Logout"}'],
    ]);
    const errors = await ok(['filter-log-events', '--log-group-name', group, '--filter-pattern', 'ERROR']);
    expect((errors.events as { message: string }[]).map((e) => e.message)).toEqual(['ERROR disk full']);
    // --page-size makes the CLI page with limit/nextToken and join the pages.
    const paged = await ok(['filter-log-events', '--log-group-name', group, '--page-size', '1']);
    expect((paged.events as unknown[]).length).toBe(4);
  });

  it('describe-log-groups, describe-log-streams, put-retention-policy', async () => {
    await ok(['put-retention-policy', '--log-group-name', group, '--retention-in-days', '14']);
    const groups = await ok(['describe-log-groups', '--log-group-name-prefix', '/cli/']);
    expect(groups.logGroups).toEqual([expect.objectContaining({ logGroupName: group, retentionInDays: 14, arn: `arn:aws:logs:${l.region}:${l.accountId}:log-group:${group}:*` })]);
    const streams = await ok(['describe-log-streams', '--log-group-name', group, '--order-by', 'LastEventTime', '--descending']);
    expect((streams.logStreams as { logStreamName: string }[]).map((s) => s.logStreamName)).toEqual(['web-2', 'web-1']);
    expect(await failing(['put-retention-policy', '--log-group-name', group, '--retention-in-days', '2'])).toMatch(/\(InvalidParameterException\).*retentionInDays/);
  });

  it('delete-log-stream, delete-retention-policy, delete-log-group', async () => {
    await ok(['delete-log-stream', '--log-group-name', group, '--log-stream-name', 'web-2']);
    await ok(['delete-retention-policy', '--log-group-name', group]);
    await ok(['delete-log-group', '--log-group-name', group]);
    expect(await failing(['describe-log-streams', '--log-group-name', group])).toMatch(/\(ResourceNotFoundException\).*The specified log group does not exist\./);
  });

  it('a wrong secret is refused by name', async () => {
    const result = await aws(['logs', 'describe-log-groups', '--endpoint-url', l.endpoint], { accessKeyId: l.credentials.accessKeyId, secretAccessKey: 'wrong' });
    expect(result.stderr).toMatch(/\(InvalidSignatureException\) when calling the DescribeLogGroups operation/);
  });
});
