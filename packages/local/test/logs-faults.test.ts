import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogGroupsCommand, GetLogEventsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { auditEvent, lake, putRaw, signedPutAuditEvents, signedRequest } from './helpers.js';
import { awsError, logsCall, logsClient } from './logs-helpers.js';

// Fault injection, the rate limit and strict authorization on the CloudWatch Logs API.

const STRANGER = { accessKeyId: 'AKIDOTHERACCOUNT', secretAccessKey: 'other-secret', accountId: '111122223333' };

describe('injected faults on PutLogEvents', () => {
  let l: LocalLake;
  let sent = 0;
  beforeAll(async () => {
    l = await lake({ strictAuth: true });
    await logsCall(l, 'CreateLogGroup', { logGroupName: 'faults' });
    await logsCall(l, 'CreateLogStream', { logGroupName: 'faults', logStreamName: 's' });
  });
  const put = () => logsCall(l, 'PutLogEvents', { logGroupName: 'faults', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: `m${sent++}` }] });
  const stored = async () => (await logsClient(l).send(new GetLogEventsCommand({ logGroupName: 'faults', logStreamName: 's', startFromHead: true }))).events?.length;

  it('throttle: 400 ThrottlingException "Rate exceeded" as CloudWatch Logs sends it, with Retry-After when asked; other Logs calls pass', async () => {
    l.setFaults('throttle=2@1x2');
    const throttled = await put();
    expect([throttled.status, throttled.headers.get('x-amzn-errortype'), throttled.headers.get('retry-after'), throttled.json]).toEqual([400, 'ThrottlingException', '2', { __type: 'ThrottlingException', message: 'Rate exceeded' }]);
    expect((await logsCall(l, 'DescribeLogGroups', {})).status).toBe(200);
    expect((await put()).status).toBe(400);
    expect((await put()).status).toBe(200);
    l.setFaults(undefined);
  });

  it('serverError: 500 ServiceUnavailableException (the modeled one), or 503 ServiceUnavailable; nothing stored', async () => {
    const before = await stored();
    l.setFaults('serverError=1x1');
    const failed = await put();
    expect([failed.status, failed.json]).toEqual([500, { __type: 'ServiceUnavailableException', message: 'The service cannot complete the request.' }]);
    l.setFaults('serverError=503@1x1');
    expect([(await put()).status, (await put()).status]).toEqual([503, 200]);
    expect(await stored()).toBe((before ?? 0) + 1);
    l.setFaults(undefined);
  });

  it('reset: nothing stored; resetAfterStore: stored, and the client never learns', async () => {
    const before = (await stored()) ?? 0;
    l.setFaults('reset=1x1');
    await expect(put()).rejects.toThrow();
    expect(await stored()).toBe(before);
    l.setFaults('resetAfterStore=1x1');
    await expect(put()).rejects.toThrow();
    expect(await stored()).toBe(before + 1);
    l.setFaults(undefined);
  });

  it('eventRejected: a run of events from the start is expired (expiredLogEventEndIndex), the rest stored; PutAuditEvents answers InvalidData', async () => {
    const before = (await stored()) ?? 0;
    l.setFaults('eventRejected=1x2');
    const response = await logsCall(l, 'PutLogEvents', { logGroupName: 'faults', logStreamName: 's', logEvents: [0, 1, 2].map((i) => ({ timestamp: Date.now() + i, message: `r${i}` })) });
    expect(response.json.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 2 });
    expect(await stored()).toBe(before + 1);
    l.setFaults('eventRejected=1x1');
    const lake = await signedPutAuditEvents(l.endpoint, l.credentials, l.channelArn, [auditEvent('rejected-1'), auditEvent('kept-2')]);
    expect(lake.json.failed).toEqual([{ id: 'rejected-1', errorCode: 'InvalidData', errorMessage: expect.stringContaining('injected fault') as unknown }]);
    l.setFaults(undefined);
  });

  it('the official client retries injected throttling and 5xx by itself (its own retry layer)', async () => {
    l.setFaults('throttle=1x1,serverError=1x1');
    const client = new CloudWatchLogsClient({ endpoint: l.endpoint, region: l.region, credentials: l.credentials, maxAttempts: 3 });
    const out = await client.send(new PutLogEventsCommand({ logGroupName: 'faults', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'retried' }] }));
    expect(out.$metadata.attempts).toBe(3);
    l.setFaults(undefined);
  });
});

