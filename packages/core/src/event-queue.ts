import { batchBytes, type BatchLimits, type BatchRule, type QueuedEvent } from './destination.js';

/**
 * Where accepted events wait for a request: in memory ({@link EventQueue}) or on disk (the spool).
 * FIFO; `length` and `bytes` count what has not been taken yet.
 */
export interface EventStore {
  readonly length: number;
  /** Sum of the entries' sizes in the destination's arithmetic. */
  readonly bytes: number;
  /** Whether an event that leaves memory survives the process (a spool), or is lost with it. */
  readonly durable: boolean;
  push(event: QueuedEvent): void;
  peek(): QueuedEvent | undefined;
  /** The next batch from the head: at least one event when not empty. */
  take(limits: BatchLimits, rule: BatchRule): QueuedEvent[];
  /** Settled events (delivered or dead-lettered) leave for good. */
  release(events: readonly QueuedEvent[]): void;
  /** Takes out the events that exist in memory only (all of them, without a spool): what the process would lose. */
  drainVolatile(): QueuedEvent[];
}

/** Whether a batch taken now would be full, so it need not wait for the linger timer. */
export function hasFullBatch(store: Pick<EventStore, 'length' | 'bytes'>, limits: BatchLimits): boolean {
  return store.length >= limits.maxEvents || batchBytes(limits, store.bytes, store.length) > limits.maxBytes;
}

/** Takes events from `next` while the batch keeps within the limits and the rule. */
export function fillBatch(limits: BatchLimits, rule: BatchRule, peek: () => QueuedEvent | undefined, shift: () => void): QueuedEvent[] {
  const batch: QueuedEvent[] = [];
  let entryBytes = 0;
  while (batch.length < limits.maxEvents) {
    const next = peek();
    if (next === undefined) break;
    if (batch.length > 0 && (batchBytes(limits, entryBytes + next.bytes, batch.length + 1) > limits.maxBytes || !rule.accepts(next))) break;
    rule.add(next);
    entryBytes += next.bytes;
    batch.push(next);
    shift();
  }
  return batch;
}

/** The in-memory FIFO, with exact byte accounting. */
export class EventQueue implements EventStore {
  readonly durable = false;
  #items: (QueuedEvent | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  peek(): QueuedEvent | undefined {
    return this.#items[this.#head];
  }

  push(event: QueuedEvent): void {
    this.#items.push(event);
    this.#bytes += event.bytes;
  }

  take(limits: BatchLimits, rule: BatchRule): QueuedEvent[] {
    return fillBatch(limits, rule, () => this.peek(), () => this.#shift());
  }

  release(): void {}

  /** Empties the queue, returning everything in order. */
  drainVolatile(): QueuedEvent[] {
    const all = this.#items.slice(this.#head) as QueuedEvent[];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }

  #shift(): void {
    const item = this.#items[this.#head] as QueuedEvent;
    this.#items[this.#head] = undefined;
    this.#head++;
    this.#bytes -= item.bytes;
    // Compact once the consumed prefix dominates, so the array never grows without bound.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
