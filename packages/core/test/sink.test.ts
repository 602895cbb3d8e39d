import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, AwsRequestError, type AuditEvent, type AuditSinkOptions, type PutAuditEventsInput } from '../src/index.js';
import { requestBodyBytes } from '../src/internal.js';
import { isOwnAuditEventId } from '../src/audit-event.js';
import { acceptAll, auditRecord, CHANNEL_ARN, deadLetters, deferred, eventDataOf, type Deferred, expectInvariant, quietDiagnostics, recordingSend, type Responder } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: Partial<AuditSinkOptions> & { responder?: Responder } = {}) {
  const { responder, ...rest } = options;
  const recorder = recordingSend(responder);
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: recorder.send, deadLetter: dead.handler, diagnostics: quiet.diagnostics, retryBaseDelayMs: 10, ...rest });
  return { sink, recorder, dead, quiet };
}

/** A valid `eventData` of the channel's account, as a dead letter being replayed holds it. */
const REPLAYED_EVENT_DATA = { version: '1', userIdentity: { type: 't', principalId: 'p' }, eventSource: 's', eventName: 'n', eventTime: '2026-01-01T00:00:00Z', UID: 'u', recipientAccountId: '123456789012' };

/** Lets microtasks and due timers run (fake time does not advance). */
const settle = () => vi.advanceTimersByTimeAsync(0);

/** flush() while fake time runs on, so that backoffs elapse. */
async function flushAll(sink: { flush(): Promise<void> }, ms = 120_000): Promise<void> {
  const done = sink.flush();
  await vi.advanceTimersByTimeAsync(ms);
  await done;
}

