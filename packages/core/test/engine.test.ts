import { describe, expect, it } from 'vitest';
import { AwsRequestError, createAuditSink, type AuditSinkOptions, type PutAuditEventsInput, type PutAuditEventsOutput } from '../src/index.js';
import { createVirtualClock, eventDataChecksum, type VirtualClock } from '../src/internal.js';
import { acceptAll as acceptAny, auditRecord, CHANNEL_ARN, deadLetters, deferred, type Deferred, expectInvariant, quietDiagnostics } from './helpers.js';

// The engine's guarantees on virtual time: each test here fails if the line it guards is
// broken (they were written against the mutants listed in the durable-delivery issue).

interface Call {
  input: PutAuditEventsInput;
  at: number;
  reply: Deferred<PutAuditEventsOutput>;
}

/** A sink on a virtual clock whose every request waits until the test answers it. */
function harness(options: Partial<AuditSinkOptions> = {}) {
  const clock: VirtualClock = createVirtualClock();
  const calls: Call[] = [];
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    clock,
    send: (input) => {
      const reply = deferred<PutAuditEventsOutput>();
      calls.push({ input, at: clock.now(), reply });
      return reply.promise;
    },
    deadLetter: dead.handler,
    diagnostics: quiet.diagnostics,
    persistOnExit: false,
    env: {},
    ...options,
  });
  const tick = () => clock.advance(0);
  return { sink, clock, calls, dead, quiet, tick };
}

const acceptAll = (input: PutAuditEventsInput, call: number) => acceptAny(input, call) as PutAuditEventsOutput;
const ids = (call: Call) => call.input.auditEvents.map((event) => event.id);

describe('flush waits for exactly its events', () => {
  it('does not resolve while its last event is still in a request, whatever order the requests end in', async () => {
    const { sink, calls, tick } = harness({ maxBatchEvents: 10 });
    for (let i = 0; i < 20; i++) sink.add(auditRecord(i));
    let flushed = false;
    const flush = sink.flush().then(() => (flushed = true));
    await tick();
    expect(calls).toHaveLength(2);
    // The request holding the newest events answers first.
    calls[1]!.reply.resolve(acceptAll(calls[1]!.input, 0));
    await tick();
    expect(flushed).toBe(false);
    calls[0]!.reply.resolve(acceptAll(calls[0]!.input, 0));
    await flush;
    expect(sink.stats().delivered).toBe(20);
  });

  it('does not resolve when all but its last event are settled', async () => {
    const { sink, calls, tick } = harness({ maxBatchEvents: 10 });
    for (let i = 0; i < 11; i++) sink.add(auditRecord(i));
    let flushed = false;
    const flush = sink.flush().then(() => (flushed = true));
    await tick();
    expect(calls.map((call) => call.input.auditEvents.length)).toEqual([10, 1]);
    calls[0]!.reply.resolve(acceptAll(calls[0]!.input, 0));
    await tick();
    expect(flushed).toBe(false);
    calls[1]!.reply.resolve(acceptAll(calls[1]!.input, 0));
    await flush;
  });

  it('does not resolve while a single event is in its request', async () => {
    const { sink, calls, tick } = harness();
    sink.add(auditRecord(1));
    let flushed = false;
    const flush = sink.flush().then(() => (flushed = true));
    await tick();
    expect(calls).toHaveLength(1);
    await tick();
    expect(flushed).toBe(false);
    calls[0]!.reply.resolve(acceptAll(calls[0]!.input, 0));
    await flush;
  });
});

describe('bytes', () => {
  it('releases the bytes of delivered events: many times maxQueueBytes pass through without QueueFull', async () => {
    const { sink, calls, tick, dead } = harness({ maxQueueBytes: 1_000_000, maxBlockMs: 0 });
    const big = { requestParameters: { blob: 'x'.repeat(9_000) } }; // ~9.6 kB entries: ~100 fill the queue
    let answered = 0;
    for (let wave = 0; wave < 10; wave++) {
      for (let i = 0; i < 80; i++) sink.add(auditRecord(wave * 100 + i, big));
      const flushed = sink.flush();
      await tick();
      for (const call of calls.slice(answered)) call.reply.resolve(acceptAll(call.input, 0));
      answered = calls.length;
      await flushed;
    }
    expect(dead.letters).toHaveLength(0);
    expect(sink.stats()).toMatchObject({ delivered: 800, queuedBytes: 0, inFlightBytes: 0 });
    expectInvariant(sink.stats());
  });
});

