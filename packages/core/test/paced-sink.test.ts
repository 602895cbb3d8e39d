import { describe, expect, it } from 'vitest';
import { AwsRequestError, createAuditSink, type AuditSink, type AuditSinkOptions, type PutAuditEventsInput, type PutAuditEventsOutput } from '../src/index.js';
import { createVirtualClock, type VirtualClock } from '../src/internal.js';
import { acceptAll, auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';

// The sink under a service that throttles, on virtual time: what goes out, when, and in which
// request. The service answers after LATENCY_MS; `verdict` decides each call.

const LATENCY_MS = 20;

interface Call {
  at: number;
  ids: string[];
  throttled: boolean;
}

type Verdict = 'accept' | 'throttle' | 'hang';

function throttling(): AwsRequestError {
  return new AwsRequestError('Rate exceeded', { errorCode: 'ThrottlingException', statusCode: 400 });
}

function harness(options: Partial<AuditSinkOptions> = {}, clock: VirtualClock = createVirtualClock()) {
  const calls: Call[] = [];
  const control = { verdict: (_call: number): Verdict => 'accept' };
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const send = (input: PutAuditEventsInput): Promise<PutAuditEventsOutput> => {
    const verdict = control.verdict(calls.length);
    calls.push({ at: clock.now(), ids: input.auditEvents.map((event) => event.id), throttled: verdict === 'throttle' });
    return new Promise((resolve, reject) => {
      if (verdict === 'hang') return;
      clock.setTimeout(() => (verdict === 'throttle' ? reject(throttling()) : resolve(acceptAll(input, 0))), LATENCY_MS);
    });
  };
  const sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    clock,
    send,
    deadLetter: dead.handler,
    diagnostics: quiet.diagnostics,
    persistOnExit: false,
    meterProvider: false,
    env: {},
    ...options,
  });
  return { sink, clock, calls, control, dead, quiet };
}

/** Adds one record every `everyMs` for `durationMs` of virtual time. */
async function steadyLoad(sink: AuditSink, clock: VirtualClock, everyMs: number, durationMs: number, first = 0): Promise<number> {
  let n = first;
  for (let elapsed = 0; elapsed < durationMs; elapsed += everyMs) {
    sink.add(auditRecord(n++));
    await clock.advance(everyMs);
  }
  return n;
}

async function drain(sink: AuditSink, clock: VirtualClock): Promise<void> {
  let done = false;
  const flushed = sink.flush().then(() => (done = true));
  while (!done) await clock.advance(1000);
  await flushed;
}

const accepted = (calls: Call[]) => calls.filter((call) => !call.throttled);

describe('never throttled', () => {
  it('sends the same requests at the same times as with the adaptation off', async () => {
    const runs = [];
    for (const adaptiveRate of [true, false]) {
      const { sink, clock, calls } = harness({ adaptiveRate, maxBatchEvents: 20 });
      await steadyLoad(sink, clock, 70, 10_000);
      for (let i = 0; i < 250; i++) sink.add(auditRecord(i));
      await steadyLoad(sink, clock, 300, 5000);
      await drain(sink, clock);
      runs.push(calls.map((call) => [call.at, call.ids.length]));
    }
    expect(runs[0]!.length).toBeGreaterThan(20);
    expect(runs[0]).toEqual(runs[1]);
  });
});

