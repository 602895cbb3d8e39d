/**
 * The CloudWatch Logs destination over real HTTP with real SigV4, against the fake service of
 * cloudwatch-logs-fake.ts, which enforces the service's rules and checks every signature.
 */
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, createCloudWatchLogsClient, type AuditSinkOptions, type PutLogEventsInput } from '../src/index.js';
import { ACCESS_KEY, startFakeLogs, type FakeLogs } from './cloudwatch-logs-fake.js';
import { auditRecord, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GROUP = '/app/audit';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function fake(options: Parameters<typeof startFakeLogs>[0] = {}): Promise<FakeLogs> {
  const logs = await startFakeLogs(options);
  cleanup.push(() => logs.close());
  return logs;
}

function sinkOn(logs: FakeLogs, options: Partial<AuditSinkOptions> = {}) {
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({
    logGroupName: GROUP, region: 'us-east-1', endpoint: logs.endpoint, credentials: ACCESS_KEY, env: {},
    deadLetter: dead.handler, diagnostics: quiet.diagnostics, retryBaseDelayMs: 1, retryMaxDelayMs: 5, flushIntervalMs: 60_000, persistOnExit: false,
    ...options,
  });
  cleanup.push(() => sink.shutdown());
  return { sink, dead, quiet };
}

const record = (n: number, time = Date.now()) => auditRecord(n, {}, { time });
const messages = (logs: FakeLogs, stream: string) => logs.stored(GROUP, stream).map((e) => JSON.parse(e.message) as { userIdentity: { principalId: string } });

describe('PutLogEvents over HTTP', () => {
  it('is awsJson1_1, signed for logs in the region, and carries one log event per audit event', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    const { sink } = sinkOn(logs);
    const time = Date.now() - 5000;
    for (let n = 1; n <= 3; n++) sink.add(record(n, time + n));
    await sink.flush();

    // The default stream is this process's own: created first, then written.
    expect(logs.operations()).toEqual(['CreateLogStream', 'PutLogEvents']);
    for (const call of logs.calls) {
      expect(call).toMatchObject({ signed: true, scope: { service: 'logs', region: 'us-east-1' } });
      expect(call.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(call.headers['x-amz-target']).toBe(`Logs_20140328.${call.operation}`);
      expect(String(call.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-amz-target/);
    }
    const put = JSON.parse(logs.calls[1]!.body) as PutLogEventsInput;
    const stream = put.logStreamName;
    expect(stream).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{8}$`));
    expect(JSON.parse(logs.calls[0]!.body)).toEqual({ logGroupName: GROUP, logStreamName: stream });
    expect(put.logEvents.map((e) => e.timestamp)).toEqual([time + 1, time + 2, time + 3]);
    expect(messages(logs, stream).map((m) => m.userIdentity.principalId)).toEqual(['user-1', 'user-2', 'user-3']);
    expect(sink.stats()).toMatchObject({ delivered: 3, requests: 1 });
    expectInvariant(sink.stats());
  });

  it('is refused by the service when signed with the wrong secret: a configuration fault, reported once', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    const { sink, dead, quiet } = sinkOn(logs, { logStreamName: 's', credentials: { accessKeyId: ACCESS_KEY.accessKeyId, secretAccessKey: 'wrong' } });
    sink.add(record(1));
    await sink.flush();
    sink.add(record(2));
    await sink.flush();
    expect(logs.calls.map((c) => c.signed)).toEqual([false, false]);
    expect(dead.codes()).toEqual(['InvalidSignatureException', 'InvalidSignatureException']);
    expect(quiet.at('error')).toHaveLength(1);
    expectInvariant(sink.stats());
  });

  it('fills requests up to the service’s 1,048,576-byte limit, which the service accepts exactly', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    const { sink, dead } = sinkOn(logs, { logStreamName: 's' });
    // ~60 kB events: the last one of each request would overflow 1,048,576 by the service's count.
    for (let n = 0; n < 40; n++) sink.add(auditRecord(n, { requestParameters: { blob: 'é'.repeat(30_000) } }, { time: Date.now() }));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    const sizes = logs.calls.map((c) => (JSON.parse(c.body) as PutLogEventsInput).logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0));
    // Requests run concurrently, so the partial one may arrive before a full one.
    const smallest = Math.min(...logs.calls.flatMap((c) => (JSON.parse(c.body) as PutLogEventsInput).logEvents.map((e) => Buffer.byteLength(e.message) + 26)));
    for (const size of sizes.sort((a, b) => b - a).slice(0, -1)) expect(size + smallest).toBeGreaterThan(1_048_576);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1_048_576);
    expect(logs.stored(GROUP, 's')).toHaveLength(40);
    expectInvariant(sink.stats());
  });
});

describe('request bodies on reused memory', () => {
  it('many requests of every size, four at a time, some retried: every event stored once, with its own message', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    logs.script('PutLogEvents', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 'reset', { status: 503, body: '' });
    const { sink, dead } = sinkOn(logs, { logStreamName: 's', maxConcurrentRequests: 4 });
    // Sizes from 1 kB to 60 kB, so that a body reuses memory of a larger or smaller one before it.
    const count = 400;
    for (let n = 0; n < count; n++) sink.add(auditRecord(n, { requestParameters: { blob: String(n % 10).repeat(1_000 + ((n * 7_919) % 60_000)) } }, { time: Date.now() }));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    const stored = logs.stored(GROUP, 's').map((e) => JSON.parse(e.message) as { userIdentity: { principalId: string }; requestParameters: { blob: string } });
    expect(stored).toHaveLength(count);
    expect(new Set(stored.map((e) => e.userIdentity.principalId)).size).toBe(count);
    for (const event of stored) {
      const n = Number(event.userIdentity.principalId.replace(/\D/g, ''));
      expect(event.requestParameters.blob).toBe(String(n % 10).repeat(1_000 + ((n * 7_919) % 60_000)));
    }
    expect(logs.calls.length).toBeGreaterThan(10);
    expectInvariant(sink.stats());
  });
});

describe('a missing log stream or group', () => {
  it('a named stream that is missing is created, and the request sent once more', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    const { sink } = sinkOn(logs, { logStreamName: 'named' });
    sink.add(record(1));
    await sink.flush();
    sink.add(record(2));
    await sink.flush();
    expect(logs.operations()).toEqual(['PutLogEvents', 'CreateLogStream', 'PutLogEvents', 'PutLogEvents']);
    expect(logs.stored(GROUP, 'named')).toHaveLength(2);
    expect(sink.stats()).toMatchObject({ delivered: 2, requests: 2, retried: 0 });
    expectInvariant(sink.stats());
  });

  it('concurrent requests that find it missing share one creation', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    const { sink } = sinkOn(logs, { logStreamName: 'named', maxBatchEvents: 1, maxConcurrentRequests: 4 });
    for (let n = 0; n < 4; n++) sink.add(record(n));
    await sink.flush();
    expect(logs.operations().filter((op) => op === 'CreateLogStream')).toHaveLength(1);
    expect(logs.stored(GROUP, 'named')).toHaveLength(4);
    expectInvariant(sink.stats());
  });

  it('a stream that already exists (another process was first) is fine', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    logs.script('PutLogEvents', { status: 400, type: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
    const { sink, dead } = sinkOn(logs, { logStreamName: 'raced' });
    logs.addGroup(GROUP, { streams: ['raced'] });
    sink.add(record(1));
    await sink.flush();
    expect(logs.operations()).toEqual(['PutLogEvents', 'CreateLogStream', 'PutLogEvents']);
    expect(dead.letters).toEqual([]);
  });

  it('a missing group is created with createLogGroup, then the stream', async () => {
    const logs = await fake();
    const { sink } = sinkOn(logs, { createLogGroup: true });
    sink.add(record(1));
    await sink.flush();
    expect(logs.operations()).toEqual(['CreateLogStream', 'CreateLogGroup', 'CreateLogStream', 'PutLogEvents']);

    const named = sinkOn(logs, { logGroupName: '/other', logStreamName: 'n', createLogGroup: true });
    named.sink.add(record(2));
    await named.sink.flush();
    expect(logs.operations().slice(4)).toEqual(['PutLogEvents', 'CreateLogGroup', 'CreateLogStream', 'PutLogEvents']);
    expect(logs.stored('/other', 'n')).toHaveLength(1);
    expectInvariant(named.sink.stats());
  });

  it('a missing group without createLogGroup is a configuration fault: reported once, events dead-lettered, never created', async () => {
    const logs = await fake();
    const { sink, dead, quiet } = sinkOn(logs, { logStreamName: 'n' });
    sink.add(record(1));
    await sink.flush();
    sink.add(record(2));
    await sink.flush();
    expect(logs.operations()).toEqual(['PutLogEvents', 'PutLogEvents']);
    expect(dead.codes()).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(dead.letters[0]!.reason.message).toBe(
      'The specified log group does not exist. (auditlake creates the log group /app/audit only with createLogGroup: true, which needs logs:CreateLogGroup; or create it yourself)',
    );
    expect(quiet.at('error')).toHaveLength(1);
    expect(quiet.at('error')[0]).toContain('This is a configuration fault');
    expect(sink.stats()).toMatchObject({ retried: 0, deadLettered: { total: 2 } });
    expectInvariant(sink.stats());
  });

  it('a missing group found while creating the default stream is a configuration fault too', async () => {
    const logs = await fake();
    const { sink, dead } = sinkOn(logs);
    sink.add(record(1));
    await sink.flush();
    expect(logs.operations()).toEqual(['CreateLogStream']);
    expect(dead.letters[0]!.reason).toMatchObject({ code: 'ResourceNotFoundException' });
    expect(dead.letters[0]!.reason.message).toMatch(/^CreateLogStream of .* in \/app\/audit failed: The specified log group does not exist\. \(auditlake creates the log group/);
  });

  it('createLogStream: false makes a missing stream a configuration fault', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    const { sink, dead, quiet } = sinkOn(logs, { logStreamName: 'n', createLogStream: false });
    sink.add(record(1));
    await sink.flush();
    expect(logs.operations()).toEqual(['PutLogEvents']);
    expect(dead.letters[0]!.reason.message).toContain('(auditlake creates the log stream n only with createLogStream: true, which needs logs:CreateLogStream');
    expect(quiet.at('error')).toHaveLength(1);
    expectInvariant(sink.stats());
  });

  it('no permission to create the stream (AccessDeniedException) is a configuration fault that names the call', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    logs.script('CreateLogStream', { status: 400, type: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/app is not authorized to perform: logs:CreateLogStream' });
    const { sink, dead, quiet } = sinkOn(logs);
    sink.add(record(1));
    await sink.flush();
    expect(dead.letters[0]!.reason.code).toBe('AccessDeniedException');
    expect(dead.letters[0]!.reason.message).toMatch(/^CreateLogStream of .* failed: User: .* logs:CreateLogStream$/);
    expect(quiet.at('error')).toHaveLength(1);
    expectInvariant(sink.stats());
  });
});

describe('faults retried by the one retry layer', () => {
  it('throttling (400 ThrottlingException), 5xx (500 ServiceUnavailableException, 503) and a reset connection', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    logs.script(
      'PutLogEvents',
      { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
      { status: 500, type: 'ServiceUnavailableException', message: 'The service cannot complete the request.' },
      { status: 503, body: '' },
      'reset',
    );
    const { sink, dead } = sinkOn(logs, { logStreamName: 's' });
    for (let n = 0; n < 5; n++) sink.add(record(n));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(logs.operations()).toEqual(['PutLogEvents', 'PutLogEvents', 'PutLogEvents', 'PutLogEvents', 'PutLogEvents']);
    expect(logs.stored(GROUP, 's')).toHaveLength(5);
    expect(sink.stats()).toMatchObject({ delivered: 5, requests: 5, retried: 20 });
    expectInvariant(sink.stats());
  });

  it('a concurrent CreateLogGroup (OperationAbortedException) is retried', async () => {
    const logs = await fake();
    logs.script('CreateLogGroup', { status: 400, type: 'OperationAbortedException', message: 'A conflicting operation is currently in progress against this resource. Please try again.' });
    const { sink, dead } = sinkOn(logs, { logStreamName: 'n', createLogGroup: true });
    sink.add(record(1));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(logs.stored(GROUP, 'n')).toHaveLength(1);
  });

  it('an invalid batch (InvalidParameterException) is not retried: dead-lettered with the service’s message', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    logs.script('PutLogEvents', { status: 400, type: 'InvalidParameterException', message: 'Log events in a single PutLogEvents request must be in chronological order.' });
    const { sink, dead } = sinkOn(logs, { logStreamName: 's' });
    sink.add(record(1));
    await sink.flush();
    expect(dead.letters.map((l) => l.reason)).toEqual([{ code: 'InvalidParameterException', message: 'Log events in a single PutLogEvents request must be in chronological order.' }]);
    expectInvariant(sink.stats());
  });
});

describe('events the service rejects', () => {
  it('expired by the group’s retention: ExpiredLogEvent; the others are stored', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'], retentionInDays: 1 });
    const { sink, dead } = sinkOn(logs, { logStreamName: 's' });
    const now = Date.now();
    sink.add(record(1, now - 2 * DAY));
    sink.add(record(2, now - 2 * DAY + 1));
    // 24 hours later than the first two: a request of its own.
    sink.add(record(3, now));
    await sink.flush();
    expect(dead.letters.map((l) => l.reason.code)).toEqual(['ExpiredLogEvent', 'ExpiredLogEvent']);
    expect(messages(logs, 's').map((m) => m.userIdentity.principalId)).toEqual(['user-3']);
    expectInvariant(sink.stats());
  });

  it('too new by the service’s clock (an hour behind ours): TooNewLogEvent', async () => {
    const logs = await fake({ now: () => Date.now() - HOUR });
    logs.addGroup(GROUP, { streams: ['s'] });
    const { sink, dead } = sinkOn(logs, { logStreamName: 's' });
    const now = Date.now();
    sink.add(record(1, now + 90 * 60_000));
    sink.add(record(2, now));
    await sink.flush();
    expect(dead.letters.map((l) => [l.reason.code, (JSON.parse(l.event.eventData) as { userIdentity: { principalId: string } }).userIdentity.principalId])).toEqual([['TooNewLogEvent', 'user-1']]);
    expect(messages(logs, 's').map((m) => m.userIdentity.principalId)).toEqual(['user-2']);
    expectInvariant(sink.stats());
  });
});

describe('the official @aws-sdk/client-cloudwatch-logs through send', () => {
  function sdkSink(logs: FakeLogs, options: Partial<AuditSinkOptions> = {}) {
    // One attempt: retries are the sink's, not stacked on the SDK's.
    const client = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: logs.endpoint, credentials: ACCESS_KEY, maxAttempts: 1 });
    cleanup.push(() => client.destroy());
    return sinkOn(logs, {
      logStreamName: 's',
      // As the documentation writes it: no annotation needed.
      send: (input, { abortSignal } = {}) => client.send(new PutLogEventsCommand(input), { abortSignal }),
      region: undefined,
      endpoint: undefined,
      credentials: undefined,
      ...options,
    });
  }

  it('delivers, signed by the SDK, and its rejectedLogEventsInfo becomes dead letters', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'], retentionInDays: 1 });
    const { sink, dead } = sdkSink(logs);
    sink.add(record(1, Date.now() - 2 * DAY));
    await sink.flush();
    sink.add(record(2));
    await sink.flush();
    expect(logs.calls.every((c) => c.signed && c.scope?.service === 'logs')).toBe(true);
    expect(String(logs.calls[0]!.headers['user-agent'])).toContain('api/cloudwatch-logs#');
    expect(dead.codes()).toEqual(['ExpiredLogEvent']);
    expect(messages(logs, 's').map((m) => m.userIdentity.principalId)).toEqual(['user-2']);
    expectInvariant(sink.stats());
  });

  it('its throttling and 5xx errors are retried by the sink', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    logs.script('PutLogEvents', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, { status: 500, type: 'ServiceUnavailableException', message: 'unavailable' });
    const { sink, dead } = sdkSink(logs);
    sink.add(record(1));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 1, requests: 3, retried: 2 });
    expectInvariant(sink.stats());
  });

  it('a missing stream is a configuration fault: nothing is created through a custom send', async () => {
    const logs = await fake();
    logs.addGroup(GROUP);
    const { sink, dead, quiet } = sdkSink(logs);
    sink.add(record(1));
    await sink.flush();
    expect(logs.operations()).toEqual(['PutLogEvents']);
    expect(dead.letters[0]!.reason.message).toBe('The specified log stream does not exist. (with a custom send, auditlake does not create log groups or streams: create them beforehand)');
    expect(quiet.at('error')).toHaveLength(1);
    expectInvariant(sink.stats());
  });
});

describe('the built-in client alone', () => {
  it('sends the body it is given, or serializes the input', async () => {
    const logs = await fake();
    logs.addGroup(GROUP, { streams: ['s'] });
    const client = createCloudWatchLogsClient({ region: 'us-east-1', endpoint: logs.endpoint, credentials: ACCESS_KEY });
    cleanup.push(() => client.destroy());
    const input = { logGroupName: GROUP, logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: '{"a":"é"}' }] };
    expect(await client.putLogEvents(input)).toEqual({ nextSequenceToken: expect.any(String) as string });
    await client.putLogEvents(input, { body: Buffer.from(JSON.stringify(input)) });
    expect(logs.calls.map((c) => c.body)).toEqual([JSON.stringify(input), JSON.stringify(input)]);
    await expect(client.createLogStream({ logGroupName: GROUP, logStreamName: 's' })).rejects.toMatchObject({ name: 'AwsRequestError', errorCode: 'ResourceAlreadyExistsException', statusCode: 400, requestId: expect.stringMatching(/^req-/) as string });
  });
});
