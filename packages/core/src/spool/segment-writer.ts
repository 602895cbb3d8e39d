import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { frameSize, SEGMENT_MAGIC, writeFrame, type Frame } from './frame.js';
import { Segment, type SpoolDirectory } from './segment.js';

/** Bytes gathered before a write(2); a burst costs one system call per this much, or per turn of the event loop. */
const WRITE_BUFFER_BYTES = 256 * 1024;

export function segmentName(number: number): string {
  return `${String(number).padStart(10, '0')}.seg`;
}

/**
 * Appends frames to the segments of the spool's own directory: gathered in a buffer and written
 * with one `write(2)` per turn of the event loop (or per 256 KiB), then forced to disk by `sync`.
 * Segments are created exclusively and rolled over at `segmentBytes`; a frame never spans two.
 * Any failure is thrown: the spool then keeps what was not written in memory.
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
  /** The descriptor an asynchronous sync is working on, and descriptors to close once it ends. */
  #syncing: number | undefined;
  #closeAfterSync: number[] = [];

  constructor(directory: SpoolDirectory, segmentBytes: number) {
    this.directory = directory;
    this.#segmentBytes = segmentBytes;
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
    const room = frameSize(frame);
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

  /** Writes, then forces to disk on the thread pool; one sync at a time. `done` runs when it ends. */
  syncSoon(done: (error: Error | null) => void): void {
    this.flush();
    const fd = this.#fd;
    if (fd === undefined || !this.#dirty || this.#syncing !== undefined) return done(null);
    this.#dirty = false;
    this.#syncing = fd;
    fdatasync(fd, (error) => {
      this.#syncing = undefined;
      for (const old of this.#closeAfterSync.splice(0)) closeQuietly(old);
      done(error);
    });
  }

  close(): void {
    this.syncNow();
    this.#release(this.#fd);
    this.#fd = undefined;
    if (this.#segment) this.#segment.sealed = true;
  }

  /** Seals the current segment (written and synced, as Vector does on a roll) and starts the next. */
  #roll(): void {
    if (this.#segment) {
      this.syncNow();
      this.#segment.sealed = true;
      this.#release(this.#fd);
    }
    const path = join(this.directory.path, segmentName(++this.#number));
    const fd = openSync(path, 'wx', 0o600);
    this.#fd = fd;
    let written = 0;
    while (written < SEGMENT_MAGIC.length) written += writeSync(fd, SEGMENT_MAGIC, written);
    this.#segment = new Segment(this.directory, path, SEGMENT_MAGIC.length);
    this.directory.segments.push(this.#segment);
  }

  #release(fd: number | undefined): void {
    if (fd === undefined) return;
    if (fd === this.#syncing) this.#closeAfterSync.push(fd);
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