describe('batching', () => {
  it('sends a full batch of 100 at once, without waiting for the timer', async () => {
    const { sink, recorder } = setup();
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    await settle();
    expect(recorder.calls.map((c) => c.auditEvents.length)).toEqual([100]);
    expect(sink.stats()).toMatchObject({ delivered: 100, requests: 1, queuedEvents: 0, inFlightEvents: 0 });
  });

  it('sends a partial batch after flushIntervalMs, not before', async () => {
    const { sink, recorder } = setup({ flushIntervalMs: 1000 });
    for (let i = 0; i < 5; i++) sink.add(auditRecord(i));
    await vi.advanceTimersByTimeAsync(999);
    expect(recorder.calls).toHaveLength(0);
    expect(sink.stats().queuedEvents).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(recorder.calls.map((c) => c.auditEvents.length)).toEqual([5]);
  });

  it('needs ceil(N/100) requests for small events', async () => {
    const { sink, recorder } = setup();
    for (let i = 0; i < 1050; i++) sink.add(auditRecord(i));
    await sink.flush();
    expect(recorder.calls.map((c) => c.auditEvents.length)).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    expectInvariant(sink.stats());
  });

  it('keeps every request body within maxBatchBytes, and fills it', async () => {
    const { sink, recorder } = setup();
    for (let i = 0; i < 500; i++) sink.add(auditRecord(i, { requestParameters: { blob: 'é'.repeat(9_500) } })); // ~20 kB entries
    await sink.flush();
    const sizes = recorder.calls.map((c) => Buffer.byteLength(JSON.stringify({ auditEvents: c.auditEvents })));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1_000_000);
    expect(sizes.slice(0, -1).every((size) => size >= 950_000)).toBe(true);
    expect(recorder.calls.reduce((n, c) => n + c.auditEvents.length, 0)).toBe(500);
  });

  it('respects a smaller maxBatchEvents and maxBatchBytes', async () => {
    const { sink, recorder } = setup({ maxBatchEvents: 7, maxBatchBytes: 5000 });
    for (let i = 0; i < 30; i++) sink.add(auditRecord(i));
    await sink.flush();
    for (const call of recorder.calls) {
      expect(call.auditEvents.length).toBeLessThanOrEqual(7);
      expect(Buffer.byteLength(JSON.stringify({ auditEvents: call.auditEvents }))).toBeLessThanOrEqual(5000);
    }
  });

  it('never sends the same id twice in one request', async () => {
    const { sink, recorder } = setup();
    const event = { id: 'same-id', eventData: JSON.stringify({ version: '1', userIdentity: { type: 't', principalId: 'p' }, eventSource: 's', eventName: 'n', eventTime: '2026-01-01T00:00:00Z', UID: 'u', recipientAccountId: '123456789012' }) };
    for (let i = 0; i < 3; i++) sink.addEvent(event);
    await sink.flush();
    expect(recorder.calls.map((c) => c.auditEvents.map((e) => e.id))).toEqual([['same-id'], ['same-id'], ['same-id']]);
  });

  it('never sends the same id twice in one request, among ids made here and ids replayed', async () => {
    const { sink, recorder } = setup();
    const eventData = JSON.stringify(REPLAYED_EVENT_DATA);
    sink.add(auditRecord(1));
    sink.addEvent({ id: 'replayed-a', eventData });
    sink.add(auditRecord(2));
    sink.addEvent({ id: 'replayed-a', eventData });
    sink.addEvent({ id: 'replayed-b', eventData });
    await sink.flush();
    for (const call of recorder.calls) expect(new Set(call.auditEvents.map((e) => e.id)).size).toBe(call.auditEvents.length);
    expect(recorder.calls.map((c) => c.auditEvents.length)).toEqual([3, 2]);
    expect(isOwnAuditEventId(recorder.calls[0]!.auditEvents[0]!.id)).toBe(true);
    expect([isOwnAuditEventId('replayed-a'), isOwnAuditEventId(`${recorder.calls[0]!.auditEvents[0]!.id.split('-')[0]}x-1`)]).toEqual([false, false]);
  });

  it('never has more than maxConcurrentRequests requests at once', async () => {
    const gate = deferred();
    const { sink, recorder } = setup({ maxConcurrentRequests: 2, responder: async (input) => (await gate.promise, acceptAll(input, 0)) });
    for (let i = 0; i < 1000; i++) sink.add(auditRecord(i));
    await settle();
    expect(recorder.calls).toHaveLength(2);
    gate.resolve();
    await sink.flush();
    expect(recorder.maxInFlight).toBe(2);
    expect(recorder.calls).toHaveLength(10);
  });

  it('checksums each event unless told not to', async () => {
    const on = setup();
    on.sink.add(auditRecord(1));
    await on.sink.flush();
    const event = on.recorder.calls[0]!.auditEvents[0]!;
    const { createHash } = await import('node:crypto');
    expect(event.eventDataChecksum).toBe(createHash('sha256').update(event.eventData).digest('base64'));
    const off = setup({ checksum: false });
    off.sink.add(auditRecord(1));
    await off.sink.flush();
    expect(off.recorder.calls[0]!.auditEvents[0]).not.toHaveProperty('eventDataChecksum');
  });

  it('a custom send that answers by id parses no entry; read or copied, the events are plain AuditEvents', async () => {
    const seen: PutAuditEventsInput['auditEvents'][] = [];
    let parses = -1;
    const parse = vi.spyOn(JSON, 'parse');
    const send = (input: PutAuditEventsInput) => {
      const before = parse.mock.calls.length;
      const successful = input.auditEvents.map((event) => ({ id: event.id, eventID: event.id }));
      parses = parse.mock.calls.length - before;
      seen.push(input.auditEvents);
      return Promise.resolve({ successful, failed: [] });
    };
    for (const checksum of [true, false]) {
      const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, checksum, deadLetter: () => {} });
      sink.add(auditRecord(1));
      await sink.flush();
      await sink.shutdown();
    }
    parse.mockRestore();
    expect(parses).toBe(0);
    const [withChecksum, without] = [seen[0]![0]!, seen[1]![0]!];
    expect(Object.keys(withChecksum)).toEqual(['id', 'eventData', 'eventDataChecksum']);
    expect(Object.keys(without)).toEqual(['id', 'eventData']);
    expect(JSON.parse(withChecksum.eventData)).toMatchObject({ eventName: 'SignIn' });
    const plain = { id: withChecksum.id, eventData: withChecksum.eventData, eventDataChecksum: withChecksum.eventDataChecksum };
    expect(structuredClone(withChecksum)).toEqual(plain);
    expect({ ...withChecksum }).toEqual(plain);
    expect(JSON.parse(JSON.stringify(without))).toEqual({ id: without.id, eventData: without.eventData });
  });

  it("gives an event without a checksum no eventDataChecksum, even when its data holds the member's text", async () => {
    let keys: string[] = [];
    let eventData = '';
    const send = (input: PutAuditEventsInput) => {
      keys = Object.keys(input.auditEvents[0]!);
      eventData = input.auditEvents[0]!.eventData;
      return Promise.resolve({ successful: input.auditEvents.map((event) => ({ id: event.id, eventID: event.id })), failed: [] });
    };
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, checksum: false, deadLetter: () => {} });
    sink.add(auditRecord(1, { requestParameters: { note: '","eventDataChecksum":"abc"}' } }));
    await sink.flush();
    await sink.shutdown();
    expect(eventData).toContain('\\",\\"eventDataChecksum\\":\\"abc\\"}');
    expect(keys).toEqual(['id', 'eventData']);
  });

  it('sends the mapped event with its account taken from the channel ARN', async () => {
    const { sink, recorder } = setup({ eventSource: 'fallback-source' });
    sink.add({ time: Date.UTC(2026, 0, 2, 3, 4, 5), message: 'hello', attributes: { 'audit.eventName': 'Login', 'user.id': 'u1' } });
    await sink.flush();
    expect(recorder.calls[0]!.channelArn).toBe(CHANNEL_ARN);
    expect(eventDataOf(recorder.calls[0]!)).toMatchObject({
      version: '1.0',
      eventName: 'Login',
      eventSource: 'fallback-source',
      eventTime: '2026-01-02T03:04:05Z',
      userIdentity: { type: 'CustomUserIdentity', principalId: 'u1' },
      recipientAccountId: '123456789012',
      additionalEventData: { message: 'hello', attributes: { 'user.id': 'u1' } },
    });
  });
});

