import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, type AuditEvent, type AuditSinkOptions, type PutAuditEventsInput, type PutLogEventsInput, type PutLogEventsOutput, type PutLogEventsSend } from '../src/index.js';
import { isRefusal } from '../src/destination.js';
import { createCloudWatchLogsDestination, formatEventTime, logEventEntry, MAX_LOG_BATCH_BYTES, putLogEventsBody, putLogEventsBodyHead } from '../src/internal.js';
import { BodyPool } from '../src/destinations/body-pool.js';
import { auditRecord, CHANNEL_ARN, deadLetters, deferred, expectInvariant, quietDiagnostics } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Responder = (input: PutLogEventsInput, call: number) => PutLogEventsOutput | Promise<PutLogEventsOutput>;

/** A PutLogEvents `send` that records every call (its input as the service would read it). */
function logsRecorder(responder: Responder = () => ({})) {
  const calls: PutLogEventsInput[] = [];
  const bodies: string[] = [];
  const send: PutLogEventsSend = async (input, options) => {
    calls.push(structuredClone(input));
    if (options?.body) bodies.push(Buffer.from(options.body).toString('utf8'));
    return responder(input, calls.length);
  };
  return { send, calls, bodies, sizes: () => calls.map((c) => c.logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0)) };
}

const open: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((sink) => sink.shutdown()));
});

function setup(options: Partial<AuditSinkOptions> & { responder?: Responder } = {}) {
  const { responder, ...rest } = options;
  const recorder = logsRecorder(responder);
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({
    logGroupName: '/app/audit', logStreamName: 'unit', send: recorder.send, env: {}, deadLetter: dead.handler, diagnostics: quiet.diagnostics,
    retryBaseDelayMs: 1, flushIntervalMs: 60_000, persistOnExit: false, ...rest,
  });
  open.push(sink);
  return { sink, recorder, dead, quiet };
}

/** An event whose `eventData` is exactly `messageBytes` UTF-8 bytes (ASCII), at `timeMs` (whole seconds). */
function eventOfBytes(n: number, messageBytes: number, timeMs: number): AuditEvent {
  const data: Record<string, unknown> = {
    version: '1.0', userIdentity: { type: 'T', principalId: `user-${n}` }, eventSource: 'unit.test', eventName: 'Pad', eventTime: formatEventTime(timeMs), UID: 'u',
  };
  let need = messageBytes - JSON.stringify(data).length;
  if (need < 0) throw new Error(`an event cannot be as small as ${messageBytes} bytes`);
  if (need <= 1000) {
    data.UID = 'u'.repeat(need + 1);
  } else {
    // `,"requestParameters":{"p":""}` and `,"responseElements":{"p":""}` take 29 + 28 characters.
    need -= 57;
    const first = Math.min(need, 99_000);
    data.requestParameters = { p: 'x'.repeat(first) };
    data.responseElements = { p: 'y'.repeat(need - first) };
  }
  const eventData = JSON.stringify(data);
  expect(Buffer.byteLength(eventData)).toBe(messageBytes);
  return { id: `pad-${n}`, eventData };
}

/** A record at `time` whose principal names it, so that requests show the order. */
const at = (time: number, n: number) => auditRecord(n, {}, { time });
const principals = (input: PutLogEventsInput) => input.logEvents.map((e) => (JSON.parse(e.message) as { userIdentity: { principalId: string } }).userIdentity.principalId);

