import { close, closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { maxFrameBytes, SEGMENT_MAGIC, writeFrame, type Frame } from './frame.js';
import { Segment, type SpoolDirectory } from './segment.js';

/** Bytes gathered before a write(2); a burst costs one system call per this much, or per turn of the event loop. */
const WRITE_BUFFER_BYTES = 256 * 1024;

export function segmentName(number: number): string {
  return `${String(number).padStart(10, '0')}.seg`;
}

/**
 * Appends frames to the segments of the spool's own directory: gathered in a buffer and written
 * with one `write(2)` per turn of the event loop (or per 256 KiB), then forced to disk by `sync`.
 * Segments are created exclusively and rolled over at `segmentBytes`; a frame never spans two;
 * a sealed segment is forced to disk on the thread pool (as Vector syncs on a roll), and its
 * descriptor closed once that is done. A failed write is thrown, a failed sync reported to
 * `onSyncError`: the spool then keeps in memory what may not be on disk.
 */
export class SegmentWriter {
  readonly directory: SpoolDirectory;
  readonly #segmentBytes: number;
  #number = 0;
  #fd: number | undefined;
  #segment: Segment | undefined;
  #buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  #pending = 0;
  /** Bytes ever handed to write(2) successfully. */
  #writtenTotal = 0;
  /** Written since the last sync. */
  #dirty = false;
  /** Descriptors with syncs in flight on the thread pool (how many each), and those to close once theirs end. */
  readonly #syncsInFlight = new Map<number, number>();
  readonly #closeWhenSynced = new Set<number>();
  readonly #whenSynced: (() => void)[] = [];
  /** Closes running on the thread pool. */
  #closes = 0;
  readonly #onSyncError: (error: Error) => void;

  constructor(directory: SpoolDirectory, segmentBytes: number, onSyncError: (error: Error) => void) {
    this.directory = directory;
    this.#segmentBytes = segmentBytes;
    this.#onSyncError = onSyncError;
  }

  /** Bytes buffered, not yet written. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** Bytes ever written: a frame whose `end` is at most this is in the file. */
  get writtenTotal(): number {
    return this.#writtenTotal;
  }

  get dirty(): boolean {
    return this.#dirty || this.#pending > 0;
  }

  /** The segment being written. */
  get current(): Segment | undefined {
    return this.#segment;
  }

  /** Buffers one frame; returns its segment, offset and size, and the `writtenTotal` at which it is written. */
  append(frame: Frame): { segment: Segment; offset: number; size: number; end: number } {
    const room = maxFrameBytes(frame);
    if (this.#segment === undefined || (this.#segment.frames > 0 && this.#segment.size + room > this.#segmentBytes)) this.#roll();
    if (this.#pending + room > this.#buffer.length) {
      this.flush();
      if (room > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(room);
    }
    const segment = this.#segment as Segment;
    const offset = segment.size;
    const size = writeFrame(this.#buffer, this.#pending, frame);
    this.#pending += size;
    segment.size += size;
    segment.frames++;
    segment.firstSeq = Math.min(segment.firstSeq, frame.seq);
    return { segment, offset, size, end: this.#writtenTotal + this.#pending };
  }

  /** Writes what is buffered (one `write(2)`, looping on short writes). */
  flush(): void {
    if (this.#pending === 0) return;
    const fd = this.#fd as number;
    let offset = 0;
    try {
      while (offset < this.#pending) offset += writeSync(fd, this.#buffer, offset, this.#pending - offset);
    } finally {
      this.#buffer.copy(this.#buffer, 0, offset, this.#pending);
      this.#pending -= offset;
      this.#writtenTotal += offset;
      this.#dirty = true;
    }
  }

  /** Writes and forces to disk now. */
  syncNow(): void {
    this.flush();
    if (this.#fd !== undefined && this.#dirty) fdatasyncSync(this.#fd);
    this.#dirty = false;
  }

  /** Writes, then forces to disk on the thread pool; one sync of a segment at a time. `done` runs when it ends. */
  syncSoon(done: (error: Error | null) => void): void {
    this.flush();
    const fd = this.#fd;
    if (fd === undefined || !this.#dirty || this.#syncsInFlight.has(fd)) return done(null);
    this.#dirty = false;
    this.#syncAsync(fd, done);
  }

  close(): void {
    this.syncNow();
    this.#release(this.#fd);
    this.#fd = undefined;
    if (this.#segment) this.#segment.sealed = true;
  }

  /** Seals the current segment (written now, forced to disk off the event loop) and starts the next. */
  #roll(): void {
    if (this.#segment) {
      this.flush();
      this.#segment.sealed = true;
      const fd = this.#fd as number;
      if (this.#dirty) {
        this.#dirty = false;
        this.#syncAsync(fd, (error) => {
          if (error) this.#onSyncError(error);
        });
      }
      this.#release(fd);
    }
    const path = join(this.directory.path, segmentName(++this.#number));
    const fd = openSync(path, 'wx', 0o600);
    this.#fd = fd;
    let written = 0;
    while (written < SEGMENT_MAGIC.length) written += writeSync(fd, SEGMENT_MAGIC, written);
    this.#segment = new Segment(this.directory, path, SEGMENT_MAGIC.length);
    this.directory.segments.push(this.#segment);
  }

  /** Resolves once no sync (or close after one) is running on the thread pool. */
  whenSynced(): Promise<void> {
    if (this.#syncsInFlight.size === 0 && this.#closes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenSynced.push(resolve));
  }

  #syncAsync(fd: number, done: (error: Error | null) => void): void {
    this.#syncsInFlight.set(fd, (this.#syncsInFlight.get(fd) ?? 0) + 1);
    fdatasync(fd, (error) => {
      const left = (this.#syncsInFlight.get(fd) ?? 1) - 1;
      if (left > 0) this.#syncsInFlight.set(fd, left);
      else {
        this.#syncsInFlight.delete(fd);
        // Closed on the thread pool too: the last close of a removed segment frees its blocks, which takes milliseconds.
        if (this.#closeWhenSynced.delete(fd)) {
          this.#closes++;
          close(fd, () => {
            this.#closes--;
            this.#notifySynced();
          });
        }
      }
      done(error);
      this.#notifySynced();
    });
  }

  #notifySynced(): void {
    if (this.#syncsInFlight.size === 0 && this.#closes === 0) for (const resolve of this.#whenSynced.splice(0)) resolve();
  }

  #release(fd: number | undefined): void {
    if (fd === undefined) return;
    if (this.#syncsInFlight.has(fd)) this.#closeWhenSynced.add(fd);
    else closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or gone: nothing to release.
  }
}