describe('flush', () => {
  it('resolves at once when nothing is pending', async () => {
    const { sink } = setup();
    let done = false;
    void sink.flush().then(() => (done = true));
    await settle();
    expect(done).toBe(true);
  });

  it('waits for the events added before it, not for those added after', async () => {
    // Timeline:
    //   t0  add A (queued), flush() #1 → A is sent at once; its response is held
    //   t1  add B (queued behind the timer)
    //   t2  A's response arrives → flush #1 resolves, B is still queued
    const gates: Deferred[] = [];
    const { sink, recorder } = setup({ responder: async (input) => { const gate = deferred(); gates.push(gate); await gate.promise; return acceptAll(input, 0); } });
    sink.add(auditRecord(1));
    let flushed = false;
    const first = sink.flush().then(() => (flushed = true));
    await settle();
    sink.add(auditRecord(2));
    await settle();
    expect(recorder.calls).toHaveLength(1);
    expect(flushed).toBe(false);
    gates[0]!.resolve();
    await first;
    expect(sink.stats()).toMatchObject({ delivered: 1, queuedEvents: 1 });
    expectInvariant(sink.stats());
  });

  it('sends partial batches at once instead of waiting for the timer', async () => {
    const { sink, recorder } = setup({ flushIntervalMs: 60_000 });
    sink.add(auditRecord(1));
    await sink.flush();
    expect(recorder.calls).toHaveLength(1);
  });
});

describe('bounds', () => {
  it('dead-letters what does not fit in maxQueueEvents with QueueFull; in-flight events hold their slot', async () => {
    const gate = deferred();
    const { sink, dead } = setup({ maxQueueEvents: 150, responder: async (input) => (await gate.promise, acceptAll(input, 0)) });
    for (let i = 0; i < 400; i++) sink.add(auditRecord(i));
    await settle();
    const stats = sink.stats();
    expect(stats.queuedEvents + stats.inFlightEvents).toBe(150);
    expect(stats.deadLettered.byReason).toEqual({ QueueFull: 250 });
    expect(dead.letters[0]).toMatchObject({ reason: { code: 'QueueFull' }, attempts: 0 });
    expectInvariant(stats);
    // 100 are in a request now (50 wait for the timer); the 100 still hold their slots.
    expect(stats.inFlightEvents).toBe(100);
    for (let i = 0; i < 10; i++) sink.add(auditRecord(i));
    expect(sink.stats().deadLettered.byReason).toEqual({ QueueFull: 260 });
    gate.resolve();
    await sink.flush();
    expect(sink.stats().delivered).toBe(150);
    expectInvariant(sink.stats());
  });

  it('bounds bytes too (maxQueueBytes)', async () => {
    const gate = deferred();
    const { sink } = setup({ maxQueueBytes: 1_000_000, responder: async (input) => (await gate.promise, acceptAll(input, 0)) });
    for (let i = 0; i < 200; i++) sink.add(auditRecord(i, { requestParameters: { blob: 'x'.repeat(20_000) } }));
    await settle();
    const stats = sink.stats();
    expect(stats.deadLettered.byReason.QueueFull).toBeGreaterThan(140);
    expect(stats.queuedBytes).toBeLessThanOrEqual(1_000_000);
    gate.resolve();
    await sink.flush();
    expectInvariant(sink.stats());
  });

  it('dead-letters an event that cannot fit in any request with EventTooLarge', async () => {
    const { sink, dead } = setup({ maxBatchBytes: 10_000 });
    sink.add(auditRecord(1, { userIdentity: { principalId: 'p', details: { blob: 'x'.repeat(20_000) } } }));
    await sink.flush();
    expect(dead.codes()).toEqual(['EventTooLarge']);
    expect(dead.letters[0]!.reason.message).toContain('maxBatchBytes is 10000');
  });
});

