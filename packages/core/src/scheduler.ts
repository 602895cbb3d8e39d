import type { Clock, ClockTimer } from './clock.js';
import type { BatchLimits, BatchRule, QueuedEvent } from './destination.js';
import { hasFullBatch, type EventStore } from './event-queue.js';

export interface SchedulerOptions {
  readonly store: EventStore;
  readonly limits: BatchLimits;
  readonly newBatchRule: () => BatchRule;
  readonly clock: Clock;
  /** Longest an event waits for its batch to fill. */
  readonly lingerMs: number;
  readonly maxConcurrentRequests: number;
  /** The sequence number of the newest queued event. */
  readonly lastSeq: () => number;
  /** Starts the delivery of a batch; the slot is free again when the promise settles. */
  readonly start: (batch: QueuedEvent[]) => Promise<void>;
}

/**
 * Decides when a batch goes out: at once when it is full, after the linger time when it is not,
 * at once for everything up to a `flush()`; never more than `maxConcurrentRequests` at a time.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #active = new Map<Promise<void>, QueuedEvent[]>();
  /** Events up to this sequence number are sent without waiting for a full batch. */
  #dueThrough = 0;
  #timer: ClockTimer | undefined;
  #pumpScheduled = false;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  /** Requests in flight (each holding its slot through its retries). */
  get activeRequests(): number {
    return this.#active.size;
  }

  /** Events in requests now (or waiting to be resent). */
  inFlightEvents(): QueuedEvent[] {
    return [...this.#active.values()].flat().filter((event) => event.inFlight);
  }

  /** Resolves once every request started so far has ended. */
  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.all(this.#active.keys());
  }

  /** After events were queued: a full batch goes out on this turn of the event loop, a partial one after the linger time. */
  queued(): void {
    if (this.#stopped) return;
    if (hasFullBatch(this.#o.store, this.#o.limits)) this.#schedulePump();
    else this.#arm();
  }

  /** Everything up to `seq` goes out now, full batches or not. */
  due(seq: number): void {
    this.#dueThrough = Math.max(this.#dueThrough, seq);
    this.pump();
  }

  /** No new requests from now on (shutdown ran out of time, or the process is exiting). */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Starts requests while there are free slots and batches that are full or due. */
  pump(): void {
    const { store, limits, maxConcurrentRequests } = this.#o;
    while (!this.#stopped && this.#active.size < maxConcurrentRequests) {
      const head = store.peek();
      if (head === undefined) break;
      if (head.seq > this.#dueThrough && !hasFullBatch(store, limits)) break;
      const batch = store.take(limits, this.#o.newBatchRule());
      const delivery = this.#o.start(batch).finally(() => {
        this.#active.delete(delivery);
        this.pump();
      });
      this.#active.set(delivery, batch);
    }
    const head = store.peek();
    if (head !== undefined && head.seq > this.#dueThrough) this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.due(this.#o.lastSeq());
    }, this.#o.lingerMs);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }
}
