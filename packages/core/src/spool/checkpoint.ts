import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHECKPOINT_FILE = 'checkpoint.json';

/**
 * The sequence numbers of settled (delivered or dead-lettered) frames of one spool directory, as
 * sorted, disjoint ranges. Outcomes arrive mostly in order, so this stays a handful of ranges.
 */
export class SettledSet {
  /** `[first, last]` pairs, sorted, neither overlapping nor adjacent. */
  #ranges: [number, number][] = [];
  #changed = false;

  static fromJSON(value: unknown): SettledSet {
    const set = new SettledSet();
    const ranges = (value as { settled?: unknown } | null)?.settled;
    if (Array.isArray(ranges)) {
      for (const range of ranges) {
        if (Array.isArray(range) && Number.isSafeInteger(range[0]) && Number.isSafeInteger(range[1]) && range[0] <= range[1]) set.#insert(range[0] as number, range[1] as number);
      }
    }
    set.#changed = false;
    return set;
  }

  get changed(): boolean {
    return this.#changed;
  }

  has(seq: number): boolean {
    let low = 0;
    let high = this.#ranges.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const [first, last] = this.#ranges[middle] as [number, number];
      if (seq < first) high = middle - 1;
      else if (seq > last) low = middle + 1;
      else return true;
    }
    return false;
  }

  add(seq: number): void {
    this.#insert(seq, seq);
  }

  /** Forgets ranges wholly below `seq` (their segments are gone). */
  prune(seq: number): void {
    const keep = this.#ranges.findIndex(([, last]) => last >= seq);
    const removed = keep === -1 ? this.#ranges.length : keep;
    if (removed > 0) {
      this.#ranges.splice(0, removed);
      this.#changed = true;
    }
  }

  toJSON(): { settled: [number, number][] } {
    return { settled: this.#ranges };
  }

  markSaved(): void {
    this.#changed = false;
  }

  #insert(first: number, last: number): void {
    const ranges = this.#ranges;
    this.#changed = true;
    // The common case: at or just after the newest range.
    const tail = ranges[ranges.length - 1];
    if (tail === undefined || first > tail[1] + 1) {
      ranges.push([first, last]);
      return;
    }
    const index = ranges.findIndex(([, end]) => end + 1 >= first);
    const at = ranges[index] as [number, number];
    if (at[0] > last + 1) {
      ranges.splice(index, 0, [first, last]);
      return;
    }
    const merged: [number, number] = [Math.min(first, at[0]), Math.max(last, at[1])];
    let next = index + 1;
    while (next < ranges.length && (ranges[next] as [number, number])[0] <= merged[1] + 1) {
      merged[1] = Math.max(merged[1], (ranges[next] as [number, number])[1]);
      next++;
    }
    ranges.splice(index, next - index, merged);
  }
}

/** Reads a directory's checkpoint; a missing or unreadable one is empty (those frames are sent again: duplicates, never losses). */
export function loadCheckpoint(dir: string): SettledSet {
  try {
    return SettledSet.fromJSON(JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8')));
  } catch {
    return new SettledSet();
  }
}

/** Replaces the checkpoint atomically: a temporary file, synced, renamed over the old one. */
export function saveCheckpoint(dir: string, set: SettledSet): void {
  const path = join(dir, CHECKPOINT_FILE);
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(set));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  set.markSaved();
}
