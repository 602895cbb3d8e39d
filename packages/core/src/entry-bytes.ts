/**
 * Where accepted entries live: as UTF-8 bytes in shared off-heap chunks, not as JS strings. An
 * event waits for its batch and its response long enough for the garbage collector to copy its
 * string and promote it to the old generation, to be marked and swept there (the collector's
 * share of a 1 KB event's CPU went from about 17 % to 13 % with this store). Bytes in a chunk are
 * never copied by the collector, the request body is assembled from them with `memcpy`, and the
 * spool writes and reads them as they are: no encoding or decoding on either side.
 *
 * In a shared chunk each entry is followed by a comma, the separator of both services' bodies, so
 * that a run of events stored one after the other is copied into a body at once.
 *
 * Chunks are append-only and never reused, so an entry's bytes stay valid while anything holds
 * it. An entry is released when its event is settled; a chunk whose entries are all released
 * is left to the collector. Memory stays within about twice the live entries' bytes plus a few
 * chunks: a chunk that has stayed less than half live while {@link COMPACT_AFTER_CHUNKS} newer
 * chunks were started (its stragglers: events resent after a per-event `Throttling`, say) has its
 * live entries moved into the current chunk. An entry larger than {@link OWN_BUFFER_BYTES} gets a
 * buffer of its own.
 */

/** Size of a shared chunk. */
export const CHUNK_BYTES = 64 * 1024;
/** An entry larger than this gets a buffer of its own (it would waste a chunk's tail). */
export const OWN_BUFFER_BYTES = 8 * 1024;
/** A chunk less than half live is compacted once this many newer chunks were started since. */
export const COMPACT_AFTER_CHUNKS = 8;

class Chunk {
  readonly buffer: Buffer;
  /** Bytes written. */
  used = 0;
  /** Bytes of entries not released yet. */
  live = 0;
  /** The entries written here (a moved or released one is skipped when compacting). */
  readonly entries: EntryBytes[] = [];
  /** Chunk counter when the next chunk was started; -1 while it is the current chunk or one of its own. */
  retiredAt = -1;
  /** Chunk counter when it became less than half live; -1 before. */
  sparseAt = -1;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }
}

/** One entry's bytes. Its place may move (compaction); its bytes never change. */
export class EntryBytes {
  /** @internal */
  chunk: Chunk;
  /** @internal */
  start: number;
  /** UTF-8 size of the entry. */
  readonly length: number;
  /** @internal */
  released = false;

  constructor(chunk: Chunk, start: number, length: number) {
    this.chunk = chunk;
    this.start = start;
    this.length = length;
  }

  /** The entry as text (for dead letters and for a `send` that reads events: not on the hot path). */
  text(): string {
    return this.chunk.buffer.toString('utf8', this.start, this.start + this.length);
  }

  /** Copies the bytes to `target` at `at`; returns how many. */
  copyTo(target: Uint8Array, at: number): number {
    target.set(bytesOf(this.chunk.buffer, this.start, this.length), at);
    return this.length;
  }

  /** The byte at `offset` (negative: from the end), or -1 outside the entry. */
  byteAt(offset: number): number {
    const at = offset < 0 ? this.length + offset : offset;
    return at < 0 || at >= this.length ? -1 : (this.chunk.buffer[this.start + at] as number);
  }
}

let current: Chunk | undefined;
/** How many chunks were started: the age of a chunk is measured in it. */
let started = 0;
/** Chunks that became less than half live, oldest first (weakly held: a chunk nobody needs goes). */
const sparse: WeakRef<Chunk>[] = [];
let liveBytes = 0;

/** Stores `text` as UTF-8; the only copy of an accepted entry. */
export function storeEntry(text: string): EntryBytes {
  let most = text.length * 3;
  if (most > OWN_BUFFER_BYTES) {
    most = Buffer.byteLength(text, 'utf8');
    if (most > OWN_BUFFER_BYTES) {
      const own = new Chunk(most);
      own.used = utf8Write(own.buffer, text, 0);
      own.live = own.used;
      liveBytes += own.used;
      return new EntryBytes(own, 0, own.used);
    }
  }
  const chunk = roomFor(most + 1);
  const start = chunk.used;
  return place(chunk, start, utf8Write(chunk.buffer, text, start));
}

/** Stores bytes (an entry read back from the spool). */
export function storeEntryBytes(source: Uint8Array, start: number, end: number): EntryBytes {
  const length = end - start;
  if (length > OWN_BUFFER_BYTES) {
    const own = new Chunk(length);
    own.buffer.set(bytesOf(source, start, length), 0);
    own.used = own.live = length;
    liveBytes += length;
    return new EntryBytes(own, 0, length);
  }
  const chunk = roomFor(length + 1);
  const at = chunk.used;
  chunk.buffer.set(bytesOf(source, start, length), at);
  return place(chunk, at, length);
}