describe('maxTps', () => {
  it('CloudWatch Logs has its own bucket per account, apart from PutAuditEvents', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const l = await lake({ maxTps: 2, now: () => clock, credentials: [STRANGER] });
    const describe = (credentials = l.credentials) => logsCall(l, 'DescribeLogGroups', {}, { credentials });
    expect([(await describe()).status, (await describe()).status]).toEqual([200, 200]);
    const throttled = await describe();
    expect([throttled.status, throttled.json]).toEqual([400, { __type: 'ThrottlingException', message: 'Rate exceeded' }]);
    expect((await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('own-bucket')] } })).status).toBe(200);
    expect((await describe(STRANGER)).status).toBe(200);
    clock += 500;
    expect((await describe()).status).toBe(200);
  });
});

describe('strict authorization', () => {
  let l: LocalLake;
  beforeAll(async () => {
    l = await lake({ strictAuth: true, credentials: [STRANGER] });
  });

  const describeGroups = (service: 'logs' | 'cloudtrail', unsigned?: string[]) =>
    signedRequest(l.endpoint, {
      credentials: l.credentials,
      service,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.DescribeLogGroups' },
      body: '{}',
      ...(unsigned ? { unsigned } : {}),
    });

  it('a request signed for another service is refused', async () => {
    const response = await describeGroups('cloudtrail');
    expect(response.status).toBe(403);
    expect(response.json.message).toMatch(/logs/);
    expect((await describeGroups('logs')).status).toBe(200);
  });

  it('the target must be signed', async () => {
    const response = await describeGroups('logs', ['x-amz-target']);
    expect([response.status, response.json.__type]).toEqual([403, 'InvalidSignatureException']);
  });

  it("another account's key gets AccessDeniedException, by name in the official client", async () => {
    const error = await awsError(logsClient(l, STRANGER).send(new CreateLogGroupCommand({ logGroupName: 'not-yours' })));
    expect(error).toEqual({ name: 'AccessDeniedException', message: expect.stringContaining('is not authorized to perform: logs:CreateLogGroup') as unknown, status: 400 });
    expect((await logsClient(l).send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
  });

  it('an operation the lake does not implement is UnsupportedOperationException, listing those it does', async () => {
    const response = await logsCall(l, 'StartLiveTail', {});
    expect(response.json.__type).toBe('UnsupportedOperationException');
    expect(response.json.message).toMatch(/does not implement StartLiveTail; it implements .*PutLogEvents/);
  });

  it('a body past 8 MiB is 413 with a message; one of 5 MB of escapes is read and judged by its messages', async () => {
    await logsClient(l).send(new CreateLogGroupCommand({ logGroupName: 'big' }));
    await logsClient(l).send(new CreateLogStreamCommand({ logGroupName: 'big', logStreamName: 's' }));
    // 870,000 control characters are 870,000 bytes of message and 5.2 MB of JSON (\u0001 each).
    const escaped = await logsCall(l, 'PutLogEvents', { logGroupName: 'big', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: '\u0001'.repeat(870_000) }] });
    expect(escaped.status).toBe(200);
    const tooLarge = await logsCall(l, 'PutLogEvents', {}, { body: `{"logGroupName":"big","logStreamName":"s","logEvents":[{"timestamp":1,"message":"${'x'.repeat(9 * 1024 * 1024)}"}]}` });
    expect([tooLarge.status, tooLarge.json.__type]).toEqual([413, 'RequestEntityTooLargeException']);
  });
});

describe('request log', () => {
  it('PutLogEvents lines count the events and the rejected ones', async () => {
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    const l = await lake({ quiet: false, requestLog: (line) => (lines.push(line), wake?.()) });
    await logsCall(l, 'CreateLogGroup', { logGroupName: 'logged' });
    await logsCall(l, 'CreateLogStream', { logGroupName: 'logged', logStreamName: 's' });
    await logsCall(l, 'PutLogEvents', { logGroupName: 'logged', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'a' }, { timestamp: Date.now() + 3 * 3_600_000, message: 'too new' }] });
    while (lines.length < 3) await new Promise<void>((resolve) => (wake = resolve));
    expect(lines[0]).toMatch(/ CreateLogGroup 200 [\d.]+ms$/);
    expect(lines[2]).toMatch(/ PutLogEvents 200 events=2 failed=1 [\d.]+ms$/);
  });
});
