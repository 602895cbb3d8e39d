import { CreateLogGroupCommand, CreateLogStreamCommand, GetLogEventsCommand, PutLogEventsCommand, PutRetentionPolicyCommand, type InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { lake } from './helpers.js';
import { awsError, DAY, HOUR, logsCall, logsClient } from './logs-helpers.js';

// PutLogEvents against the lake in strict mode, with the official client and with raw signed
// calls where the exact wire answer matters. The lake's clock stands still at T, so that the
// 2-hour, 14-day and 24-hour boundaries can be hit to the millisecond (T is now, so SigV4's
// 15-minute skew check passes).

const T = Date.now();
const GROUP = '/test/put';
let l: LocalLake;
let client: ReturnType<typeof logsClient>;
let streams = 0;

beforeAll(async () => {
  l = await lake({ strictAuth: true, now: () => T });
  client = logsClient(l);
  await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
});

/** A new stream of GROUP. */
async function stream(): Promise<string> {
  const name = `stream-${++streams}`;
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: name }));
  return name;
}

const put = (logStreamName: string, logEvents: InputLogEvent[], logGroupName = GROUP) => client.send(new PutLogEventsCommand({ logGroupName, logStreamName, logEvents }));

async function stored(logStreamName: string): Promise<{ timestamp?: number; message?: string }[]> {
  const out = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName, startFromHead: true }));
  return (out.events ?? []).map(({ timestamp, message }) => ({ timestamp, message }));
}

describe('PutLogEvents: accepted', () => {
  it('stores the events and answers 200 with a sequence token and no rejections', async () => {
    const s = await stream();
    const out = await put(s, [
      { timestamp: T - 2, message: 'first' },
      { timestamp: T - 1, message: 'second' },
      { timestamp: T - 1, message: 'third, same millisecond' },
    ]);
    expect(out.rejectedLogEventsInfo).toBeUndefined();
    expect(out.nextSequenceToken).toMatch(/^\d{56}$/);
    expect(await stored(s)).toEqual([
      { timestamp: T - 2, message: 'first' },
      { timestamp: T - 1, message: 'second' },
      { timestamp: T - 1, message: 'third, same millisecond' },
    ]);
  });

  it('ignores the sequence token, whatever it is, and takes parallel calls on one stream', async () => {
    const s = await stream();
    await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: s, sequenceToken: 'not-a-token-of-ours', logEvents: [{ timestamp: T, message: 'a' }] }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => put(s, [{ timestamp: T - 10 + i, message: `p${i}` }])));
    const messages = (await stored(s)).map((e) => e.message);
    expect(messages).toHaveLength(11);
    // Ordered by timestamp, not by arrival.
    expect(messages).toEqual([...Array.from({ length: 10 }, (_, i) => `p${i}`), 'a']);
  });

  it('exactly 1,048,576 bytes (UTF-8 message bytes + 26 per event) passes; one byte more fails the whole call', async () => {
    const s = await stream();
    // 4 events: 3 of 262,118 bytes + 26 = 262,144, and one that fills the rest. "é" is 2 bytes in UTF-8.
    const fill = (bytes: number) => 'é'.repeat(Math.floor(bytes / 2)) + (bytes % 2 === 1 ? 'x' : '');
    const events = [fill(262_118), fill(262_118), fill(262_118), fill(1_048_576 - 3 * 262_144 - 26)].map((message, i) => ({ timestamp: T + i, message }));
    expect(events.reduce((sum, e) => sum + Buffer.byteLength(e.message) + 26, 0)).toBe(1_048_576);
    await put(s, events);
    const over = await awsError(put(s, [...events.slice(0, 3), { timestamp: T + 3, message: `${events[3]?.message}x` }]));
    expect(over).toEqual({ name: 'InvalidParameterException', message: 'Upload too large: 1048577 bytes exceeds limit of 1048576', status: 400 });
    expect(await stored(s)).toHaveLength(4);
  });

  it('one event of 1,048,550 message bytes (+26 = 1 MB) passes; one byte more is "Log event too large"', async () => {
    const s = await stream();
    await put(s, [{ timestamp: T, message: 'x'.repeat(1_048_550) }]);
    expect(await awsError(put(s, [{ timestamp: T, message: 'x'.repeat(1_048_551) }]))).toMatchObject({ name: 'InvalidParameterException', message: 'Log event too large: 1048577 bytes exceeds limit of 1048576' });
  });

  it('10,000 events pass; 10,001 fail with the validation message', async () => {
    const s = await stream();
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ timestamp: T - n + i, message: `e${i}` }));
    await put(s, events(10_000));
    const error = await awsError(put(s, events(10_001)));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(/^1 validation error detected: Value '.*' at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000$/);
  });
});

