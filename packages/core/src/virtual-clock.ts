import type { Clock, ClockTimer } from './clock.js';

/** A clock that moves only when told: the engine's timers fire in order as `advance` passes them. */
export interface VirtualClock extends Clock {
  /** Replaceable, to pin the random draws of a test. */
  random: () => number;
  /** Moves time forward by `ms`, firing each due timer at its own time and letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired. */
  readonly pending: number;
}

/** A virtual clock starting at `start` (epoch ms), with a seeded random source (mulberry32) for repeatable runs. */
export function createVirtualClock(start = Date.UTC(2026, 0, 1), seed = 1): VirtualClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; id: number; callback: () => void }>();
  let state = seed >>> 0;
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    setTimeout(callback, ms): ClockTimer {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), id, callback });
      return { cancel: () => void timers.delete(id) };
    },
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        let next: { at: number; id: number; callback: () => void } | undefined;
        for (const timer of timers.values()) if (timer.at <= target && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
        if (next === undefined) break;
        timers.delete(next.id);
        now = Math.max(now, next.at);
        next.callback();
        await settle();
      }
      now = target;
      await settle();
    },
    get pending() {
      return timers.size;
    },
  };
}
