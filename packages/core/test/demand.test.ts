import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, type AuditSink, type AuditSinkOptions, type PutAuditEventsInput, type PutAuditEventsOutput } from '../src/index.js';
import { createVirtualClock, type VirtualClock } from '../src/internal.js';
import { acceptAll, auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';

// The sink's demand, for adapters that keep records in front of add() (the OTel processor): it
// wants more until its requests are busy and a full batch waits behind them, and flush() and
// shutdown() feed an attached buffer by it. On virtual time; the service answers after
// LATENCY_MS, or never.

const LATENCY_MS = 20;
const BATCH = 10;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function harness(options: Partial<AuditSinkOptions> = {}, clock: VirtualClock = createVirtualClock()) {
  const control = { hang: false, refuse: false };
  /** Events held (queued or in flight) when each request went out. */
  const heldAtCalls: number[] = [];
  const dead = deadLetters();
  const made: { sink?: AuditSink } = {};
  const send = (input: PutAuditEventsInput): Promise<PutAuditEventsOutput> => {
    const stats = made.sink!.stats();
    heldAtCalls.push(stats.queuedEvents + stats.inFlightEvents);
    return new Promise((resolve, reject) => {
      if (control.refuse) clock.setTimeout(() => reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), LATENCY_MS);
      else if (!control.hang) clock.setTimeout(() => resolve(acceptAll(input, 0)), LATENCY_MS);
    });
  };
  const sink = (made.sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    clock,
    send,
    deadLetter: dead.handler,
    diagnostics: quietDiagnostics().diagnostics,
    persistOnExit: false,
    meterProvider: false,
    env: {},
    maxBatchEvents: BATCH,
    maxConcurrentRequests: 2,
    ...options,
  }));
  return { sink, clock, control, heldAtCalls, dead };
}

/** An adapter's buffer, as the OTel processor keeps one: records waiting in front of add(), fed by the sink's demand. */
function buffer(sink: AuditSink, count: number) {
  const waiting = Array.from({ length: count }, (_, i) => auditRecord(i));
  const drain = () => {
    for (const record of waiting.splice(0)) sink.add(record);
  };
  const feed = () =>
    waiting.length === 0
      ? undefined
      : (async () => {
          while (waiting.length > 0) {
            const wait = sink.waitForDemand();
            if (wait) await wait;
            else sink.add(waiting.shift()!);
          }
        })();
  const detach = sink.attach(drain, feed);
  return { waiting, detach };
}

async function settle(work: Promise<unknown>, clock: VirtualClock): Promise<void> {
  let done = false;
  void work.finally(() => (done = true));
  while (!done) await clock.advance(LATENCY_MS);
  await work;
}

describe('the sink’s demand', () => {
  it('wants more until its requests are busy and a full batch waits behind them; looks again when a request ends', async () => {
    const { sink, clock } = harness();
    // Two requests at once, one full batch ready behind them, one being filled: 4 batches.
    for (let i = 0; i < 4 * BATCH - 1; i++) sink.add(auditRecord(i));
    await clock.advance(0);
    expect(sink.waitForDemand()).toBeUndefined();
    sink.add(auditRecord(4 * BATCH));
    const wait = sink.waitForDemand();
    expect(wait).toBeInstanceOf(Promise);
    expect(sink.waitForDemand()).toBe(wait);
    let resolved = false;
    void wait!.then(() => (resolved = true));
    await clock.advance(LATENCY_MS - 1);
    expect(resolved).toBe(false);
    await clock.advance(1);
    expect(resolved).toBe(true);
    expect(sink.stats().delivered).toBe(2 * BATCH);
    expect(sink.waitForDemand()).toBeUndefined();
    await settle(sink.shutdown(), clock);
  });

  it('always wants more with a spool (records are safe only once on disk) and once the sink is closing', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'auditlake-demand-'));
    dirs.push(spoolDir);
    const spooled = harness({ spoolDir });
    for (let i = 0; i < 10 * BATCH; i++) spooled.sink.add(auditRecord(i));
    expect(spooled.sink.waitForDemand()).toBeUndefined();
    await settle(spooled.sink.shutdown(), spooled.clock);

    const { sink, clock, control } = harness({ shutdownTimeoutMs: 1_000 });
    control.hang = true;
    for (let i = 0; i < 10 * BATCH; i++) sink.add(auditRecord(i));
    const wait = sink.waitForDemand();
    expect(wait).toBeInstanceOf(Promise);
    const closing = sink.shutdown();
    await wait;
    expect(sink.waitForDemand()).toBeUndefined();
    await settle(closing, clock);
  });

  it('wants more once the destination is down (only the queue’s bounds decide then): a waiting adapter is let go', async () => {
    const { sink, clock, control } = harness({ shutdownTimeoutMs: 1_000 });
    control.refuse = true;
    for (let i = 0; i < 10 * BATCH; i++) sink.add(auditRecord(i));
    const wait = sink.waitForDemand();
    expect(wait).toBeInstanceOf(Promise);
    let resolved = false;
    void wait!.then(() => (resolved = true));
    // Both requests fail at LATENCY_MS (ECONNREFUSED, twice in a row: down); they keep their slots through their retries.
    await clock.advance(LATENCY_MS);
    expect(resolved).toBe(true);
    expect(sink.stats().delivered).toBe(0);
    expect(sink.waitForDemand()).toBeUndefined();
    await settle(sink.shutdown(), clock);
  });

  for (const end of ['flush', 'shutdown'] as const) {
    it(`${end}() feeds an attached buffer as requests end, holding a few batches at a time, and delivers all of it`, async () => {
      const { sink, clock, heldAtCalls } = harness();
      const { waiting } = buffer(sink, 30 * BATCH);
      await settle(sink[end](), clock);
      expect(waiting).toHaveLength(0);
      expect(sink.stats().delivered).toBe(30 * BATCH);
      expect(heldAtCalls.length).toBe(30);
      expect(Math.max(...heldAtCalls)).toBeLessThanOrEqual(4 * BATCH);
      expectInvariant(sink.stats());
      if (end === 'flush') await settle(sink.shutdown(), clock);
    });
  }

  it('shutdown() stops feeding at shutdownTimeoutMs: the rest is added at once and dead-lettered with Shutdown, on time', async () => {
    const { sink, clock, control, dead } = harness({ shutdownTimeoutMs: 1_000, requestTimeoutMs: 60_000 });
    control.hang = true;
    const { waiting } = buffer(sink, 30 * BATCH);
    const start = clock.now();
    await settle(sink.shutdown(), clock);
    expect(clock.now() - start).toBeLessThanOrEqual(1_000 + LATENCY_MS);
    expect(waiting).toHaveLength(0);
    const stats = sink.stats();
    expect(stats.added).toBe(30 * BATCH);
    expect(stats.delivered).toBe(0);
    expect(stats.deadLettered.byReason).toEqual({ Shutdown: 30 * BATCH });
    expect(dead.letters).toHaveLength(30 * BATCH);
    expectInvariant(stats);
  });
});