describe('outcomes', () => {
  it('resends per-event Throttling and InternalFailure alone, with the same ids; dead-letters other codes with the service’s message', async () => {
    const { sink, recorder, dead } = setup({
      responder: (input, call) => {
        if (call > 1) return acceptAll(input, call);
        const [a, b, c, d, ...rest] = input.auditEvents;
        return {
          successful: rest.map((e) => ({ id: e.id, eventID: `ev-${e.id}` })),
          failed: [
            { id: a!.id, errorCode: 'Throttling', errorMessage: 'slow down' },
            { id: b!.id, errorCode: 'InternalFailure', errorMessage: 'oops' },
            { id: c!.id, errorCode: 'InvalidData', errorMessage: 'bad data' },
            { id: d!.id, errorCode: 'Throttling', errorMessage: 'slow down' },
          ],
        };
      },
    });
    for (let i = 0; i < 10; i++) sink.add(auditRecord(i));
    await flushAll(sink);
    const first = recorder.calls[0]!.auditEvents;
    expect(recorder.calls[1]!.auditEvents.map((e) => e.id)).toEqual([first[0]!.id, first[1]!.id, first[3]!.id]);
    expect(recorder.calls[1]!.auditEvents[0]).toEqual(first[0]);
    expect(dead.letters).toEqual([expect.objectContaining({ event: first[2], reason: { code: 'InvalidData', message: 'bad data' }, attempts: 1 })]);
    expect(sink.stats()).toMatchObject({ delivered: 9, retried: 3, requests: 2 });
    expectInvariant(sink.stats());
  });

  it('retries throttling (429) after at least Retry-After', async () => {
    const { sink, recorder } = setup({
      responder: (input, call) => {
        if (call === 1) throw new AwsRequestError('Rate exceeded', { errorCode: 'ThrottlingException', statusCode: 429, retryAfterMs: 3000 });
        return acceptAll(input, call);
      },
    });
    sink.add(auditRecord(1));
    const flushed = sink.flush();
    await vi.advanceTimersByTimeAsync(2999);
    expect(recorder.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flushed;
    expect(recorder.calls).toHaveLength(2);
    expect(recorder.calls[1]!.auditEvents[0]!.id).toBe(recorder.calls[0]!.auditEvents[0]!.id);
    expect(sink.stats()).toMatchObject({ delivered: 1, retried: 1, requests: 2 });
  });

  it.each([
    ['HTTP 500', () => new AwsRequestError('x', { errorCode: 'InternalFailure', statusCode: 500 })],
    ['HTTP 503', () => new AwsRequestError('x', { errorCode: 'ServiceUnavailable', statusCode: 503 })],
    ['a connection reset', () => new AwsRequestError('socket hang up', { errorCode: 'ECONNRESET' })],
    ['an AWS SDK ThrottlingException', () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })],
    ['a plain Node network error', () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('retries %s', async (_name, failure) => {
    const { sink, recorder } = setup({ responder: (input, call) => { if (call <= 2) throw failure(); return acceptAll(input, call); } });
    sink.add(auditRecord(1));
    const flushed = sink.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    await flushed;
    expect(recorder.calls).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ delivered: 1, retried: 2 });
  });

  it('abandons a request after requestTimeoutMs, aborts it, and retries', async () => {
    const signals: AbortSignal[] = [];
    const recorder = recordingSend();
    const sink = createAuditSink({
      channelArn: CHANNEL_ARN, requestTimeoutMs: 1000, retryBaseDelayMs: 10, deadLetter: () => {}, diagnostics: quietDiagnostics().diagnostics,
      send: (input, options) => { signals.push(options!.abortSignal!); return signals.length === 1 ? new Promise(() => {}) : recorder.send(input); },
    });
    sink.add(auditRecord(1));
    const flushed = sink.flush();
    await vi.advanceTimersByTimeAsync(999);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    await flushed;
    expect(signals[0]!.aborted).toBe(true);
    expect(signals).toHaveLength(2);
    expect(sink.stats()).toMatchObject({ delivered: 1, retried: 1 });
  });

  it('dead-letters configuration faults without retrying, and reports each cause once, loudly', async () => {
    const { sink, recorder, dead, quiet } = setup({
      responder: () => { throw new AwsRequestError('Channel not found', { errorCode: 'ChannelNotFound', statusCode: 400 }); },
    });
    for (let i = 0; i < 250; i++) sink.add(auditRecord(i));
    await sink.flush();
    expect(recorder.calls).toHaveLength(3);
    expect(dead.letters).toHaveLength(250);
    expect(new Set(dead.codes())).toEqual(new Set(['ChannelNotFound']));
    expect(dead.letters[0]).toMatchObject({ reason: { message: 'Channel not found' }, attempts: 1 });
    expect(quiet.at('error')).toHaveLength(1);
    expect(quiet.at('error')[0]).toMatch(/ChannelNotFound.*configuration fault/);
    expectInvariant(sink.stats());
  });

  it.each([
    ['403 AccessDenied', new AwsRequestError('denied', { errorCode: 'AccessDeniedException', statusCode: 403 }), 'error'],
    ['an SDK-shaped InvalidChannelARN', Object.assign(new Error('bad arn'), { name: 'InvalidChannelARN', $metadata: { httpStatusCode: 400 } }), 'error'],
    ['400 ValidationException', new AwsRequestError('bad', { errorCode: 'ValidationException', statusCode: 400 }), 'warn'],
    ['DuplicatedAuditEventId', new AwsRequestError('dup', { errorCode: 'DuplicatedAuditEventId', statusCode: 400 }), 'warn'],
  ])('does not retry %s', async (_name, error, level) => {
    const { sink, recorder, dead, quiet } = setup({ responder: () => { throw error; } });
    sink.add(auditRecord(1));
    await sink.flush();
    expect(recorder.calls).toHaveLength(1);
    expect(dead.letters[0]!.reason.code).toBe((error as { errorCode?: string }).errorCode ?? error.name);
    expect(quiet.at(level as 'warn' | 'error').filter((m) => /PutAuditEvents to .* failed with/.test(m))).toHaveLength(1);
  });

  it('gives up at the retry deadline with RetryDeadline, naming the last failure', async () => {
    const { sink, recorder, dead } = setup({
      retryDeadlineMs: 5000,
      responder: () => { throw new AwsRequestError('unavailable', { errorCode: 'ServiceUnavailable', statusCode: 503 }); },
    });
    sink.add(auditRecord(1));
    const flushed = sink.flush();
    await vi.advanceTimersByTimeAsync(6000);
    await flushed;
    expect(recorder.calls.length).toBeGreaterThan(2);
    expect(dead.letters).toHaveLength(1);
    expect(dead.letters[0]!.reason.code).toBe('RetryDeadline');
    expect(dead.letters[0]!.reason.message).toContain('ServiceUnavailable (HTTP 503): unavailable');
    expect(dead.letters[0]!.attempts).toBe(recorder.calls.length);
    expectInvariant(sink.stats());
  });

  it('sends every event at least once, even when it waited in the queue past its deadline', async () => {
    const gate = deferred();
    const { sink, recorder } = setup({ retryDeadlineMs: 100, maxConcurrentRequests: 1, responder: async (input, call) => { if (call === 1) await gate.promise; return acceptAll(input, call); } });
    for (let i = 0; i < 200; i++) sink.add(auditRecord(i));
    await vi.advanceTimersByTimeAsync(5000);
    gate.resolve();
    await sink.flush();
    expect(recorder.calls).toHaveLength(2);
    expect(sink.stats().delivered).toBe(200);
  });

  it.each([
    ['events the response does not mention', (input: PutAuditEventsInput) => ({ successful: input.auditEvents.slice(1).map((e) => ({ id: e.id, eventID: 'x' })), failed: [] })],
    ['a malformed response', () => ({}) as never],
    ['one event named twice, another not at all', (input: PutAuditEventsInput) => ({ successful: [input.auditEvents[1]!, input.auditEvents[1]!].map((e) => ({ id: e.id, eventID: 'x' })), failed: [] })],
  ])('resends %s, with the same ids', async (_name, firstAnswer) => {
    const { sink, recorder } = setup({ responder: (input, call) => (call === 1 ? firstAnswer(input) : acceptAll(input, call)) });
    sink.add(auditRecord(1));
    sink.add(auditRecord(2));
    await flushAll(sink);
    expect(recorder.calls[1]!.auditEvents[0]!.id).toBe(recorder.calls[0]!.auditEvents[0]!.id);
    expect(sink.stats().delivered).toBe(2);
  });

  it('takes a response in any order: every event is settled once', async () => {
    const { sink, recorder } = setup({ responder: (input) => ({ successful: [...input.auditEvents].reverse().map((e) => ({ id: e.id, eventID: 'x' })), failed: [] }) });
    for (let i = 0; i < 5; i++) sink.add(auditRecord(i));
    await sink.flush();
    expect(recorder.calls).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ delivered: 5, retried: 0 });
    expectInvariant(sink.stats());
  });

  it('accounts for a send that throws synchronously', async () => {
    const { sink, dead } = setup({ send: () => { throw new TypeError('not a function of the right kind'); } });
    sink.add(auditRecord(1));
    await sink.flush();
    expect(dead.codes()).toEqual(['TypeError']);
    expectInvariant(sink.stats());
  });
});