/** A plain view of `length` bytes of `source` from `start` (a Buffer's `subarray` builds a slower Buffer). */
function bytesOf(source: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(source.buffer, source.byteOffset + start, length);
}

/** The event of `entry` is settled (or no longer held in memory): its bytes may go. Idempotent. */
export function releaseEntry(entry: EntryBytes): void {
  if (entry.released) return;
  entry.released = true;
  liveBytes -= entry.length;
  const chunk = entry.chunk;
  chunk.live -= entry.length;
  // A chunk no longer written that is now less than half live may be holding stragglers.
  if (chunk.retiredAt >= 0 && chunk.live > 0 && chunk.live * 2 < chunk.used && chunk.sparseAt < 0) {
    chunk.sparseAt = started;
    sparse.push(new WeakRef(chunk));
  }
}

/**
 * Copies the bodies' entries, with a comma between each two, to `target` at `at`; returns the
 * bytes written. Entries stored one after the other in a chunk go in one copy.
 */
export function copyEntries(entries: readonly EntryBytes[], target: Uint8Array, at: number): number {
  let written = 0;
  let i = 0;
  while (i < entries.length) {
    const first = entries[i] as EntryBytes;
    let end = first.start + first.length;
    let j = i + 1;
    for (; j < entries.length; j++) {
      const next = entries[j] as EntryBytes;
      if (next.chunk !== first.chunk || next.start !== end + 1) break;
      end = next.start + next.length;
    }
    if (i > 0) target[at + written++] = 0x2c; // ,
    target.set(bytesOf(first.chunk.buffer, first.start, end - first.start), at + written);
    written += end - first.start;
    i = j;
  }
  return written;
}

/** `Buffer#utf8Write` (what `write(text, at, 'utf8')` calls, without its argument shuffling) where Node has it. */
function utf8Write(buffer: Buffer, text: string, at: number): number {
  return typeof (buffer as { utf8Write?: unknown }).utf8Write === 'function' ? (buffer as unknown as { utf8Write(text: string, at: number): number }).utf8Write(text, at) : buffer.write(text, at, 'utf8');
}

function place(chunk: Chunk, start: number, length: number): EntryBytes {
  chunk.buffer[start + length] = 0x2c; // ,
  chunk.used = start + length + 1;
  chunk.live += length;
  liveBytes += length;
  const entry = new EntryBytes(chunk, start, length);
  chunk.entries.push(entry);
  return entry;
}

/** The current chunk if it has `bytes` of room, else a new one (and a look at sparse old ones). */
function roomFor(bytes: number): Chunk {
  if (current !== undefined && CHUNK_BYTES - current.used >= bytes) return current;
  startChunk();
  if (sparse.length > 0) compactSparse();
  if (CHUNK_BYTES - (current as Chunk).used < bytes) startChunk();
  return current as Chunk;
}

function startChunk(): void {
  if (current !== undefined) {
    current.retiredAt = started;
    if (current.live > 0 && current.live * 2 < current.used) {
      current.sparseAt = started;
      sparse.push(new WeakRef(current));
    }
  }
  current = new Chunk(CHUNK_BYTES);
  started++;
}

/**
 * Moves the live entries of chunks that have stayed less than half live for
 * {@link COMPACT_AFTER_CHUNKS} chunks into the current one. A chunk drained in order empties
 * long before; what is left are stragglers, which would otherwise pin the whole chunk.
 */
function compactSparse(): void {
  let kept = 0;
  const due: Chunk[] = [];
  for (const ref of sparse) {
    const chunk = ref.deref();
    if (chunk === undefined || chunk.live <= 0) continue;
    if (started - chunk.sparseAt >= COMPACT_AFTER_CHUNKS) due.push(chunk);
    else sparse[kept++] = ref;
  }
  sparse.length = kept;
  for (const chunk of due) {
    for (const entry of chunk.entries) if (!entry.released && entry.chunk === chunk) move(entry);
  }
}

function move(entry: EntryBytes): void {
  if (CHUNK_BYTES - (current as Chunk).used < entry.length + 1) startChunk();
  const from = entry.chunk;
  const to = current as Chunk;
  const at = to.used;
  to.buffer.set(bytesOf(from.buffer, entry.start, entry.length), at);
  to.buffer[at + entry.length] = 0x2c; // ,
  from.live -= entry.length;
  entry.chunk = to;
  entry.start = at;
  to.used = at + entry.length + 1;
  to.live += entry.length;
  to.entries.push(entry);
}

/** Bytes of entries stored and not released (for tests and diagnostics). */
export function liveEntryBytes(): number {
  return liveBytes;
}
