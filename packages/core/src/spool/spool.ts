import { mkdirSync, readdirSync, renameSync, rmSync, unlink, unlinkSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { Clock, ClockTimer } from '../clock.js';
import type { BatchLimits, BatchRule, Destination, QueuedEvent, SpoolPlace } from '../destination.js';
import type { Reporter } from '../diagnostics.js';
import { EventQueue, type EventStore } from '../event-queue.js';
import type { Ledger, SpoolStats } from '../ledger.js';
import { loadCheckpoint, saveCheckpoint, SettledSet } from './checkpoint.js';
import { FRAME_HEADER_BYTES, type Frame } from './frame.js';
import { adoptAbandoned, createOwnedDir, HEARTBEAT_MS, type OwnedDir } from './owner.js';
import { inspectSegment, Segment, SegmentCursor, type SpoolDirectory } from './segment.js';
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
}

interface Place extends SpoolPlace {
  readonly segment: Segment;
}

/** Frames not yet read from an adopted directory (or from this spool's own backlog). */
interface Source {
  readonly directory: SpoolDirectory;
  /** Segments still to read, oldest first, and the cursor in the first of them. */
  readonly pending: Segment[];
  cursor: SegmentCursor | undefined;
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
  readonly #directories: SpoolDirectory[] = [];
  /** Events in memory, ready to batch: accepted ones while they fit, then what is read back from disk. */
  readonly #window = new EventQueue();
  /** What the window holds at most of accepted events (the memory bounds of a sink without a spool). */
  readonly #windowLimits: { events: number; bytes: number };
  /** What the window is refilled to from disk: two batches, read a few hundred kilobytes at a time. */
  readonly #readAhead: { events: number; bytes: number };
  /** Adopted directories, then this spool's own backlog, in reading order. */
  readonly #sources: Source[] = [];
  /** Events held in memory only, because the disk failed. */
  readonly #fallback = new EventQueue();
  /** Frames buffered but not written yet, with their size and the `writtenTotal` at which each is in the file. */
  #unwritten: { event: QueuedEvent; size: number; end: number }[] = [];
  /** This spool's own events that are on disk only (not in the window); counted in the ledger already. */
  #backlogEvents = 0;
  #backlogBytes = 0;
  #diskBytes = 0;
  #degraded: string | undefined;
  /** File-system work running off the event loop (segment removals); `idle()` waits for it. */
  #background = 0;
  #idle: (() => void)[] = [];
  #flushScheduled = false;
  #syncTimer: ClockTimer | undefined;
  #lastHeartbeat: number;