describe('lifecycle', () => {
  it('shutdown is idempotent, delivers what was added, and later adds are dead-lettered with Shutdown', async () => {
    const { sink, recorder, dead } = setup();
    for (let i = 0; i < 3; i++) sink.add(auditRecord(i));
    const first = sink.shutdown();
    expect(sink.shutdown()).toBe(first);
    await first;
    expect(recorder.calls).toHaveLength(1);
    sink.add(auditRecord(9));
    sink.add({ attributes: { not: 'audit' } });
    expect(dead.codes()).toEqual(['Shutdown']);
    expect(sink.stats()).toMatchObject({ added: 5, delivered: 3, skipped: 1 });
    expectInvariant(sink.stats());
    await sink.flush();
  });

  it('shutdown waits for requests in flight', async () => {
    const gate = deferred();
    const { sink } = setup({ responder: async (input) => (await gate.promise, acceptAll(input, 0)) });
    sink.add(auditRecord(1));
    void sink.flush();
    await settle();
    const closing = sink.shutdown();
    await vi.advanceTimersByTimeAsync(1000);
    gate.resolve();
    await closing;
    expect(sink.stats().delivered).toBe(1);
  });

  it('shutdown that runs out of time aborts requests in flight and dead-letters everything left with Shutdown', async () => {
    // Timeline: 150 events; 100 are in a request that never answers (1 slot), 50 wait in the queue.
    //   shutdown() → 2000 ms pass → the request is aborted, all 150 are dead-lettered with Shutdown.
    const signals: AbortSignal[] = [];
    const dead = deadLetters();
    const sink = createAuditSink({
      channelArn: CHANNEL_ARN, maxConcurrentRequests: 1, shutdownTimeoutMs: 2000, deadLetter: dead.handler, diagnostics: quietDiagnostics().diagnostics,
      send: (_input, options) => { signals.push(options!.abortSignal!); return new Promise(() => {}); },
    });
    for (let i = 0; i < 150; i++) sink.add(auditRecord(i));
    await settle();
    let closed = false;
    const closing = sink.shutdown().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(1999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(dead.letters).toHaveLength(150);
    expect(new Set(dead.codes())).toEqual(new Set(['Shutdown']));
    expect(dead.letters.filter((l) => l.attempts === 1)).toHaveLength(100);
    expectInvariant(sink.stats());
  });

  it('shutdown stops a retry that is waiting for its backoff', async () => {
    const { sink, dead } = setup({
      shutdownTimeoutMs: 100,
      retryBaseDelayMs: 60_000,
      responder: () => { throw new AwsRequestError('down', { errorCode: 'ServiceUnavailable', statusCode: 503 }); },
    });
    sink.add(auditRecord(1));
    await vi.advanceTimersByTimeAsync(2000);
    const closing = sink.shutdown();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    expect(dead.codes()).toEqual(['Shutdown']);
    expectInvariant(sink.stats());
  });
});

describe('backpressure', () => {
  it('reports room while there is some, waits when full, and resumes at 3/4', async () => {
    const gates: Deferred[] = [];
    const { sink } = setup({ maxQueueEvents: 400, maxBlockMs: 10_000, responder: async (input) => { const g = deferred(); gates.push(g); await g.promise; return acceptAll(input, 0); } });
    for (let i = 0; i < 399; i++) sink.add(auditRecord(i));
    expect(sink.waitForCapacity()).toBeUndefined();
    sink.add(auditRecord(399));
    const wait = sink.waitForCapacity();
    expect(wait).toBeInstanceOf(Promise);
    expect(sink.waitForCapacity()).toBe(wait);
    let resumed = false;
    void wait!.then(() => (resumed = true));
    await settle();
    gates.shift()!.resolve(); // 100 delivered → 300 held = 3/4
    await settle();
    expect(resumed).toBe(true);
    for (const gate of gates) gate.resolve();
    await sink.flush();
  });

  it('stops waiting after maxBlockMs and sheds (no more waits) until the queue drains', async () => {
    const gate = deferred();
    const { sink, quiet } = setup({ maxQueueEvents: 100, maxBlockMs: 500, responder: async (input) => (await gate.promise, acceptAll(input, 0)) });
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    const wait = sink.waitForCapacity()!;
    await vi.advanceTimersByTimeAsync(500);
    await wait;
    expect(quiet.at('warn')[0]).toMatch(/maxBlockMs/);
    sink.add(auditRecord(100));
    expect(sink.waitForCapacity()).toBeUndefined();
    expect(sink.stats().deadLettered.byReason.QueueFull).toBe(1);
    gate.resolve();
    await sink.flush();
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    expect(sink.waitForCapacity()).toBeInstanceOf(Promise);
  });

  it('while the destination is down, a full queue sheds at once: holding the logger back would only park its backlog in memory', async () => {
    let up = false;
    const { sink, quiet, dead } = setup({
      maxQueueEvents: 100,
      maxBlockMs: 10_000,
      responder: (input) => {
        if (!up) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
        return acceptAll(input, 0);
      },
    });
    for (let i = 0; i < 99; i++) sink.add(auditRecord(i));
    // Full, and the requests so far have not been answered yet: the destination may be fine, so the adapter waits.
    sink.add(auditRecord(99));
    const wait = sink.waitForCapacity();
    expect(wait).toBeInstanceOf(Promise);
    // The first request is refused: one failure may be a blip, the adapter still waits. (The
    // backoff is full jitter: mid-range here, so that the resend is not due at once.)
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let resumed = false;
    void wait!.then(() => (resumed = true));
    await settle();
    expect(resumed).toBe(false);
    // Its resend (after a backoff of at most 10 ms here) is refused too: down. The wait ends
    // at once, long before maxBlockMs.
    await vi.advanceTimersByTimeAsync(20);
    random.mockRestore();
    expect(resumed).toBe(true);
    expect(quiet.at('warn').find((m) => m.includes('QueueFull'))).toMatch(/while the destination is down \(.*ECONNREFUSED.*\); dead-lettering new events with QueueFull/);
    sink.add(auditRecord(100));
    expect(sink.waitForCapacity()).toBeUndefined();
    expect(dead.codes()).toEqual(['QueueFull']);
    // Back up: delivery drains the queue, and a full queue holds the adapter back again.
    up = true;
    await flushAll(sink);
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    expect(sink.waitForCapacity()).toBeInstanceOf(Promise);
    await flushAll(sink);
    expectInvariant(sink.stats());
  });

  it('one reset amid successes is not an outage: the adapter keeps waiting for the queue to drain', async () => {
    let calls = 0;
    const gates: Deferred[] = [];
    const { sink, dead } = setup({
      maxQueueEvents: 100,
      maxBlockMs: 10_000,
      maxConcurrentRequests: 1,
      responder: async (input) => {
        if (calls++ === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        return acceptAll(input, 0);
      },
    });
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    const wait = sink.waitForCapacity()!;
    let resumed = false;
    void wait.then(() => (resumed = true));
    await vi.advanceTimersByTimeAsync(50);
    // Reset once, resent, and that request is still open: not down, so still waiting.
    expect(calls).toBe(2);
    expect(resumed).toBe(false);
    gates.shift()!.resolve(); // 100 delivered: the queue drains, the adapter goes on
    await settle();
    expect(resumed).toBe(true);
    expect(dead.codes()).toEqual([]);
  });

  it('a throttling service is not down: the adapter waits for the queue to drain', async () => {
    let throttle = true;
    const { sink, dead } = setup({
      maxQueueEvents: 100,
      maxBlockMs: 10_000,
      responder: (input) => {
        if (throttle) throw new AwsRequestError('Rate exceeded', { errorCode: 'ThrottlingException', statusCode: 400 });
        return acceptAll(input, 0);
      },
    });
    for (let i = 0; i < 100; i++) sink.add(auditRecord(i));
    const wait = sink.waitForCapacity()!;
    let resumed = false;
    void wait.then(() => (resumed = true));
    await vi.advanceTimersByTimeAsync(2000);
    expect(resumed).toBe(false);
    throttle = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(resumed).toBe(true);
    await flushAll(sink);
    expect(dead.codes()).toEqual([]);
  });

  it('never waits when maxBlockMs is 0', () => {
    const { sink } = setup({ maxQueueEvents: 1, maxBlockMs: 0 });
    sink.add(auditRecord(1));
    expect(sink.waitForCapacity()).toBeUndefined();
  });
});

describe('deliver and addEvent', () => {
  it('deliver() reports the outcome of exactly its own records', async () => {
    const isUser2 = (e: { eventData: string }) => e.eventData.includes('"user-2"');
    const { sink } = setup({
      responder: (input) => ({
        successful: input.auditEvents.filter((e) => !isUser2(e)).map((e) => ({ id: e.id, eventID: 'x' })),
        failed: input.auditEvents.filter(isUser2).map((e) => ({ id: e.id, errorCode: 'InvalidData', errorMessage: 'no' })),
      }),
    });
    sink.add(auditRecord(100)); // someone else's event, sent in the same request but not reported
    const report = await sink.deliver([auditRecord(1), auditRecord(2), { attributes: { plain: 'log' } }, auditRecord(3, { eventTime: 'yesterday' })]);
    expect(report).toEqual({ delivered: 1, deadLettered: 2, skipped: 1, kept: 0 });
    expectInvariant(sink.stats());
  });

  it('addEvent keeps the id and text, re-checks the data, and recomputes the checksum', async () => {
    const { sink, recorder, dead } = setup();
    const eventData = JSON.stringify(REPLAYED_EVENT_DATA);
    sink.addEvent({ id: 'replayed-1', eventData, eventDataChecksum: 'stale' });
    sink.addEvent({ id: 'replayed-2', eventData: eventData.replace('"n"', '"x"').replace('123456789012', '999999999999') });
    sink.addEvent({ id: 'bad id!', eventData });
    sink.addEvent({ id: 'not-json', eventData: '{' });
    await sink.flush();
    expect(recorder.calls[0]!.auditEvents).toHaveLength(1);
    const sent = recorder.calls[0]!.auditEvents[0]!;
    expect(sent.id).toBe('replayed-1');
    expect(sent.eventData).toBe(eventData);
    expect(sent.eventDataChecksum).not.toBe('stale');
    expect(dead.codes()).toEqual(['InvalidRecipient', 'InvalidData', 'InvalidData']);
    expectInvariant(sink.stats());
  });

  it('addEvent dead-letters what it cannot send as it was given, with the reason, and never throws', async () => {
    const { sink, dead } = setup();
    const eventData = JSON.stringify(REPLAYED_EVENT_DATA);
    const undated = JSON.stringify({ ...REPLAYED_EVENT_DATA, eventTime: 'yesterday' });
    expect(() => {
      sink.addEvent({ id: 'bad id!', eventData });
      sink.addEvent({ id: 'not-json', eventData: '{' });
      sink.addEvent({ id: 'undated', eventData: undated });
      sink.addEvent({ id: 7, eventData: 'x' } as unknown as AuditEvent);
      sink.addEvent(42 as unknown as AuditEvent);
    }).not.toThrow();
    await sink.flush();
    const letters = dead.letters.map((l) => ({ id: l.event.id, eventData: l.event.eventData, code: l.reason.code, message: l.reason.message }));
    // An event with a string id and text is kept as it was given, whatever is wrong with it.
    expect(letters.slice(0, 3)).toEqual([
      { id: 'bad id!', eventData, code: 'InvalidData', message: expect.stringMatching(/\bid\b/) },
      { id: 'not-json', eventData: '{', code: 'InvalidData', message: 'eventData is not valid JSON' },
      { id: 'undated', eventData: undated, code: 'InvalidData', message: expect.stringContaining('eventData.eventTime') },
    ]);
    // Anything else is rendered as JSON under an id of the sink's own.
    expect(letters.slice(3).map((l) => [JSON.parse(l.eventData), l.code, isOwnAuditEventId(l.id)])).toEqual([
      [{ id: 7, eventData: 'x' }, 'InvalidData', true],
      [42, 'InvalidData', true],
    ]);
    expectInvariant(sink.stats());
  });
});

describe('stats', () => {
  it('stays consistent at every step of a mixed run', async () => {
    // Every third request throttled whatever the rate: not a quota the pace could learn (rate-control.test.ts has that).
    const { sink } = setup({ maxQueueEvents: 500, adaptiveRate: false, responder: (input, call) => (call % 3 === 0 ? { successful: [], failed: input.auditEvents.map((e) => ({ id: e.id, errorCode: 'Throttling', errorMessage: 't' })) } : acceptAll(input, call)) });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 73; i++) sink.add(i % 10 === 0 ? { attributes: {} } : i % 17 === 0 ? auditRecord(i, { eventTime: 'bad' }) : auditRecord(i));
      expectInvariant(sink.stats());
      await vi.advanceTimersByTimeAsync(37);
      expectInvariant(sink.stats());
    }
    await vi.advanceTimersByTimeAsync(60_000);
    await sink.flush();
    const stats = sink.stats();
    expectInvariant(stats);
    expect(stats.queuedEvents + stats.inFlightEvents).toBe(0);
    expect(stats.requests).toBeGreaterThan(14);
    expect(requestBodyBytes(0, 0)).toBe(18);
  });
});

