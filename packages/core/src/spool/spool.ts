import type { Clock, ClockTimer } from '../clock.js';
import type { BatchLimits, BatchRule, Destination, QueuedEvent } from '../destination.js';
import type { Reporter } from '../diagnostics.js';
import { EventQueue, type EventStore } from '../event-queue.js';
import type { Ledger, SpoolStats } from '../ledger.js';
import { SpoolBounds } from './bounds.js';
import { SettledSet } from './checkpoint.js';
import { SpoolDirectories } from './directories.js';
import type { Frame } from './frame.js';
import { adoptAbandoned, createOwnedDir, HEARTBEAT_MS, type OwnedDir } from './owner.js';
import { SpoolReader } from './reader.js';
import type { Place, SpoolDirectory } from './segment.js';
import { SegmentWriter } from './segment-writer.js';

export interface SpoolOptions {
  /** The shared spool directory; this spool writes into a directory of its own inside it. */
  dir: string;
  maxBytes: number;
  /** A new segment starts at this size. */
  segmentBytes: number;
  syncIntervalMs: number;
  destination: Destination;
  clock: Clock;
  reporter: Reporter;
  ledger: Ledger;
  /** Bounds of what is held in memory when the disk cannot be written. */
  maxMemoryEvents: number;
  maxMemoryBytes: number;
  /** Turns a frame written in another format (by a sink with another destination) into this destination's entry; `undefined` when it dead-lettered it. */
  recode: (frame: Frame) => { entry: string; bytes: number } | undefined;
  /** The destination is down: new events wait on disk only (nothing would send them from memory). */
  destinationDown?: () => boolean;
}

/**
 * The spool: a durable, disk-backed queue. Each accepted event is appended as a frame to this
 * sink's own segments; memory holds only a window of what is about to be batched, and reads the
 * rest back from disk as the window drains. Settled events are recorded in a checkpoint, and a
 * segment whose every event is settled is removed (checkpoint first, then the file). Directories
 * left by dead owners are adopted at start and sent first, with their original ids. When the disk
 * cannot be written, new events are held in memory instead (bounded, reported once): never lost
 * silently.
 */
export class Spool implements EventStore {
  readonly durable = true;
  readonly #o: SpoolOptions;
  readonly #owned: OwnedDir | undefined;
  readonly #writer: SegmentWriter | undefined;
  readonly #directories: SpoolDirectories;
  /** Events in memory, ready to batch: accepted ones while they fit, then what is read back from disk. */
  readonly #window = new EventQueue();
  readonly #reader: SpoolReader;
  /** Events held in memory only, because the disk failed. */
  readonly #fallback = new EventQueue();
  /** The spool's bounds, which the sink's admission and backpressure read. */
  readonly bounds: SpoolBounds;
  /** Frames buffered but not written yet, with their size and the `writtenTotal` at which each is in the file. */
  #unwritten: { event: QueuedEvent; size: number; end: number }[] = [];
  #degraded: string | undefined;
  #flushScheduled = false;
  #syncTimer: ClockTimer | undefined;
  #lastHeartbeat: number;