describe('while throttled', () => {
  it('lingers longer and sends fuller batches, then lingers flushIntervalMs again once the throttling stops', async () => {
    const { sink, clock, calls, control, dead } = harness();
    const throttleUntil = clock.now() + 20_000;
    control.verdict = () => (clock.now() < throttleUntil ? 'throttle' : 'accept');
    // Ten events a second: unthrottled, a request of about ten each flushIntervalMs (1 s).
    let n = await steadyLoad(sink, clock, 100, 40_000);
    const throttledPhase = accepted(calls).filter((call) => call.at < throttleUntil + 20_000);
    expect(Math.max(...throttledPhase.map((call) => call.ids.length))).toBeGreaterThan(15);
    // Unpaced, 40 s of this would have taken 40 requests and every resend besides.
    expect(calls.length).toBeLessThan(30);
    // Five minutes later the rate has climbed back: one request per second of about ten events.
    n = await steadyLoad(sink, clock, 100, 300_000, n);
    const recent = calls.slice(-20);
    expect(recent.every((call) => !call.throttled)).toBe(true);
    for (let i = 1; i < recent.length; i++) expect(recent[i]!.at - recent[i - 1]!.at).toBeLessThanOrEqual(1100);
    expect(Math.max(...recent.map((call) => call.ids.length))).toBeLessThanOrEqual(11);
    await drain(sink, clock);
    expect(sink.stats().delivered).toBe(n);
    expect(dead.letters).toHaveLength(0);
    expectInvariant(sink.stats());
  });

  it('flush() and shutdown() send at once, whatever the pace', async () => {
    const { sink, clock, calls, control } = harness();
    control.verdict = () => 'throttle';
    sink.add(auditRecord(0));
    // Throttled again and again for 30 s: the pace falls to one request per 15 s.
    await clock.advance(30_000);
    control.verdict = () => 'accept';
    for (let i = 1; i <= 3; i++) sink.add(auditRecord(i));
    const before = calls.length;
    const flushed = sink.flush();
    await clock.advance(0);
    expect(calls.length).toBe(before + 1);
    expect(calls.at(-1)!.at).toBe(clock.now());
    await clock.advance(LATENCY_MS);
    // The first event's resend, awaited by the flush now, no longer waits for the pace.
    let done = false;
    void flushed.then(() => (done = true));
    while (!done) await clock.advance(1000);
    sink.add(auditRecord(4));
    const closing = sink.shutdown();
    await clock.advance(0);
    expect(calls.at(-1)!.ids).toHaveLength(1);
    expect(calls.at(-1)!.at).toBe(clock.now());
    await clock.advance(LATENCY_MS);
    await closing;
    expect(sink.stats().delivered).toBe(5);
  });

  it('a resend after throttling takes along what was queued meanwhile, within maxBatchEvents and without an id twice', async () => {
    const { sink, clock, calls, control, dead } = harness({ maxBatchEvents: 10 });
    control.verdict = (call) => (call === 0 ? 'throttle' : 'accept');
    for (let i = 0; i < 3; i++) sink.add(auditRecord(i));
    await clock.advance(1000 + LATENCY_MS);
    expect(calls).toHaveLength(1);
    const first = calls[0]!.ids;
    for (let i = 3; i < 15; i++) sink.add(auditRecord(i));
    // 13 events wait: a full batch of 10 would go at once if the pace allowed; the resend comes first.
    while (calls.length < 2) await clock.advance(100);
    expect(calls[1]!.ids.slice(0, 3)).toEqual(first);
    expect(calls[1]!.ids).toHaveLength(10);
    expect(new Set(calls[1]!.ids).size).toBe(10);
    expectInvariant(sink.stats());
    await drain(sink, clock);
    expect(calls.slice(1).reduce((sum, call) => sum + call.ids.length, 0)).toBe(15);
    expect(dead.letters).toHaveLength(0);
    expect(sink.stats()).toMatchObject({ delivered: 15, retried: 3 });
    expectInvariant(sink.stats());
  });

  it('a resend takes along only what fits in maxBatchBytes, to the byte', async () => {
    // The size of one entry, as sent: `{"auditEvents":[` + entries joined by `,` + `]}`.
    const sent: unknown[] = [];
    const probe = harness({ send: async (input: PutAuditEventsInput) => (sent.push(input.auditEvents[0]), acceptAll(input, 0)) });
    probe.sink.add(auditRecord(0));
    await drain(probe.sink, probe.clock);
    const entryBytes = Buffer.byteLength(JSON.stringify(sent[0]));
    // Three entries need 18 + 3 × entry + 2 bytes: one byte short of that, two fit and three do not.
    const { sink, clock, calls, control } = harness({ maxBatchBytes: 18 + 3 * entryBytes + 1, maxConcurrentRequests: 1 });
    for (let i = 1; i <= 3; i++) sink.add(auditRecord(i));
    await drain(sink, clock);
    expect(calls.map((call) => call.ids.length)).toEqual([2, 1]);
    control.verdict = (call) => (call === 2 ? 'throttle' : 'accept');
    for (let i = 4; i <= 5; i++) sink.add(auditRecord(i));
    await clock.advance(1000 + LATENCY_MS);
    expect(calls[2]!.ids).toHaveLength(2);
    for (let i = 6; i <= 8; i++) sink.add(auditRecord(i));
    await drain(sink, clock);
    expect(calls[3]!.ids).toEqual(calls[2]!.ids);
    expect(sink.stats().delivered).toBe(8);
  });

  it('a resend takes along no event whose id it already carries', async () => {
    const { sink, clock, calls, control } = harness({ maxConcurrentRequests: 1 });
    control.verdict = (call) => (call === 0 ? 'throttle' : 'accept');
    const eventData = JSON.stringify({ version: '1.0', userIdentity: { type: 't', principalId: 'p' }, eventSource: 's', eventName: 'n', eventTime: '2026-01-01T00:00:00Z', UID: 'u', recipientAccountId: '123456789012' });
    sink.addEvent({ id: 'replayed-1', eventData });
    await clock.advance(1000 + LATENCY_MS);
    sink.addEvent({ id: 'replayed-1', eventData });
    sink.add(auditRecord(1));
    await drain(sink, clock);
    expect(calls[1]!.ids).toEqual(['replayed-1']);
    for (const call of calls) expect(new Set(call.ids).size).toBe(call.ids.length);
    expect(sink.stats().delivered).toBe(3);
  });

  /** One event throttled, four queued meanwhile, and the resend with all five left unanswered. */
  async function resendHanging({ sink, clock, calls, control }: ReturnType<typeof harness>): Promise<void> {
    control.verdict = (call) => (call === 0 ? 'throttle' : 'hang');
    sink.add(auditRecord(0));
    await clock.advance(1000 + LATENCY_MS);
    for (let i = 1; i < 5; i++) sink.add(auditRecord(i));
    while (calls.length < 2) await clock.advance(100);
    expect(calls[1]!.ids).toHaveLength(5);
  }

  it('events taken along are dead-lettered with Shutdown, like the rest, when shutdown runs out of time', async () => {
    const h = harness({ shutdownTimeoutMs: 1000 });
    const { sink, clock, dead } = h;
    await resendHanging(h);
    const closing = sink.shutdown();
    await clock.advance(1000);
    await closing;
    expect(dead.codes()).toEqual(['Shutdown', 'Shutdown', 'Shutdown', 'Shutdown', 'Shutdown']);
    expect(sink.stats()).toMatchObject({ inFlightEvents: 0, queuedEvents: 0, deadLettered: { total: 5 } });
    expectInvariant(sink.stats());
  });

  it('events taken along are kept at exit, like the rest of their request', async () => {
    const listeners = new Set(process.listeners('exit'));
    const h = harness({ persistOnExit: true });
    const { sink, calls, dead } = h;
    const exitListener = process.listeners('exit').find((listener) => !listeners.has(listener));
    await resendHanging(h);
    expect(exitListener).toBeTypeOf('function');
    (exitListener as (code: number) => void)(0);
    expect(dead.codes()).toEqual(['Exit', 'Exit', 'Exit', 'Exit', 'Exit']);
    expect(dead.letters.map((letter) => letter.event.id).sort()).toEqual([...calls[1]!.ids].sort());
    expect(sink.stats().deadLettered.total).toBe(5);
  });

  it('waiting for a turn never costs an event its deadline: near it, the pace gives way to a backoff from its start', async () => {
    const { sink, clock, calls, control, dead } = harness();
    const start = clock.now();
    control.verdict = () => (clock.now() - start < 57_000 ? 'throttle' : 'accept');
    sink.add(auditRecord(0));
    // Nobody waits for it (a flush() would waive the pace from the start).
    await clock.advance(70_000);
    // At the pace alone (one request per 15 s by then), the resend after 57 s would come after the 60 s deadline.
    expect(dead.letters).toHaveLength(0);
    expect(sink.stats().delivered).toBe(1);
    expect(calls.at(-1)!.at - start).toBeLessThan(60_000);
    // In the last quarter (from 45 s), a handful of resends, not one a second.
    const late = calls.filter((call) => call.at - start >= 45_000);
    expect(late.length).toBeGreaterThanOrEqual(2);
    expect(late.length).toBeLessThanOrEqual(8);
  });

  it('at shutdown, throttled resends stop waiting for the pace (they back off from the start)', async () => {
    const { sink, clock, calls, control, dead } = harness({ shutdownTimeoutMs: 5000 });
    control.verdict = () => 'throttle';
    sink.add(auditRecord(0));
    // Throttled for 30 s: one request per 15 s by now.
    await clock.advance(30_000);
    const closing = sink.shutdown();
    const shutdownAt = clock.now();
    control.verdict = () => (calls.filter((c) => c.at >= shutdownAt).length < 3 ? 'throttle' : 'accept');
    let closed = false;
    void closing.then(() => (closed = true));
    while (!closed) await clock.advance(100);
    expect(dead.letters).toHaveLength(0);
    expect(sink.stats().delivered).toBe(1);
    expect(calls.filter((c) => c.at >= shutdownAt).length).toBe(4);
  });

  it('runs fewer requests at once: what the learned rate needs at the measured latency, plus one', async () => {
    const started = async (adaptiveRate: boolean) => {
      const { sink, clock, calls, control } = harness({ adaptiveRate });
      // Full batches at four at a time, until the 21st request is throttled; then the service stops answering.
      control.verdict = (call) => {
        if (call === 20) return 'throttle';
        const answered = calls[20] !== undefined && clock.now() >= calls[20].at + LATENCY_MS;
        return answered ? 'hang' : 'accept';
      };
      for (let i = 0; i < 3000; i++) sink.add(auditRecord(i));
      while (!calls[20]) await clock.advance(5);
      const throttledAt = calls[20].at + LATENCY_MS;
      await clock.advance(5000);
      return calls.filter((call) => call.at >= throttledAt).length;
    };
    // Paced at 70 % of ~16/s with 20 ms answers: one request at a time plus one; the resend of the throttled batch is one of them.
    expect(await started(true)).toBeLessThanOrEqual(2);
    expect(await started(false)).toBeGreaterThanOrEqual(4);
  });

  it("an exporter's deliver() sends at once, and what it waits for is resent after the backoff, not the pace", async () => {
    const { sink, clock, calls, control } = harness();
    control.verdict = () => 'throttle';
    sink.add(auditRecord(0));
    // Throttled for 30 s: one request per 15 s by now.
    await clock.advance(30_000);
    const first = calls.length;
    control.verdict = (call) => (call === first ? 'throttle' : 'accept');
    const report = sink.deliver([auditRecord(1)]);
    await clock.advance(0);
    expect(calls).toHaveLength(first + 1);
    expect(calls[first]!.at).toBe(clock.now());
    let done = false;
    void report.then(() => (done = true));
    while (!done) await clock.advance(100);
    expect(await report).toEqual({ delivered: 1, deadLettered: 0, skipped: 0, kept: 0 });
    // After a throttle, a backoff of at most 1 s; the pace would have meant 7.5 s or more.
    const resend = calls.slice(first + 1).find((call) => call.ids.some((id) => calls[first]!.ids.includes(id)))!;
    expect(resend.at - calls[first]!.at).toBeLessThanOrEqual(LATENCY_MS + 1000);
  });
});

