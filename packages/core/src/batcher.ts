import { requestBodyBytes, type AuditEvent } from './audit-event.js';

/** Counts outcomes of a group of events (an OTel export) and tells when all are settled. */
export interface OutcomeTracker {
  pending: number;
  delivered: number;
  deadLettered: number;
  readonly done: () => void;
}

/** An accepted event on its way: queued, then in a request, until delivered or dead-lettered. */
export interface PendingEvent {
  readonly event: AuditEvent;
  /** Its entry in a request body, serialized once (see `auditEventEntry`). */
  readonly entry: string;
  /** UTF-8 size of `entry`. */
  readonly bytes: number;
  /** Order of acceptance; `flush()` waits for everything up to a sequence number. */
  readonly seq: number;
  /** Epoch ms after which it is not retried any more. */
  readonly deadline: number;
  attempts: number;
  readonly tracker: OutcomeTracker | undefined;
}

/**
 * FIFO of accepted events with exact byte accounting, and the batching rule: a batch takes
 * events from the head while it has fewer than `maxEvents`, its serialized body stays within
 * `maxBodyBytes`, and no id repeats.
 */
export class EventQueue {
  #items: (PendingEvent | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Sum of the entry sizes of the queued events. */
  get bytes(): number {
    return this.#bytes;
  }

  peek(): PendingEvent | undefined {
    return this.#items[this.#head];
  }

  push(item: PendingEvent): void {
    this.#items.push(item);
    this.#bytes += item.bytes;
  }

  /** Whether a batch taken now would be full (so it need not wait for the flush timer). */
  hasFullBatch(maxEvents: number, maxBodyBytes: number): boolean {
    return this.length >= maxEvents || requestBodyBytes(this.#bytes, this.length) > maxBodyBytes;
  }

  /** Takes the next batch from the head (at least one event when not empty). */
  takeBatch(maxEvents: number, maxBodyBytes: number): PendingEvent[] {
    const batch: PendingEvent[] = [];
    const ids = new Set<string>();
    let entryBytes = 0;
    while (batch.length < maxEvents) {
      const next = this.#items[this.#head];
      if (next === undefined) break;
      if (batch.length > 0 && (requestBodyBytes(entryBytes + next.bytes, batch.length + 1) > maxBodyBytes || ids.has(next.event.id))) break;
      ids.add(next.event.id);
      entryBytes += next.bytes;
      batch.push(next);
      this.#shift();
    }
    return batch;
  }

  /** Empties the queue, returning everything in order. */
  drain(): PendingEvent[] {
    const all = this.#items.slice(this.#head) as PendingEvent[];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }

  #shift(): void {
    const item = this.#items[this.#head] as PendingEvent;
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