  constructor(options: SpoolOptions) {
    this.#o = options;
    this.#reader = new SpoolReader({
      destination: options.destination,
      ledger: options.ledger,
      reporter: options.reporter,
      recode: options.recode,
      window: this.#window,
      flushWrites: () => this.#flushWrites(),
      writing: () => this.#writer?.current,
    });
    this.#directories = new SpoolDirectories({ spoolDir: options.dir, reporter: options.reporter, reading: (directory) => this.#reader.reads(directory) });
    this.bounds = new SpoolBounds({
      window: this.#window,
      fallback: this.#fallback,
      disk: this.#directories,
      maxBytes: options.maxBytes,
      maxMemoryEvents: options.maxMemoryEvents,
      maxMemoryBytes: options.maxMemoryBytes,
      dir: () => this.dir,
      degraded: () => this.#degraded,
    });
    this.#lastHeartbeat = Date.now();
    try {
      this.#owned = createOwnedDir(options.dir);
      const own: SpoolDirectory = { path: this.#owned.dir, settled: new SettledSet(), segments: [], adopted: false };
      this.#directories.own(own);
      this.#writer = new SegmentWriter(own, options.segmentBytes, (error) => this.#degrade(error));
      for (const path of adoptAbandoned(options.dir, own.path)) {
        const adopted = this.#directories.adopt(path);
        if (adopted) this.#reader.adopt(adopted);
      }
    } catch (error) {
      this.#degrade(error);
    }
    this.#reader.refill();
  }

  /** This spool's own directory. */
  get dir(): string {
    return this.#owned?.dir ?? this.#o.dir;
  }

  get length(): number {
    return this.#window.length + this.#reader.backlogEvents + this.#fallback.length;
  }

  get bytes(): number {
    return this.#window.bytes + this.#reader.backlogBytes + this.#fallback.bytes;
  }

  stats(): SpoolStats {
    return {
      dir: this.dir,
      diskBytes: this.#directories.bytes,
      memoryEvents: this.#window.length + this.#fallback.length,
      ...(this.#degraded === undefined ? {} : { degraded: this.#degraded }),
    };
  }

  push(event: QueuedEvent): void {
    if (this.#degraded !== undefined || this.#writer === undefined) {
      this.#fallback.push(event);
      return;
    }
    const frame: Frame = { seq: event.seq, timeMs: event.timeMs, acceptedAt: event.acceptedAt, format: this.#o.destination.format, bytes: event.bytes, id: event.id, entry: event.entry };
    let placed;
    try {
      placed = this.#writer.append(frame);
    } catch (error) {
      this.#degrade(error);
      this.#fallback.push(event);
      return;
    }
    this.#directories.bytes += placed.size;
    event.spooled = { segment: placed.segment, frameSeq: event.seq } satisfies Place;
    this.#unwritten.push({ event, size: placed.size, end: placed.end });
    // While the destination is down, memory would only hold copies of what is on disk: the
    // window keeps what is in flight and the next two batches, read back in turn.
    const live = this.#reader.caughtUp && !this.bounds.windowFull() && this.#o.destinationDown?.() !== true;
    if (live) this.#window.push(event);
    else this.#reader.backlog(event, placed.segment, placed.offset);
    this.#scheduleWrite();
  }

  peek(): QueuedEvent | undefined {
    this.#reader.refill();
    return this.#window.peek() ?? (this.#reader.caughtUp ? this.#fallback.peek() : undefined);
  }

  take(limits: BatchLimits, rule: BatchRule): QueuedEvent[] {
    this.#reader.refill();
    if (this.#window.length > 0) return this.#window.take(limits, rule);
    return this.#fallback.take(limits, rule);
  }

  release(events: readonly QueuedEvent[]): void {
    let released = false;
    for (const event of events) {
      const place = event.spooled as Place | undefined;
      if (place === undefined) continue;
      place.segment.directory.settled.add(place.frameSeq);
      place.segment.settledFrames++;
      released = true;
    }
    if (released) this.#armSync();
  }

  /** Events that are in memory only (the disk failed): what the process would lose. */
  drainVolatile(): QueuedEvent[] {
    const held = this.#window.drainVolatile();
    const spooled = held.filter((event) => event.spooled !== undefined);
    for (const event of spooled) this.#window.push(event);
    return [...held.filter((event) => event.spooled === undefined), ...this.#fallback.drainVolatile()];
  }

  /** Writes, syncs and checkpoints now (an awaited `flush()` asks for it). */
  sync(): void {
    if (this.#degraded !== undefined || this.#writer === undefined) return;
    try {
      this.#writer.syncNow();
      this.#afterWrite();
      this.#maintain();
    } catch (error) {
      this.#degrade(error);
    }
  }

  /** Shutdown: everything written, synced, settled segments removed; the directory released. Returns how many events it still holds. */
  close(): number {
    this.#syncTimer?.cancel();
    this.sync();
    try {
      this.#writer?.close();
    } catch (error) {
      this.#degrade(error);
    }
    this.#maintain(true);
    const empty = this.#directories.empty && !this.#reader.reading;
    this.#owned?.release(empty);
    return this.#o.ledger.heldEvents;
  }

  /** Resolves once the work started off the event loop (removals, syncs of sealed segments) is done: shutdown waits for it. */
  async idle(): Promise<void> {
    const removals = this.#directories.removals();
    if (removals) await removals;
    await this.#writer?.whenSynced();
  }

  /** The process is exiting: write and sync what is buffered, record what is settled, let the next sink adopt the rest. */
  closeAtExit(): number {
    return this.close();
  }

  #scheduleWrite(): void {
    if (this.#writer && this.#writer.pendingBytes >= 256 * 1024) return this.#flushWrites();
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flushWrites();
      if (this.#o.syncIntervalMs === 0) this.sync();
      else this.#armSync();
    });
  }

  #flushWrites(): void {
    if (this.#degraded !== undefined || this.#writer === undefined) return;
    try {
      this.#writer.flush();
      this.#afterWrite();
    } catch (error) {
      this.#degrade(error);
    }
  }

  /** Forgets the frames that are now in the file. */
  #afterWrite(): void {
    const written = (this.#writer as SegmentWriter).writtenTotal;
    let index = 0;
    while (index < this.#unwritten.length && (this.#unwritten[index] as { end: number }).end <= written) index++;
    if (index > 0) this.#unwritten.splice(0, index);
  }

  #armSync(): void {
    if (this.#syncTimer !== undefined || this.#degraded !== undefined) return;
    this.#syncTimer = this.#o.clock.setTimeout(() => {
      this.#syncTimer = undefined;
      this.#writer?.syncSoon((error) => {
        if (error) return this.#degrade(error);
        this.#maintain();
      });
    }, this.#o.syncIntervalMs);
  }

  /** Checkpoints, then removes segments whose every event is settled, and emptied adopted directories. */
  #maintain(closing = false): void {
    const now = Date.now();
    if (this.#owned && now - this.#lastHeartbeat >= HEARTBEAT_MS) {
      this.#lastHeartbeat = now;
      try {
        this.#owned.heartbeat();
      } catch {
        // The heartbeat only delays adoption by another process of this one; the next tick tries again.
      }
    }
    this.#directories.maintain(closing);
    if (this.#writer?.dirty) this.#armSync();
  }

  /** The disk cannot be written: from now on, new events are held in memory; the unwritten ones join them. */
  #degrade(error: unknown): void {
    if (this.#degraded !== undefined) return;
    this.#degraded = String(error);
    this.#o.reporter.report('error', 'spool-degraded', `auditlake: cannot write to the spool ${this.dir} (${String(error)}); holding events in memory instead (maxQueueEvents ${this.#o.maxMemoryEvents}, maxQueueBytes ${this.#o.maxMemoryBytes}); they are lost if the process dies`);
    const unwritten = this.#unwritten.splice(0);
    for (const { event, size } of unwritten) {
      const place = event.spooled as Place | undefined;
      if (place) place.segment.frames--;
      event.spooled = undefined;
      this.#directories.bytes -= size;
    }
    // Of these, the ones that were not in the window were counted as backlog: they move to memory.
    const inWindow = new Set<QueuedEvent>();
    for (const { event } of unwritten) inWindow.add(event);
    const held = this.#window.drainVolatile();
    for (const event of held) {
      inWindow.delete(event);
      this.#window.push(event);
    }
    for (const event of inWindow) {
      this.#reader.unspooled(event);
      this.#fallback.push(event);
    }
  }
}

export function openSpool(options: SpoolOptions): Spool {
  return new Spool(options);
}
