import type { Readable, Writable } from 'node:stream';

/**
 * Tells, without polling, when winston's logger has handed the transport every record logged so
 * far. While the transport holds its callback back (backpressure), records wait in the logger's
 * readable side and in the transport's own write buffer; each record the logger pipes is a
 * 'data' event on it, written to the transport before our listener runs, and the transport
 * calls `check()` whenever it has taken one.
 */
interface Waiter {
  ownBuffer: boolean;
  resolve: () => void;
}

export class HandOver {
  readonly #transport: Writable;
  readonly #parent: () => Readable | undefined;
  #waiters: Waiter[] = [];
  #watched: Readable | undefined;
  readonly #onData = (): void => this.check();

  constructor(transport: Writable, parent: () => Readable | undefined) {
    this.#transport = transport;
    this.#parent = parent;
  }

  /** Resolves once the logger holds no record for us, and, with `ownBuffer`, once we have taken all of them. */
  wait(ownBuffer: boolean): Promise<void> {
    if (this.#done(ownBuffer)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ ownBuffer, resolve });
      const parent = this.#parent();
      if (parent !== undefined && this.#watched === undefined) {
        this.#watched = parent;
        parent.on('data', this.#onData);
      }
    });
  }

  check(): void {
    if (this.#waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#done(waiter.ownBuffer)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
    if (waiting.length === 0 && this.#watched !== undefined) {
      this.#watched.off('data', this.#onData);
      this.#watched = undefined;
    }
  }

  #done(ownBuffer: boolean): boolean {
    return (this.#parent()?.readableLength ?? 0) === 0 && (!ownBuffer || this.#transport.writableLength === 0);
  }
}