describe('onDelivered', () => {
  it('is called with the ids the destination accepted, once each, and never with a dead-lettered or refused one', async () => {
    const seen: string[][] = [];
    const accepted: string[] = [];
    const isUser1 = (e: { eventData: string }) => e.eventData.includes('"user-1"');
    const { sink } = setup({
      onDelivered: (ids) => void seen.push([...ids]),
      responder: (input) => {
        accepted.push(...input.auditEvents.filter((e) => !isUser1(e)).map((e) => e.id));
        return {
          successful: input.auditEvents.filter((e) => !isUser1(e)).map((e) => ({ id: e.id, eventID: e.id })),
          failed: input.auditEvents.filter(isUser1).map((e) => ({ id: e.id, errorCode: 'InvalidData', errorMessage: 'no' })),
        };
      },
    });
    for (let i = 0; i < 4; i++) sink.add(auditRecord(i));
    sink.add(auditRecord(9, { eventTime: 'yesterday' })); // refused before the queue
    await sink.flush();
    expect(sink.stats()).toMatchObject({ delivered: 3, deadLettered: { total: 2 } });
    expect(accepted).toHaveLength(3);
    expect(seen).toEqual([accepted]);
    expectInvariant(sink.stats());
  });

  it('a hook that throws is reported (once), and delivery goes on', async () => {
    const { sink, quiet, recorder } = setup({
      onDelivered: () => {
        throw new Error('hook broke');
      },
    });
    sink.add(auditRecord(1));
    await sink.flush();
    sink.add(auditRecord(2));
    await sink.flush();
    expect(recorder.calls).toHaveLength(2);
    expect(sink.stats()).toMatchObject({ delivered: 2, deadLettered: { total: 0 } });
    expect(quiet.at('error')).toEqual([expect.stringContaining('the onDelivered hook threw: Error: hook broke')]);
  });
});

