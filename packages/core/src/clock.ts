/**
 * Time and chance, injected: every timer and random draw of the engine goes through a `Clock`,
 * so that tests and simulations run the real engine on virtual time.
 */

/** A pending timer; `cancel()` is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Runs `callback` after `ms`. The timer never keeps the process alive. */
  readonly setTimeout: (callback: () => void, ms: number) => ClockTimer;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/** The real clock: `Date.now`, unref'd Node timers, `Math.random`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  random: () => Math.random(),
};

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
