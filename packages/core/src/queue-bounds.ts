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

/** What a bounded holder holds: events and their bytes. */
export interface Held {
  readonly heldEvents: number;
  readonly heldBytes: number;
}

/** What a queue holds, as {@link Held}. */
export function heldIn(queue: { readonly length: number; readonly bytes: number }): Held {
  return {
    get heldEvents() {
      return queue.length;
    },
    get heldBytes() {
      return queue.bytes;
    },
  };
}

/**
 * Bounds of what is held in memory, against `maxQueueEvents` and `maxQueueBytes`. Without a
 * spool, everything the sink holds (queued or in flight) counts; with one, its memory window
 * does, or what it holds in memory once the disk failed.
 */
export class MemoryBounds implements QueueBounds {
  constructor(
    readonly held: Held,
    readonly maxQueueEvents: number,
    readonly maxQueueBytes: number,
  ) {}

  hasRoom(bytes: number): boolean {
    return this.held.heldEvents < this.maxQueueEvents && this.held.heldBytes + bytes <= this.maxQueueBytes;
  }

  /** Full: no room for another event, or for an average one by bytes (15/16). */
  isFull(): boolean {
    return this.held.heldEvents >= this.maxQueueEvents || this.held.heldBytes * 16 >= this.maxQueueBytes * 15;
  }

  belowLowWater(): boolean {
    return this.held.heldEvents * 4 <= this.maxQueueEvents * 3 && this.held.heldBytes * 4 <= this.maxQueueBytes * 3;
  }

  describeLimits(): string {
    return `maxQueueEvents ${this.maxQueueEvents}, maxQueueBytes ${this.maxQueueBytes}`;
  }
}
