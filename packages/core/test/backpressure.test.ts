import { describe, expect, it } from 'vitest';
import { Backpressure, type BackpressureOptions } from '../src/backpressure.js';
import { Reporter } from '../src/diagnostics.js';
import { createVirtualClock } from '../src/virtual-clock.js';

// Backpressure on its own, on virtual time: when adapters are held, for how long, when the sink
// sheds instead and what it says, and when it stops.

function setup(options: Partial<BackpressureOptions> = {}) {
  const clock = createVirtualClock();
  const said: string[] = [];
  const reporter = new Reporter({ debug: (m) => void said.push(`debug ${m}`), warn: (m) => void said.push(`warn ${m}`), error: (m) => void said.push(`error ${m}`) });
  const state = { full: true, lowWater: false, down: undefined as string | undefined };
  const backpressure = new Backpressure({
    clock,
    reporter,
    maxBlockMs: 1000,
    isFull: () => state.full,
    belowLowWater: () => state.lowWater,
    describeLimits: () => 'maxQueueEvents 10',
    destinationDown: () => state.down,
    ...options,
  });
  return { clock, said, state, backpressure };
}

/** Whether a promise has settled by the time pending callbacks have run. */
async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('Backpressure', () => {
  it('holds no one while there is room, nor ever with maxBlockMs 0', () => {
    const roomy = setup();
    roomy.state.full = false;
    expect(roomy.backpressure.wait()).toBeUndefined();
    const never = setup({ maxBlockMs: 0 });
    expect(never.backpressure.wait()).toBeUndefined();
    expect(never.backpressure.shedding).toBe(false);
  });

  it('holds adapters on one promise while the queue is full, and lets them go when it drains below low water', async () => {
    const { backpressure, state, clock, said } = setup();
    const first = backpressure.wait();
    const second = backpressure.wait();
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first);
    // Outcomes freed some room, not enough: still held.
    backpressure.drained();
    expect(await settled(first)).toBe(false);
    state.lowWater = true;
    backpressure.drained();
    expect(await settled(first)).toBe(true);
    expect(backpressure.shedding).toBe(false);
    // The maxBlockMs timer went with it: nothing sheds later.
    expect(clock.pending).toBe(0);
    await clock.advance(5000);
    expect(backpressure.shedding).toBe(false);
    expect(said).toEqual([]);
  });

  it('after maxBlockMs, lets the adapters go and sheds, saying why once, until the queue drains below low water', async () => {
    const { backpressure, state, clock, said } = setup();
    const held = backpressure.wait();
    await clock.advance(999);
    expect(await settled(held)).toBe(false);
    expect(backpressure.shedding).toBe(false);
    await clock.advance(1);
    expect(await settled(held)).toBe(true);
    expect(backpressure.shedding).toBe(true);
    expect(said).toEqual(['warn auditlake: the queue stayed full for maxBlockMs (1000 ms; maxQueueEvents 10); dead-lettering new events with QueueFull until it drains']);
    backpressure.drained();
    expect(backpressure.shedding).toBe(true);
    state.lowWater = true;
    backpressure.drained();
    expect(backpressure.shedding).toBe(false);
    // A second episode is a new cause: reported as a warning again, not as debug.
    state.lowWater = false;
    void backpressure.wait();
    await clock.advance(1000);
    expect(said).toHaveLength(2);
    expect(said[1]).toMatch(/^warn /);
  });

  it('names what happens to new events as the adapter says (overflow)', async () => {
    const { backpressure, clock, said } = setup({ overflow: 'dropping the oldest' });
    void backpressure.wait();
    await clock.advance(1000);
    expect(said).toEqual(['warn auditlake: the queue stayed full for maxBlockMs (1000 ms; maxQueueEvents 10); dropping the oldest until it drains']);
  });

  it('while shedding, makes the adapter yield one turn in every 256 records and no more', async () => {
    const { backpressure, clock } = setup();
    void backpressure.wait();
    await clock.advance(1000);
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < 256; i++) expect(backpressure.wait()).toBeUndefined();
      const turn = backpressure.wait();
      expect(turn).toBeInstanceOf(Promise);
      expect(await settled(turn)).toBe(true);
    }
  });

  it('sheds at once, holding no one, when the queue is full while the destination is down', () => {
    const { backpressure, state, said } = setup();
    state.down = 'connect ECONNREFUSED';
    expect(backpressure.wait()).toBeUndefined();
    expect(backpressure.shedding).toBe(true);
    expect(said).toEqual(['warn auditlake: the queue is full (maxQueueEvents 10) while the destination is down (connect ECONNREFUSED); dead-lettering new events with QueueFull until it drains']);
  });

  it('on a failed request, lets held adapters go and sheds only if the destination is down', async () => {
    const { backpressure, state } = setup();
    // Nobody held: nothing to do.
    state.down = 'HTTP 500';
    backpressure.failed();
    expect(backpressure.shedding).toBe(false);
    state.down = undefined;
    const held = backpressure.wait();
    // Failed, but not down (throttling): keep holding.
    backpressure.failed();
    expect(await settled(held)).toBe(false);
    expect(backpressure.shedding).toBe(false);
    state.down = 'socket hang up';
    backpressure.failed();
    expect(await settled(held)).toBe(true);
    expect(backpressure.shedding).toBe(true);
  });

  it('on close, lets everyone go for good and stops shedding', async () => {
    const { backpressure, clock } = setup();
    const held = backpressure.wait();
    backpressure.close();
    expect(await settled(held)).toBe(true);
    expect(backpressure.wait()).toBeUndefined();
    expect(backpressure.shedding).toBe(false);
    expect(clock.pending).toBe(0);
    const shedding = setup();
    void shedding.backpressure.wait();
    await shedding.clock.advance(1000);
    shedding.backpressure.close();
    expect(shedding.backpressure.shedding).toBe(false);
  });
});
