/** Reading the end of an event log, and the file-system chores around it. */
import { closeSync, fsyncSync, openSync, readSync, statSync } from 'node:fs';
import { chainHash, unframeLine } from './stored-event.js';

/** A new file's name is durable only once its directory is synced. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the data itself is still synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last complete line of a log, its size up to that line, and what follows it: the bytes
 * after the last newline (a write cut short by a crash, or a record whose newline was removed).
 */
export function readTail(path: string): { last: string | undefined; bytes: number; tornBytes: number; fragment: string } {
  const size = statSync(path).size;
  if (size === 0) return { last: undefined, bytes: 0, tornBytes: 0, fragment: '' };
  const fd = openSync(path, 'r');
  try {
    let window = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - window);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline === -1 && start > 0) {
        window *= 4;
        continue;
      }
      if (lastNewline === -1) return { last: undefined, bytes: 0, tornBytes: size, fragment: buffer.toString('utf8') };
      const bytes = start + lastNewline + 1;
      const previousNewline = buffer.lastIndexOf(0x0a, lastNewline - 1);
      if (previousNewline === -1 && start > 0) {
        window *= 4;
        continue;
      }
      const last = buffer.subarray(previousNewline + 1, lastNewline).toString('utf8');
      return { last, bytes, tornBytes: size - bytes, fragment: buffer.subarray(lastNewline + 1).toString('utf8') };
    }
  } finally {
    closeSync(fd);
  }
}

/** The chain state after a log's last complete line. */
export function lastState(path: string, line: string, bytes: number): { seq: number; hash: string; bytes: number } {
  const record = completeRecord(line);
  if (record === undefined) {
    throw new Error(`the last record of ${path} is damaged, so the hash chain cannot be continued; run "auditlake verify" on this data directory`);
  }
  return { seq: record.seq, hash: record.hash, bytes };
}

/** A line's hash and `seq` when it is a whole framed record, else undefined. */
export function completeRecord(line: string): { seq: number; hash: string; recordJson: string } | undefined {
  const framed = unframeLine(line);
  if (typeof framed === 'string') return undefined;
  let seq: unknown;
  try {
    seq = (JSON.parse(framed.recordJson) as { seq?: unknown }).seq;
  } catch {
    return undefined;
  }
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return undefined;
  return { seq, hash: framed.hash, recordJson: framed.recordJson };
}

/**
 * Whether the bytes after the last newline are the next record whole, chained on `previous`:
 * only its final newline is missing. A crash can leave that too (the record was then never
 * acknowledged); so can someone cutting one byte off the end.
 */
export function isNextRecordWithoutNewline(fragment: string, previous: { seq: number; hash: string }): { seq: number; hash: string } | undefined {
  const record = completeRecord(fragment);
  if (record === undefined || record.seq !== previous.seq + 1 || chainHash(previous.hash, record.recordJson) !== record.hash) return undefined;
  return { seq: record.seq, hash: record.hash };
}
