import type build from 'pino-abstract-transport';

type Source = Parameters<Parameters<typeof build>[0]>[0];

/**
 * Tells when the read loop has taken every line written to `source`, without polling: the loop
 * calls `check()` when it starts and after each line, `hold()` while it waits for room in the
 * sink, and `end()` when the stream has ended.
 */
export function drainTracker(source: Source) {
  let waiters: (() => void)[] = [];
  let holding = false;
  let started = false;
  let ended = false;
  const idle = () => ended || (started && !holding && source.readableLength === 0 && source.writableLength === 0);
  const release = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  return {
    wait(): Promise<void> {
      if (idle()) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    async hold(until: Promise<void>): Promise<void> {
      holding = true;
      try {
        await until;
      } finally {
        holding = false;
      }
    },
    check(): void {
      started = true;
      if (waiters.length > 0 && idle()) release();
    },
    end(): void {
      ended = true;
      release();
    },
  };
}