describe('a fleet that shares a quota', () => {
  it('settles near the quota with fuller requests and few throttles, and delivers everything', async () => {
    const outcome = async (adaptiveRate: boolean) => {
      const clock = createVirtualClock();
      // 3 requests/s with a burst of 3, shared by ten sinks that each want a request a second.
      let tokens = 3;
      let at = clock.now();
      const sinks = Array.from({ length: 10 }, () => harness({ adaptiveRate }, clock));
      for (const { control } of sinks) {
        control.verdict = () => {
          tokens = Math.min(3, tokens + ((clock.now() - at) * 3) / 1000);
          at = clock.now();
          if (tokens < 1) return 'throttle';
          tokens -= 1;
          return 'accept';
        };
      }
      for (let n = 0; n < 1200; n++) {
        for (const { sink } of sinks) sink.add(auditRecord(n));
        await clock.advance(100);
      }
      const late = sinks.flatMap(({ calls }) => calls.filter((call) => call.at >= clock.now() - 60_000));
      for (const { sink, clock: c } of sinks) await drain(sink, c);
      const stats = sinks.map(({ sink }) => sink.stats());
      return {
        delivered: stats.reduce((sum, s) => sum + s.delivered, 0),
        lost: stats.reduce((sum, s) => sum + s.deadLettered.total, 0),
        throttledShare: late.filter((call) => call.throttled).length / late.length,
        meanBatch: late.filter((call) => !call.throttled).reduce((sum, call) => sum + call.ids.length, 0) / late.filter((call) => !call.throttled).length,
      };
    };
    const paced = await outcome(true);
    const unpaced = await outcome(false);
    expect(paced).toMatchObject({ delivered: 12_000, lost: 0 });
    // The last minute: settled, against a quota that ten sinks overrun threefold when unpaced.
    expect(paced.throttledShare).toBeLessThan(0.15);
    expect(unpaced.throttledShare).toBeGreaterThan(0.4);
    expect(paced.meanBatch).toBeGreaterThan(30);
  });
});