  constructor(options: SpoolOptions) {
    this.#o = options;
    const { limits } = options.destination;
    // A burst that fits in memory is sent from memory and never read back; only what overflows is.
    this.#windowLimits = { events: options.maxMemoryEvents, bytes: options.maxMemoryBytes };
    this.#readAhead = { events: limits.maxEvents * 2, bytes: limits.maxBytes * 2 };
    this.#lastHeartbeat = Date.now();
    try {
      this.#owned = createOwnedDir(options.dir);
      const own: SpoolDirectory = { path: this.#owned.dir, settled: new SettledSet(), segments: [], adopted: false };
      this.#directories.push(own);
      this.#writer = new SegmentWriter(own, options.segmentBytes, (error) => this.#degrade(error));
      for (const path of adoptAbandoned(options.dir, own.path)) this.#adopt(path);
    } catch (error) {
      this.#degrade(error);
    }
    this.#refill();
  }

  /** This spool's own directory. */
  get dir(): string {
    return this.#owned?.dir ?? this.#o.dir;
  }

  get length(): number {
    return this.#window.length + this.#backlogEvents + this.#fallback.length;
  }

  get bytes(): number {
    return this.#window.bytes + this.#backlogBytes + this.#fallback.bytes;
  }

  stats(): SpoolStats {
    return {
      dir: this.dir,
      diskBytes: this.#diskBytes,
      memoryEvents: this.#window.length + this.#fallback.length,
      ...(this.#degraded === undefined ? {} : { degraded: this.#degraded }),
    };
  }

  hasRoom(bytes: number): boolean {
    if (this.#degraded !== undefined) return this.#fallback.length < this.#o.maxMemoryEvents && this.#fallback.bytes + bytes <= this.#o.maxMemoryBytes;
    return this.#diskBytes + FRAME_HEADER_BYTES + bytes <= this.#o.maxBytes;
  }

  /**
   * Backpressure: the memory window is full (by count, or by bytes at 15/16), so that a burst
   * waits for it to drain rather than being written and read back; or the disk is nearly full.
   * Once `maxBlockMs` is up, new events go to disk only (and are read back in turn).
   */
  isFull(): boolean {
    if (this.#degraded !== undefined) return this.#fallback.length >= this.#o.maxMemoryEvents || this.#fallback.bytes * 16 >= this.#o.maxMemoryBytes * 15;
    const window = this.#window.length >= this.#windowLimits.events || this.#window.bytes * 16 >= this.#windowLimits.bytes * 15;
    return window || this.#diskBytes * 16 >= this.#o.maxBytes * 15;
  }

  belowLowWater(): boolean {
    if (this.#degraded !== undefined) return this.#fallback.length * 4 <= this.#o.maxMemoryEvents * 3 && this.#fallback.bytes * 4 <= this.#o.maxMemoryBytes * 3;
    const window = this.#window.length * 4 <= this.#windowLimits.events * 3 && this.#window.bytes * 4 <= this.#windowLimits.bytes * 3;
    return window && this.#diskBytes * 4 <= this.#o.maxBytes * 3;
  }

  describeLimits(): string {
    return this.#degraded !== undefined
      ? `the spool cannot be written; in memory: maxQueueEvents ${this.#o.maxMemoryEvents}, maxQueueBytes ${this.#o.maxMemoryBytes}`
      : `in memory maxQueueEvents ${this.#windowLimits.events}, maxQueueBytes ${this.#windowLimits.bytes}; on disk maxSpoolBytes ${this.#o.maxBytes} of the spool ${this.dir}`;
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
    this.#diskBytes += placed.size;
    event.spooled = { segment: placed.segment, frameSeq: event.seq } satisfies Place;
    this.#unwritten.push({ event, size: placed.size, end: placed.end });
    const live = this.#sources.length === 0 && this.#backlogEvents === 0 && !this.#windowFull();
    if (live) {
      this.#window.push(event);
    } else {
      this.#ownBacklog(placed.segment, placed.offset);
      this.#backlogEvents++;
      this.#backlogBytes += event.bytes;
    }
    this.#scheduleWrite();
  }

  peek(): QueuedEvent | undefined {
    this.#refill();
    return this.#window.peek() ?? (this.#sources.length === 0 && this.#backlogEvents === 0 ? this.#fallback.peek() : undefined);
  }

  take(limits: BatchLimits, rule: BatchRule): QueuedEvent[] {
    this.#refill();
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
    const empty = this.#directories.every((directory) => directory.segments.length === 0) && this.#sources.length === 0;
    this.#owned?.release(empty);
    return this.#o.ledger.heldEvents;
  }

  /** Resolves once the work started off the event loop (removals, syncs of sealed segments) is done: shutdown waits for it. */
  async idle(): Promise<void> {
    if (this.#background > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#writer?.whenSynced();
  }

  #backgroundDone(): void {
    if (--this.#background === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** The process is exiting: write and sync what is buffered, record what is settled, let the next sink adopt the rest. */
  closeAtExit(): number {
    return this.close();
  }

  #adopt(path: string): void {
    const directory: SpoolDirectory = { path, settled: loadCheckpoint(path), segments: [], adopted: true };
    const names = readdirSync(path).filter((name) => name.endsWith('.seg')).sort();
    for (const name of names) {
      const { valid, size } = inspectSegment(join(path, name));
      if (!valid) {
        const kept = quarantine(this.#o.dir, join(path, name));
        this.#o.reporter.report('error', `spool-segment:${path}`, `auditlake: spool file ${join(path, name)} is not a segment (bad header); moved to ${kept}, not read`);
        continue;
      }
      directory.segments.push(new Segment(directory, join(path, name), size));
      this.#diskBytes += size;
    }
    this.#directories.push(directory);
    if (directory.segments.length > 0) this.#sources.push({ directory, pending: [...directory.segments], cursor: undefined });
    else this.#removeDirectory(directory);
  }

  /** Own events from `segment` at `offset` on are read back from disk, after the window drains. */
  #ownBacklog(segment: Segment, offset: number): void {
    const last = this.#sources[this.#sources.length - 1];
    if (last !== undefined && !last.directory.adopted) {
      if (!last.pending.includes(segment)) last.pending.push(segment);
      return;
    }
    this.#sources.push({ directory: segment.directory, pending: [segment], cursor: new SegmentCursor(segment.path, offset) });
  }

  #windowFull(): boolean {
    return this.#window.length >= this.#windowLimits.events || this.#window.bytes >= this.#windowLimits.bytes;
  }

  /** Reads frames back into the window while it holds less than a batch, until it holds two. */
  #refill(): void {
    const { limits } = this.#o.destination;
    if (this.#window.length >= limits.maxEvents || this.#window.bytes >= limits.maxBytes) return;
    while (this.#sources.length > 0 && this.#window.length < this.#readAhead.events && this.#window.bytes < this.#readAhead.bytes) {
      const source = this.#sources[0] as Source;
      const segment = source.pending[0];
      if (segment === undefined) {
        this.#sources.shift();
        continue;
      }
      if (!source.directory.adopted) this.#flushWrites();
      source.cursor ??= new SegmentCursor(segment.path);
      const step = source.cursor.next();
      if (step.kind === 'frame') {
        this.#loaded(source, segment, step.frame);
      } else if (step.kind === 'corrupt') {
        this.#o.reporter.report('error', `spool-corrupt:${segment.path}`, `auditlake: spool segment ${segment.path} has a damaged frame at byte ${step.offset} (${step.reason}); ${step.skipped ? 'that event is skipped' : 'the rest of the segment cannot be read'}`);
        if (!step.skipped) this.#finishReading(source, segment);
      } else if (source.directory.adopted || segment !== this.#writer?.current) {
        if (step.torn > 0) this.#o.reporter.report('warn', `spool-torn:${segment.path}`, `auditlake: spool segment ${segment.path} ends with ${step.torn} byte(s) of an incomplete frame (a write cut short by a crash); ignored`);
        this.#finishReading(source, segment);
      } else {
        // Caught up with the writer: new events go straight to the window again.
        this.#sources.shift();
      }
    }
  }

  #loaded(source: Source, segment: Segment, frame: Frame): void {
    const { directory } = source;
    if (!directory.adopted) {
      const event: QueuedEvent = { id: frame.id, entry: frame.entry, bytes: frame.bytes, timeMs: frame.timeMs, seq: frame.seq, acceptedAt: frame.acceptedAt, attempts: 0, inFlight: false, tracker: undefined, spooled: { segment, frameSeq: frame.seq } satisfies Place };
      this.#backlogEvents--;
      this.#backlogBytes -= frame.bytes;
      this.#window.push(event);
      return;
    }
    segment.frames++;
    segment.firstSeq = Math.min(segment.firstSeq, frame.seq);
    if (directory.settled.has(frame.seq)) {
      segment.settledFrames++;
      return;
    }
    const encoded = frame.format === this.#o.destination.format ? { entry: frame.entry, bytes: frame.bytes } : this.#o.recode(frame);
    if (encoded === undefined) {
      directory.settled.add(frame.seq);
      segment.settledFrames++;
      return;
    }
    const event: QueuedEvent = { id: frame.id, entry: encoded.entry, bytes: encoded.bytes, timeMs: frame.timeMs, seq: this.#o.ledger.nextSeq(), acceptedAt: frame.acceptedAt, attempts: 0, inFlight: false, tracker: undefined, spooled: { segment, frameSeq: frame.seq } satisfies Place };
    this.#o.ledger.queued(event, true);
    this.#window.push(event);
  }

  #finishReading(source: Source, segment: Segment): void {
    if (source.directory.adopted) segment.sealed = true;
    source.pending.shift();
    source.cursor = undefined;
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
    for (const directory of this.#directories) {
      const finished = directory.segments.filter((segment) => segment.finished);
      if (!directory.settled.changed && finished.length === 0) continue;
      try {
        if (directory.settled.changed || finished.length > 0) saveCheckpoint(directory.path, directory.settled);
        for (const segment of finished) {
          this.#removeSegment(segment.path, closing);
          this.#diskBytes -= segment.size;
          directory.segments.splice(directory.segments.indexOf(segment), 1);
        }
        const oldest = directory.segments[0];
        if (oldest !== undefined && Number.isFinite(oldest.firstSeq)) directory.settled.prune(oldest.firstSeq);
        if (directory.adopted && directory.segments.length === 0 && !this.#sources.some((source) => source.directory === directory)) this.#removeDirectory(directory);
      } catch (error) {
        this.#o.reporter.report('warn', `spool-maintain:${directory.path}`, `auditlake: cannot checkpoint or clean the spool directory ${directory.path} (${String(error)}); settled events may be sent again after a restart`);
      }
    }
    if (this.#writer?.dirty) this.#armSync();
  }

  /**
   * Removes a settled segment: off the event loop while running (deleting 8 MiB takes the file
   * system a few milliseconds), at once when closing, so that the directory can go too.
   */
  #removeSegment(path: string, closing: boolean): void {
    const failed = (error: NodeJS.ErrnoException | null) => {
      if (error && error.code !== 'ENOENT') this.#o.reporter.report('warn', `spool-unlink:${path}`, `auditlake: cannot remove the settled spool segment ${path} (${String(error)}); it takes disk space, and if it is still there when a sink next starts on this directory, its events may be sent again`);
    };
    if (!closing) {
      this.#background++;
      return unlink(path, (error) => {
        failed(error);
        this.#backgroundDone();
      });
    }
    try {
      unlinkSync(path);
    } catch (error) {
      failed(error as NodeJS.ErrnoException);
    }
  }

  /** Removes a finished adopted directory, unless it still holds one adopted in turn that is not finished (it goes with its own last segment). */
  #removeDirectory(directory: SpoolDirectory): void {
    const inside = `${directory.path}${sep}`;
    if (this.#directories.some((other) => other !== directory && other.path.startsWith(inside))) return;
    rmSync(directory.path, { recursive: true, force: true });
    this.#directories.splice(this.#directories.indexOf(directory), 1);
    // Its parent may have been waiting for it.
    const parent = this.#directories.find((other) => other.adopted && directory.path.startsWith(`${other.path}${sep}`) && other.segments.length === 0 && !this.#sources.some((source) => source.directory === other));
    if (parent) this.#removeDirectory(parent);
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
      this.#diskBytes -= size;
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
      this.#backlogEvents--;
      this.#backlogBytes -= event.bytes;
      this.#fallback.push(event);
    }
  }
}

/** Moves an unreadable file aside (never deleted: a person may want to look at it); returns where. */
function quarantine(spoolDir: string, path: string): string {
  const target = join(spoolDir, '.quarantine', `${Date.now()}-${basename(path)}`);
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    renameSync(path, target);
    return target;
  } catch {
    return path;
  }
}

export function openSpool(options: SpoolOptions): Spool {
  return new Spool(options);
}
