import { describe, expect, it } from 'vitest';
import type { DeliveryObservation } from '../src/delivery.js';
import { createVirtualClock, classifyRequestFailure, type VirtualClock } from '../src/internal.js';
import { FULL_BATCH_DECREASE, FULL_BATCH_RECOVERY_S, PARTIAL_BATCH_DECREASE, RateControl, type RateControlOptions } from '../src/rate-control.js';

// The controller alone, on virtual time: requests start and are answered as a test says.

function controller(options: Partial<RateControlOptions> & { backlog?: boolean } = {}) {
  const clock: VirtualClock = createVirtualClock();
  clock.random = () => 0.5; // the bucket restarts empty after a throttle: the next request one interval later
  const state = { backlog: options.backlog ?? false, crowded: false };
  const debug: string[] = [];
  const control = new RateControl({
    clock,
    enabled: true,
    flushIntervalMs: 1000,
    maxConcurrentRequests: 4,
    retryDeadlineMs: 60_000,
    backlogged: () => state.backlog,
    crowded: () => state.crowded,
    debug: (message) => void debug.push(message),
    ...options,
  });
  const observe = (observation: DeliveryObservation) => control.observe(observation);
  /** A request that starts now and is answered `latencyMs` later. */
  const request = async (outcome: 'ok' | 'throttled' | 'timeout', latencyMs = 50) => {
    observe({ type: 'request', events: 1 });
    await clock.advance(latencyMs);
    if (outcome === 'ok') observe({ type: 'response', latencyMs, throttled: false });
    else {
      const error = outcome === 'throttled' ? { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } } : { name: 'TimeoutError', message: 'no response' };
      observe({ type: 'failure', failure: classifyRequestFailure(error), latencyMs });
    }
  };
  /**
   * `count` requests, each as soon as the pace allows and, for a sender with little to send, not
   * before its batch has lingered (as the scheduler does); all answered with `outcome`.
   */
  const paced = async (count: number, outcome: 'ok' | 'throttled' = 'ok', lingers = false) => {
    for (let i = 0; i < count; i++) {
      await clock.advance(lingers ? Math.max(control.waitMs(), control.lingerMs()) : control.waitMs());
      await request(outcome);
    }
  };
  return { clock, control, state, debug, observe, request, paced };
}

describe('before any throttle', () => {
  it('paces nothing, lingers flushIntervalMs and allows maxConcurrentRequests, whatever the traffic', async () => {
    const { control, request } = controller();
    for (let i = 0; i < 200; i++) await request('ok', 5);
    await request('timeout');
    expect(control.limited).toBe(false);
    expect(control.waitMs()).toBe(0);
    expect(control.lingerMs()).toBe(1000);
    expect(control.concurrency()).toBe(4);
    expect(control.rate).toBe(Number.POSITIVE_INFINITY);
  });

  it('does nothing when turned off, throttled or not', async () => {
    const { control, request } = controller({ enabled: false });
    for (let i = 0; i < 20; i++) await request('throttled');
    expect(control.limited).toBe(false);
    expect(control.waitMs()).toBe(0);
  });
});

describe('a crowded queue', () => {
  it('gives way while the queue is crowded: waiting for the pace must not cost events (QueueFull)', async () => {
    const { control, state, paced } = controller();
    await paced(10, 'throttled');
    expect(control.limited).toBe(true);
    expect(control.waitMs()).toBeGreaterThan(0);
    expect(control.concurrency()).toBeLessThan(4);
    state.crowded = true;
    expect([control.waitMs(), control.lingerMs(), control.concurrency()]).toEqual([0, 1000, 4]);
    state.crowded = false;
    expect(control.waitMs()).toBeGreaterThan(0);
    // What it learned stays: the rate is what it was.
    expect(control.limited).toBe(true);
  });
});

describe('a throttle', () => {
  it('halves the rate in use when batches are partial, and says so once', async () => {
    const { control, clock, observe, debug } = controller();
    // Ten requests in the last second: 10/s in use.
    for (let i = 0; i < 10; i++) {
      observe({ type: 'request', events: 1 });
      await clock.advance(100);
    }
    observe({ type: 'failure', failure: classifyRequestFailure({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), latencyMs: 50 });
    expect(control.limited).toBe(true);
    expect(control.rate).toBeCloseTo(10 * PARTIAL_BATCH_DECREASE, 5);
    expect(debug).toEqual(['auditlake: the service throttles; requests are paced, from 5.0/s']);
  });

  it('keeps 70 % when full batches wait', async () => {
    const { control, clock, observe } = controller({ backlog: true });
    for (let i = 0; i < 10; i++) {
      observe({ type: 'request', events: 100 });
      await clock.advance(100);
    }
    observe({ type: 'response', latencyMs: 50, throttled: true });
    expect(control.rate).toBeCloseTo(10 * FULL_BATCH_DECREASE, 5);
  });

  it('counts once for the answers to one burst: a throttled request sent before the last decrease changes nothing', async () => {
    const { control, clock, observe } = controller();
    for (let i = 0; i < 4; i++) observe({ type: 'request', events: 1 });
    await clock.advance(100);
    for (let i = 0; i < 4; i++) observe({ type: 'response', latencyMs: 100, throttled: true });
    expect(control.rate).toBeCloseTo(4 * PARTIAL_BATCH_DECREASE, 5);
    await clock.advance(control.waitMs());
    observe({ type: 'request', events: 1 });
    await clock.advance(50);
    observe({ type: 'response', latencyMs: 50, throttled: true });
    expect(control.rate).toBeCloseTo(4 * PARTIAL_BATCH_DECREASE * PARTIAL_BATCH_DECREASE, 5);
  });

  it('slows the requests down: each waits for its turn at the learned rate', async () => {
    const { control, clock, request } = controller();
    for (let i = 0; i < 10; i++) await request('ok', 100);
    await request('throttled');
    const rate = control.rate;
    const started: number[] = [];
    for (let i = 0; i < 20; i++) {
      await clock.advance(control.waitMs());
      expect(control.waitMs()).toBe(0);
      started.push(clock.now());
      await request('ok', 10);
      expect(control.waitMs()).toBeGreaterThan(0);
    }
    // Twenty requests take about twenty intervals of the rate (it climbs a little meanwhile).
    expect((started.at(-1)! - started[0]!) / 1000).toBeGreaterThan((19 / rate) * 0.8);
  });

  it('is not a timeout nor a 5xx: those leave the rate alone', async () => {
    const { control, request } = controller();
    await request('throttled');
    const rate = control.rate;
    await request('timeout');
    const error = { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } };
    control.observe({ type: 'failure', failure: classifyRequestFailure(error), latencyMs: 5 });
    expect(control.rate).toBe(rate);
  });
});

