import type { Ledger } from './ledger.js';

/** The queue's bounds, as admission and backpressure read them: the spool's, or those of a sink that holds events in memory. */
export interface QueueBounds {
  /** Whether an event of `bytes` fits now. */
  hasRoom(bytes: number): boolean;
  /** At the high-water mark: backpressure holds adapters back. */
  isFull(): boolean;
  /** Down to the low-water mark (3/4): backpressure lets adapters go. */
  belowLowWater(): boolean;
  /** The bounds, for messages. */
  describeLimits(): string;
}

/** Without a spool: everything the sink holds (queued or in flight) counts against `maxQueueEvents` and `maxQueueBytes`. */
export class MemoryBounds implements QueueBounds {
  constructor(
    readonly ledger: Pick<Ledger, 'heldEvents' | 'heldBytes'>,
    readonly maxQueueEvents: number,
    readonly maxQueueBytes: number,
  ) {}

  hasRoom(bytes: number): boolean {
    return this.ledger.heldEvents < this.maxQueueEvents && this.ledger.heldBytes + bytes <= this.maxQueueBytes;
  }

  /** Full: no room for another event, or for an average one by bytes (15/16). */
  isFull(): boolean {
    return this.ledger.heldEvents >= this.maxQueueEvents || this.ledger.heldBytes * 16 >= this.maxQueueBytes * 15;
  }

  belowLowWater(): boolean {
    return this.ledger.heldEvents * 4 <= this.maxQueueEvents * 3 && this.ledger.heldBytes * 4 <= this.maxQueueBytes * 3;
  }

  describeLimits(): string {
    return `maxQueueEvents ${this.maxQueueEvents}, maxQueueBytes ${this.maxQueueBytes}`;
  }
}
