import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFrame, SEGMENT_MAGIC, type Frame } from './frame.js';
import type { SettledSet } from './checkpoint.js';
import type { SpoolPlace } from '../destination.js';

/** A spool directory: its segments, and the settled frames its checkpoint records. */
export interface SpoolDirectory {
  readonly path: string;
  readonly settled: SettledSet;
  /** Segments not yet removed, oldest first. */
  readonly segments: Segment[];
  /** The directory is being read from (adopted), not written to. */
  readonly adopted: boolean;
}

/** One segment file and how many of its frames are settled. */
export class Segment {
  /** Frames known to be in it (all of them once `sealed`). */
  frames = 0;
  settledFrames = 0;
  /** No frame will be added (rolled over, or read to its end). */
  sealed = false;
  /** Size on disk (and, for the segment being written, what is buffered for it). */
  size: number;
  /** Lowest frame sequence number in it, once known. */
  firstSeq = Number.POSITIVE_INFINITY;

  constructor(
    readonly directory: SpoolDirectory,
    readonly path: string,
    size: number,
  ) {
    this.size = size;
  }

  get finished(): boolean {
    return this.sealed && this.settledFrames === this.frames;
  }
}

/** Where the spool keeps an event: the {@link SpoolPlace} that only the spool looks into. */
export interface Place extends SpoolPlace {
  readonly segment: Segment;
}

/** Reading for this many bytes at a time. */
const READ_CHUNK = 1024 * 1024;

export type CursorStep =
  | { kind: 'frame'; frame: Frame; offset: number }
  /** Nothing more for now; `torn` when bytes remain that do not make a whole frame. */
  | { kind: 'end'; torn: number }
  | { kind: 'corrupt'; offset: number; reason: string; skipped: boolean };

/** Reads the frames of one segment in order, from `offset`; a file that grows is read on. */
export class SegmentCursor {
  #buffer = Buffer.alloc(0);
  /** File offset of `#buffer[0]`. */
  #bufferAt = 0;
  #bufferEnd = 0;
  #offset: number;

  constructor(
    readonly path: string,
    offset = SEGMENT_MAGIC.length,
  ) {
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  next(): CursorStep {
    for (;;) {
      const at = this.#offset - this.#bufferAt;
      const result = readFrame(this.#buffer, at, this.#bufferEnd);
      if (result.kind === 'frame') {
        const offset = this.#offset;
        this.#offset += result.size;
        return { kind: 'frame', frame: result.frame, offset };
      }
      if (result.kind === 'corrupt') {
        const offset = this.#offset;
        // A complete frame that fails its check is skipped; a header that cannot be trusted ends the segment.
        if (result.size === undefined) return { kind: 'corrupt', offset, reason: result.reason, skipped: false };
        this.#offset += result.size;
        return { kind: 'corrupt', offset, reason: result.reason, skipped: true };
      }
      const available = this.#bufferEnd - at;
      if (!this.#fill(Math.max(READ_CHUNK, result.needed))) return { kind: 'end', torn: available };
    }
  }

  /**
   * Reads from the current frame on, into the same buffer each time (frames are copied out of it
   * as they are read, so nothing refers to it); false when the file has nothing beyond what is
   * buffered.
   */
  #fill(want: number): boolean {
    const have = this.#bufferEnd - (this.#offset - this.#bufferAt);
    if (this.#buffer.length < Math.max(want, have)) this.#buffer = Buffer.allocUnsafe(Math.max(want, have));
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'r');
      const read = readSync(fd, this.#buffer, 0, this.#buffer.length, this.#offset);
      const grew = read > have;
      this.#bufferAt = this.#offset;
      this.#bufferEnd = read;
      return grew;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/** Whether the file starts like a segment, and its size. */
export function inspectSegment(path: string): { valid: boolean; size: number } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(SEGMENT_MAGIC.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return { valid: read === head.length && head.equals(SEGMENT_MAGIC), size };
  } catch {
    return { valid: false, size: 0 };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

