import type { Clock, ClockTimer } from './clock.js';
import { batchBytes, type BatchLimits, type BatchRule, type QueuedEvent } from './destination.js';
import { hasFullBatch, type EventStore } from './event-queue.js';
import type { RateControl } from './rate-control.js';

export interface SchedulerOptions {
  readonly store: EventStore;
  readonly limits: BatchLimits;
  readonly newBatchRule: () => BatchRule;
  readonly clock: Clock;
  /** The pace, linger and concurrency learned from throttling. */
  readonly rate: RateControl;
  readonly maxConcurrentRequests: number;
  /** The sequence number of the newest queued event. */
  readonly lastSeq: () => number;
  /** Starts the delivery of a batch; the slot is free again when the promise settles. */
  readonly start: (batch: QueuedEvent[]) => Promise<void>;
}

/**
 * Decides when a batch goes out: when it is full, after the linger time when it is not, and
 * never faster than the learned rate nor with more requests at once than it allows; everything
 * up to a `flush()` goes at once, within `maxConcurrentRequests`.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #active = new Map<Promise<void>, QueuedEvent[]>();
  /** Events up to this sequence number are sent without waiting for a full batch. */
  #dueThrough = 0;
  /** Events up to this sequence number are sent without waiting for the pace either (flush, shutdown). */
  #urgentThrough = 0;
  #linger: ClockTimer | undefined;
  #pace: ClockTimer | undefined;
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
    else this.#armLinger();
  }

  /** Everything up to `seq` goes out now, full batches or not, paced or not (`flush()`, an exporter's `deliver()`, shutdown). */
  due(seq: number): void {
    this.#urgentThrough = Math.max(this.#urgentThrough, seq);
    this.#ready(seq);
  }

  /** Everything up to `seq` goes out as soon as the pace allows, full batches or not. */
  #ready(seq: number): void {
    this.#dueThrough = Math.max(this.#dueThrough, seq);
    this.pump();
  }

  /** Whether someone waits for one of these events (`flush()`, an exporter's `deliver()`, shutdown): their resends do not wait for the pace either. */
  awaited(events: readonly QueuedEvent[]): boolean {
    return events.some((event) => event.seq <= this.#urgentThrough);
  }

  /** No new requests from now on (shutdown ran out of time, or the process is exiting). */
  stop(): void {
    this.#stopped = true;
    this.#linger?.cancel();
    this.#linger = undefined;
    this.#pace?.cancel();
    this.#pace = undefined;
  }

  /** Starts requests while there are free slots and batches that are full or due, at the pace allowed. */
  pump(): void {
    const { store, limits, maxConcurrentRequests, rate } = this.#o;
    while (!this.#stopped) {
      const head = store.peek();
      if (head === undefined) break;
      const urgent = head.seq <= this.#urgentThrough;
      if (this.#active.size >= (urgent ? maxConcurrentRequests : rate.concurrency())) break;
      if (head.seq > this.#dueThrough && !hasFullBatch(store, limits)) break;
      const wait = urgent ? 0 : rate.waitMs();
      if (wait > 0) {
        this.#armPace(wait);
        break;
      }
      const batch = store.take(limits, this.#o.newBatchRule());
      const delivery = this.#o.start(batch).finally(() => {
        this.#active.delete(delivery);
        this.pump();
      });
      this.#active.set(delivery, batch);
    }
    const head = store.peek();
    if (head !== undefined && head.seq > this.#dueThrough) this.#armLinger();
  }

  /**
   * Queued events that fit into `events` (a batch about to be resent), taken out of the queue
   * with the same limits and batch rule: a request resent after throttling carries what came
   * in meanwhile, instead of leaving it for one more request.
   */
  topUp(events: readonly QueuedEvent[]): QueuedEvent[] {
    const { store, limits } = this.#o;
    const head = store.peek();
    if (this.#stopped || head === undefined || events.length >= limits.maxEvents) return [];
    const rule = this.#o.newBatchRule();
    let bytes = 0;
    for (const event of events) {
      rule.add(event);
      bytes += event.bytes;
    }
    // What is left of the request, in the same arithmetic: envelope + the new entries + their separators.
    const room: BatchLimits = { ...limits, maxEvents: limits.maxEvents - events.length, maxBytes: limits.maxBytes - bytes - limits.separatorBytes * events.length };
    if (batchBytes(room, head.bytes, 1) > room.maxBytes || !rule.accepts(head)) return [];
    return store.take(room, rule);
  }

  #armLinger(): void {
    if (this.#linger !== undefined || this.#stopped) return;
    this.#linger = this.#o.clock.setTimeout(() => {
      this.#linger = undefined;
      this.#ready(this.#o.lastSeq());
    }, this.#o.rate.lingerMs());
  }

  #armPace(ms: number): void {
    if (this.#pace !== undefined || this.#stopped) return;
    this.#pace = this.#o.clock.setTimeout(() => {
      this.#pace = undefined;
      this.pump();
    }, ms);
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