describe('the log event', () => {
  it('is one per audit event: the message is the eventData, the timestamp the event’s time in ms', async () => {
    const { sink, recorder } = setup();
    const now = Date.now();
    sink.add(auditRecord(1, { requestParameters: { text: 'välue "quoted" \u2028 ✓' } }, { time: now - 1234.7 }));
    await sink.flush();
    const [call] = recorder.calls;
    expect(call).toMatchObject({ logGroupName: '/app/audit', logStreamName: 'unit' });
    expect(call!.logEvents).toHaveLength(1);
    const { timestamp, message } = call!.logEvents[0]!;
    expect(timestamp).toBe(Math.floor(now - 1234.7));
    const data = JSON.parse(message) as Record<string, unknown>;
    expect(data).toMatchObject({ eventName: 'SignIn', eventSource: 'auth.example.com', userIdentity: { principalId: 'user-1', type: 'CustomUserIdentity' }, requestParameters: { text: 'välue "quoted" \u2028 ✓' } });
    expect(data).not.toHaveProperty('recipientAccountId');
    // The body handed to the built-in client is exactly the input's JSON.
    expect(recorder.bodies[0]).toBe(JSON.stringify({ logGroupName: '/app/audit', logStreamName: 'unit', logEvents: call!.logEvents }));
    expect(sink.stats()).toMatchObject({ delivered: 1, requests: 1 });
    expectInvariant(sink.stats());
  });

  it('carries recipientAccountId only when given (option or record), with no owner to match', async () => {
    const { sink, recorder, dead } = setup({ recipientAccountId: '111122223333' });
    sink.add(auditRecord(1, {}, { time: Date.now() }));
    sink.add(auditRecord(2, { recipientAccountId: '444455556666' }, { time: Date.now() }));
    sink.add(auditRecord(3, { recipientAccountId: '4444' }, { time: Date.now() }));
    await sink.flush();
    expect(recorder.calls[0]!.logEvents.map((e) => (JSON.parse(e.message) as { recipientAccountId: string }).recipientAccountId)).toEqual(['111122223333', '444455556666']);
    expect(dead.codes()).toEqual(['InvalidData']);
    expectInvariant(sink.stats());
  });

  it('is sized as its message’s UTF-8 bytes + 26', () => {
    const { sink } = setup();
    const event = eventOfBytes(1, 500, Date.now());
    const multibyte = { id: 'mb-1', eventData: event.eventData.replace('"Pad"', '"Pé✓😀"') };
    sink.addEvent(event);
    expect(sink.stats().queuedBytes).toBe(500 + 26);
    sink.addEvent(multibyte);
    expect(sink.stats().queuedBytes).toBe(500 + 26 + Buffer.byteLength(multibyte.eventData) + 26);
    expect(Buffer.byteLength(multibyte.eventData)).toBe(500 - 3 + 1 + 2 + 3 + 4);
  });
});

describe('the request body', () => {
  // Written entry by entry into room for the largest size a text can have: the body must be
  // exactly the JSON of the input, whatever the texts hold, with no room left over in it.
  const messages = ['plain', 'välue "quoted" \\ \n\t\u2028 ✓', '😀 four bytes, 日本語 three', 'lone \ud800 surrogate, paired \ud83d\ude00', '', '\u0000\u001f control', '日'.repeat(1000)];
  const input = (group: string) => ({ logGroupName: group, logStreamName: 'stream 😀', logEvents: messages.map((message, i) => ({ timestamp: 1_700_000_000_000 + i, message })) });

  it.each([
    ['fresh memory', undefined],
    ['a pool', new BodyPool(2)],
  ])('is exactly JSON.stringify of the input, on %s', (_, pool) => {
    for (const group of ['/app/audit', 'gröup "x"']) {
      const { logGroupName, logStreamName, logEvents } = input(group);
      const entries = logEvents.map((e) => logEventEntry(e.timestamp, e.message));
      for (const count of [0, 1, entries.length]) {
        const body = putLogEventsBody(putLogEventsBodyHead(logGroupName, logStreamName), entries.slice(0, count), pool);
        expect(body.toString('utf8')).toBe(JSON.stringify({ logGroupName, logStreamName, logEvents: logEvents.slice(0, count) }));
        pool?.give(body);
      }
    }
  });
});

