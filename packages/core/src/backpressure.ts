import type { Clock, ClockTimer } from './clock.js';
import type { Reporter } from './diagnostics.js';

export interface BackpressureOptions {
  readonly clock: Clock;
  readonly reporter: Reporter;
  /** Longest an adapter is held back before the sink sheds load; 0 never holds back. */
  readonly maxBlockMs: number;
  /** The queue (or spool) is at its high-water mark. */
  readonly isFull: () => boolean;
  /** The queue is down to its low-water mark (3/4). */
  readonly belowLowWater: () => boolean;
  /** What is full, for the message. */
  readonly describeLimits: () => string;
  /** What happens to new events once `maxBlockMs` is up, for the message. @default dead-lettered with `QueueFull` */
  readonly overflow?: string;
}

/** While shedding, an adapter is made to yield to the event loop once per this many records. */
const SHED_SLICE = 256;

/**
 * Backpressure for adapters (winston's callback, pino's read loop). When the queue is full, an
 * adapter waits, for at most `maxBlockMs`; after that the sink sheds (new events are
 * dead-lettered with `QueueFull`) until the queue is down to 3/4, so that a long outage never
 * moves the backlog into the logger's own unbounded buffers. While shedding, the adapter still
 * yields every few hundred records, so that a logger's parked backlog never runs through in
 * one synchronous pass that blocks the event loop.
 */
export class Backpressure {
  readonly #o: BackpressureOptions;
  #waiting: { promise: Promise<void>; resolve: () => void; timer: ClockTimer } | undefined;
  #shedding = false;
  #sinceYield = 0;
  #closed = false;

  constructor(options: BackpressureOptions) {
    this.#o = options;
  }

  get shedding(): boolean {
    return this.#shedding;
  }

  wait(): Promise<void> | undefined {
    if (this.#closed || this.#o.maxBlockMs === 0) return undefined;
    if (this.#shedding) {
      if (++this.#sinceYield < SHED_SLICE) return undefined;
      this.#sinceYield = 0;
      return new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.#o.isFull()) return undefined;
    if (!this.#waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      const timer = this.#o.clock.setTimeout(() => {
        this.#shedding = true;
        this.#o.reporter.report('warn', 'shedding', `auditlake: the queue stayed full for maxBlockMs (${this.#o.maxBlockMs} ms; ${this.#o.describeLimits()}); ${this.#o.overflow ?? 'dead-lettering new events with QueueFull'} until it drains`);
        this.#release();
      }, this.#o.maxBlockMs);
      this.#waiting = { promise, resolve, timer };
    }
    return this.#waiting.promise;
  }

  /** After outcomes freed room: wake waiting adapters, end shedding, once below the low-water mark. */
  drained(): void {
    if ((this.#waiting || this.#shedding) && this.#o.belowLowWater()) {
      if (this.#shedding) this.#o.reporter.forget('shedding');
      this.#shedding = false;
      this.#release();
    }
  }

  /** Lets every waiting adapter go, for good (shutdown). */
  close(): void {
    this.#closed = true;
    this.#shedding = false;
    this.#release();
  }

  #release(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    waiting.timer.cancel();
    waiting.resolve();
  }
}
