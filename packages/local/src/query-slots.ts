/**
 * At most N queries run at once; the others wait in order of arrival (first come, first run).
 * A waiting query whose signal aborts leaves the line without taking a slot.
 */
interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
}

export class QuerySlots {
  readonly #size: number;
  #busy = 0;
  readonly #waiting: Waiter[] = [];
  #closed = false;

  constructor(size: number) {
    this.#size = size;
  }

  /** Resolves with a release function once a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#closed) return Promise.reject(new Error('the query engine is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#busy < this.#size) {
      this.#busy++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.#waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.#waiting.indexOf(waiter);
          if (index !== -1) {
            this.#waiting.splice(index, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('the query engine is closed'));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next.resolve(this.#releaser());
      else this.#busy--;
    };
  }
}