describe('the limits of one request', () => {
  const now = Date.now();

  it('fills a request to exactly 1,048,576 bytes (messages + 26 each), and not one byte more', async () => {
    // 131,046 + 26 = 131,072 = 2^17: eight fill 1,048,576 exactly.
    const exact = setup();
    for (let i = 0; i < 9; i++) exact.sink.addEvent(eventOfBytes(i, 131_046, now));
    await exact.sink.flush();
    expect(exact.recorder.calls.map((c) => c.logEvents.length)).toEqual([8, 1]);
    expect(exact.recorder.sizes()[0]).toBe(MAX_LOG_BATCH_BYTES);

    const over = setup();
    for (let i = 0; i < 8; i++) over.sink.addEvent(eventOfBytes(i, 131_047, now));
    await over.sink.flush();
    expect(over.recorder.calls.map((c) => c.logEvents.length)).toEqual([7, 1]);
    expectInvariant(over.sink.stats());
  });

  it('sends as many small events per request as the bytes allow (the minimum number of requests), up to maxBatchEvents', async () => {
    const { sink, recorder } = setup();
    // 224 + 26 = 250 bytes: 4,194 fit in 1,048,576 (4,194 × 250 = 1,048,500).
    for (let i = 0; i < 10_000; i++) sink.addEvent(eventOfBytes(i, 224, now));
    await sink.flush();
    expect(recorder.calls.map((c) => c.logEvents.length)).toEqual([4194, 4194, 1612]);
    expect(sink.stats()).toMatchObject({ delivered: 10_000, requests: 3 });

    const capped = setup({ maxBatchEvents: 100 });
    for (let i = 0; i < 250; i++) capped.sink.addEvent(eventOfBytes(i, 224, now));
    await capped.sink.flush();
    expect(capped.recorder.calls.map((c) => c.logEvents.length)).toEqual([100, 100, 50]);
  });

  it('takes up to 10,000 events per request when they are small enough', () => {
    const destination = createCloudWatchLogsDestination({
      logGroupName: 'g', logStreamName: 's', createLogGroup: false, createLogStream: false, createFirst: false,
      maxBatchEvents: 10_000, maxBatchBytes: MAX_LOG_BATCH_BYTES, send: async () => ({}), wrapSend: undefined, client: { region: 'us-east-1', endpoint: 'http://127.0.0.1:1' }, maxConcurrentRequests: 4, now: Date.now,
    });
    expect(destination.limits).toEqual({ maxEvents: 10_000, maxBytes: 1_048_576, envelopeBytes: 0, separatorBytes: 0 });
  });

  it('refuses at encode an event CloudWatch Logs cannot take: message + 26 over 1,048,576 bytes (EventTooLarge)', () => {
    const destination = createCloudWatchLogsDestination({
      logGroupName: 'g', logStreamName: 's', createLogGroup: false, createLogStream: false, createFirst: false,
      maxBatchEvents: 10_000, maxBatchBytes: MAX_LOG_BATCH_BYTES, send: async () => ({}), wrapSend: undefined, client: { region: 'us-east-1', endpoint: 'http://127.0.0.1:1' }, maxConcurrentRequests: 4, now: () => now,
    });
    const largest = destination.encode({ id: 'a', json: `"${'é'.repeat((1_048_550 - 2) / 2)}"`, timeMs: now });
    expect(isRefusal(largest)).toBe(false);
    expect(largest).toMatchObject({ bytes: 1_048_576 });
    const tooLarge = destination.encode({ id: 'b', json: `"${'x'.repeat(1_048_551 - 2)}"`, timeMs: now });
    expect(tooLarge).toEqual({ refused: { code: 'EventTooLarge', message: 'the event is 1048577 bytes as a log event (UTF-8 message + 26); CloudWatch Logs takes at most 1048576' } });
    // A time that is no timestamp (an event spooled by something else, say) never reaches the wire as `NaN`.
    expect(destination.encode({ id: 'c', json: '{}', timeMs: Number.NaN })).toEqual({ refused: { code: 'InvalidData', message: 'the event has no usable time (actual: NaN)' } });
  });

  it('refuses an event over a smaller maxBatchBytes, naming it', async () => {
    const { sink, dead, recorder } = setup({ maxBatchBytes: 2048 });
    sink.addEvent(eventOfBytes(1, 2022, now));
    sink.addEvent(eventOfBytes(2, 2023, now));
    await sink.flush();
    expect(recorder.calls.map((c) => c.logEvents.length)).toEqual([1]);
    expect(dead.letters.map((l) => l.reason)).toEqual([{ code: 'EventTooLarge', message: 'the event is 2049 bytes as a log event (UTF-8 message + 26); maxBatchBytes is 2048' }]);
    expectInvariant(sink.stats());
  });

  it('keeps each request within 24 hours: an event 24 h after the first opens a new request', async () => {
    const start = now - 3 * DAY;
    const { sink, recorder } = setup();
    sink.add(at(start, 1));
    sink.add(at(start + DAY - 1, 2));
    sink.add(at(start + DAY, 3));
    sink.add(at(start + 2 * DAY - 1, 4));
    await sink.flush();
    expect(recorder.calls.map(principals)).toEqual([['user-1', 'user-2'], ['user-3', 'user-4']]);
    for (const call of recorder.calls) expect(call.logEvents.at(-1)!.timestamp - call.logEvents[0]!.timestamp).toBeLessThan(DAY);
  });

  it('sends each request sorted by timestamp, stably (equal times keep their order)', async () => {
    const { sink, recorder } = setup();
    const t = now - HOUR;
    for (const [offset, n] of [[3, 1], [1, 2], [2, 3], [1, 4], [0, 5]] as const) sink.add(at(t + offset, n));
    await sink.flush();
    expect(recorder.calls[0]!.logEvents.map((e) => e.timestamp)).toEqual([t, t + 1, t + 1, t + 2, t + 3]);
    expect(principals(recorder.calls[0]!)).toEqual(['user-5', 'user-2', 'user-4', 'user-3', 'user-1']);
  });
});

