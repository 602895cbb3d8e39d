import { QueuedEventRecord, type QueuedEvent } from '../destination.js';
import type { EventQueue } from '../event-queue.js';
import type { Frame } from './frame.js';
import { SegmentCursor, type Place, type Segment, type SpoolDirectory } from './segment.js';
import type { SpoolOptions } from './spool.js';

export interface SpoolReaderOptions extends Pick<SpoolOptions, 'destination' | 'ledger' | 'reporter' | 'recode'> {
  /** The spool's memory window, which this reads frames back into. */
  readonly window: EventQueue;
  /** Writes what is buffered for the own directory's segments, so that it can be read back. */
  readonly flushWrites: () => void;
  /** The segment being written now, if any. */
  readonly writing: () => Segment | undefined;
}

/** Frames not yet read from an adopted directory (or from this spool's own backlog). */
interface Source {
  readonly directory: SpoolDirectory;
  /** Segments still to read, oldest first, and the cursor in the first of them. */
  readonly pending: Segment[];
  cursor: SegmentCursor | undefined;
}

/**
 * Reads frames back from disk into the spool's window as it drains: first what adopted
 * directories hold (each event renumbered in this sink, recoded when another destination wrote
 * it, skipped when its checkpoint says settled), then this spool's own backlog, the events that
 * did not fit the window when they were accepted.
 */
export class SpoolReader {
  readonly #o: SpoolReaderOptions;
  /** What the window is refilled to from disk: two batches, read a few hundred kilobytes at a time. */
  readonly #readAhead: { events: number; bytes: number };
  /** Adopted directories, then this spool's own backlog, in reading order. */
  readonly #sources: Source[] = [];
  /** This spool's own events that are on disk only (not in the window); counted in the ledger already. */
  #backlogEvents = 0;
  #backlogBytes = 0;

  constructor(options: SpoolReaderOptions) {
    this.#o = options;
    const { limits } = options.destination;
    this.#readAhead = { events: limits.maxEvents * 2, bytes: limits.maxBytes * 2 };
  }

  get backlogEvents(): number {
    return this.#backlogEvents;
  }

  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /** Nothing waits on disk to be read back: new events may go straight to the window. */
  get caughtUp(): boolean {
    return this.#sources.length === 0 && this.#backlogEvents === 0;
  }

  /** Some directory still has frames to read. */
  get reading(): boolean {
    return this.#sources.length > 0;
  }

  reads(directory: SpoolDirectory): boolean {
    return this.#sources.some((source) => source.directory === directory);
  }

  /** An adopted directory with segments: read before this spool's own backlog. */
  adopt(directory: SpoolDirectory): void {
    this.#sources.push({ directory, pending: [...directory.segments], cursor: undefined });
  }

  /** An own event written to `segment` at `offset` that did not go to the window: it is read back from disk, after the window drains. */
  backlog(event: QueuedEvent, segment: Segment, offset: number): void {
    const last = this.#sources[this.#sources.length - 1];
    if (last !== undefined && !last.directory.adopted) {
      if (!last.pending.includes(segment)) last.pending.push(segment);
    } else {
      this.#sources.push({ directory: segment.directory, pending: [segment], cursor: new SegmentCursor(segment.path, offset) });
    }
    this.#backlogEvents++;
    this.#backlogBytes += event.bytes;
  }

  /** A backlog event that never reached the file (the disk failed): the spool holds it in memory instead. */
  unspooled(event: QueuedEvent): void {
    this.#backlogEvents--;
    this.#backlogBytes -= event.bytes;
  }

  /** Reads frames back into the window while it holds less than a batch, until it holds two. */
  refill(): void {
    const { window } = this.#o;
    const { limits } = this.#o.destination;
    if (window.length >= limits.maxEvents || window.bytes >= limits.maxBytes) return;
    while (this.#sources.length > 0 && window.length < this.#readAhead.events && window.bytes < this.#readAhead.bytes) {
      const source = this.#sources[0] as Source;
      const segment = source.pending[0];
      if (segment === undefined) {
        this.#sources.shift();
        continue;
      }
      if (!source.directory.adopted) this.#o.flushWrites();
      source.cursor ??= new SegmentCursor(segment.path);
      const step = source.cursor.next();
      if (step.kind === 'frame') {
        this.#loaded(source, segment, step.frame);
      } else if (step.kind === 'corrupt') {
        this.#o.reporter.report('error', `spool-corrupt:${segment.path}`, `auditlake: spool segment ${segment.path} has a damaged frame at byte ${step.offset} (${step.reason}); ${step.skipped ? 'that event is skipped' : 'the rest of the segment cannot be read'}`);
        if (!step.skipped) this.#finishReading(source, segment);
      } else if (source.directory.adopted || segment !== this.#o.writing()) {
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
      const event = new QueuedEventRecord(frame.id, frame.entry, frame.bytes, frame.timeMs, frame.seq, frame.acceptedAt, undefined, { segment, frameSeq: frame.seq } satisfies Place);
      this.#backlogEvents--;
      this.#backlogBytes -= frame.bytes;
      this.#o.window.push(event);
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
    const event = new QueuedEventRecord(frame.id, encoded.entry, encoded.bytes, frame.timeMs, this.#o.ledger.nextSeq(), frame.acceptedAt, undefined, { segment, frameSeq: frame.seq } satisfies Place);
    this.#o.ledger.queued(event, true);
    this.#o.window.push(event);
  }

  #finishReading(source: Source, segment: Segment): void {
    if (source.directory.adopted) segment.sealed = true;
    source.pending.shift();
    source.cursor = undefined;
  }
}