describe('per-event failures', () => {
  it('backs off longer after per-event Throttling than after an InternalFailure', async () => {
    const delays: Record<string, number> = {};
    for (const code of ['Throttling', 'InternalFailure']) {
      const { sink, calls, clock, tick } = harness({ retryBaseDelayMs: 1000, retryMaxDelayMs: 60_000 });
      clock.random = () => 0.99;
      sink.add(auditRecord(1));
      const flush = sink.flush();
      await tick();
      calls[0]!.reply.resolve({ successful: [], failed: [{ id: ids(calls[0]!)[0]!, errorCode: code, errorMessage: 'slow down' }] });
      while (calls.length < 2) await clock.advance(100);
      delays[code] = calls[1]!.at - calls[0]!.at;
      calls[1]!.reply.resolve(acceptAll(calls[1]!.input, 0));
      await flush;
    }
    // Full jitter from a four times larger base after throttling: ~3,960 ms against ~990 ms here.
    expect(delays.InternalFailure).toBeLessThanOrEqual(1000);
    expect(delays.Throttling).toBeGreaterThanOrEqual(3000);
  });

  it('resends failed events in acceptance order, whatever order the response lists them in', async () => {
    const { sink, calls, tick, clock } = harness({ retryBaseDelayMs: 10 });
    for (let i = 0; i < 5; i++) sink.add(auditRecord(i));
    const flush = sink.flush();
    await tick();
    const sent = ids(calls[0]!);
    calls[0]!.reply.resolve({ successful: [], failed: [...sent].reverse().map((id) => ({ id, errorCode: 'InternalFailure', errorMessage: 'later' })) });
    while (calls.length < 2) await clock.advance(10);
    expect(ids(calls[1]!)).toEqual(sent);
    calls[1]!.reply.resolve(acceptAll(calls[1]!.input, 0));
    await flush;
  });
});

describe('redaction', () => {
  it('is applied before serialization: the text sent, its checksum and its size never saw the secret', async () => {
    const { sink, calls, tick } = harness({ redact: ['requestParameters.password', '**.token'] });
    const secret = `s3cr3t-${'x'.repeat(120_000)}`; // over the 100 kB cap unless redacted first
    sink.add(auditRecord(1, { requestParameters: { password: secret, user: 'alice', nested: { token: secret } } }));
    const flushed = sink.flush();
    await tick();
    expect(calls).toHaveLength(1);
    const event = calls[0]!.input.auditEvents[0]!;
    expect(event.eventData).not.toContain('s3cr3t');
    expect(JSON.parse(event.eventData)).toMatchObject({ requestParameters: { password: '[REDACTED]', user: 'alice', nested: { token: '[REDACTED]' } } });
    expect(event.eventDataChecksum).toBe(eventDataChecksum(event.eventData));
    calls[0]!.reply.resolve(acceptAll(calls[0]!.input, 0));
    await flushed;
  });
});

describe('shutdown', () => {
  it('cuts a backoff wait short and delivers with a last attempt when the endpoint is back', async () => {
    const { sink, calls, clock, tick, dead } = harness({ retryBaseDelayMs: 20_000, retryMaxDelayMs: 20_000, shutdownTimeoutMs: 5000 });
    clock.random = () => 0.99;
    sink.add(auditRecord(1));
    const flushing = sink.flush();
    await tick();
    calls[0]!.reply.reject(new AwsRequestError('connect ECONNREFUSED 127.0.0.1:1', { errorCode: 'ECONNREFUSED' }));
    await clock.advance(10_000); // mid-way through a ~19.8 s backoff; the endpoint is back now
    expect(calls).toHaveLength(1);
    const closing = sink.shutdown();
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.reply.resolve(acceptAll(calls[1]!.input, 0));
    await closing;
    await flushing;
    expect(dead.letters).toHaveLength(0);
    expect(sink.stats().delivered).toBe(1);
  });

  it('dead-letters with the last failure when the last attempt fails too', async () => {
    const { sink, calls, clock, tick, dead } = harness({ retryBaseDelayMs: 20_000, shutdownTimeoutMs: 1000 });
    sink.add(auditRecord(1));
    await tick();
    await clock.advance(1000);
    calls[0]!.reply.reject(new AwsRequestError('connect ECONNREFUSED 127.0.0.1:1', { errorCode: 'ECONNREFUSED' }));
    await tick();
    const closing = sink.shutdown();
    await tick();
    calls[1]!.reply.reject(new AwsRequestError('connect ECONNREFUSED 127.0.0.1:1', { errorCode: 'ECONNREFUSED' }));
    await clock.advance(1000);
    await closing;
    expect(dead.codes()).toEqual(['Shutdown']);
    expect(dead.letters[0]!.reason.message).toMatch(/^shutdown ran out of time \(shutdownTimeoutMs 1000 ms\) before this event was delivered; last failure: connect ECONNREFUSED 127\.0\.0\.1:1|last failure: ECONNREFUSED/);
    expectInvariant(sink.stats());
  });
});

describe('reports', () => {
  it('reports a failure that persists within seconds, once, with its cause; and its end', async () => {
    const { sink, calls, clock, tick, quiet } = harness({ retryBaseDelayMs: 100, retryMaxDelayMs: 1000, retryDeadlineMs: 600_000 });
    sink.add(auditRecord(1));
    const flush = sink.flush();
    await tick();
    let answered = 0;
    while (clock.now() - calls[0]!.at < 8000) {
      for (const call of calls.slice(answered)) call.reply.reject(new AwsRequestError('connect ECONNREFUSED 127.0.0.1:1', { errorCode: 'ECONNREFUSED' }));
      answered = calls.length;
      await clock.advance(250);
    }
    const warnings = quiet.at('warn').filter((m) => m.includes('has been failing'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/PutAuditEvents to CloudTrail Lake channel .* has been failing for [5-7] s, last with (connect )?ECONNREFUSED 127\.0\.0\.1:1; retrying, 1 event\(s\) waiting/);
    while (calls.length === answered) await clock.advance(250);
    calls[calls.length - 1]!.reply.resolve(acceptAll(calls[calls.length - 1]!.input, 0));
    await flush;
    expect(quiet.at('warn').some((m) => m.includes('works again after'))).toBe(true);
  });
});