describe('events the service rejects for their time', () => {
  it('reads rejectedLogEventsInfo as indices into the sorted request: per-event dead letters with clear codes', async () => {
    const t = Date.now() - HOUR;
    const { sink, dead, recorder } = setup({
      // Sorted: user-6 user-5 user-4 user-3 user-2 user-1. [0,1) too old, [1,3) expired, [5,6) too new.
      responder: () => ({ rejectedLogEventsInfo: { tooOldLogEventEndIndex: 1, expiredLogEventEndIndex: 3, tooNewLogEventStartIndex: 5 } }),
    });
    for (let n = 1; n <= 6; n++) sink.add(at(t - n * 1000, n));
    await sink.flush();
    expect(recorder.calls).toHaveLength(1);
    const byPrincipal = Object.fromEntries(dead.letters.map((l) => [(JSON.parse(l.event.eventData) as { userIdentity: { principalId: string } }).userIdentity.principalId, l.reason.code]));
    expect(byPrincipal).toEqual({ 'user-6': 'TooOldLogEvent', 'user-5': 'ExpiredLogEvent', 'user-4': 'ExpiredLogEvent', 'user-1': 'TooNewLogEvent' });
    expect(dead.letters.find((l) => l.reason.code === 'ExpiredLogEvent')!.reason.message).toMatch(/^the event's time \d{4}-.*Z is older than the log group's retention period, which CloudWatch Logs does not take \(PutLogEvents rejectedLogEventsInfo\)$/);
    expect(dead.letters.every((l) => l.attempts === 1)).toBe(true);
    expect(sink.stats()).toMatchObject({ delivered: 2, deadLettered: { total: 4, byReason: { TooOldLogEvent: 1, ExpiredLogEvent: 2, TooNewLogEvent: 1 } } });
    expectInvariant(sink.stats());
  });

  it('takes indices out of range or of the wrong type as “nothing rejected” there', async () => {
    const { sink, dead } = setup({ responder: () => ({ rejectedLogEventsInfo: { tooNewLogEventStartIndex: 99, tooOldLogEventEndIndex: -1, expiredLogEventEndIndex: '2' as never } }) });
    for (let n = 1; n <= 3; n++) sink.add(at(Date.now(), n));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(sink.stats().delivered).toBe(3);
  });

  it('takes whatever a custom send returns (undefined) as all delivered', async () => {
    const { sink } = setup({ responder: () => undefined as never });
    sink.add(at(Date.now(), 1));
    await sink.flush();
    expect(sink.stats().delivered).toBe(1);
  });

  it('refuses at encode what is over 14 days old or over 2 hours ahead, by the sink’s clock; the bounds themselves pass', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    vi.setSystemTime(now);
    const { sink, dead, recorder } = setup();
    sink.add(at(now - 14 * DAY - 1, 1));
    sink.add(at(now - 14 * DAY, 2));
    sink.add(at(now + 2 * HOUR, 3));
    sink.add(at(now + 2 * HOUR + 1, 4));
    await sink.flush();
    expect(dead.letters.map((l) => [l.reason.code, l.attempts])).toEqual([['TooOldLogEvent', 0], ['TooNewLogEvent', 0]]);
    expect(dead.letters[0]!.reason.message).toBe("the event's time 2026-11-17T11:59:59.999Z is more than 14 days in the past, which CloudWatch Logs does not take; auditlake refused it before sending");
    expect(recorder.calls.flatMap(principals).sort()).toEqual(['user-2', 'user-3']);
    expectInvariant(sink.stats());
  });
});

describe('dead letters', () => {
  it('hold the AuditEvent {id, eventData} with eventData exactly the message sent', async () => {
    const { sink, dead, recorder } = setup({ responder: () => ({ rejectedLogEventsInfo: { tooNewLogEventStartIndex: 0 } }) });
    sink.add(auditRecord(1, { requestParameters: { q: 'a "b" \\ c \u0001 é 😀' } }, { time: Date.now() }));
    await sink.flush();
    const letter = dead.letters[0]!;
    expect(Object.keys(letter.event)).toEqual(['id', 'eventData']);
    expect(letter.event.eventData).toBe(recorder.calls[0]!.logEvents[0]!.message);
    expect(letter.event.id).toMatch(/^[-_A-Za-z0-9]{1,128}$/);
  });
});

