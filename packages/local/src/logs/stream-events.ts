/**
 * The events of one log stream, in the order the read APIs return them: by timestamp, then by
 * arrival (`seq`). Only where each event is kept in memory (its line's offset in the group's
 * log), with its times and size, in growable typed arrays: 40 bytes per event, so a stream of a
 * million events costs 40 MB, and the messages stay on disk.
 */

/** An event's place: `[timestamp, seq]`, ordered as the read APIs order events. */
export type EventKey = readonly [timestamp: number, seq: number];

export interface IndexedEvent {
  timestamp: number;
  seq: number;
  ingestionTime: number;
  /** UTF-8 bytes of the message. */
  bytes: number;
  /** Offset of the event's line in the group's log. */
  offset: number;
}

const INITIAL_CAPACITY = 64;

export class StreamEvents {
  #timestamps = new Float64Array(INITIAL_CAPACITY);
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #ingestionTimes = new Float64Array(INITIAL_CAPACITY);
  #bytes = new Float64Array(INITIAL_CAPACITY);
  #offsets = new Float64Array(INITIAL_CAPACITY);
  #length = 0;
  #lastIngestionTime: number | undefined;
  #storedBytes = 0;

  get length(): number {
    return this.#length;
  }

  get firstEventTimestamp(): number | undefined {
    return this.#length === 0 ? undefined : this.#timestamps[0];
  }

  get lastEventTimestamp(): number | undefined {
    return this.#length === 0 ? undefined : this.#timestamps[this.#length - 1];
  }

  get lastIngestionTime(): number | undefined {
    return this.#lastIngestionTime;
  }

  /** UTF-8 bytes of every message. */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  /** Adds an event in its place (at the end, unless it is older than the newest one). */
  add(event: IndexedEvent): void {
    if (this.#length === this.#timestamps.length) this.#grow();
    const at = this.#length === 0 || compare(this.key(this.#length - 1), [event.timestamp, event.seq]) < 0 ? this.#length : this.lowerBound([event.timestamp, event.seq]);
    for (const column of this.#columns()) column.copyWithin(at + 1, at, this.#length);
    this.#timestamps[at] = event.timestamp;
    this.#seqs[at] = event.seq;
    this.#ingestionTimes[at] = event.ingestionTime;
    this.#bytes[at] = event.bytes;
    this.#offsets[at] = event.offset;
    this.#length++;
    this.#storedBytes += event.bytes;
    this.#lastIngestionTime = Math.max(this.#lastIngestionTime ?? event.ingestionTime, event.ingestionTime);
  }

  key(index: number): EventKey {
    return [this.#timestamps[index] as number, this.#seqs[index] as number];
  }

  at(index: number): IndexedEvent {
    return {
      timestamp: this.#timestamps[index] as number,
      seq: this.#seqs[index] as number,
      ingestionTime: this.#ingestionTimes[index] as number,
      bytes: this.#bytes[index] as number,
      offset: this.#offsets[index] as number,
    };
  }

  /** The first index whose key is not below `key`. */
  lowerBound(key: EventKey): number {
    let low = 0;
    let high = this.#length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.key(mid), key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The first index whose key is above `key`. */
  upperBound(key: EventKey): number {
    let low = 0;
    let high = this.#length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.key(mid), key) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  #columns(): Float64Array[] {
    return [this.#timestamps, this.#seqs, this.#ingestionTimes, this.#bytes, this.#offsets];
  }

  #grow(): void {
    const grown = (column: Float64Array) => {
      const next = new Float64Array(column.length * 2);
      next.set(column);
      return next;
    };
    this.#timestamps = grown(this.#timestamps);
    this.#seqs = grown(this.#seqs);
    this.#ingestionTimes = grown(this.#ingestionTimes);
    this.#bytes = grown(this.#bytes);
    this.#offsets = grown(this.#offsets);
  }
}

export function compare(a: EventKey, b: EventKey): number {
  return a[0] - b[0] || a[1] - b[1];
}