describe('never starves', () => {
  it('keeps at least one request per longest linger (a quarter of retryDeadlineMs), however often throttled', async () => {
    const { control, paced } = controller();
    await paced(60, 'throttled');
    expect(control.rate).toBeCloseTo(1 / 15, 5);
    expect(control.lingerMs()).toBe(15_000);
    expect(control.waitMs()).toBeLessThanOrEqual(15_000);
  });

  it('caps the longest linger at 60 s, and never below flushIntervalMs', async () => {
    const long = controller({ retryDeadlineMs: 86_400_000 });
    await long.paced(80, 'throttled');
    expect(long.control.lingerMs()).toBe(60_000);
    const short = controller({ retryDeadlineMs: 2000, flushIntervalMs: 3000 });
    await short.paced(20, 'throttled');
    expect(short.control.lingerMs()).toBe(3000);
    expect(short.control.rate).toBeCloseTo(1 / 3, 5);
  });
});

describe('recovery', () => {
  it('climbs back with successes, lingers flushIntervalMs again, and stops pacing', async () => {
    const { control, paced, debug } = controller();
    await paced(6, 'throttled');
    expect(control.lingerMs()).toBeGreaterThan(1000);
    const rates = [control.rate];
    let requests = 0;
    // One event a second: once the rate allows more than a request per flushIntervalMs, it is more than needed.
    while (control.limited && requests < 1000) {
      await paced(1, 'ok', true);
      requests++;
      if (control.limited) rates.push(control.rate);
    }
    expect(control.limited).toBe(false);
    expect(requests).toBeLessThan(200);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1]!);
    expect(control.lingerMs()).toBe(1000);
    expect(control.waitMs()).toBe(0);
    expect(debug.at(-1)).toMatch(/^auditlake: no throttling for \d+ requests; requests are no longer paced$/);
  });

  it('with full batches waiting, is back at the throttled rate after 10 s/√rate and beyond it after that', async () => {
    const { control, clock, observe, request } = controller({ backlog: true });
    for (let i = 0; i < 16; i++) {
      observe({ type: 'request', events: 100 });
      await clock.advance(40);
    }
    await request('throttled'); // ~25 requests/s in use
    const throttledRate = control.rate / FULL_BATCH_DECREASE;
    const recoveryMs = (FULL_BATCH_RECOVERY_S / Math.sqrt(throttledRate)) * 1000;
    const started = clock.now();
    while (clock.now() - started < recoveryMs) await paced1();
    expect(control.rate).toBeGreaterThanOrEqual(throttledRate * 0.95);
    while (clock.now() - started < 2 * recoveryMs) await paced1();
    expect(control.rate).toBeGreaterThanOrEqual(throttledRate * 1.25);

    async function paced1() {
      await clock.advance(Math.max(1, control.waitMs()));
      await request('ok', 1);
    }
  });

  it('a sender with a small share climbs faster, relative to its rate, than one with a large share', async () => {
    const grow = async (requestsPerSecond: number) => {
      const { control, clock, observe, paced } = controller();
      for (let i = 0; i < 16; i++) {
        observe({ type: 'request', events: 1 });
        await clock.advance(1000 / requestsPerSecond);
      }
      await paced(1, 'throttled');
      const before = control.rate;
      await paced(30);
      return control.rate / before;
    };
    expect(await grow(0.5)).toBeGreaterThan(await grow(50));
  });
});

describe('concurrency and linger', () => {
  it('lingers one interval of the rate and allows what the rate needs at the measured latency, plus one', async () => {
    const { control, clock, observe } = controller();
    for (let i = 0; i < 16; i++) {
      observe({ type: 'request', events: 1 });
      await clock.advance(1000 / 16);
    }
    observe({ type: 'response', latencyMs: 400, throttled: true }); // 16/s in use: 8/s from now
    expect(control.lingerMs()).toBe(1000); // 125 ms per request is below flushIntervalMs
    expect(control.concurrency()).toBe(4); // ceil(8 × 0.4) + 1 = 5, within maxConcurrentRequests
    for (let i = 0; i < 4; i++) {
      await clock.advance(control.waitMs());
      observe({ type: 'request', events: 1 });
      observe({ type: 'response', latencyMs: 0, throttled: true });
    }
    // 0.5/s: two seconds per request; the latency average fell towards 0 ms.
    expect(control.rate).toBeCloseTo(0.5, 5);
    expect(control.lingerMs()).toBe(2000);
    expect(control.concurrency()).toBe(2);
  });
});