describe('reject', () => {
  it('dead-letters what an adapter could not map, counted as added', async () => {
    const { sink, dead } = setup();
    sink.reject({ raw: 'line', n: 1n }, 'MappingFailed', 'mapModule threw: boom');
    expect(dead.letters).toEqual([expect.objectContaining({ reason: { code: 'MappingFailed', message: 'mapModule threw: boom' }, attempts: 0 })]);
    expect(JSON.parse(dead.letters[0]!.event.eventData)).toEqual({ raw: 'line', n: '1' });
    expectInvariant(sink.stats());
    expect(sink.stats().added).toBe(1);
  });

  it("redacts by the sink's paths what it dead-letters, where mapping would have found them and at the root", async () => {
    const { sink, dead } = setup({ redact: ['requestParameters.password', '**.token'] });
    const original = {
      attributes: {
        audit: { requestParameters: { password: 'hunter2', user: 'ann' } },
        'audit.requestParameters.password': 'hunter3',
        session: { token: 't0k' },
      },
      requestParameters: { password: 'hunter4' },
    };
    sink.reject(original, 'MappingFailed', 'mapModule threw: boom');
    const text = dead.letters[0]!.event.eventData;
    expect(text).not.toMatch(/hunter|t0k/);
    expect(JSON.parse(text)).toEqual({
      attributes: {
        audit: { requestParameters: { password: '[REDACTED]', user: 'ann' } },
        'audit.requestParameters.password': '[REDACTED]',
        session: { token: '[REDACTED]' },
      },
      requestParameters: { password: '[REDACTED]' },
    });
    // The caller's object is left as it was.
    expect(original.attributes.audit.requestParameters.password).toBe('hunter2');
    // What is not an object has no paths to redact: it is kept as it is.
    sink.reject('a raw line', 'MappingFailed', 'not JSON');
    sink.reject(null, 'MappingFailed', 'nothing');
    expect(dead.letters.slice(1).map((l) => JSON.parse(l.event.eventData))).toEqual(['a raw line', null]);
    expectInvariant(sink.stats());
  });
});
