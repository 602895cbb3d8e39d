import type { EventQueue } from '../event-queue.js';
import { heldIn, MemoryBounds, type QueueBounds } from '../queue-bounds.js';
import { FRAME_HEADER_BYTES } from './frame.js';

export interface SpoolBoundsOptions {
  /** The memory window, and what is held in memory once the disk failed. */
  readonly window: EventQueue;
  readonly fallback: EventQueue;
  /** Bytes of segment files on disk. */
  readonly disk: { readonly bytes: number };
  readonly maxBytes: number;
  readonly maxMemoryEvents: number;
  readonly maxMemoryBytes: number;
  /** The spool's own directory, for messages. */
  readonly dir: () => string;
  /** Why the disk cannot be written, when it cannot. */
  readonly degraded: () => string | undefined;
}

/** A spool's bounds: its memory window and `maxSpoolBytes` on disk; once the disk failed, what it holds in memory instead. */
export class SpoolBounds implements QueueBounds {
  readonly #o: SpoolBoundsOptions;
  /** What the window holds at most of accepted events (the memory bounds of a sink without a spool). */
  readonly #window: MemoryBounds;
  readonly #fallback: MemoryBounds;

  constructor(options: SpoolBoundsOptions) {
    this.#o = options;
    // A burst that fits in memory is sent from memory and never read back; only what overflows is.
    this.#window = new MemoryBounds(heldIn(options.window), options.maxMemoryEvents, options.maxMemoryBytes);
    this.#fallback = new MemoryBounds(heldIn(options.fallback), options.maxMemoryEvents, options.maxMemoryBytes);
  }

  hasRoom(bytes: number): boolean {
    if (this.#o.degraded() !== undefined) return this.#fallback.hasRoom(bytes);
    return this.#o.disk.bytes + FRAME_HEADER_BYTES + bytes <= this.#o.maxBytes;
  }

  /**
   * Backpressure: the memory window is full (by count, or by bytes at 15/16), so that a burst
   * waits for it to drain rather than being written and read back; or the disk is nearly full.
   * Once `maxBlockMs` is up, new events go to disk only (and are read back in turn).
   */
  isFull(): boolean {
    if (this.#o.degraded() !== undefined) return this.#fallback.isFull();
    return this.#window.isFull() || this.#o.disk.bytes * 16 >= this.#o.maxBytes * 15;
  }

  belowLowWater(): boolean {
    if (this.#o.degraded() !== undefined) return this.#fallback.belowLowWater();
    return this.#window.belowLowWater() && this.#o.disk.bytes * 4 <= this.#o.maxBytes * 3;
  }

  describeLimits(): string {
    return this.#o.degraded() !== undefined
      ? `the spool cannot be written; in memory: ${this.#fallback.describeLimits()}`
      : `in memory ${this.#window.describeLimits()}; on disk maxSpoolBytes ${this.#o.maxBytes} of the spool ${this.#o.dir()}`;
  }

  /** The window holds all it may of accepted events: new ones wait on disk, to be read back in turn. */
  windowFull(): boolean {
    const { window } = this.#o;
    return window.length >= this.#window.maxQueueEvents || window.bytes >= this.#window.maxQueueBytes;
  }
}