describe('a custom send (the AWS SDK’s shape)', () => {
  const sdkError = (name: string, status: number, message: string) => Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

  it('retries its throttling and 5xx errors through the one retry layer', async () => {
    let call = 0;
    const { sink, dead } = setup({
      responder: () => {
        call++;
        if (call === 1) throw sdkError('ThrottlingException', 400, 'Rate exceeded');
        if (call === 2) throw sdkError('ServiceUnavailableException', 500, 'The service cannot complete the request.');
        return {};
      },
    });
    for (let n = 0; n < 3; n++) sink.add(at(Date.now(), n));
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 3, requests: 3, retried: 6 });
    expectInvariant(sink.stats());
  });

  it('reports a missing stream once as a configuration fault, says auditlake does not create through it, and dead-letters', async () => {
    const { sink, dead, quiet } = setup({ responder: () => { throw sdkError('ResourceNotFoundException', 400, 'The specified log stream does not exist.'); } });
    sink.add(at(Date.now(), 1));
    await sink.flush();
    sink.add(at(Date.now(), 2));
    await sink.flush();
    expect(dead.codes()).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(dead.letters[0]!.reason.message).toBe('The specified log stream does not exist. (with a custom send, auditlake does not create log groups or streams: create them beforehand)');
    expect(quiet.at('error')).toHaveLength(1);
    expect(quiet.at('error')[0]).toMatch(/^auditlake: PutLogEvents to CloudWatch Logs group \/app\/audit stream unit failed with ResourceNotFoundException \(HTTP 400\).*configuration fault/);
    expect(sink.stats()).toMatchObject({ requests: 2, retried: 0 });
    expectInvariant(sink.stats());
  });

  it('builds input.logEvents only when read, and wrapSend decorates the call', async () => {
    const seen: number[] = [];
    const wrapped = deferred<void>();
    const { sink } = setup({
      send: async (input: PutLogEventsInput) => {
        seen.push(input.logEvents.length);
        return {};
      },
      wrapSend: (send) => async (input, options) => {
        wrapped.resolve();
        return send(input, options);
      },
    });
    sink.add(at(Date.now(), 1));
    await sink.flush();
    await wrapped.promise;
    expect(seen).toEqual([1]);
  });
});

describe('a spool written by a sink of the other destination', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const stuck = { env: {}, deadLetter: () => {}, persistOnExit: false, shutdownTimeoutMs: 0, diagnostics: quietDiagnostics().diagnostics };

  it('CloudTrail Lake → CloudWatch Logs: the same eventData goes out as log events', async () => {
    dir = mkdtempSync(join(tmpdir(), 'auditlake-cwl-spool-'));
    const sent: PutAuditEventsInput[] = [];
    const lake = createAuditSink({
      ...stuck, channelArn: CHANNEL_ARN, spoolDir: dir,
      send: (input) => {
        sent.push(input);
        return new Promise(() => {});
      },
    });
    for (let n = 1; n <= 3; n++) lake.add(at(Date.now(), n));
    await lake.shutdown();
    expect(lake.stats()).toMatchObject({ delivered: 0, queuedEvents: 3 });

    const { sink, recorder, dead } = setup({ spoolDir: dir });
    await sink.flush();
    expect(dead.letters).toEqual([]);
    expect(recorder.calls.flatMap(principals).sort()).toEqual(['user-1', 'user-2', 'user-3']);
    const lakeEventData = new Set(sent.flatMap((input) => input.auditEvents.map((e) => e.eventData)));
    for (const event of recorder.calls.flatMap((c) => c.logEvents)) expect(lakeEventData.has(event.message)).toBe(true);
    await sink.shutdown();
  });

  it('CloudWatch Logs → CloudTrail Lake: the messages go out as eventData, with their ids', async () => {
    dir = mkdtempSync(join(tmpdir(), 'auditlake-cwl-spool-'));
    const sent: PutLogEventsInput[] = [];
    const logs = createAuditSink({
      ...stuck, logGroupName: 'g', logStreamName: 's', recipientAccountId: '123456789012', spoolDir: dir,
      send: (input) => {
        sent.push(input);
        return new Promise(() => {});
      },
    });
    for (let n = 1; n <= 3; n++) logs.add(at(Date.now(), n));
    await logs.shutdown();

    const received: PutAuditEventsInput[] = [];
    const lake = createAuditSink({
      ...stuck, channelArn: CHANNEL_ARN, spoolDir: dir, shutdownTimeoutMs: 5000,
      send: async (input) => {
        received.push(input);
        return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
      },
    });
    await lake.flush();
    const messages = new Set(sent.flatMap((input) => input.logEvents.map((e) => e.message)));
    const events = received.flatMap((input) => input.auditEvents);
    expect(events).toHaveLength(3);
    for (const event of events) expect(messages.has(event.eventData)).toBe(true);
    expect(lake.stats()).toMatchObject({ delivered: 3 });
    await lake.shutdown();
  });
});