describe('PutLogEvents: refused whole', () => {
  it('an empty list, an empty message and a negative timestamp, in the service words', async () => {
    const s = await stream();
    expect(await awsError(put(s, []))).toMatchObject({
      name: 'InvalidParameterException',
      message: "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
    const two = await awsError(put(s, [{ timestamp: -1, message: 'a' }, { timestamp: T, message: '' }]));
    expect(two.message).toBe(
      "2 validation errors detected: Value '-1' at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
        "Value '' at 'logEvents.2.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(await stored(s)).toEqual([]);
  });

  it('names that break the model: the pattern and the length', async () => {
    const badGroup = await awsError(put('s', [{ timestamp: T, message: 'a' }], 'bad group!'));
    expect(badGroup.message).toBe("1 validation error detected: Value 'bad group!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
    const badStream = await awsError(put('a:b', [{ timestamp: T, message: 'a' }]));
    expect(badStream.message).toBe("1 validation error detected: Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*");
  });

  it('events out of chronological order fail the whole call, and nothing is stored', async () => {
    const s = await stream();
    const error = await awsError(put(s, [{ timestamp: T, message: 'later' }, { timestamp: T - 1, message: 'earlier' }]));
    expect(error).toEqual({ name: 'InvalidParameterException', message: 'Log events in a single PutLogEvents request must be in chronological order.', status: 400 });
    expect(await stored(s)).toEqual([]);
  });

  it('valid events spanning exactly 24 hours pass; one millisecond more fails the whole call', async () => {
    const s = await stream();
    await put(s, [{ timestamp: T - DAY, message: 'a' }, { timestamp: T, message: 'b' }]);
    const error = await awsError(put(s, [{ timestamp: T - DAY - 1, message: 'c' }, { timestamp: T, message: 'd' }]));
    expect(error.message).toBe('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    expect(await stored(s)).toHaveLength(2);
  });

  it('a missing group or stream is ResourceNotFoundException, told apart by its message', async () => {
    expect(await awsError(put('nope', [{ timestamp: T, message: 'a' }], '/no/such/group'))).toEqual({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.', status: 400 });
    expect(await awsError(put('nope', [{ timestamp: T, message: 'a' }]))).toEqual({ name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.', status: 400 });
  });

  it('a wrong JSON type is SerializationException; the wire answer is the compact awsJson1_1 error', async () => {
    const response = await logsCall(l, 'PutLogEvents', { logGroupName: GROUP, logStreamName: 'x', logEvents: [{ timestamp: '1', message: 'a' }] });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json).toEqual({ __type: 'SerializationException', message: expect.stringContaining('logEvents.1.member.timestamp must be an integer') as unknown });
  });
});

describe('PutLogEvents: rejected by index, the rest stored', () => {
  it('too old (> 14 days), too new (> 2 hours): rejectedLogEventsInfo with the exclusive too-old end and the inclusive too-new start', async () => {
    const s = await stream();
    const old = await put(s, [
      { timestamp: T - 30 * DAY, message: 'too old 1' },
      { timestamp: T - 14 * DAY - 1, message: 'too old 2' },
      { timestamp: T - 14 * DAY, message: 'exactly 14 days: kept' },
      { timestamp: T - 14 * DAY + HOUR, message: 'kept' },
    ]);
    // The 24-hour rule counts the valid events only: with the too-old ones these span 16 days.
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 2 });
    const ahead = await put(s, [
      { timestamp: T + 2 * HOUR, message: 'exactly 2 hours ahead: kept' },
      { timestamp: T + 2 * HOUR + 1, message: 'too new 1' },
      { timestamp: T + 5 * DAY, message: 'too new 2' },
    ]);
    expect(ahead.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    expect((await stored(s)).map((e) => e.message)).toEqual(['exactly 14 days: kept', 'kept', 'exactly 2 hours ahead: kept']);
  });

  it("events older than the group's retention are expired (expiredLogEventEndIndex), counted from the start like too-old ones", async () => {
    const group = '/test/put-retention';
    await client.send(new CreateLogGroupCommand({ logGroupName: group }));
    await client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 1 }));
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
    const out = await put('s', [
      { timestamp: T - 15 * DAY, message: 'too old and expired' },
      { timestamp: T - 2 * DAY, message: 'expired' },
      { timestamp: T - HOUR, message: 'kept' },
    ], group);
    expect(out.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, expiredLogEventEndIndex: 2 });
    const kept = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 's', startFromHead: true }));
    expect(kept.events?.map((e) => e.message)).toEqual(['kept']);
  });

  it('all rejected: 200, nothing stored', async () => {
    const s = await stream();
    const out = await put(s, [{ timestamp: T + 3 * HOUR, message: 'a' }]);
    expect(out.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 0 });
    expect(await stored(s)).toEqual([]);
  });
});
