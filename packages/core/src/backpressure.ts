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
  /** The destination is down (the last request failed, and not with throttling), and why: holding back would not drain anything. */
  readonly destinationDown: () => string | undefined;
  /** What happens to new events once `maxBlockMs` is up, for the message. @default dead-lettered with `QueueFull` */
  readonly overflow?: string;
}

/** While shedding, an adapter is made to yield to the event loop once per this many records. */
const SHED_SLICE = 256;

/**
 * Backpressure for adapters (winston's callback, pino's read loop). When the queue is full, an
 * adapter waits, for at most `maxBlockMs`; after that the sink sheds (new events are
 * dead-lettered with `QueueFull`) until the queue is down to 3/4, so that a long outage never
 * moves the backlog into the logger's own unbounded buffers. While the destination is down it
 * sheds at once: only deliveries drain the queue, and a logger held back meanwhile parks what
 * its application keeps logging in its own memory (winston grew by 0.5 GiB in one second of a
 * 200,000-record outage). While shedding, the adapter still yields every few hundred records,
 * so that a logger's parked backlog never runs through in one synchronous pass that blocks the
 * event loop.
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
    if (this.#o.destinationDown() !== undefined) {
      this.#shed();
      return undefined;
    }
    if (!this.#waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      const timer = this.#o.clock.setTimeout(() => this.#shed(), this.#o.maxBlockMs);
      this.#waiting = { promise, resolve, timer };
    }
    return this.#waiting.promise;
  }

  /** A request failed: while the destination is down, waiting adapters are let go at once (the sink sheds). */
  failed(): void {
    if (this.#waiting && this.#o.destinationDown() !== undefined) this.#shed();
  }

  #shed(): void {
    this.#shedding = true;
    const down = this.#o.destinationDown();
    const why = down === undefined ? `the queue stayed full for maxBlockMs (${this.#o.maxBlockMs} ms; ${this.#o.describeLimits()})` : `the queue is full (${this.#o.describeLimits()}) while the destination is down (${down})`;
    this.#o.reporter.report('warn', 'shedding', `auditlake: ${why}; ${this.#o.overflow ?? 'dead-lettering new events with QueueFull'} until it drains`);
    this.#release();
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
